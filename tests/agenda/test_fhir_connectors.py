"""A hospital's scheduling system on the agenda FHIR routes with a connector token (agenda:lecture / agenda:ecriture)."""

from __future__ import annotations


import pytest
from django.core.cache import cache

from connectors.tokens import bearer as _bearer
from enrs.agenda import services
from enrs.agenda.models import Appointment, Motif
from enrs.connectors.scopes import AGENDA_READ, AGENDA_WRITE, IDENTITY_READ
from enrs.core.models import AccessEvent
from enrs.identity import services as identity
from enrs.interfaces import services as interfaces

from .conftest import at, make_agenda, make_organisation, next_weekday

pytestmark = pytest.mark.django_db
FHIR = "application/fhir+json"
IDENTIFIER = "urn:oid:1.2.250.1.999.7|SIH-RDV-1"


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()




@pytest.fixture
def hospital(clinic):
    """The clinic's organisation declares its IPP authority; a patient carries one of its IPPs; a reserved motif."""
    organisation = clinic["organisation"]
    interfaces.upsert_sender({"name": "GAM", "sending_application": "GAM", "sending_facility": "CHU", "organisation": organisation,
                              "authority_namespace": "CHU_IPP", "authority_oid": "1.2.250.1.999.7.1"})
    traits = {"birth_name": "Lemoine", "birth_first_names": ["Rose"], "birth_date": "1961-04-03", "sex": "F",
              "birth_place_insee": "14118", "used_name": "", "used_first_name": "", "ins": "", "ins_oid": ""}
    known = identity.create_identity(traits, actor=None, channel="hl7", local_ids=[("1.2.250.1.999.7.1", "IPP-77")]).patient
    staff_only = services.add_motif(clinic["agenda"], label="Avis interne", duration_minutes=30, audience=Motif.Audience.CIRCUIT,
                                    circuit=services.create_circuit("Circuit interne", [organisation]), min_notice_minutes=0)
    return {**clinic, "known": known, "staff_only": staff_only}


def _slot_id(agenda, motif, start):
    return f"{agenda.pk}-{motif.pk}-{start.astimezone(__import__('datetime').timezone.utc):%Y%m%dT%H%M}"


def _resource(slot: str, patient=None, status="booked", **extra):
    actor = {"reference": f"Patient/{patient.pk}"} if patient is not None else {"display": "Patient du SIH"}
    system, value = IDENTIFIER.split("|")
    return {"resourceType": "Appointment", "status": status, "slot": [{"reference": f"Slot/{slot}"}],
            "identifier": [{"system": system, "value": value}], "participant": [{"actor": actor, "status": "accepted"}], **extra}


def test_the_hospital_declares_moves_and_cancels_an_appointment_on_its_agenda(client, hospital):
    agenda, motif = hospital["agenda"], hospital["staff_only"]
    auth = _bearer(client, hospital["organisation"], [AGENDA_READ, AGENDA_WRITE])
    day = next_weekday(3)
    slot = _slot_id(agenda, motif, at(day, 9))
    created = client.post("/fhir/Appointment", _resource(slot, hospital["known"]), content_type=FHIR, **auth)
    assert created.status_code == 201, created.content.decode()
    appointment = Appointment.objects.get(pk=created.json()["id"])
    assert appointment.booked_by is None and appointment.booked_by_organisation == hospital["organisation"]
    assert appointment.patient == hospital["known"] and appointment.external_identifier == IDENTIFIER
    assert client.post("/fhir/Appointment", _resource(slot), content_type=FHIR, **auth).status_code == 409  # no double booking
    moved = _resource(_slot_id(agenda, motif, at(day, 10)), hospital["known"], comment="Décalé par le secrétariat")
    response = client.put(f"/fhir/Appointment?identifier={IDENTIFIER}", moved, content_type=FHIR, **auth)
    assert response.status_code == 200, response.content.decode()
    assert response.json()["start"].startswith(f"{day.isoformat()}T") and Appointment.objects.filter(status="booked").count() == 1
    cancelled = _resource(slot, status="cancelled", cancelationReason={"text": "Annulé au SIH"})
    response = client.put(f"/fhir/Appointment?identifier={IDENTIFIER}", cancelled, content_type=FHIR, **auth)
    assert response.status_code == 200 and response.json()["status"] == "cancelled"
    trail = AccessEvent.objects.filter(object_type="agenda.Appointment", role="connector", organisation_id=hospital["organisation"].pk)
    assert {"create", "update", "read"} <= set(trail.values_list("action", flat=True))
    assert trail.filter(patient_id=hospital["known"].pk).exists()


