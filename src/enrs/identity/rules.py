"""Permission rules of the identity-vigilance objects, registered with ``enrs.core.permissions``.

The rule of ``identity.Patient`` itself belongs to ``enrs.access`` (care team,
grants, break-glass, identity roles). ``identity`` must not import ``access``,
so the identity-vigilance duties are read *through* that rule: whoever may
update identities (``permissions.can(user, "update", Patient())`` — agency
administrators and identity-vigilance officers in ``enrs.access.rules``) works
the worklists, merges and history. A local identifier is readable by whoever
may read its patient. Without the access app every check denies (fail closed).
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from enrs.core import permissions
from enrs.core.permissions import Basis

VIGILANCE_MODELS = (
    "identity.IdentityHistory", "identity.PotentialDuplicate", "identity.IdentityCollision",
    "identity.IdentityAnomaly", "identity.IdentityMerge",
)


def _patient_model():
    from enrs.identity.models import Patient

    return Patient


def vigilance_basis(user) -> Basis | None:
    """The basis of the identity-vigilance duties of ``user``, or None."""
    return permissions.basis(user, "update", _patient_model()())


def has_identity_duties(user) -> bool:
    return vigilance_basis(user) is not None


class VigilanceRule(permissions.Rule):
    actions = frozenset({"read", "search", "create", "update", "export"})
    personal_health_data = True
    denied_message = _("Cet écran est réservé à la cellule d'identitovigilance.")

    def patient_id(self, obj) -> int | None:
        for name in ("patient_id", "survivor_id", "patient_a_id"):
            if getattr(obj, name, None) is not None:
                return getattr(obj, name)
        return None

    def basis(self, user, action: str, obj) -> Basis | None:
        return vigilance_basis(user)

    def filter(self, user, action: str, queryset: QuerySet) -> QuerySet:
        return queryset if vigilance_basis(user) is not None else queryset.none()


class LocalIdentifierRule(permissions.Rule):
    actions = frozenset({"read", "search", "create", "update"})
    personal_health_data = True
    denied_message = _("Vous n'avez pas accès aux identifiants de ce patient.")

    def basis(self, user, action: str, obj) -> Basis | None:
        if action in {"read", "search"} and getattr(obj, "patient_id", None):
            return permissions.basis(user, "read", obj.patient)
        return vigilance_basis(user)

    def filter(self, user, action: str, queryset: QuerySet) -> QuerySet:
        if action in {"read", "search"}:
            readable = permissions.filter_allowed(user, "read", _patient_model().objects.all())
            return queryset.filter(patient__in=readable.values("pk"))
        return queryset if vigilance_basis(user) is not None else queryset.none()


def register() -> None:
    for label in VIGILANCE_MODELS:
        permissions.register_rule(label, VigilanceRule())
    permissions.register_rule("identity.LocalIdentifier", LocalIdentifierRule())
