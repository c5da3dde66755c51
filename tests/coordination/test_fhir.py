"""FHIR: DocumentReference/Binary searches through the permission API; CarePlan, CareTeam, Task;
Encounter and telemonitoring Bundle sent by a connector."""

from __future__ import annotations

import base64
import datetime as dt
import json

import pytest
from django.core.cache import cache
from django.urls import reverse

from connectors.tokens import bearer as token
from enrs.connectors.scopes import COORDINATION_EVENTS, IDENTITY_READ
from enrs.coordination import services
from enrs.coordination.models import PathwayTemplate, PendingEncounter, TimelineEvent
from enrs.core.models import AccessEvent
from enrs.core.validators import finess_complete
from enrs.directory import services as directory
from enrs.identity.models import LocalIdentifier
from enrs.interfaces import services as interfaces

from .conftest import pdf_bytes

FHIR_JSON = "application/fhir+json"
AUTHORITY_OID = "1.2.250.1.999.5.5"
IPP_SYSTEM = f"urn:oid:{AUTHORITY_OID}"


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()


def search(client, resource_type, **params):
    response = client.get(reverse("fhir:type", kwargs={"resource_type": resource_type}), params)
    assert response.status_code == 200, response.content
    return response.json()


def ids(bundle) -> list[str]:
    return [entry["resource"]["id"] for entry in bundle.get("entry", [])]


@pytest.fixture
def docs(record, gp, documents_dir):
    letter = services.store_document(record, pdf_bytes("a"), filename="a.pdf", by=gp, meta=services.DocumentInput(
        title="Lettre de liaison", type_code="11490-0", service_date=dt.date(2026, 2, 1)))
    report = services.store_document(record, pdf_bytes("b"), filename="b.pdf", by=gp, meta=services.DocumentInput(
        title="Compte rendu", type_code="18748-4", service_date=dt.date(2026, 2, 2), visible_to_patient=True, confidentiality="R"))
    return letter, report


@pytest.mark.django_db
def test_document_reference_search_by_each_parameter(client, record, gp, docs):
    letter, report = docs
    client.force_login(gp)
    patient = f"Patient/{record.patient_id}"
    assert sorted(ids(search(client, "DocumentReference", patient=patient))) == sorted([str(letter.pk), str(report.pk)])
    assert ids(search(client, "DocumentReference", patient=patient, type="http://loinc.org|11490-0")) == [str(letter.pk)]
    assert ids(search(client, "DocumentReference", category="urn:oid:1.2.250.1.213.1.1.4.1|31")) == [str(report.pk)]
    assert ids(search(client, "DocumentReference", **{"security-label": "urn:oid:1.2.250.1.213.1.1.4.13|INVISIBLE_PATIENT"})) == [str(letter.pk)]
    assert ids(search(client, "DocumentReference", **{"security-label": "R"})) == [str(report.pk)]
    assert len(ids(search(client, "DocumentReference", status="current", date=f"ge{dt.date.today().isoformat()}"))) == 2
    assert ids(search(client, "DocumentReference", period="2026-02-02")) == [str(report.pk)]
    resource = search(client, "DocumentReference", _id=str(letter.pk))["entry"][0]["resource"]
    assert resource["type"]["coding"][0]["code"] == "11490-0"
    assert resource["content"][0]["attachment"]["hash"] == base64.b64encode(bytes.fromhex(letter.sha1)).decode()
    assert resource["content"][0]["attachment"]["url"] == f"Binary/{letter.pk}"
    assert AccessEvent.objects.filter(channel="fhir", object_type="coordination.Document", object_id=str(letter.pk)).exists()


@pytest.mark.django_db
def test_binary_gives_the_content(client, gp, docs):
    client.force_login(gp)
    response = client.get(reverse("fhir:instance", kwargs={"resource_type": "Binary", "resource_id": str(docs[0].pk)}))
    assert response.status_code == 200
    assert base64.b64decode(response.json()["data"]) == pdf_bytes("a")


