"""Habilitations: roles, care relationships, grants, break-glass and patient consent.

Writes go through ``enrs.access.services``; reads through ``selectors``; the
rules that turn these rows into permissions live in ``rules``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    PATIENT = "patient", _("Patient")
    PROFESSIONAL = "professional", _("Professionnel")
    COORDINATOR = "coordinator", _("Coordinateur (DAC)")
    ACCOUNT_REFERENT = "account_referent", _("Référent des comptes de la structure")
    IDENTITY_VIGILANCE = "identity_vigilance", _("Référent identitovigilance")
    OBSERVATORY_ANALYST = "observatory_analyst", _("Analyste observatoire")
    AGENCY_ADMIN = "agency_admin", _("Administrateur de l'agence")


class ActiveQuerySet(models.QuerySet):
    """Rows whose validity window contains ``at`` (now by default)."""

    start_field = "valid_from"
    end_field = "valid_until"

    def active(self, at=None):
        at = at or timezone.now()
        return self.filter(**{f"{self.start_field}__lte": at}).filter(
            models.Q(**{f"{self.end_field}__isnull": True}) | models.Q(**{f"{self.end_field}__gt": at})
        )


class RoleAssignment(models.Model):
    """A role given explicitly to a user, optionally for one organisation, for a period."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("utilisateur"), on_delete=models.CASCADE, related_name="role_assignments"
    )
    role = models.CharField(_("rôle"), max_length=30, choices=Role.choices)
    organisation = models.ForeignKey(
        "directory.Organisation", verbose_name=_("structure"), on_delete=models.CASCADE, null=True, blank=True,
        related_name="role_assignments",
    )
    valid_from = models.DateTimeField(_("début"), default=timezone.now)
    valid_until = models.DateTimeField(_("fin"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ActiveQuerySet.as_manager()

    class Meta:
        verbose_name = _("attribution de rôle")
        verbose_name_plural = _("attributions de rôle")
        indexes = [models.Index(fields=["user", "role"])]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()}"


class CareQuerySet(ActiveQuerySet):
    start_field = "start"
    end_field = "end"


class CareRelationship(models.Model):
    """Membership of a professional in a patient's care team.

    Stands in for the coordination issue's care team, which will call
    ``services.add_care_team_member`` / ``end_care_team_member``.
    """

    patient = models.ForeignKey(
        "identity.Patient", verbose_name=_("patient"), on_delete=models.CASCADE, related_name="care_relationships"
    )
    professional = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("professionnel"), on_delete=models.CASCADE, related_name="care_relationships"
    )
    organisation = models.ForeignKey(
        "directory.Organisation", verbose_name=_("structure"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="care_relationships",
    )
    role = models.CharField(_("rôle dans l'équipe"), max_length=120, blank=True)
    start = models.DateTimeField(_("début"), default=timezone.now)
    end = models.DateTimeField(_("fin"), null=True, blank=True)
    referent = models.BooleanField(_("référent"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = CareQuerySet.as_manager()

    class Meta:
        verbose_name = _("membre de l'équipe de soins")
        verbose_name_plural = _("membres des équipes de soins")
        indexes = [models.Index(fields=["professional", "patient"])]

    def __str__(self) -> str:
        return f"{self.professional} → {self.patient_id}"


class GrantQuerySet(models.QuerySet):
    def active(self, at=None):
        at = at or timezone.now()
        return self.filter(created_at__lte=at, expires_at__gt=at, revoked_at__isnull=True)


class AccessGrant(models.Model):
    """An explicit, time-limited access to one patient for one user."""

    patient = models.ForeignKey(
        "identity.Patient", verbose_name=_("patient"), on_delete=models.CASCADE, related_name="access_grants"
    )
    grantee = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("bénéficiaire"), on_delete=models.CASCADE, related_name="access_grants"
    )
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("accordé par"), on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )
    reason = models.TextField(_("motif"))
    created_at = models.DateTimeField(_("accordé le"), default=timezone.now)
    expires_at = models.DateTimeField(_("expire le"))
    revoked_at = models.DateTimeField(_("révoqué le"), null=True, blank=True)

    objects = GrantQuerySet.as_manager()

    class Meta:
        verbose_name = _("autorisation d'accès")
        verbose_name_plural = _("autorisations d'accès")
        indexes = [models.Index(fields=["grantee", "patient"])]

    def __str__(self) -> str:
        return f"{self.grantee} → {self.patient_id}"


class BreakGlassQuerySet(models.QuerySet):
    def active(self, at=None):
        at = at or timezone.now()
        return self.filter(started_at__lte=at, expires_at__gt=at)


class BreakGlassAccess(models.Model):
    """An emergency access (bris de glace) opened by a professional outside the care team."""

    patient = models.ForeignKey(
        "identity.Patient", verbose_name=_("patient"), on_delete=models.CASCADE, related_name="break_glass_accesses"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("professionnel"), on_delete=models.CASCADE, related_name="break_glass_accesses"
    )
    reason = models.TextField(_("motif"))
    started_at = models.DateTimeField(_("ouvert le"), default=timezone.now)
    expires_at = models.DateTimeField(_("expire le"))

    objects = BreakGlassQuerySet.as_manager()

    class Meta:
        verbose_name = _("accès en urgence")
        verbose_name_plural = _("accès en urgence")
        indexes = [models.Index(fields=["user", "patient"])]

    def __str__(self) -> str:
        return f"{self.user} → {self.patient_id} ({self.started_at:%Y-%m-%d %H:%M})"


class PatientConsent(models.Model):
    """The patient's oppositions. No row means no opposition."""

    patient = models.OneToOneField(
        "identity.Patient", verbose_name=_("patient"), on_delete=models.CASCADE, related_name="consent"
    )
    opposes_sharing = models.BooleanField(
        _("opposition au partage"),
        default=False,
        help_text=_(
            "Les autorisations d'accès ponctuelles sont suspendues et chaque document n'est visible que des "
            "membres de l'équipe de soins de la structure qui l'a produit."
        ),
    )
    opposes_break_glass = models.BooleanField(
        _("opposition à l'accès en urgence"),
        default=False,
        help_text=_("Aucun professionnel extérieur à l'équipe de soins ne peut ouvrir le dossier en urgence."),
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("consentement du patient")
        verbose_name_plural = _("consentements des patients")

    def __str__(self) -> str:
        return str(self.patient_id)
