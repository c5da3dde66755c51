"""The agenda's provider for the patient's life line: past and future appointments."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from enrs.core import permissions
from enrs.core.lifeline import LifelineEntry, register_provider


def appointments_for_lifeline(patient, user):
    from enrs.agenda.models import Appointment

    queryset = permissions.filter_allowed(user, "read", Appointment.objects.filter(patient=patient))
    for appointment in queryset.exclude(status=Appointment.Status.PENDING).select_related("agenda", "motif"):
        permissions.require(user, "read", appointment, channel="web")
        cancelled = appointment.status == Appointment.Status.CANCELLED
        yield LifelineEntry(
            when=appointment.start,
            kind="rendez-vous",
            title=(_("Rendez-vous annulé : %(motif)s") if cancelled else _("Rendez-vous : %(motif)s")) % {"motif": appointment.motif.label},
            detail=appointment.agenda.name,
            link=reverse("agenda:my_appointments") if appointment.patient.user_id == user.pk else "",
            source="agenda",
        )


def register() -> None:
    register_provider(appointments_for_lifeline)
