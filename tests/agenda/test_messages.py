"""Confirmation, cancellation and reminder e-mails through a real SMTP server, with the .ics attached."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from icalendar import Calendar

from enrs.agenda import ical, services

from .conftest import at, next_weekday

pytestmark = pytest.mark.django_db


@pytest.fixture
def smtp(smtp_server):
    """The suite's real SMTP server on loopback (tests/conftest.py)."""
    return smtp_server


@pytest.fixture
def sms(settings):
    from enrs.core import sms as gateway

    settings.ENRS_SMS_BACKEND = "enrs.core.sms.MemoryBackend"
    gateway.outbox.clear()
    yield gateway.outbox
    gateway.outbox.clear()


def _ics(message) -> Calendar:
    [part] = [p for p in message.iter_attachments() if p.get_content_type() == "text/calendar"]
    return Calendar.from_ical(part.get_content() if isinstance(part.get_content(), str) else part.get_content().decode())


def test_confirmation_email_carries_the_ics(clinic, smtp, django_capture_on_commit_callbacks):
    start = at(next_weekday(1), 9)
    with django_capture_on_commit_callbacks(execute=True):
        held = services.book(clinic["motif"], start, user=clinic["patient_user"], patient=clinic["patient"], hold=True)
    assert smtp == []  # a hold sends nothing
    with django_capture_on_commit_callbacks(execute=True):
        services.confirm(held, user=clinic["patient_user"])
    [message] = smtp
    assert message["To"] == "louise.durand@test.invalid"
    assert str(message["Subject"]).strip().startswith("Rendez-vous confirmé")
    body = message.get_body(preferencelist=("plain",)).get_content()
    assert "Consultation avec Dr Martin" in body and timezone.localtime(start).strftime("%H:%M") in body
    [event] = _ics(message).walk("VEVENT")
    assert event.decoded("dtstart") == start and event["status"] == "CONFIRMED"
    assert str(held.identifier) in str(event["uid"])


def test_cancellation_email_cancels_the_event(clinic, smtp, django_capture_on_commit_callbacks):
    appointment = services.book(clinic["motif"], at(next_weekday(1), 10), user=clinic["patient_user"], patient=clinic["patient"])
    with django_capture_on_commit_callbacks(execute=True):
        services.cancel(appointment, user=clinic["patient_user"], reason="Empêchement")
    message = smtp[-1]
    assert str(message["Subject"]).strip().startswith("Rendez-vous annulé")
    calendar = _ics(message)
    assert calendar["method"] == "CANCEL" and [e["status"] for e in calendar.walk("VEVENT")] == ["CANCELLED"]


def test_reminders_are_sent_once(clinic, smtp, django_capture_on_commit_callbacks):
    appointment = services.book(clinic["motif"], at(next_weekday(1), 11), user=clinic["patient_user"], patient=clinic["patient"])
    before = len(smtp)
    the_day_before = appointment.start - dt.timedelta(hours=20)
    assert services.send_reminders(the_day_before) == 1
    assert services.send_reminders(the_day_before) == 0
    assert len(smtp) == before + 1 and str(smtp[-1]["Subject"]).strip().startswith("Rappel de rendez-vous")


def test_smtp_down_does_not_undo_the_booking(clinic, settings, django_capture_on_commit_callbacks):
    import socket

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", port, 2
    with django_capture_on_commit_callbacks(execute=True):
        appointment = services.book(clinic["motif"], at(next_weekday(1), 8), user=clinic["patient_user"], patient=clinic["patient"])
    appointment.refresh_from_db()
    assert appointment.status == "booked"


def test_agenda_feed_lists_appointments_without_patient_names(clinic):
    services.book(clinic["motif"], at(next_weekday(1), 8), user=clinic["patient_user"], patient=clinic["patient"])
    feed = ical.agenda_feed(clinic["agenda"]).decode()
    assert "BEGIN:VEVENT" in feed and "Consultation" in feed and "DURAND" not in feed


def test_sms_and_in_app_notification_through_the_kernel(clinic, smtp, sms, django_capture_on_commit_callbacks):
    from enrs.core.models import Notification

    held = services.book(clinic["motif"], at(next_weekday(1), 9), user=clinic["patient_user"], patient=clinic["patient"], hold=True)
    held.contact_phone = "06 12 34 56 78"
    held.save(update_fields=["contact_phone"])
    with django_capture_on_commit_callbacks(execute=True):
        services.confirm(held, user=clinic["patient_user"])
    [text] = sms
    assert text.number == "+33612345678" and "Rendez-vous confirmé" in text.text and "Caen" in text.text
    assert "Consultation" not in text.text  # no motif (health detail) in an SMS
    notification = Notification.objects.get(recipient=clinic["patient_user"])
    assert notification.kind == "agenda" and notification.link.endswith("/rdv/mes-rendez-vous/")


def test_waiting_list_is_told_when_a_slot_frees_up(clinic, django_capture_on_commit_callbacks):
    from enrs.core.models import Notification

    appointment = services.book(clinic["motif"], at(next_weekday(1), 9), user=clinic["pro_user"])
    services.join_waiting_list(clinic["motif"], clinic["patient"], before=appointment.start + dt.timedelta(days=1))
    services.cancel(appointment, user=clinic["pro_user"], reason="Congrès")
    assert Notification.objects.filter(recipient=clinic["patient_user"], title__startswith="Un créneau").count() == 1


def test_reminder_command(clinic, smtp):
    from io import StringIO

    from django.core.management import call_command

    services.book(clinic["motif"], at(next_weekday(1), 11), user=clinic["patient_user"], patient=clinic["patient"])
    out = StringIO()
    call_command("agenda", "send-reminders", "--within-hours", "400", stdout=out)
    assert "1 rappel" in out.getvalue()
    call_command("agenda", "send-reminders", "--within-hours", "400", stdout=out)
    assert "0 rappel" in out.getvalue()
