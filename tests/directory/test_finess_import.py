"""FINESS importer on the sample extraction (latin-1, see conftest.py).

Sample lines: 2 CHR (EJ 140999020), 3 EHPAD (EJ 140999095), 4 Corsican pharmacy
(commune code "4" not zero-padded), 5 bad FINESS key, 6 missing fields,
7 Guadeloupe CH (quoted name), 8 a ``structureej`` record (ignored),
9/11 Lambert-93 geolocations, 10 garbage coordinate, 12 geolocation of an
unknown establishment, 13 UTM 20N geolocation, 14 coordinates outside France.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from enrs.directory.models import ImportRun, Organisation

from .conftest import FINESS_SAMPLE

pytestmark = pytest.mark.django_db

EXPECTED_REJECTIONS = [
    (5, "nofinesset", "La clé de contrôle du numéro FINESS est incorrecte."),
    (6, "", "La ligne compte 18 champs au lieu des 31 attendus pour ce type d'enregistrement."),
    (10, "coordxet", "coordxet n'est pas un nombre : « abc »."),
    (12, "nofinesset", "Géolocalisation d'un établissement inconnu : aucun établissement FINESS 140999038 enregistré."),
    (14, "coordxet, coordyet",
     "Les coordonnées (99999999999 ; 99999999999) sont hors de la zone couverte par la projection LAMBERT_93."),
]


def _counts(run):
    return run.created_count, run.updated_count, run.unchanged_count, run.rejected_count


def _state():
    return sorted(
        Organisation.objects.values_list(
            "finess", "finess_kind", "kind", "name", "legal_entity__finess", "commune_insee", "departement",
            "postal_code", "city", "latitude", "longitude", "category_code", "category_label", "siret", "phone",
        )
    )


def test_establishments_and_legal_entities_are_stored(import_file):
    run = import_file("finess", FINESS_SAMPLE)

    assert run.status == ImportRun.Status.DONE
    assert (run.total_lines, run.processed_lines) == (13, 13)
    # Lines 2, 3, 4, 7 create; geolocations 9, 11, 13 update; line 8 is ignored.
    assert _counts(run) == (4, 3, 0, 5)
    assert [(r.line_number, r.field, r.reason) for r in run.rejections.order_by("line_number")] == EXPECTED_REJECTIONS

    chu = Organisation.objects.get(finess="140999012")
    assert (chu.finess_kind, chu.kind, chu.source) == ("ET", "CHU", "finess")
    assert chu.name == "CENTRE HOSPITALIER UNIVERSITAIRE D'ESSAI" and chu.short_name == "CHU D'ESSAI"
    assert chu.category_label == "Centre Hospitalier Régional (C.H.R.)"  # latin-1 decoded
    assert (chu.postal_code, chu.city, chu.commune_insee, chu.departement) == ("14033", "CAEN", "14118", "14")
    assert chu.address_line == "2 AV DE LA COTE DE NACRE, CS 30001" and chu.phone == "0231000000"
    assert chu.legal_entity.finess == "140999020" and chu.legal_entity.finess_kind == "EJ"
    assert chu.legal_entity.name == "Entité juridique FINESS 140999020"
    assert abs(chu.latitude - Decimal("49.1829")) < Decimal("0.00001")
    assert abs(chu.longitude - Decimal("-0.3707")) < Decimal("0.00001")

    ehpad = Organisation.objects.get(finess="140999087")
    assert (ehpad.kind, ehpad.siret, ehpad.latitude) == ("EHPAD", "99990001200025", None)
    pharmacy = Organisation.objects.get(finess="2A0999043")
    assert (pharmacy.kind, pharmacy.commune_insee, pharmacy.departement) == ("PHARMACIE", "2A004", "2A")
    assert abs(pharmacy.latitude - Decimal("41.9192")) < Decimal("0.00001")
    overseas = Organisation.objects.get(finess="970999066")
    assert (overseas.kind, overseas.commune_insee, overseas.departement) == ("CH", "97101", "971")
    assert overseas.short_name == 'CH D\'ESSAI "LES ILES"'
    assert abs(overseas.latitude - Decimal("16.2411")) < Decimal("0.00001")
    assert abs(overseas.longitude - Decimal("-61.533")) < Decimal("0.00001")

    assert not Organisation.objects.filter(finess__in=["140999104", "140999038"]).exists()
    assert Organisation.objects.filter(finess_kind="EJ").count() == 4
    assert Organisation.objects.count() == 8


def test_reimporting_the_same_file_changes_nothing(import_file):
    import_file("finess", FINESS_SAMPLE)
    before = _state()

    again = import_file("finess", FINESS_SAMPLE)

    assert _counts(again) == (0, 0, 7, 5)
    assert again.processed_lines - again.created_count - again.updated_count - again.unchanged_count - again.rejected_count == 1
    assert _state() == before


def test_utf8_extraction_gives_the_same_result(import_file, write_file):
    utf8 = write_file("etalab-cs1100507-stock-utf8.csv", FINESS_SAMPLE.read_bytes().decode("latin-1"))
    run = import_file("finess", utf8)
    assert _counts(run) == (4, 3, 0, 5)
    assert Organisation.objects.get(finess="140999012").category_label == "Centre Hospitalier Régional (C.H.R.)"


def test_finess_overrides_what_the_annuaire_created(import_file):
    from .conftest import ANNUAIRE_SAMPLE

    import_file("annuaire", ANNUAIRE_SAMPLE)
    run = import_file("finess", FINESS_SAMPLE)

    ehpad = Organisation.objects.get(finess="140999087")
    assert (ehpad.source, ehpad.kind, ehpad.address_line) == ("finess", "EHPAD", "3 AV DU BOCAGE")
    assert ehpad.legal_entity.finess == "140999095"
    assert ehpad.situations.get().professional.rpps == "10999000010"
    assert run.updated_count >= 2  # the EHPAD and the pharmacy existed


def test_a_file_without_the_finess_header_stores_nothing(import_file, write_file):
    lines = FINESS_SAMPLE.read_bytes().split(b"\n")[1:]
    run = import_file("finess", write_file("sans-entete.csv", b"\n".join(lines)))

    assert run.status == ImportRun.Status.FAILED
    assert "n'est pas l'en-tête d'une extraction FINESS" in run.error
    assert Organisation.objects.count() == 0


def test_an_annuaire_file_sent_as_finess_is_refused(import_file):
    from .conftest import ANNUAIRE_SAMPLE

    run = import_file("finess", ANNUAIRE_SAMPLE)
    assert run.status == ImportRun.Status.FAILED and Organisation.objects.count() == 0
