"""Reads of the habilitations: roles, care teams, active grants and oppositions."""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar

from django.contrib.auth import get_user_model
from django.db.models import QuerySet

from enrs.access.models import AccessGrant, BreakGlassAccess, CareRelationship, PatientConsent, Role, RoleAssignment
from enrs.core.models import COLLEGES
from enrs.core.text import fold, folded_pattern
from enrs.directory import selectors as directory_selectors
from enrs.identity.models import Patient

# Roles that may belong to a care team and so reach patients through the object rules.
CARE_ROLES = frozenset({Role.PROFESSIONAL, Role.COORDINATOR})


def _authenticated(user) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False) and user.is_active)


def derived_roles(user) -> set[str]:
    """Roles that follow from the account itself, without any assignment."""
    kind = get_user_model().Kind
    roles: set[str] = set()
    if user.kind == kind.PATIENT:
        roles.add(Role.PATIENT)
    elif user.kind == kind.PROFESSIONAL and directory_selectors.professional_of_user(user) is not None:
        roles.add(Role.PROFESSIONAL)
    if user.is_superuser or user.kind == kind.AGENCY:
        roles.add(Role.AGENCY_ADMIN)
    return roles


def assignments_of(user, at=None) -> QuerySet[RoleAssignment]:
    return RoleAssignment.objects.active(at).filter(user=user)


# Roles computed once per user inside a ``roles_cached()`` block (one request), instead of three
# queries at every permission check of the same page.
_ROLE_SCOPE: ContextVar[dict | None] = ContextVar("enrs_access_role_scope", default=None)


@contextmanager
def roles_cached():
    """Within the block, ``roles_of(user)`` reads the database once per user.

    Meant for one request (a page asks for the viewer's roles several times and they do
    not change while it renders). Nested blocks share the outermost cache.
    """
    if _ROLE_SCOPE.get() is not None:
        yield
        return
    token = _ROLE_SCOPE.set({})
    try:
        yield
    finally:
        _ROLE_SCOPE.reset(token)


def roles_of(user) -> set[str]:
    """Every role ``user`` holds now: derived from the account plus active assignments."""
    if not _authenticated(user):
        return set()
    scope = _ROLE_SCOPE.get()
    if scope is not None and user.pk in scope:
        return set(scope[user.pk])
    roles = {str(r) for r in derived_roles(user)} | set(assignments_of(user).values_list("role", flat=True))
    if scope is not None:
        scope[user.pk] = frozenset(roles)
    return roles


def has_role(user, *roles: str) -> bool:
    return bool(roles_of(user) & set(roles))


def role_organisation_id(user, role: str) -> int | None:
    """The organisation of the first active assignment of ``role`` (for the trail)."""
    return assignments_of(user).filter(role=role).values_list("organisation_id", flat=True).first()


def colleges_of_user(user) -> set[str]:
    """Collèges a user acts for: his practice organisations; every collège for agency administrators."""
    if has_role(user, Role.AGENCY_ADMIN):
        return set(COLLEGES)
    professional = directory_selectors.professional_of_user(user)
    colleges = {o.college for o in directory_selectors.organisations_of(professional) if o.college}
    assigned = assignments_of(user).exclude(organisation=None).values_list("organisation__college", flat=True)
    return colleges | {c for c in assigned if c}


# --- Care team, grants, break-glass ----------------------------------------------------------
def care_team(patient: Patient, at=None) -> QuerySet[CareRelationship]:
    return (
        CareRelationship.objects.active(at)
        .filter(patient=patient)
        .select_related("professional", "organisation")
        .order_by("-referent", "start", "pk")
    )


def care_relationship(user, patient: Patient, at=None) -> CareRelationship | None:
    return CareRelationship.objects.active(at).filter(professional=user, patient=patient).order_by("-referent", "pk").first()


def active_grant(user, patient: Patient, at=None) -> AccessGrant | None:
    return AccessGrant.objects.active(at).filter(grantee=user, patient=patient).order_by("-expires_at").first()


def active_break_glass(user, patient: Patient, at=None) -> BreakGlassAccess | None:
    return BreakGlassAccess.objects.active(at).filter(user=user, patient=patient).order_by("-expires_at").first()


def consent_of(patient: Patient) -> PatientConsent:
    """The patient's oppositions; an unsaved default (no opposition) when he never set any."""
    return PatientConsent.objects.filter(patient=patient).first() or PatientConsent(patient=patient)


def patients_opposing(field: str) -> QuerySet:
    """Ids of patients with the opposition ``field`` (``opposes_sharing`` or ``opposes_break_glass``)."""
    return PatientConsent.objects.filter(**{field: True}).values("patient_id")


def patient_of_user(user) -> Patient | None:
    if not _authenticated(user):
        return None
    return Patient.objects.filter(user=user).first()


def find_patients_exactly(last_name: str, birth_date) -> QuerySet[Patient]:
    """Patients whose birth or used name equals ``last_name`` and born on ``birth_date``.

    Exact match only, on purpose: a break-glass search must not become a way to browse patients.
    Case and accents do not matter ("lefevre" finds "LEFÈVRE"): SQLite's ``iexact`` folds ASCII
    only, so the whole name is matched with an anchored accent-insensitive pattern instead.
    """
    pattern = "^" + folded_pattern(fold(" ".join(last_name.split()))) + "$"
    by_birth_name = Patient.objects.filter(birth_date=birth_date, birth_name__iregex=pattern)
    by_used_name = Patient.objects.filter(birth_date=birth_date, used_name__iregex=pattern)
    return (by_birth_name | by_used_name).distinct().order_by("birth_name", "birth_first_names", "pk")
