"""Writes of the habilitations: care-team membership, grants, break-glass, consent, roles.

The coordination issue will call ``add_care_team_member`` and
``end_care_team_member`` from its own care-team screens.
"""

from __future__ import annotations

import datetime
import logging

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from enrs.access import selectors
from enrs.access.models import AccessGrant, BreakGlassAccess, CareRelationship, PatientConsent, Role, RoleAssignment
from enrs.core import audit, notifications

logger = logging.getLogger(__name__)

# How long a break-glass access stays open. A module constant, not a setting:
# changing it is a security decision that goes through code review.
BREAK_GLASS_DURATION = datetime.timedelta(hours=4)
BREAK_GLASS_MIN_REASON = 20
GRANT_MAX_DURATION = datetime.timedelta(days=90)
GRANT_MIN_REASON = 10


def _require_care_role(user, field: str) -> None:
    if not selectors.has_role(user, *selectors.CARE_ROLES):
        raise ValidationError({field: [_("Seul un professionnel ou un coordinateur peut être concerné.")]})


def _clean_reason(reason: str, minimum: int) -> str:
    reason = " ".join((reason or "").split())
    if len(reason) < minimum:
        raise ValidationError(
            {"reason": [_("Le motif est obligatoire et doit compter au moins %(n)s caractères.") % {"n": minimum}]}
        )
    return reason


# --- Care team --------------------------------------------------------------------------------
def add_care_team_member(
    patient, professional, *, organisation=None, role: str = "", referent: bool = False, start=None
) -> CareRelationship:
    """Add ``professional`` to the patient's care team; an existing active membership is returned as is."""
    _require_care_role(professional, "professional")
    start = start or timezone.now()
    with transaction.atomic():
        existing = selectors.care_relationship(professional, patient, at=start)
        if existing is not None and existing.organisation_id == getattr(organisation, "pk", None):
            return existing
        return CareRelationship.objects.create(
            patient=patient, professional=professional, organisation=organisation, role=role[:120], referent=referent,
            start=start,
        )  # fmt: skip


def end_care_team_member(relationship: CareRelationship, *, at=None) -> CareRelationship:
    at = at or timezone.now()
    if relationship.end is not None and relationship.end <= at:
        return relationship
    if at < relationship.start:
        raise ValidationError({"end": [_("La fin ne peut pas précéder le début de la prise en charge.")]})
    relationship.end = at
    relationship.save(update_fields=["end"])
    return relationship


# --- Explicit grants --------------------------------------------------------------------------
def grant_access(patient, grantee, *, granted_by, reason: str, expires_at) -> AccessGrant:
    """A time-limited access given by a care-team member (or an agency administrator) to another user."""
    now = timezone.now()
    _require_care_role(grantee, "grantee")
    reason = _clean_reason(reason, GRANT_MIN_REASON)
    if expires_at <= now:
        raise ValidationError({"expires_at": [_("L'échéance doit être dans le futur.")]})
    if expires_at - now > GRANT_MAX_DURATION:
        raise ValidationError({"expires_at": [_("Une autorisation ne peut pas dépasser 90 jours.")]})
    if selectors.consent_of(patient).opposes_sharing:
        raise ValidationError({"patient": [_("Le patient s'est opposé au partage : aucune autorisation ne peut être donnée.")]})
    if not (selectors.care_relationship(granted_by, patient) or selectors.has_role(granted_by, Role.AGENCY_ADMIN)):
        raise PermissionDenied(_("Seul un membre de l'équipe de soins peut donner un accès à ce patient."))
    return AccessGrant.objects.create(
        patient=patient, grantee=grantee, granted_by=granted_by, reason=reason, created_at=now, expires_at=expires_at
    )


def revoke_grant(grant: AccessGrant, *, at=None) -> AccessGrant:
    if grant.revoked_at is None:
        grant.revoked_at = at or timezone.now()
        grant.save(update_fields=["revoked_at"])
    return grant


