"""The screens: public search, the patient's booking flow, "Mes rendez-vous", a GP's reserved booking."""

from __future__ import annotations

import pytest
from django.urls import reverse

from enrs.agenda import services
from enrs.agenda.models import Appointment, Motif
from enrs.core.models import AccessEvent
from enrs.offer import services as offer_services

from .conftest import at, make_agenda, make_organisation, make_patient, make_professional, next_weekday

pytestmark = pytest.mark.django_db


@pytest.fixture
def communes(db):
    offer_services.load_communes([
        {"insee": "14118", "name": "Caen", "postal_code": "14000", "latitude": 49.1829, "longitude": -0.3707},
        {"insee": "76540", "name": "Rouen", "postal_code": "76000", "latitude": 49.4432, "longitude": 1.0999},
    ])


def test_public_search_by_specialty_and_distance(client, clinic, communes):
    far = make_organisation("Clinique de Rouen", kind="CLINIQUE", lat="49.4432", lon="1.0999", city="Rouen", insee="76540")
    make_agenda(far, make_professional(far, "Rouennais", "Paul")[0])
    response = client.get(reverse("agenda:search"), {"specialite": "SM04", "commune": "Caen", "rayon": "30"})
    assert response.status_code == 200
    text = response.content.decode()
    assert "Dr Martin" in text and "Rouennais" not in text and "Prochain créneau" in text
    response = client.get(reverse("agenda:search"), {"specialite": "SM04"})
    assert "Rouennais" in response.content.decode()


def test_search_by_name_and_teleconsultation(client, clinic):
    response = client.get(reverse("agenda:search"), {"nom": "martin"})
    assert "Dr Martin" in response.content.decode()
    response = client.get(reverse("agenda:search"), {"nom": "martin", "teleconsultation": "on"})
    assert "Dr Martin" not in response.content.decode()
    services.add_motif(clinic["agenda"], label="Téléconsultation de suivi", duration_minutes=15, mode=Motif.Mode.TELECONSULTATION,
                       min_notice_minutes=0)
    response = client.get(reverse("agenda:search"), {"nom": "martin", "teleconsultation": "on", "motif": "suivi"})
    assert "Dr Martin" in response.content.decode()


@pytest.mark.parametrize("query,message", [
    ({"commune": "Atlantide"}, "Commune inconnue"), ({"rayon": "30"}, "Indiquez une commune"),
    ({"page": "abc"}, "nombre entier"), ({"zzz": "1"}, "Critère de recherche inconnu"),
])
def test_search_errors_are_french(client, clinic, query, message):
    response = client.get(reverse("agenda:search"), query)
    assert response.status_code == 400 and message in response.content.decode()


def test_patient_books_confirms_and_cancels(client, clinic):
    agenda, motif = clinic["agenda"], clinic["motif"]
    day = next_weekday(1)
    page = client.get(reverse("agenda:agenda_detail", args=[agenda.pk]), {"motif": motif.pk, "semaine": day.isoformat()})
    assert page.status_code == 200 and "08:00" in page.content.decode()
    start = at(day, 8)
    response = client.post(reverse("agenda:hold"), {"motif": motif.pk, "start": start.isoformat()})
    assert response.status_code == 302 and "/comptes/login/" in response["Location"]  # log in first
    client.force_login(clinic["patient_user"])
    response = client.post(reverse("agenda:hold"), {"motif": motif.pk, "start": start.isoformat()})
    assert response.status_code == 302
    appointment = Appointment.objects.get()
    assert appointment.status == "pending" and appointment.patient == clinic["patient"]
    page = client.get(response["Location"])
    assert page.status_code == 200 and "Confirmer le rendez-vous" in page.content.decode()
    refused = client.post(reverse("agenda:confirm"), {"rdv": str(appointment.identifier)})
    assert refused.status_code == 400 and "Cochez la case" in refused.content.decode()
    done = client.post(reverse("agenda:confirm"), {"rdv": str(appointment.identifier), "accept": "on", "contact_phone": "06 12 34 56 78"})
    assert done.status_code == 302
    appointment.refresh_from_db()
    assert appointment.status == "booked" and appointment.contact_phone == "06 12 34 56 78"
    mine = client.get(reverse("agenda:my_appointments")).content.decode()
    assert "Dr Martin" in mine and "Annuler ce rendez-vous" in mine
    assert AccessEvent.objects.filter(object_type="agenda.Appointment", object_id=str(appointment.pk)).exists()
    ics = client.get(reverse("agenda:appointment_ics", args=[appointment.identifier]))
    assert ics.status_code == 200 and b"BEGIN:VEVENT" in ics.content
    response = client.post(reverse("agenda:cancel"), {"rdv": str(appointment.identifier), "reason": "Empêchement"})
    assert response.status_code == 302
    appointment.refresh_from_db()
    assert appointment.status == "cancelled"