@pytest.mark.django_db
def test_outsiders_and_patients_see_only_what_they_may(client, outsider, patient_user, docs):
    letter, report = docs
    client.force_login(outsider)
    assert ids(search(client, "DocumentReference")) == []
    assert client.get(reverse("fhir:instance", kwargs={"resource_type": "Binary", "resource_id": str(letter.pk)})).status_code == 404
    client.force_login(patient_user)
    assert ids(search(client, "DocumentReference")) == [str(report.pk)]


@pytest.mark.django_db
def test_bad_search_values_are_operation_outcomes(client, gp, docs):
    client.force_login(gp)
    for params in ({"date": "hier"}, {"patient": "Organization/1"}, {"nope": "1"}):
        response = client.get(reverse("fhir:type", kwargs={"resource_type": "DocumentReference"}), params)
        assert response.status_code == 400 and response.json()["resourceType"] == "OperationOutcome"


@pytest.mark.django_db
def test_care_plan_care_team_and_task(client, record, gp, nurse):
    services.add_member(record, nurse, role="Vigilanseur", by=gp)
    pathway = services.start_pathway(record, PathwayTemplate.objects.get(code="vigilans"), start_date=dt.date(2026, 1, 1), by=gp)
    client.force_login(nurse)
    plan = search(client, "CarePlan", patient=f"Patient/{record.patient_id}")["entry"][0]["resource"]
    assert plan["id"] == str(pathway.pk) and plan["status"] == "active" and len(plan["activity"]) == 3
    team = search(client, "CareTeam", patient=f"Patient/{record.patient_id}")["entry"][0]["resource"]
    assert {p["role"][0]["text"] for p in team["participant"]} == {"Médecin traitant (référent)", "Vigilanseur"}
    tasks = search(client, "Task", **{"based-on": f"CarePlan/{pathway.pk}", "status": "requested"})
    assert [e["resource"]["restriction"]["period"]["end"] for e in tasks["entry"]] == ["2026-01-11", "2026-01-31", "2026-07-01"]


# --- Connectors -------------------------------------------------------------------------------------
@pytest.fixture
def hospital(db):
    organisation = directory.upsert_organisation(
        {"finess": finess_complete("14000099"), "finess_kind": "EJ", "name": "CH de Bayeux (test)", "kind": "CH"}).obj
    interfaces.upsert_sender({"name": "GAM Bayeux", "sending_application": "GAM", "sending_facility": "CHB",
                              "organisation": organisation, "authority_oid": AUTHORITY_OID})
    return organisation




def post(client, body, auth, resource_type="Encounter"):
    return client.post(reverse("fhir:type", kwargs={"resource_type": resource_type}), json.dumps(body), content_type=FHIR_JSON, **auth)


def encounter(status="finished", ipp="IPP-B1", **extra):
    return {"resourceType": "Encounter", "id": "venue-1", "status": status,
            "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "IMP"},
            "subject": {"identifier": {"system": IPP_SYSTEM, "value": ipp}},
            "period": {"start": "2026-03-01T08:00:00+01:00", "end": "2026-03-04T11:00:00+01:00"}, **extra}


@pytest.mark.django_db
def test_encounter_discharge_notifies_the_team(client, record, gp, hospital, django_capture_on_commit_callbacks):
    from enrs.core.models import Notification

    LocalIdentifier.objects.create(patient=record.patient, authority=AUTHORITY_OID, value="IPP-B1")
    auth = token(client, hospital, [COORDINATION_EVENTS])
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, encounter(), auth)
    assert response.status_code == 200, response.content
    event = record.events.get(kind=TimelineEvent.Kind.DISCHARGE)
    assert event.occurred_at == dt.datetime(2026, 3, 4, 10, 0, tzinfo=dt.UTC)
    assert Notification.objects.filter(recipient=gp, title__contains="Sortie").exists()


