"""NormAntiBio: CSV import (line-level French errors, rejected lines kept, replace semantics), indicators, screens."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from enrs.access import services as access
from enrs.access.models import Role
from enrs.accounts.models import User
from enrs.observatory import antibio, antibio_indicators, services
from enrs.observatory.antibio_indicators import Cell, consumption_rate, resistance_rate
from enrs.observatory.models import AntibioConsumption, AntibioImport, AntibioRejectedLine, AntibioResistance

pytestmark = pytest.mark.django_db

CONSUMPTION_HEADER = "finess;annee;atc;ddj;journees_hospitalisation"
RESISTANCE_HEADER = "finess;annee;germe;antibiotique;sensibles;intermediaires;resistants"


def csv_bytes(header: str, *lines: str, encoding="utf-8") -> bytes:
    return ("\r\n".join([header, *lines]) + "\r\n").encode(encoding)


def analyst(organisation=None, username="analyste"):
    user = User.objects.create_user(username=username, email=f"{username}@test.invalid", password="x-mot-de-passe-1", kind="pro")
    access.assign_role(user, Role.OBSERVATORY_ANALYST, organisation=organisation)
    return user


def test_consumption_import_stores_lines_and_keeps_rejected_ones_with_french_reasons(hospitals):
    caen = hospitals["caen"].finess
    data = csv_bytes(
        CONSUMPTION_HEADER,
        f"{caen};2025;J01CA04;12500,5;48000",
        f"{caen};2025;J01DD04;3200;48000",
        f"{caen};2025;J01C;10;48000",            # overlaps J01CA04
        f"{caen};2025;J01DD04;1;48000",           # duplicate
        f"{caen};2025;J01MA02;50;47000",          # patient days differ
        f"{caen};1999;X01;-3;0",                  # year, ATC, DDJ, days
        "123456789;2025;J01MA02;50;47000",        # FINESS key
        f"{caen};2025;J01MA02",                   # missing columns
    )
    source = services.import_antibio(data, filename="conso.csv")
    assert source.kind == "consommation" and source.status == "accepted"
    assert (source.lines, source.accepted, source.rejected) == (8, 2, 6)
    assert AntibioConsumption.objects.count() == 2
    assert AntibioConsumption.objects.get(atc="J01CA04").ddd == Decimal("12500.50")
    rejected = {line.number: line for line in AntibioRejectedLine.objects.filter(source=source)}
    assert sorted(rejected) == [4, 5, 6, 7, 8, 9]
    assert rejected[4].errors[0]["code"] == "chevauchement" and "Ligne 4, colonne « atc »" in rejected[4].errors[0]["message"]
    assert rejected[5].errors[0]["code"] == "doublon" and "déjà donné ligne 3" in rejected[5].errors[0]["message"]
    assert rejected[6].errors[0]["code"] == "incoherence"
    assert {e["field"] for e in rejected[7].errors} == {"annee", "atc", "ddj", "journees_hospitalisation"}
    assert rejected[8].errors[0]["field"] == "finess" and "clé de contrôle" in rejected[8].errors[0]["message"]
    assert rejected[9].errors[0]["code"] == "colonnes" and rejected[9].raw == f"{caen};2025;J01MA02"


def test_resending_replaces_the_finess_and_year_and_is_idempotent(hospitals):
    caen, rouen = hospitals["caen"].finess, hospitals["rouen"].finess
    first = csv_bytes(RESISTANCE_HEADER, f"{caen};2025;ECOLI;J01DD01;90;0;10", f"{rouen};2025;ECOLI;J01DD01;45;0;5",
                      f"{caen};2024;ECOLI;J01DD01;80;0;20")
    services.import_antibio(first, filename="r.csv")
    corrected = csv_bytes(RESISTANCE_HEADER, f"{caen};2025;ECOLI;J01DD01;95;0;5")
    services.import_antibio(corrected, filename="r2.csv")
    services.import_antibio(corrected, filename="r2.csv")
    rows = sorted(AntibioResistance.objects.values_list("finess", "year", "resistant"))
    assert rows == sorted([(caen, 2025, 5), (rouen, 2025, 5), (caen, 2024, 20)])


def test_refused_files_change_nothing_and_are_logged(hospitals):
    services.import_antibio(csv_bytes(CONSUMPTION_HEADER, f"{hospitals['caen'].finess};2025;J01;100;1000"), filename="ok.csv")
    for data, expected in (
        (b"", "vide"),
        (b"\xff\xfe\x00\x81garbage\x00", "Encodage"),
        (csv_bytes("finess;annee;quoi"), "En-tête non reconnu"),
        (csv_bytes(CONSUMPTION_HEADER), "aucune ligne"),
    ):
        source = services.import_antibio(data, filename="bad.csv")
        assert source.status == "rejected" and expected in source.error_message
        assert source.lines == 0
    assert AntibioConsumption.objects.count() == 1


def test_windows_1252_and_comma_separated_files_are_read(hospitals):
    caen = hospitals["caen"].finess
    data = "FINESS,Année,ATC,DDJ,journées_hospitalisation\r\n".encode("cp1252") + f"{caen},2025,J01,100.5,1000\r\n".encode()
    source = services.import_antibio(data, filename="excel.csv")
    assert source.encoding == "Windows-1252" and source.accepted == 1


def test_unknown_finess_and_unauthorised_finess_are_line_errors(hospitals):
    caen, rouen = hospitals["caen"], hospitals["rouen"]
    from enrs.core.validators import finess_complete

    unknown = finess_complete("61000001")
    data = csv_bytes(CONSUMPTION_HEADER, f"{caen.finess};2025;J01;10;100", f"{rouen.finess};2025;J01;10;100",
                     f"{unknown};2025;J01;10;100")
    source = services.import_antibio(data, filename="x.csv", may_send=lambda organisation: organisation.pk == caen.pk)
    codes = {line.number: line.errors[0]["code"] for line in source.rejected_lines.all()}
    assert codes == {3: "finess_non_autorise", 4: "finess_inconnu"} and source.organisation_id == caen.pk


def test_indicators_sum_numerators_and_denominators(hospitals):
    caen, rouen = hospitals["caen"].finess, hospitals["rouen"].finess
    services.import_antibio(csv_bytes(
        CONSUMPTION_HEADER, f"{caen};2025;J01CA04;300;1000", f"{caen};2025;J01DD;100;1000", f"{rouen};2025;J01;200;3000",
    ), filename="c.csv")
    services.import_antibio(csv_bytes(
        RESISTANCE_HEADER,
        f"{caen};2025;ECOLI;J01DD01;90;5;5", f"{caen};2025;ECOLI;J01DD04;50;0;50",  # the marker is cefotaxime only
        f"{rouen};2025;ECOLI;J01DD04;290;0;10", f"{rouen};2025;SAUREUS;J01DC01;80;0;20",
    ), filename="r.csv")
    board = antibio_indicators.consumption(2025)
    assert board.region.per_thousand == Decimal("150.0")  # 600 DDJ / 4000 days
    assert board.by_departement["14"].per_thousand == Decimal("400.0") and board.by_departement["76"].per_thousand == Decimal("66.7")
    assert [code for code, _label, _ddd in board.by_class] == ["J01", "J01C", "J01D"]
    lines = {line.indicator.code: line for line in antibio_indicators.resistance(2025)}
    assert lines["ecoli_c3g"].region.percent == Decimal("3.8")  # (5 + 10) / (100 + 300)
    assert [marker for _p, marker, _c in lines["ecoli_c3g"].by_source] == ["J01DD01", "J01DD04"]
    assert lines["sarm"].by_departement["76"].percent == Decimal("20.0") and "14" not in lines["sarm"].by_departement


@given(st.lists(st.tuples(st.integers(0, 10**6), st.integers(1, 10**6)), min_size=1, max_size=8))
def test_regional_rate_is_the_ratio_of_sums_and_lies_between_the_extremes(pairs):
    region = Cell()
    for ddd, days in pairs:
        region.add(ddd, days)
    rates = [Decimal(d) * 1000 / n for d, n in pairs]
    assert region.per_thousand == consumption_rate(sum(d for d, _n in pairs), sum(n for _d, n in pairs))
    assert min(rates) - Decimal("0.05") <= region.per_thousand <= max(rates) + Decimal("0.05")


@given(st.integers(0, 10**6), st.integers(0, 10**6))
def test_resistance_rate_is_a_percentage(resistant, others):
    rate = resistance_rate(resistant, resistant + others)
    assert rate is None if resistant + others == 0 else Decimal(0) <= rate <= Decimal(100)


def test_screens_upload_report_dashboard_and_map(client, hospitals):
    user = analyst(hospitals["caen"])
    client.force_login(user)
    caen = hospitals["caen"].finess
    data = csv_bytes(CONSUMPTION_HEADER, f"{caen};2025;J01;362;1000", f"{caen};2025;J01CA;oops;1000")
    response = client.post(reverse("observatory:antibio_home"), {"file": SimpleUploadedFile("c.csv", data, content_type="text/csv")})
    source = AntibioImport.objects.get()
    assert response.status_code == 302 and response.url == reverse("observatory:antibio_import", args=[source.pk])
    text = client.get(response.url).content.decode()
    assert "2 reçues = 1 intégrées + 1 rejetées" in text and "Ligne 3, colonne « ddj »" in text
    page = client.get(reverse("observatory:antibio_dashboard"), {"annee": "2025"})
    body = page.content.decode()
    assert page.status_code == 200 and "Consommation par classe" in body
    assert 'role="img"' in body and "Calvados (14) : 362" in body and "Manche (50) : pas de donnée" in body
    assert client.get(reverse("observatory:antibio_dashboard"), {"annee": "2025", "x": "1"}).status_code == 400
    refused = client.post(reverse("observatory:antibio_home"), {"file": SimpleUploadedFile("c.csv", b"a;b\n1;2\n")})
    assert refused.status_code == 400 and "En-tête non reconnu" in refused.content.decode()
    template = client.get(reverse("observatory:antibio_template", args=["resistance"]))
    assert template.status_code == 200 and template.content.decode().startswith(RESISTANCE_HEADER)
    assert client.get(reverse("observatory:antibio_template", args=["autre"])).status_code == 404


def test_other_establishments_imports_are_not_visible(client, hospitals):
    rouen = hospitals["rouen"].finess
    source = services.import_antibio(csv_bytes(CONSUMPTION_HEADER, f"{rouen};2025;J01;10;100"), filename="r.csv")
    client.force_login(analyst(hospitals["caen"]))
    assert client.get(reverse("observatory:antibio_import", args=[source.pk])).status_code == 403
    assert "r.csv" not in client.get(reverse("observatory:antibio_home")).content.decode()
    body = client.get(reverse("observatory:antibio_dashboard")).content.decode()
    assert "CHU de Rouen" not in body and "Seine-Maritime (76) : 10" in body  # aggregates only


def test_template_files_pass_their_own_checks(hospitals):
    for kind in antibio.COLUMNS:
        outcome = antibio.read_csv(antibio.template(kind).encode(), lambda finess: ("", ""))
        assert outcome.kind == kind and not outcome.rejected and len(outcome.accepted) == 2


# --- Connector API (scope antibio:depot) ------------------------------------------------------------
def _send_antibio(client, data: bytes, bearer: str | None):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {bearer}"} if bearer else {}
    return client.post(reverse("api:send_antibio"), data, content_type="text/csv", HTTP_X_FILENAME="conso.csv", **headers)


def test_connector_sends_its_antibio_file_with_line_errors(client, hospitals):
    from enrs.connectors.scopes import OBSERVATORY_ANTIBIO

    from .test_upload import token

    caen = hospitals["caen"].finess
    bearer = token(client, hospitals["caen"], [OBSERVATORY_ANTIBIO])
    data = csv_bytes(CONSUMPTION_HEADER, f"{caen};2025;J01CA04;12500,5;48000", f"{caen};1999;J01DD04;3;48000")
    response = _send_antibio(client, data, bearer)
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["lignes"], body["integrees"], body["rejetees"]) == (2, 1, 1)
    assert body["erreurs"][0]["ligne"] == 3 and body["erreurs"][0]["field"] == "annee"
    source = AntibioImport.objects.get()
    assert source.channel == "api" and AntibioConsumption.objects.count() == 1
    # Re-sending is idempotent (replace semantics).
    assert _send_antibio(client, data, bearer).status_code == 200
    assert AntibioConsumption.objects.count() == 1


def test_antibio_api_refuses_another_organisations_finess_and_stores_nothing(client, hospitals):
    from enrs.connectors.scopes import OBSERVATORY_ANTIBIO

    from .test_upload import token

    bearer = token(client, hospitals["caen"], [OBSERVATORY_ANTIBIO])
    data = csv_bytes(CONSUMPTION_HEADER, f"{hospitals['caen'].finess};2025;J01CA04;10;100",
                     f"{hospitals['rouen'].finess};2025;J01CA04;10;100")
    response = _send_antibio(client, data, bearer)
    assert response.status_code == 403
    assert "Ligne 3" in response.json()["detail"] and "n'appartient pas à votre organisation" in response.json()["detail"]
    assert not AntibioImport.objects.exists() and not AntibioConsumption.objects.exists()


def test_antibio_api_needs_its_scope_and_a_token_and_refuses_bad_files_with_422(client, hospitals):
    from enrs.connectors.scopes import OBSERVATORY_ANTIBIO, OBSERVATORY_RPU

    from .test_upload import token

    data = csv_bytes(CONSUMPTION_HEADER, f"{hospitals['caen'].finess};2025;J01CA04;10;100")
    assert _send_antibio(client, data, token(client, hospitals["caen"], [OBSERVATORY_RPU])).status_code == 403
    assert _send_antibio(client, data, None).status_code == 401
    response = _send_antibio(client, b"colonne;inconnue\r\n1;2\r\n", token(client, hospitals["caen"], [OBSERVATORY_ANTIBIO]))
    assert response.status_code == 422 and response.json()["detail"].startswith("Fichier refusé")
    assert not AntibioConsumption.objects.exists()


def test_the_map_follows_the_region_setting_and_the_data(settings):
    from enrs.observatory import charts

    assert len(charts.france_departements()) == 96  # the npm package's metropolitan départements
    settings.ENRS_REGION_DEPARTEMENTS = ["35", "22"]
    svg = str(charts.departement_map({"35": 12.5, "59": 3}, title="T", desc="D", chart_id="m", unit="%"))
    assert "Ille-et-Vilaine (35) : 12,5 %" in svg and "Côtes-d&#x27;Armor (22) : pas de donnée" in svg
    assert "Nord (59) : 3 %" in svg  # outside the region but with data: drawn
    assert "Calvados" not in svg and svg.count("<path ") == 3
    settings.ENRS_REGION_DEPARTEMENTS = ["*"]
    assert str(charts.departement_map({}, title="T", desc="D", chart_id="m", unit="%")).count("<path ") == 96


def test_path_boxes_follow_relative_moves_and_closes():
    from enrs.observatory.charts import _path_box

    assert _path_box("m 10,10 5,0 0,5 z m 20,0 1,1 z") == (10.0, 10.0, 31.0, 15.0)


def test_without_the_npm_package_the_schematic_normandy_map_is_drawn(monkeypatch):
    from enrs.observatory import charts

    monkeypatch.setattr(charts, "france_departements", lambda: {})
    svg = str(charts.departement_map({"14": 5}, title="T", desc="D", chart_id="m", unit="%"))
    assert "<polygon " in svg and "Calvados (14) : 5 %" in svg and "Manche (50) : pas de donnée" in svg
    assert set(charts.map_departements({})) == {"14", "27", "50", "61", "76"}
