"""Permission rule of appointments (personal health data: who sees whom, for what motif).

An appointment is read or changed by the patient it belongs to, by the user
who booked it (e.g. the GP who took a reserved hospital slot for his patient),
and by the professionals who manage its agenda (its professional, and those
practising in its organisation). Every access goes through
``enrs.core.permissions.require`` and lands in the access trail.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from enrs.core import permissions
from enrs.core.permissions import Basis


class AppointmentRule(permissions.Rule):
    actions = frozenset({"read", "search", "update", "print", "export"})
    personal_health_data = True
    denied_message = _("Ce rendez-vous ne vous concerne pas.")

    def basis(self, user, action: str, obj) -> Basis | None:
        from enrs.agenda import selectors

        if obj.patient_id and obj.patient.user_id == user.pk:
            return Basis(role="patient")
        if obj.booked_by_id == user.pk:
            return Basis(role="demandeur", organisation_id=obj.booked_by_organisation_id)
        if selectors.agendas_managed_by(user).filter(pk=obj.agenda_id).exists():
            return Basis(role="agenda", organisation_id=obj.agenda.organisation_id)
        return None

    def filter(self, user, action: str, queryset: QuerySet) -> QuerySet:
        from enrs.agenda import selectors

        managed = selectors.agendas_managed_by(user).values("pk")
        return queryset.filter(Q(patient__user=user) | Q(booked_by=user) | Q(agenda__in=managed))


def register() -> None:
    permissions.register_rule("agenda.Appointment", AppointmentRule())
