"""What the observatory keeps in the relational database: received files, their quality
reports and the quarantined records. Accepted passages live in the analytical store
(``store.py``), not here."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class RpuFile(models.Model):
    class Status(models.TextChoices):
        ACCEPTED = "accepted", _("Intégré")
        REJECTED = "rejected", _("Refusé")

    class Channel(models.TextChoices):
        WEB = "web", _("Formulaire web")
        API = "api", _("API (connecteur)")
        FOLDER = "folder", _("Dépôt surveillé")
        CLI = "cli", _("Ligne de commande")
        DEMO = "demo", _("Démonstration")

    finess = models.CharField(_("FINESS"), max_length=9, blank=True, db_index=True)
    organisation = models.ForeignKey(
        "directory.Organisation", verbose_name=_("établissement"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="+",
    )
    filename = models.CharField(_("nom du fichier"), max_length=255)
    sha256 = models.CharField(_("empreinte SHA-256"), max_length=64)
    size = models.PositiveBigIntegerField(_("taille (octets)"), default=0)
    channel = models.CharField(_("canal"), max_length=10, choices=Channel.choices)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("envoyé par"), on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )
    connector_name = models.CharField(_("connecteur"), max_length=120, blank=True)
    received_at = models.DateTimeField(_("reçu le"), auto_now_add=True, db_index=True)
    status = models.CharField(_("statut"), max_length=10, choices=Status.choices)
    error_code = models.CharField(_("code d'erreur"), max_length=40, blank=True)
    error_message = models.TextField(_("erreur"), blank=True)
    first_day = models.DateField(_("premier jour couvert"), null=True, blank=True)
    last_day = models.DateField(_("dernier jour couvert"), null=True, blank=True)
    records = models.PositiveIntegerField(_("passages reçus"), default=0)
    accepted = models.PositiveIntegerField(_("passages intégrés"), default=0)
    quarantined = models.PositiveIntegerField(_("passages en quarantaine"), default=0)
    completeness = models.JSONField(_("exhaustivité par champ"), default=dict, blank=True)
    conformity = models.JSONField(_("conformité par champ"), default=dict, blank=True)
    error_counts = models.JSONField(_("erreurs par code"), default=dict, blank=True)
    unknown_tags = models.JSONField(_("balises inconnues"), default=list, blank=True)

    class Meta:
        ordering = ["-received_at", "-pk"]
        verbose_name = _("fichier RPU")
        verbose_name_plural = _("fichiers RPU")

    def __str__(self) -> str:
        return f"{self.filename} ({self.finess or '?'})"


class QuarantinedRecord(models.Model):
    """A passage refused by the checks, kept with its reasons (never silently dropped).

    It holds personal health data (age, sex, diagnoses, commune): read through the
    permission API, each display recorded in the access trail.
    """

    file = models.ForeignKey(RpuFile, verbose_name=_("fichier"), on_delete=models.CASCADE, related_name="quarantine")
    finess = models.CharField(_("FINESS"), max_length=9, db_index=True)
    number = models.PositiveIntegerField(_("n° de passage dans le fichier"))
    day = models.DateField(_("jour d'entrée"), null=True, blank=True)
    fields = models.JSONField(_("champs reçus"), default=dict)
    errors = models.JSONField(_("motifs"), default=list)

    class Meta:
        ordering = ["file", "number"]
        verbose_name = _("passage en quarantaine")
        verbose_name_plural = _("passages en quarantaine")
        indexes = [models.Index(fields=["finess", "day"])]

    def __str__(self) -> str:
        return f"{self.file_id}#{self.number}"
