"""Permission rules of the messaging app, registered with ``enrs.core.permissions``.

- ``messaging.Conversation``: participants only (read to see, update to post/close).
- ``messaging.PatientConversation`` (proxy of the same rows): the same basis, but personal
  health data, so every ``require`` on it leaves a line in the access trail with the patient.
- ``messaging.Request``: the requester, the addressee (person, team member, professional
  of the organisation) and the assignee; nobody else (agency staff included).
- ``messaging.PatientRequest`` (proxy): the same, trailed.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from enrs.core import permissions
from enrs.core.permissions import Basis

PARTICIPANT = "participant"


class ConversationRule(permissions.Rule):
    actions = frozenset({"read", "update"})
    denied_message = _("Vous ne participez pas à cette conversation.")

    def basis(self, user, action, obj):
        if obj.pk is not None and obj.participants.filter(user=user).exists():
            return Basis(role=PARTICIPANT)
        return None

    def filter(self, user, action, queryset: QuerySet) -> QuerySet:
        return queryset.filter(participants__user=user)


class PatientConversationRule(ConversationRule):
    personal_health_data = True


def _request_condition(user) -> Q:
    from enrs.directory import selectors as directory_selectors

    professional = directory_selectors.professional_of_user(user)
    organisations = [o.pk for o in directory_selectors.organisations_of(professional)]
    return (
        Q(created_by=user) | Q(to_user=user) | Q(assignee=user) | Q(to_team__members=user)
        | Q(to_organisation__in=organisations)
    )


class RequestRule(permissions.Rule):
    actions = frozenset({"read", "update"})
    denied_message = _("Cette demande ne vous est pas adressée.")

    def basis(self, user, action, obj):
        if obj.pk is not None and type(obj)._base_manager.filter(pk=obj.pk).filter(_request_condition(user)).exists():
            return Basis(role="requester_or_addressee")
        return None

    def filter(self, user, action, queryset: QuerySet) -> QuerySet:
        return queryset.filter(_request_condition(user)).distinct()


class PatientRequestRule(RequestRule):
    personal_health_data = True


def register() -> None:
    permissions.register_rule("messaging.Conversation", ConversationRule())
    permissions.register_rule("messaging.PatientConversation", PatientConversationRule())
    permissions.register_rule("messaging.Request", RequestRule())
    permissions.register_rule("messaging.PatientRequest", PatientRequestRule())
