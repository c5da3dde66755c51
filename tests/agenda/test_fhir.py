"""FHIR after the ANS GAP guide: Schedule, computed Slots with their search, POST Appointment, conditional update."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from enrs.agenda import services
from enrs.agenda.models import Appointment
from enrs.core.models import AccessEvent
from enrs.directory.nomenclatures import R38_SYSTEM

from .conftest import at, make_patient, next_weekday

pytestmark = pytest.mark.django_db
FHIR = "application/fhir+json"


def _entries(bundle, mode="match"):
    return [e["resource"] for e in bundle.get("entry", []) if e["search"]["mode"] == mode]


def test_schedule_read_and_search(client, clinic):
    agenda = clinic["agenda"]
    body = client.get(f"/fhir/Schedule/{agenda.pk}").json()
    assert body["resourceType"] == "Schedule" and body["meta"]["profile"][0].endswith("gap-fr-schedule")
    references = [a["reference"] for a in body["actor"]]
    assert references[0].startswith("PractitionerRole/") and references[1] == f"Practitioner/{clinic['professional'].pk}"
    found = client.get("/fhir/Schedule", {"specialty": f"{R38_SYSTEM}|SM04"}).json()
    assert [r["id"] for r in _entries(found)] == [str(agenda.pk)]


def test_slot_search_with_ranges_status_chain_and_includes(client, clinic):
    day = next_weekday(1)
    services.book(clinic["motif"], at(day, 8), user=clinic["patient_user"])
    params = {"start": [f"ge{day.isoformat()}", f"le{day.isoformat()}"], "status": "free",
              "schedule.actor:PractitionerRole.specialty": f"{R38_SYSTEM}|SM04", "_include": ["Slot:schedule", "Schedule:actor"]}
    response = client.get("/fhir/Slot", params)
    assert response.status_code == 200, response.content
    bundle = response.json()
    slots = _entries(bundle)
    assert len(slots) == 7 and all(s["status"] == "free" for s in slots)  # 8 half-hours, 08:00 taken
    assert dt.datetime.fromisoformat(slots[0]["start"].replace("Z", "+00:00")) == at(day, 8, 30)
    included = {r["resourceType"] for r in _entries(bundle, "include")}
    assert included == {"Schedule", "Practitioner", "PractitionerRole"}
    busy = _entries(client.get("/fhir/Slot", {"start": [f"ge{day}", f"le{day}"], "status": "busy"}).json())
    assert [dt.datetime.fromisoformat(s["start"].replace("Z", "+00:00")) for s in busy] == [at(day, 8)]
    one = client.get(f"/fhir/Slot/{slots[0]['id']}").json()
    assert one["id"] == slots[0]["id"] and one["schedule"]["reference"] == f"Schedule/{clinic['agenda'].pk}"
    other = _entries(client.get("/fhir/Slot", {"start": f"ge{day}", "schedule.actor:PractitionerRole.specialty": "SM54"}).json())
    assert other == []


@pytest.mark.parametrize("params,fragment", [
    ({"start": "ge2026-13-01"}, "start"), ({"status": "maybe"}, "free ou busy"), ({"zzz": "1"}, "inconnu"),
    ({"_include": "Slot:patient"}, "_include"), ({"schedule.actor:Practitioner.name": "x"}, "Chaînage"),
    ({"start": ["ge2026-01-01", "le2028-01-01"]}, "dépasse"), ({"schedule": "Patient/1"}, "référence invalide"),
])
def test_slot_search_errors_are_operation_outcomes(client, clinic, params, fragment):
    response = client.get("/fhir/Slot", params)
    assert response.status_code == 400
    body = response.json()
    assert body["resourceType"] == "OperationOutcome" and fragment in json.dumps(body, ensure_ascii=False)


def test_post_appointment_then_conditional_update(client, clinic):
    day = next_weekday(2)
    slot = _entries(client.get("/fhir/Slot", {"start": [f"ge{day}", f"le{day}"], "_count": "1"}).json())[0]
    resource = {"resourceType": "Appointment", "status": "booked", "slot": [{"reference": f"Slot/{slot['id']}"}],
                "identifier": [{"system": "urn:oid:1.2.250.1.999", "value": "RDV-42"}],
                "participant": [{"actor": {"reference": f"Patient/{clinic['patient'].pk}"}, "status": "accepted"}]}
    assert client.post("/fhir/Appointment", resource, content_type=FHIR).status_code == 401
    client.force_login(clinic["patient_user"])
    created = client.post("/fhir/Appointment", resource, content_type=FHIR)
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["status"] == "booked" and body["slot"][0]["reference"] == f"Slot/{slot['id']}"
    assert client.post("/fhir/Appointment", resource, content_type=FHIR).status_code == 409  # taken
    read = client.get(f"/fhir/Appointment/{body['id']}").json()
    assert read["id"] == body["id"]
    assert AccessEvent.objects.filter(object_type="agenda.Appointment", channel="fhir").exists()
    later = _entries(client.get("/fhir/Slot", {"start": [f"ge{day}", f"le{day}"], "_count": "3"}).json())[-1]
    moved = dict(resource, slot=[{"reference": f"Slot/{later['id']}"}], comment="Le patient préfère plus tard")
    response = client.put("/fhir/Appointment?identifier=urn:oid:1.2.250.1.999|RDV-42", moved, content_type=FHIR)
    assert response.status_code == 200, response.content.decode()
    assert response.json()["start"] == later["start"]
    cancelled = dict(resource, status="cancelled", cancelationReason={"text": "Hospitalisation"})
    response = client.put("/fhir/Appointment?identifier=urn:oid:1.2.250.1.999|RDV-42", cancelled, content_type=FHIR)
    assert response.status_code == 200 and response.json()["status"] == "cancelled"
    assert Appointment.objects.filter(status="booked").count() == 0


def test_appointments_of_others_stay_hidden(client, clinic):
    appointment = services.book(clinic["motif"], at(next_weekday(1), 9), user=clinic["patient_user"], patient=clinic["patient"])
    _other, other_user = make_patient("autre@test.invalid", "AUTRE")
    client.force_login(other_user)
    assert client.get(f"/fhir/Appointment/{appointment.pk}").status_code == 404
    assert client.get("/fhir/Appointment").json()["total"] == 0


def test_bad_appointment_bodies(client, clinic):
    client.force_login(clinic["patient_user"])
    bad = {"resourceType": "Appointment", "status": "booked", "participant": [{"status": "accepted"}]}
    response = client.post("/fhir/Appointment", bad, content_type=FHIR)
    assert response.status_code == 422 and "Appointment.slot" in response.content.decode()
    response = client.put("/fhir/Appointment", bad, content_type=FHIR)
    assert response.status_code == 400 and "identifier" in response.content.decode()
    assert Appointment.objects.count() == 0


def test_capability_statement_announces_slots_and_the_conditional_update(client):
    body = client.get("/fhir/metadata").json()
    resources = {r["type"]: r for r in body["rest"][0]["resource"]}
    slot = resources["Slot"]
    assert {i["code"] for i in slot["interaction"]} == {"read", "search-type"}
    assert slot["supportedProfile"] == ["https://interop.esante.gouv.fr/ig/fhir/gap/StructureDefinition/gap-fr-slot"]
    assert {p["name"]: p["type"] for p in slot["searchParam"]} == {
        "start": "date", "status": "token", "schedule": "reference", "schedule.actor": "reference"}
    assert set(slot["searchInclude"]) == {"Slot:schedule", "Schedule:actor"}
    appointment = resources["Appointment"]
    assert appointment["conditionalUpdate"] is True
    assert {i["code"] for i in appointment["interaction"]} == {"create", "read", "search-type", "update"}
    types = [r["type"] for r in body["rest"][0]["resource"]]
    assert types == sorted(types)


def test_every_announced_slot_parameter_is_accepted_by_the_slot_search(client, clinic):
    """The CapabilityStatement must not promise a parameter the Slot view refuses."""
    slot = next(r for r in client.get("/fhir/metadata").json()["rest"][0]["resource"] if r["type"] == "Slot")
    values = {"start": f"ge{next_weekday(1).isoformat()}", "status": "free",
              "schedule": f"Schedule/{clinic['agenda'].pk}", "schedule.actor": f"Practitioner/{clinic['professional'].pk}"}
    for param in slot["searchParam"]:
        response = client.get("/fhir/Slot", {param["name"]: values[param["name"]]})
        assert response.status_code == 200, (param["name"], response.content[:300])
