"""Object rules for patient data, registered with ``enrs.core.permissions`` at start-up.

Who reaches an ``identity.Patient`` (read, export, print):
- the patient himself (his own account);
- a professional or DAC coordinator who is an active member of the patient's
  care team, holds an active explicit grant (not while the patient opposes
  sharing), or has an active break-glass access (not while the patient opposes
  break-glass);
- agency administrators and identity-vigilance officers, for their duties on
  identity traits only: they never see documents (``can_see_document``).
Search (finding a patient by exact traits): care roles and the two identity roles.
Create/update: agency administrators and identity-vigilance officers. Delete:
agency administrators. Everything else is denied.
"""

from __future__ import annotations

from enum import StrEnum

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from enrs.access import selectors
from enrs.access.models import AccessGrant, BreakGlassAccess, CareRelationship, Role
from enrs.core import permissions
from enrs.core.permissions import Basis

READ_ACTIONS = frozenset({"read", "export", "print"})
IDENTITY_ROLES = frozenset({Role.AGENCY_ADMIN, Role.IDENTITY_VIGILANCE})
CARE_AND_IDENTITY_ROLES = selectors.CARE_ROLES | IDENTITY_ROLES


def _care_role(roles: set[str]) -> str:
    return Role.PROFESSIONAL if Role.PROFESSIONAL in roles else Role.COORDINATOR


def _identity_basis(user, roles: set[str]) -> Basis:
    if Role.AGENCY_ADMIN in roles:
        return Basis(role=Role.AGENCY_ADMIN)
    return Basis(role=Role.IDENTITY_VIGILANCE, organisation_id=selectors.role_organisation_id(user, Role.IDENTITY_VIGILANCE))


class PatientRule(permissions.Rule):
    actions = frozenset({"read", "export", "print", "search", "create", "update", "delete"})
    personal_health_data = True
    denied_message = _("Vous ne faites pas partie de l'équipe de soins de ce patient et ne disposez d'aucun accès autorisé.")

    def patient_id(self, obj) -> int | None:
        return obj.pk

    def basis(self, user, action: str, obj) -> Basis | None:
        roles = selectors.roles_of(user)
        if action in READ_ACTIONS:
            return self._read_basis(user, roles, obj)
        if action == "search" and roles & CARE_AND_IDENTITY_ROLES:
            return _identity_basis(user, roles) if roles & IDENTITY_ROLES else Basis(role=_care_role(roles))
        if action in {"create", "update"} and roles & IDENTITY_ROLES:
            return _identity_basis(user, roles)
        if action == "delete" and Role.AGENCY_ADMIN in roles:
            return Basis(role=Role.AGENCY_ADMIN)
        return None

    def _read_basis(self, user, roles: set[str], patient) -> Basis | None:
        if Role.PATIENT in roles and patient.user_id is not None and patient.user_id == user.pk:
            return Basis(role=Role.PATIENT)
        if roles & IDENTITY_ROLES:
            return _identity_basis(user, roles)
        if not roles & selectors.CARE_ROLES or patient.pk is None:
            return None
        role = _care_role(roles)
        relationship = selectors.care_relationship(user, patient)
        if relationship is not None:
            return Basis(role=role, organisation_id=relationship.organisation_id)
        consent = selectors.consent_of(patient)
        grant = None if consent.opposes_sharing else selectors.active_grant(user, patient)
        if grant is not None:
            return Basis(role=role, justification=grant.reason)
        emergency = None if consent.opposes_break_glass else selectors.active_break_glass(user, patient)
        if emergency is not None:
            return Basis(role=role, break_glass=True, justification=emergency.reason)
        return None

    def filter(self, user, action: str, queryset: QuerySet) -> QuerySet:
        roles = selectors.roles_of(user)
        if action in READ_ACTIONS:
            return self._read_filter(user, roles, queryset)
        if action == "search" and roles & CARE_AND_IDENTITY_ROLES:
            return queryset
        if action in {"create", "update"} and roles & IDENTITY_ROLES:
            return queryset
        if action == "delete" and Role.AGENCY_ADMIN in roles:
            return queryset
        return queryset.none()

    def _read_filter(self, user, roles: set[str], queryset: QuerySet) -> QuerySet:
        if roles & IDENTITY_ROLES:
            return queryset
        condition = Q(user=user) if Role.PATIENT in roles else None
        if roles & selectors.CARE_ROLES:
            care = _reachable_by_care(user, timezone.now())
            condition = care if condition is None else condition | care
        return queryset.none() if condition is None else queryset.filter(condition)


