"""iCalendar (RFC 5545): one VEVENT per appointment (the ``.ics`` attachment) and the feed of an agenda.

The feed is read by calendar software with the agenda's secret token in the
URL; it carries the motif and the status of each appointment, never the
patient's name (a phone's calendar is not a care record).
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils import timezone
from icalendar import Calendar, Event

from enrs.agenda.models import Agenda, Appointment

PRODID = "-//ENRS//Agenda partage//FR"
FEED_PAST_DAYS = 30
FEED_FUTURE_DAYS = 180
STATUS = {Appointment.Status.BOOKED: "CONFIRMED", Appointment.Status.PENDING: "TENTATIVE", Appointment.Status.CANCELLED: "CANCELLED"}


def _calendar(method: str | None = None) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    if method:
        calendar.add("method", method)
    return calendar


def _domain() -> str:
    return settings.ENRS_PUBLIC_URL.split("//", 1)[-1].split("/", 1)[0].split(":")[0] or "enrs.invalid"


def _event(appointment: Appointment, *, with_place: bool) -> Event:
    event = Event()
    event.add("uid", f"{appointment.identifier}@{_domain()}")
    event.add("dtstamp", timezone.now())
    event.add("dtstart", appointment.start)
    event.add("dtend", appointment.end)
    event.add("summary", f"{appointment.motif.label} — {appointment.agenda.name}")
    event.add("status", STATUS[appointment.status])
    event.add("sequence", int(appointment.updated_at.timestamp()) if appointment.updated_at else 0)
    if with_place and appointment.agenda.address:
        event.add("location", ", ".join(filter(None, [appointment.agenda.address, appointment.agenda.city])))
    return event


def appointment_ics(appointment: Appointment) -> bytes:
    """The attachment of a confirmation (METHOD:PUBLISH) or of a cancellation (METHOD:CANCEL)."""
    method = "CANCEL" if appointment.status == Appointment.Status.CANCELLED else "PUBLISH"
    calendar = _calendar(method)
    calendar.add_component(_event(appointment, with_place=True))
    return calendar.to_ical()


def agenda_feed(agenda: Agenda, now: dt.datetime | None = None) -> bytes:
    now = now or timezone.now()
    calendar = _calendar()
    calendar.add("x-wr-calname", agenda.name)
    calendar.add("x-wr-timezone", "Europe/Paris")
    appointments = (agenda.appointments.filter(start__gte=now - dt.timedelta(days=FEED_PAST_DAYS),
                                               start__lt=now + dt.timedelta(days=FEED_FUTURE_DAYS))
                    .exclude(status=Appointment.Status.PENDING).select_related("motif", "agenda"))
    for appointment in appointments:
        calendar.add_component(_event(appointment, with_place=False))
    return calendar.to_ical()