def test_taken_slot_answers_in_french(client, clinic):
    start = at(next_weekday(1), 9)
    services.book(clinic["motif"], start, user=clinic["pro_user"])
    client.force_login(clinic["patient_user"])
    response = client.post(reverse("agenda:hold"), {"motif": clinic["motif"].pk, "start": start.isoformat()})
    assert response.status_code == 400 and "vient d&#x27;être réservé" in response.content.decode()
    assert Appointment.objects.count() == 1


def test_another_patient_cannot_see_or_cancel(client, clinic):
    appointment = services.book(clinic["motif"], at(next_weekday(1), 9), user=clinic["patient_user"], patient=clinic["patient"])
    _other, other_user = make_patient("autre@test.invalid", "AUTRE")
    client.force_login(other_user)
    assert client.get(reverse("agenda:confirm"), {"rdv": str(appointment.identifier)}).status_code == 404
    assert client.get(reverse("agenda:appointment_ics", args=[appointment.identifier])).status_code == 404
    response = client.post(reverse("agenda:cancel"), {"rdv": str(appointment.identifier), "reason": "x"})
    assert response.status_code == 400
    appointment.refresh_from_db()
    assert appointment.status == "booked"


def test_gp_books_a_reserved_hospital_slot_and_the_unit_sees_who(client):
    hospital = make_organisation()
    practice = make_organisation("Cabinet du Dr Lebrun", kind="CABINET", city="Bayeux")
    circuit = services.create_circuit("Filière insuffisance cardiaque", [hospital, practice])
    _cardio, hospital_user = make_professional(hospital)
    _gp, gp_user = make_professional(practice, "Lebrun", "Paul", specialty="SM54")
    agenda, reserved = make_agenda(hospital, audience=Motif.Audience.CIRCUIT, circuit=circuit, published=False)
    client.force_login(gp_user)
    home = client.get(reverse("agenda:pro_home")).content.decode()
    assert "Filière insuffisance cardiaque" in home
    page = client.get(reverse("agenda:pro_motif", args=[reserved.pk]))
    assert page.status_code == 200
    day = next_weekday(0)
    response = client.post(reverse("agenda:pro_book"), {"motif": reserved.pk, "start": at(day, 9).isoformat(),
                                                        "patient_label": "DURAND Louise 02/03/1950", "comment": "Bilan"})
    assert response.status_code == 302
    client.force_login(hospital_user)
    view = client.get(reverse("agenda:pro_agenda", args=[agenda.pk]), {"jour": day.isoformat()}).content.decode()
    assert "DURAND Louise" in view and "Cabinet du Dr Lebrun" in view
    assert client.get(reverse("agenda:pro_agenda", args=[agenda.pk]), {"jour": "hier"}).status_code == 400


def test_outsider_professional_cannot_open_reserved_slots(client):
    hospital = make_organisation()
    circuit = services.create_circuit("Filière", [hospital])
    _agenda, reserved = make_agenda(hospital, audience=Motif.Audience.CIRCUIT, circuit=circuit)
    _x, outsider = make_professional(make_organisation("Ailleurs", kind="CABINET"), "Dehors", "Jean")
    client.force_login(outsider)
    assert client.get(reverse("agenda:pro_motif", args=[reserved.pk])).status_code == 404
    response = client.post(reverse("agenda:pro_book"), {"motif": reserved.pk, "start": at(next_weekday(0), 9).isoformat(), "patient_label": "X"})
    assert response.status_code == 400 and Appointment.objects.count() == 0


def test_feed_by_secret_token(client, clinic):
    services.book(clinic["motif"], at(next_weekday(1), 9), user=clinic["patient_user"], patient=clinic["patient"])
    response = client.get(reverse("agenda:feed", args=[clinic["agenda"].feed_token]))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/calendar")
    assert client.get(reverse("agenda:feed", args=["mauvais-jeton"])).status_code == 404


def test_week_form_refuses_bad_weeks(client, clinic):
    response = client.get(reverse("agenda:agenda_detail", args=[clinic["agenda"].pk]), {"semaine": "2020-13-45"})
    assert response.status_code == 400