def _reachable_by_care(user, at) -> Q:
    """Patients a care-role user reaches at ``at``: care team, grants and break-glass, oppositions applied."""
    team = CareRelationship.objects.active(at).filter(professional=user).values("patient_id")
    grants = AccessGrant.objects.active(at).filter(grantee=user).values("patient_id")
    emergencies = BreakGlassAccess.objects.active(at).filter(user=user).values("patient_id")
    return (
        Q(pk__in=team)
        | (Q(pk__in=grants) & ~Q(pk__in=selectors.patients_opposing("opposes_sharing")))
        | (Q(pk__in=emergencies) & ~Q(pk__in=selectors.patients_opposing("opposes_break_glass")))
    )


# --- Document masking (TRE_A07 visibility codes) ----------------------------------------------
class Audience(StrEnum):
    PATIENT = "patient"
    LEGAL_REPRESENTATIVE = "legal_representative"
    HEALTH_PROFESSIONAL = "health_professional"
    SOCIAL_PROFESSIONAL = "social_professional"
    THIRD_PARTY = "third_party"


# TRE_A07-StatutVisibiliteDocument (OID 1.2.250.1.213.1.1.4.13): each code hides a document from one audience.
MASKED_FROM = {
    "INVISIBLE_PATIENT": Audience.PATIENT,
    "INVISIBLE_REPRESENTANTS_LEGAUX": Audience.LEGAL_REPRESENTATIVE,
    "MASQUE_PS": Audience.HEALTH_PROFESSIONAL,
    "MASQUE_PSOCIAL": Audience.SOCIAL_PROFESSIONAL,
    "MASQUE_PT": Audience.THIRD_PARTY,
}


def visible_to(audience: Audience, visibility_codes) -> bool:
    """Whether a document with ``visibility_codes`` may be shown to ``audience``.

    An unknown code hides the document from everyone (fail closed): a code we
    cannot read may be a restriction we would otherwise ignore.
    """
    for code in visibility_codes:
        masked = MASKED_FROM.get(str(code).strip().upper())
        if masked is None or masked == audience:
            return False
    return True


def audience_of(basis: Basis, roles: set[str]) -> Audience:
    if basis.role == Role.PATIENT:
        return Audience.PATIENT
    if basis.role in selectors.CARE_ROLES:
        # A DAC coordinator without a health profession in the directory acts as a social professional.
        return Audience.HEALTH_PROFESSIONAL if Role.PROFESSIONAL in roles else Audience.SOCIAL_PROFESSIONAL
    return Audience.THIRD_PARTY


def can_see_document(user, patient, visibility_codes, *, author_organisation_id: int | None = None) -> bool:
    """Whether ``user`` may see a document of ``patient`` carrying ``visibility_codes`` (TRE_A07).

    On top of the patient rule: identity roles never see documents; the codes
    mask the document from their audience; and when the patient opposes
    sharing, a professional sees it only as a care-team member of the
    organisation that produced it (break-glass excepted, which has its own
    opposition).
    """
    basis = permissions.basis(user, "read", patient)
    if basis is None:
        return False
    audience = audience_of(basis, selectors.roles_of(user))
    if audience == Audience.THIRD_PARTY or not visible_to(audience, visibility_codes):
        return False
    consent = selectors.consent_of(patient)
    if audience == Audience.PATIENT or not consent.opposes_sharing:
        return True
    if not consent.opposes_break_glass and selectors.active_break_glass(user, patient) is not None:
        return True
    return (
        author_organisation_id is not None
        and CareRelationship.objects.active()
        .filter(professional=user, patient=patient, organisation_id=author_organisation_id)
        .exists()
    )


def register() -> None:
    permissions.register_rule("identity.Patient", PatientRule())
    permissions.register_college_resolver(selectors.colleges_of_user)
