"""Agency back office: registrations, searches, read-only imports, validated edits."""

from __future__ import annotations

import pytest
from django.urls import reverse

from enrs.core.models import Service
from enrs.core.validators import finess_complete, luhn_complete
from enrs.directory.models import ImportRejection, ImportRun, Organisation, Professional
from enrs.identity.models import Patient

from .builders import make_organisation, make_patient, make_professional, make_user, place

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(make_user("admin@test.invalid", "agency", is_staff=True, is_superuser=True))
    return client


@pytest.mark.parametrize(
    ("model", "query"),
    [
        ("directory/organisation", "caen"),
        ("directory/professional", "rousseau"),
        ("directory/practicesituation", "rousseau"),
        ("directory/importrun", "fichier"),
        ("identity/patient", "martin"),
        ("core/service", "annuaire"),
    ],
)
def test_changelists_open_and_search(admin_client, model, query):
    site = make_organisation("Maison de santé de Caen", college="B")
    place(make_professional("Léa", "Rousseau"), site)
    make_patient()
    response = admin_client.get(f"/admin/{model}/", {"q": query})
    assert response.status_code == 200


def test_organisation_filters_and_establishments_inline(admin_client):
    ej = make_organisation("CH de Bayeux", college="A", kind="CH", finess_kind="EJ")
    make_organisation("CH de Bayeux — site Aure", college="A", kind="CH", legal_entity=ej)
    changelist = admin_client.get("/admin/directory/organisation/", {"college__exact": "A", "kind__exact": "CH"})
    assert "CH de Bayeux" in changelist.content.decode()
    page = admin_client.get(reverse("admin:directory_organisation_change", args=[ej.pk])).content.decode()
    assert "site Aure" in page
    assert 'name="establishments-0-name"' not in page  # read-only inline: no editable input


def test_organisation_admin_refuses_a_bad_finess_key_in_french(admin_client):
    good = finess_complete("14000999")
    bad = good[:-1] + str((int(good[-1]) + 1) % 10)
    data = {"name": "Cabinet mal saisi", "kind": "CABINET", "finess": bad, "college": "B",
            "establishments-TOTAL_FORMS": "0", "establishments-INITIAL_FORMS": "0"}
    response = admin_client.post(reverse("admin:directory_organisation_add"), data)
    assert response.status_code in (200, 400)
    assert "La clé de contrôle du numéro FINESS est incorrecte." in response.content.decode()
    assert not Organisation.objects.filter(name="Cabinet mal saisi").exists()


def test_organisation_admin_derives_the_departement(admin_client):
    data = {"name": "Pharmacie du Port", "kind": "PHARMACIE", "finess": finess_complete("76000998"),
            "commune_insee": "76540", "college": "B", "active": "on",
            "establishments-TOTAL_FORMS": "0", "establishments-INITIAL_FORMS": "0"}
    response = admin_client.post(reverse("admin:directory_organisation_add"), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Organisation.objects.get(name="Pharmacie du Port").departement == "76"


def test_professional_admin_validates_rpps_and_derives_idnat(admin_client):
    inline = {"situations-TOTAL_FORMS": "0", "situations-INITIAL_FORMS": "0"}
    base = {"last_name": "Girard", "first_name": "Nina", "profession_code": "60", "active": "on", **inline}
    refused = admin_client.post(reverse("admin:directory_professional_add"), {**base, "rpps": "12345678901"})
    assert "La clé de contrôle du numéro RPPS est incorrecte." in refused.content.decode()
    rpps = luhn_complete("1000777777")
    accepted = admin_client.post(reverse("admin:directory_professional_add"), {**base, "rpps": rpps})
    assert accepted.status_code == 302
    professional = Professional.objects.get(rpps=rpps)
    assert professional.idnat_ps == "8" + rpps and professional.profession_label == "Infirmier"


def test_import_runs_are_read_only_with_their_rejections(admin_client):
    run = ImportRun.objects.create(kind="finess", file_name="fichier.csv", status="done", total_lines=3, rejected_count=1)
    ImportRejection.objects.create(run=run, line_number=3, field="finess", reason="Clé FINESS incorrecte", raw_line="x;y")
    page = admin_client.get(reverse("admin:directory_importrun_change", args=[run.pk]))
    html = page.content.decode()
    assert page.status_code == 200 and "Clé FINESS incorrecte" in html
    assert 'name="_save"' not in html
    assert admin_client.get(reverse("admin:directory_importrun_add")).status_code == 403
    admin_client.post(reverse("admin:directory_importrun_change", args=[run.pk]), {"file_name": "autre.csv"})
    run.refresh_from_db()
    assert run.file_name == "fichier.csv"


def test_service_position_and_enabled_are_editable_in_the_list(admin_client):
    services = list(Service.objects.order_by("audience", "position", "name"))
    data = {"form-TOTAL_FORMS": str(len(services)), "form-INITIAL_FORMS": str(len(services)), "_save": "Enregistrer"}
    for i, service in enumerate(services):
        data[f"form-{i}-id"] = str(service.pk)
        data[f"form-{i}-position"] = "5" if service.code == "oru" else str(service.position)
        if service.enabled and service.code != "tchat":
            data[f"form-{i}-enabled"] = "on"
    response = admin_client.post("/admin/core/service/", data)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert Service.objects.get(code="oru").position == 5
    assert Service.objects.get(code="tchat").enabled is False


def test_service_admin_refuses_unknown_colleges(admin_client):
    service = Service.objects.get(code="oru")
    data = {"code": service.code, "name": service.name, "audience": "pro", "eligible_colleges": "AZ",
            "position": "80", "enabled": "on"}
    response = admin_client.post(reverse("admin:core_service_change", args=[service.pk]), data)
    assert "Collège(s) inconnu(s) : Z" in response.content.decode()
    service.refresh_from_db()
    assert service.eligible_colleges == "A"


def test_patient_admin_search_and_future_birth_date(admin_client):
    patient = make_patient()
    html = admin_client.get("/admin/identity/patient/", {"q": "camille"}).content.decode()
    assert "MARTIN" in html
    data = {"birth_name": "MARTIN", "birth_first_names": "Camille", "birth_date": "2999-01-01", "sex": "F"}
    response = admin_client.post(reverse("admin:identity_patient_change", args=[patient.pk]), data)
    assert "La date de naissance ne peut pas être dans le futur." in response.content.decode()
    assert Patient.objects.get(pk=patient.pk).birth_date.year == 1984


def test_non_staff_professional_cannot_enter_the_back_office(pro_client):
    response = pro_client.get("/admin/directory/organisation/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