@pytest.mark.django_db
def test_encounter_for_an_unknown_patient_is_queued(client, hospital):
    response = post(client, encounter(status="in-progress", ipp="IPP-NOBODY"), token(client, hospital, [COORDINATION_EVENTS]))
    assert response.status_code == 202
    assert PendingEncounter.objects.get().event == "A01"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        ({"resourceType": "Encounter", "status": "planned", "class": {"code": "IMP"}, "subject": {"reference": "Patient/1"}}, 422, "planned"),
        ({"resourceType": "Encounter", "status": "finished", "class": {"code": "IMP"}, "subject": {"reference": "Patient/1"}}, 422, "period.end"),
        ({"resourceType": "Encounter", "status": "finished", "class": {"code": "IMP"}, "period": {"end": "2026-03-01T10:00:00Z"}}, 422, "subject"),
        ({"resourceType": "Encounter", "statut": "x"}, 422, "statut"),
        ({"resourceType": "Patient"}, 400, "Encounter"),
    ],
)
def test_bad_encounters_are_operation_outcomes_naming_the_element(client, hospital, body, status, words):
    response = post(client, body, token(client, hospital, [COORDINATION_EVENTS]))
    assert response.status_code == status, response.content
    assert words in json.dumps(response.json(), ensure_ascii=False)
    assert not TimelineEvent.objects.exists() and not PendingEncounter.objects.exists()


@pytest.mark.django_db
def test_encounter_needs_the_scope_and_a_connector(client, hospital, gp):
    assert post(client, encounter(), token(client, hospital, [IDENTITY_READ])).status_code == 403
    client.force_login(gp)
    assert post(client, encounter(), {}).status_code == 403


def telemonitoring(ipp="IPP-B1"):
    subject = {"identifier": {"system": IPP_SYSTEM, "value": ipp}}
    return {"resourceType": "Bundle", "id": "tm-1", "type": "collection", "entry": [
        {"resource": {"resourceType": "DiagnosticReport", "status": "final", "code": {"text": "Synthèse hebdomadaire insuffisance cardiaque"},
                      "subject": subject, "effectiveDateTime": "2026-03-05T09:00:00+01:00", "conclusion": "Prise de poids de 2 kg en 3 jours."}},
        {"resource": {"resourceType": "Observation", "status": "final", "code": {"text": "Poids"}, "subject": subject,
                      "effectiveDateTime": "2026-03-05T08:00:00+01:00", "valueQuantity": {"value": 82.5, "unit": "kg"}}},
    ]}


@pytest.mark.django_db
def test_telemonitoring_summary_lands_in_the_record(client, record, hospital):
    LocalIdentifier.objects.create(patient=record.patient, authority=AUTHORITY_OID, value="IPP-B1")
    response = post(client, telemonitoring(), token(client, hospital, [COORDINATION_EVENTS]), "Bundle")
    assert response.status_code == 201, response.content
    event = record.events.get(kind=TimelineEvent.Kind.TELEMONITORING)
    assert event.title == "Synthèse hebdomadaire insuffisance cardiaque"
    assert "Poids : 82.5 kg" in event.detail and "2 kg" in event.detail


@pytest.mark.django_db
def test_telemonitoring_for_an_unknown_patient_or_mixed_subjects_is_refused(client, record, hospital):
    auth = token(client, hospital, [COORDINATION_EVENTS])
    assert post(client, telemonitoring("IPP-NOBODY"), auth, "Bundle").status_code == 422
    mixed = telemonitoring()
    mixed["entry"][1]["resource"]["subject"] = {"reference": "Patient/999"}
    response = post(client, mixed, auth, "Bundle")
    assert response.status_code == 422 and "même patient" in response.json()["issue"][0]["diagnostics"]
    assert not TimelineEvent.objects.filter(kind=TimelineEvent.Kind.TELEMONITORING).exists()