# --- Break-glass ------------------------------------------------------------------------------
def break_glass(user, patient, reason: str, *, channel: str = "web", request=None) -> BreakGlassAccess:
    """Open an emergency access for ``BREAK_GLASS_DURATION``, trail it and notify the care team and the patient."""
    _require_care_role(user, "user")
    reason = _clean_reason(reason, BREAK_GLASS_MIN_REASON)
    if selectors.consent_of(patient).opposes_break_glass:
        raise PermissionDenied(_("Le patient s'est opposé à l'accès en urgence à son dossier."))
    now = timezone.now()
    with transaction.atomic():
        access = BreakGlassAccess.objects.create(
            patient=patient, user=user, reason=reason, started_at=now, expires_at=now + BREAK_GLASS_DURATION
        )
        audit.record(
            actor=user, action="create", channel=channel, patient_id=patient.pk, object_type="access.BreakGlassAccess",
            object_id=str(access.pk), role=Role.PROFESSIONAL if selectors.has_role(user, Role.PROFESSIONAL) else Role.COORDINATOR,
            justification=reason, break_glass=True, request=request,
        )  # fmt: skip
    _notify_break_glass(access)
    return access


def _notify_break_glass(access: BreakGlassAccess) -> None:
    """Notify the care team and the patient, each separately (no one sees the others' addresses).

    Account holders get an in-app notification and its e-mail copy; a patient
    without an account but with an e-mail address gets the e-mail alone. A mail
    failure never blocks an emergency access: it is recorded and logged.
    """
    subject, body = _break_glass_message(access)
    accounts, plain_addresses = _break_glass_recipients(access)
    for account in accounts:
        notifications.notify(account, kind="break_glass", title=subject, body=body)
    for address in plain_addresses:
        try:
            send_mail(subject, body, None, [address])
        except Exception:  # noqa: BLE001 - the access stands; the failure is logged for the agency
            logger.exception("break-glass notification failed for access %s", access.pk)


def _break_glass_message(access: BreakGlassAccess) -> tuple[str, str]:
    author = access.user.get_full_name() or access.user.email
    when = timezone.localtime(access.started_at).strftime("%d/%m/%Y %H:%M")
    subject = _("Accès en urgence au dossier de %(patient)s") % {"patient": access.patient.display_name}
    body = _(
        "%(author)s a ouvert en urgence le dossier de %(patient)s le %(when)s, pour %(hours)s heures.\n"
        "Motif déclaré : %(reason)s\n\nCet accès est enregistré dans la traçabilité des accès."
    ) % {
        "author": author, "patient": access.patient.display_name, "when": when,
        "hours": int(BREAK_GLASS_DURATION.total_seconds() // 3600), "reason": access.reason,
    }  # fmt: skip
    return subject, body


def _break_glass_recipients(access: BreakGlassAccess) -> tuple[list, list[str]]:
    """(accounts to notify, bare e-mail addresses): the team, the patient, never the opener."""
    accounts = {m.professional.pk: m.professional for m in selectors.care_team(access.patient, at=access.started_at)}
    patient = access.patient
    if patient.user_id:
        accounts[patient.user_id] = patient.user
    accounts.pop(access.user.pk, None)
    plain = [patient.email] if not patient.user_id and patient.email and patient.email != access.user.email else []
    return list(accounts.values()), plain


# --- Consent ----------------------------------------------------------------------------------
def set_consent(patient, *, by, opposes_sharing: bool, opposes_break_glass: bool, channel: str = "web", request=None):
    """Record the patient's oppositions; only the patient himself (or an agency administrator) may."""
    own = patient.user_id is not None and patient.user_id == getattr(by, "pk", None)
    if not (own or selectors.has_role(by, Role.AGENCY_ADMIN)):
        raise PermissionDenied(_("Seul le patient peut modifier ses oppositions."))
    with transaction.atomic():
        consent, _created = PatientConsent.objects.update_or_create(
            patient=patient,
            defaults={"opposes_sharing": bool(opposes_sharing), "opposes_break_glass": bool(opposes_break_glass)},
        )
        audit.record(
            actor=by, action="update", channel=channel, patient_id=patient.pk, object_type="access.PatientConsent",
            object_id=str(consent.pk), role=Role.PATIENT if own else Role.AGENCY_ADMIN, request=request,
        )  # fmt: skip
    return consent


# --- Roles ------------------------------------------------------------------------------------
def assign_role(user, role: str, *, organisation=None, valid_from=None, valid_until=None) -> RoleAssignment:
    if role not in Role.values:
        raise ValidationError({"role": [_("Rôle inconnu : « %(role)s ».") % {"role": role}]})
    valid_from = valid_from or timezone.now()
    if valid_until is not None and valid_until <= valid_from:
        raise ValidationError({"valid_until": [_("La fin doit suivre le début.")]})
    return RoleAssignment.objects.create(
        user=user, role=role, organisation=organisation, valid_from=valid_from, valid_until=valid_until
    )