def test_reading_slots_and_appointments_needs_agenda_lecture_and_stays_within_the_structure(client, hospital):
    agenda = hospital["agenda"]
    mine = services.book(hospital["motif"], at(next_weekday(1), 9), user=hospital["patient_user"], patient=hospital["patient"])
    other_agenda, other_motif = make_agenda(make_organisation("CH de Bayeux"))
    theirs = services.book(other_motif, at(next_weekday(1), 9), user=hospital["patient_user"], patient=hospital["patient"])
    reader = _bearer(client, hospital["organisation"], [AGENDA_READ])
    found = client.get("/fhir/Appointment", **reader).json()
    assert [e["resource"]["id"] for e in found.get("entry", [])] == [str(mine.pk)]
    assert client.get(f"/fhir/Appointment/{theirs.pk}", **reader).status_code == 404
    assert client.get(f"/fhir/Appointment/{mine.pk}", **reader).status_code == 200
    day = next_weekday(3)
    slots = client.get("/fhir/Slot", {"schedule": f"Schedule/{agenda.pk}", "start": [f"ge{day}", f"le{day}"], "_count": "200"}, **reader).json()
    motifs = {e["resource"]["serviceType"][0]["text"] for e in slots.get("entry", [])}
    assert "Avis interne" in motifs  # its own staff-only motif
    anonymous = client.get("/fhir/Slot", {"schedule": f"Schedule/{agenda.pk}", "start": [f"ge{day}", f"le{day}"], "_count": "200"}).json()
    assert "Avis interne" not in {e["resource"]["serviceType"][0]["text"] for e in anonymous.get("entry", [])}
    assert client.get("/fhir/Appointment", **_bearer(client, hospital["organisation"], [IDENTITY_READ])).status_code == 403


def test_a_connector_cannot_write_elsewhere_nor_without_the_scope_nor_name_an_unknown_patient(client, hospital):
    other_agenda, other_motif = make_agenda(make_organisation("CH de Vire"))
    writer = _bearer(client, hospital["organisation"], [AGENDA_WRITE])
    day = next_weekday(3)
    elsewhere = client.post("/fhir/Appointment", _resource(_slot_id(other_agenda, other_motif, at(day, 9))), content_type=FHIR, **writer)
    assert elsewhere.status_code == 422 and "n'appartient pas à votre structure" in elsewhere.content.decode()
    own_slot = _slot_id(hospital["agenda"], hospital["staff_only"], at(day, 9))
    stranger = client.post("/fhir/Appointment", _resource(own_slot, hospital["patient"]), content_type=FHIR, **writer)
    assert stranger.status_code == 422 and "Patient inconnu" in stranger.content.decode()  # no IPP of this hospital
    request = client.post("/fhir/Appointment", _resource(own_slot, status="pending"), content_type=FHIR, **writer)
    assert request.status_code == 422 and "booked (déclaration)" in request.content.decode()
    reader = _bearer(client, hospital["organisation"], [AGENDA_READ])
    refused = client.post("/fhir/Appointment", _resource(own_slot), content_type=FHIR, **reader)
    assert refused.status_code == 403 and "agenda:ecriture" in refused.content.decode()
    assert not Appointment.objects.exists()


def test_a_connector_cannot_cancel_the_appointments_of_another_structure(client, hospital):
    other_agenda, other_motif = make_agenda(make_organisation("CH de Falaise"))
    other = services.book(other_motif, at(next_weekday(1), 9), user=hospital["patient_user"], patient=hospital["patient"],
                          external_identifier=IDENTIFIER)
    writer = _bearer(client, hospital["organisation"], [AGENDA_WRITE])
    cancelled = _resource(_slot_id(other_agenda, other_motif, other.start), status="cancelled", cancelationReason={"text": "x"})
    response = client.put(f"/fhir/Appointment?identifier={IDENTIFIER}", cancelled, content_type=FHIR, **writer)
    assert response.status_code == 403
    other.refresh_from_db()
    assert other.status == Appointment.Status.BOOKED
