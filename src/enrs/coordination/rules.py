"""Who may do what on a coordination record and its documents (registered at start-up).

- Record: read by the patient himself and by care-role users who reach the
  patient (care team, grant, break-glass: ``identity.Patient`` read rule);
  written (team, notes, tasks, documents, pathways, export) by those care-role
  users only. Identity-vigilance and agency roles see identities, never records.
- Document: on top of the record, the TRE_A07 visibility codes and the
  patient's opposition to sharing (``access.rules.can_see_document``).
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q, QuerySet

from enrs.access import selectors as access_selectors
from enrs.access.models import BreakGlassAccess, CareRelationship, PatientConsent, Role
from enrs.access.rules import IDENTITY_ROLES, can_see_document
from enrs.core import permissions
from enrs.core.permissions import Basis
from enrs.identity.models import Patient

CARE_ROLES = access_selectors.CARE_ROLES
WRITE_ACTIONS = frozenset({"create", "update", "export"})


def record_basis(user, action: str, patient) -> Basis | None:
    granted = permissions.basis(user, "read", patient) if patient is not None and patient.pk else None
    if granted is None:
        return None
    if granted.role in CARE_ROLES:
        return granted
    if granted.role == Role.PATIENT and action == "read":
        return granted
    return None


def allowed_patients(user) -> QuerySet | None:
    """Patients whose records ``user`` reaches (None: none at all)."""
    roles = access_selectors.roles_of(user)
    if Role.PATIENT in roles:
        return Patient.objects.filter(user=user)
    if roles & IDENTITY_ROLES or not roles & CARE_ROLES:
        return None
    return permissions.filter_allowed(user, "read", Patient.objects.all())


class RecordRule(permissions.Rule):
    actions = frozenset({"read", "create", "update", "export"})
    personal_health_data = True

    def basis(self, user, action, obj):
        return record_basis(user, action, obj.patient)

    def filter(self, user, action, queryset):
        patients = allowed_patients(user)
        if patients is None:
            return queryset.none()
        if action in WRITE_ACTIONS and Role.PATIENT in access_selectors.roles_of(user):
            return queryset.none()
        return queryset.filter(patient__in=patients.values("pk"))


class DocumentRule(permissions.Rule):
    actions = frozenset({"read", "export"})
    personal_health_data = True

    def basis(self, user, action, obj):
        granted = record_basis(user, "read", obj.patient)
        if granted is None:
            return None
        if not can_see_document(user, obj.patient, obj.visibility_codes, author_organisation_id=obj.organisation_id):
            return None
        return granted

    def filter(self, user, action, queryset):
        return queryset.filter(visible_documents_q(user))


def visible_documents_q(user) -> Q:
    """The documents ``user`` may read, as one condition (same outcome as ``DocumentRule.basis``)."""
    roles = access_selectors.roles_of(user)
    patients = allowed_patients(user)
    if patients is None:
        return Q(pk__in=[])
    if Role.PATIENT in roles:
        return Q(patient__in=patients.values("pk"), hidden_from_patient=False)
    masked = Q(masked_from_health=True) if Role.PROFESSIONAL in roles else Q(masked_from_social=True)
    return Q(patient__in=patients.values("pk")) & ~masked & _sharing_condition(user)


def _sharing_condition(user) -> Q:
    """When the patient opposes sharing: only the documents of an organisation where ``user`` is in the team,
    or any document during a break-glass access the patient did not oppose."""
    opposes = PatientConsent.objects.filter(patient=OuterRef("patient"), opposes_sharing=True)
    same_organisation = CareRelationship.objects.active().filter(
        professional=user, patient=OuterRef("patient"), organisation=OuterRef("organisation")
    )
    emergency = BreakGlassAccess.objects.active().filter(user=user, patient=OuterRef("patient"))
    opposes_emergency = PatientConsent.objects.filter(patient=OuterRef("patient"), opposes_break_glass=True)
    return ~Exists(opposes) | Exists(same_organisation) | (Exists(emergency) & ~Exists(opposes_emergency))


def register() -> None:
    permissions.register_rule("coordination.CoordinationRecord", RecordRule())
    permissions.register_rule("coordination.Document", DocumentRule())
