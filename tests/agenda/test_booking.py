"""Booking: the unique cell claims, holds, cancellation, rescheduling, windows, bad rules."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from enrs.agenda import selectors, services
from enrs.agenda.models import Appointment, Motif, SlotClaim
from enrs.agenda.services import SlotUnavailable

from .conftest import at, make_agenda, make_organisation, make_patient, make_professional, next_weekday

pytestmark = pytest.mark.django_db


def test_slots_come_from_the_rules(clinic):
    monday = next_weekday(0)
    found = selectors.slots(clinic["motif"], at(monday, 0), at(monday, 23))
    assert [timezone.localtime(x.start).strftime("%H:%M") for x in found] == ["08:00", "08:30", "09:00", "09:30", "10:00", "10:30", "11:00", "11:30"]
    assert selectors.slots(clinic["motif"], at(next_weekday(6), 0), at(next_weekday(6), 23)) == []  # Sunday: closed


def test_a_booked_slot_cannot_be_booked_again(clinic):
    start = at(next_weekday(1), 9)
    first = services.book(clinic["motif"], start, user=clinic["patient_user"], patient=clinic["patient"])
    assert first.status == Appointment.Status.BOOKED and first.claims.count() == 2  # 30 min on a 15-min grid
    other_patient, other_user = make_patient("autre@test.invalid", "AUTRE")
    with pytest.raises(SlotUnavailable) as caught:
        services.book(clinic["motif"], start, user=other_user, patient=other_patient)
    assert "vient d'être réservé" in caught.value.messages[0]
    assert Appointment.objects.count() == 1 and SlotClaim.objects.count() == 2  # nothing half-stored
    assert start not in [x.start for x in selectors.slots(clinic["motif"], start - dt.timedelta(hours=1), start + dt.timedelta(hours=1))]


def test_a_longer_motif_overlapping_by_one_cell_is_refused(clinic):
    agenda = clinic["agenda"]
    long_motif = services.add_motif(agenda, label="Échographie", duration_minutes=45, min_notice_minutes=0)
    day = next_weekday(2)
    services.book(clinic["motif"], at(day, 8, 30), user=clinic["patient_user"])  # 08:30–09:00
    # 45-minute slots start at 08:00, 08:45, ...: 08:00–08:45 covers the 08:30 cell.
    with pytest.raises(SlotUnavailable):
        services.book(long_motif, at(day, 8), user=clinic["patient_user"])
    with pytest.raises(SlotUnavailable):  # 08:45–09:30 covers the 08:45 cell
        services.book(long_motif, at(day, 8, 45), user=clinic["patient_user"])
    services.book(long_motif, at(day, 9, 30), user=clinic["patient_user"])


def test_hold_then_confirm_and_expiry(clinic):
    start = at(next_weekday(3), 10)
    held = services.book(clinic["motif"], start, user=clinic["patient_user"], patient=clinic["patient"], hold=True)
    assert held.status == Appointment.Status.PENDING and held.hold_expires_at > timezone.now()
    other_patient, other_user = make_patient("autre@test.invalid", "AUTRE")
    with pytest.raises(SlotUnavailable):  # held by someone else
        services.book(clinic["motif"], start, user=other_user, patient=other_patient, hold=True)
    later = timezone.now() + dt.timedelta(minutes=services.HOLD_MINUTES + 1)
    taken = services.book(clinic["motif"], start, user=other_user, patient=other_patient, now=later)  # the hold has lapsed
    held.refresh_from_db()
    assert held.status == Appointment.Status.CANCELLED and "non confirmée" in held.cancel_reason
    assert taken.status == Appointment.Status.BOOKED
    with pytest.raises(SlotUnavailable):
        services.confirm(held, user=clinic["patient_user"])


def test_confirming_in_time(clinic):
    held = services.book(clinic["motif"], at(next_weekday(3), 11), user=clinic["patient_user"], hold=True)
    services.confirm(held, user=clinic["patient_user"])
    held.refresh_from_db()
    assert held.status == Appointment.Status.BOOKED and held.hold_expires_at is None


def test_expired_hold_after_its_time_cannot_be_confirmed(clinic):
    held = services.book(clinic["motif"], at(next_weekday(3), 11), user=clinic["patient_user"], hold=True)
    with pytest.raises(SlotUnavailable) as caught:
        services.confirm(held, user=clinic["patient_user"], now=timezone.now() + dt.timedelta(minutes=10))
    assert "délai de confirmation" in caught.value.messages[0]
    assert services.expire_holds(timezone.now() + dt.timedelta(minutes=10)) == 1
    assert SlotClaim.objects.count() == 0


def test_cancel_frees_the_slot_and_needs_a_reason(clinic):
    start = at(next_weekday(1), 11)
    appointment = services.book(clinic["motif"], start, user=clinic["patient_user"], patient=clinic["patient"])
    with pytest.raises(ValidationError) as caught:
        services.cancel(appointment, user=clinic["patient_user"], reason="  ")
    assert "motif de l'annulation" in str(caught.value.message_dict["reason"])
    services.cancel(appointment, user=clinic["patient_user"], reason="Empêchement")
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.CANCELLED and appointment.cancel_reason == "Empêchement"
    services.book(clinic["motif"], start, user=clinic["patient_user"], patient=clinic["patient"])


def test_patient_cannot_cancel_online_inside_the_notice(clinic):
    appointment = services.book(clinic["motif"], at(next_weekday(1), 11), user=clinic["patient_user"], patient=clinic["patient"])
    too_late = appointment.start - dt.timedelta(hours=2)
    assert not services.may_cancel(appointment, clinic["patient_user"], too_late)
    with pytest.raises(ValidationError):
        services.cancel(appointment, user=clinic["patient_user"], reason="Retard", now=too_late)
    assert services.may_cancel(appointment, clinic["pro_user"], too_late)  # the practice still can


def test_reschedule_moves_in_one_transaction(clinic):
    day = next_weekday(1)
    first = services.book(clinic["motif"], at(day, 8), user=clinic["patient_user"], patient=clinic["patient"])
    blocker = services.book(clinic["motif"], at(day, 9), user=clinic["pro_user"])
    with pytest.raises(SlotUnavailable):
        services.reschedule(first, blocker.start, user=clinic["patient_user"], reason="Plus tard")
    first.refresh_from_db()
    assert first.status == Appointment.Status.BOOKED and first.claims.count() == 2  # rolled back whole
    moved = services.reschedule(first, at(day, 10), user=clinic["patient_user"], reason="Plus tard")
    first.refresh_from_db()
    assert first.status == Appointment.Status.CANCELLED and moved.rescheduled_from == first
    assert moved.start == at(day, 10)


@pytest.mark.parametrize("case,message", [
    ("sunday", "hors des plages"), ("holiday", "jour férié"), ("off grid", "hors des plages"),
    ("too soon", "trop proche"), ("beyond horizon", "horizon"), ("absence", "absent"),
])
def test_unbookable_slots_are_explained(clinic, case, message):
    motif = clinic["motif"]
    if case == "too soon":
        Motif.objects.filter(pk=motif.pk).update(min_notice_minutes=3 * 24 * 60)
        motif.refresh_from_db()
        start = at(timezone.localdate() + dt.timedelta(days=1), 9)
    elif case == "beyond horizon":
        start = at(next_weekday(0, weeks=30), 9)
    elif case == "sunday":
        start = at(next_weekday(6), 9)
    elif case == "off grid":
        start = at(next_weekday(0), 9, 10)
    elif case == "absence":
        day = next_weekday(0)
        services.add_absence(clinic["agenda"], start=at(day, 0), end=at(day, 23), reason="Congrès")
        start = at(day, 9)
    else:
        holiday = next(d for d in (dt.date(2027, 5, 6), dt.date(2027, 11, 11), dt.date(2027, 7, 14)) if d.weekday() < 5)
        Motif.objects.filter(pk=motif.pk).update(horizon_days=800)
        motif.refresh_from_db()
        start = at(holiday, 9)
    with pytest.raises(SlotUnavailable) as caught:
        services.book(motif, start, user=clinic["patient_user"])
    assert message in caught.value.messages[0]
    assert Appointment.objects.count() == 0


def test_overlapping_and_empty_rules_are_refused(clinic):
    agenda = clinic["agenda"]
    with pytest.raises(ValidationError) as caught:
        services.add_rule(agenda, rrule="FREQ=WEEKLY;BYDAY=TU", start_date=dt.date(2026, 1, 1), start_time=dt.time(11), end_time=dt.time(13))
    assert "chevauche" in str(caught.value.message_dict["rrule"])
    with pytest.raises(ValidationError) as caught:
        services.add_rule(agenda, rrule="FREQ=WEEKLY;BYDAY=SA", start_date=dt.date(2026, 5, 1), end_date=dt.date(2026, 5, 1),
                          start_time=dt.time(8), end_time=dt.time(12))
    assert "aucun jour" in str(caught.value.message_dict["rrule"])  # 1 May 2026 is a Friday (and a holiday)
    with pytest.raises(ValidationError) as caught:
        services.add_rule(agenda, rrule="FREQ=WEEKLY;BYDAY=SA", start_date=dt.date(2026, 1, 1), start_time=dt.time(8), end_time=dt.time(8, 15))
    assert "plus courte" in str(caught.value.message_dict["end_time"])
    services.add_rule(agenda, rrule="FREQ=WEEKLY;BYDAY=TU", start_date=dt.date(2026, 1, 1), start_time=dt.time(14), end_time=dt.time(17))
    assert agenda.rules.count() == 2


def test_motif_duration_must_fit_the_grid(clinic):
    with pytest.raises(ValidationError) as caught:
        services.add_motif(clinic["agenda"], label="Bref", duration_minutes=20)
    assert "multiple du pas" in str(caught.value.message_dict["duration_minutes"])


def test_circuit_reserved_slots(db):
    hospital = make_organisation()
    practice = make_organisation("Cabinet du Dr Lebrun", kind="CABINET", lat="49.28", lon="-0.70", city="Bayeux", insee="14047")
    elsewhere = make_organisation("Cabinet hors circuit", kind="CABINET")
    circuit = services.create_circuit("Filière insuffisance cardiaque", [hospital, practice])
    _cardiologist, hospital_user = make_professional(hospital)
    _gp, gp_user = make_professional(practice, "Lebrun", "Paul", specialty="SM54")
    _outsider, outsider_user = make_professional(elsewhere, "Autre", "Jean", specialty="SM54")
    patient, patient_user = make_patient()
    agenda, reserved = make_agenda(hospital, audience=Motif.Audience.CIRCUIT, circuit=circuit)
    start = at(next_weekday(0), 9)
    assert list(selectors.reserved_motifs_for(gp_user)) == [reserved]
    assert not selectors.may_book(outsider_user, reserved) and not selectors.may_book(patient_user, reserved)
    with pytest.raises(SlotUnavailable):
        services.book(reserved, start, user=outsider_user, patient_label="X")
    appointment = services.book(reserved, start, user=gp_user, patient_label="DURAND Louise 02/03/1950")
    assert appointment.booked_by_organisation == practice
    [seen] = selectors.day_appointments(agenda, timezone.localdate(start))
    assert seen.booked_by == gp_user and seen.booked_by_organisation.name == "Cabinet du Dr Lebrun"
    assert agenda.next_free_at is None  # reserved slots are not offered to patients


def test_next_free_cache_follows_bookings(clinic):
    agenda = clinic["agenda"]
    first = agenda.next_free_at
    assert first is not None
    appointment = services.book(clinic["motif"], first, user=clinic["patient_user"])
    agenda.refresh_from_db()
    assert agenda.next_free_at > first
    services.cancel(appointment, user=clinic["patient_user"], reason="Erreur")
    agenda.refresh_from_db()
    assert agenda.next_free_at == first


def test_booking_for_someone_else_keeps_contacts_valid(clinic):
    with pytest.raises(ValidationError) as caught:
        services.book(clinic["motif"], at(next_weekday(1), 8), user=clinic["patient_user"], contact_email="pas-une-adresse")
    assert "contact_email" in caught.value.message_dict
    assert Appointment.objects.count() == 0
