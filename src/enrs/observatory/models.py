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


# --- NormAntiBio: antibiotic consumption and resistance (CSV imports) ---------------------------
class AntibioImport(models.Model):
    """One CSV file received (consumption or resistance), with its counts; refused files are kept too."""

    class Kind(models.TextChoices):
        CONSUMPTION = "consommation", _("Consommation d'antibiotiques")
        RESISTANCE = "resistance", _("Résistance bactérienne")

    kind = models.CharField(_("type"), max_length=12, choices=Kind.choices, blank=True)
    filename = models.CharField(_("nom du fichier"), max_length=255)
    sha256 = models.CharField(_("empreinte SHA-256"), max_length=64)
    size = models.PositiveBigIntegerField(_("taille (octets)"), default=0)
    encoding = models.CharField(_("encodage"), max_length=20, blank=True)
    organisation = models.ForeignKey(
        "directory.Organisation", verbose_name=_("organisation"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="+",
    )
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("envoyé par"), on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )
    received_at = models.DateTimeField(_("reçu le"), auto_now_add=True, db_index=True)
    status = models.CharField(_("statut"), max_length=10, choices=RpuFile.Status.choices)
    channel = models.CharField(_("canal"), max_length=10, choices=RpuFile.Channel.choices, default=RpuFile.Channel.WEB)
    error_message = models.TextField(_("erreur"), blank=True)
    lines = models.PositiveIntegerField(_("lignes reçues"), default=0)
    accepted = models.PositiveIntegerField(_("lignes intégrées"), default=0)
    rejected = models.PositiveIntegerField(_("lignes rejetées"), default=0)

    class Meta:
        ordering = ["-received_at", "-pk"]
        verbose_name = _("import NormAntiBio")
        verbose_name_plural = _("imports NormAntiBio")

    def __str__(self) -> str:
        return f"{self.filename} ({self.get_kind_display() or '?'})"


class AntibioRejectedLine(models.Model):
    """A line the checks refused, kept as received with its French reasons."""

    source = models.ForeignKey(AntibioImport, verbose_name=_("import"), on_delete=models.CASCADE, related_name="rejected_lines")
    number = models.PositiveIntegerField(_("n° de ligne"))
    raw = models.TextField(_("ligne reçue"))
    errors = models.JSONField(_("motifs"), default=list)

    class Meta:
        ordering = ["source", "number"]
        verbose_name = _("ligne rejetée")
        verbose_name_plural = _("lignes rejetées")


class AntibioFigure(models.Model):
    """Common part of the stored lines: who reported, for which year, from which import and line."""

    source = models.ForeignKey(AntibioImport, verbose_name=_("import"), on_delete=models.CASCADE, related_name="+")
    line = models.PositiveIntegerField(_("n° de ligne"))
    organisation = models.ForeignKey("directory.Organisation", verbose_name=_("organisation"), on_delete=models.PROTECT,
                                     related_name="+")
    finess = models.CharField(_("FINESS"), max_length=9)
    year = models.PositiveSmallIntegerField(_("année"))

    class Meta:
        abstract = True


class AntibioConsumption(AntibioFigure):
    atc = models.CharField(_("code ATC"), max_length=7)
    ddd = models.DecimalField(_("DDJ"), max_digits=14, decimal_places=2)
    patient_days = models.PositiveIntegerField(_("journées d'hospitalisation"))

    class Meta:
        verbose_name = _("consommation d'antibiotique")
        verbose_name_plural = _("consommations d'antibiotiques")
        constraints = [models.UniqueConstraint(fields=["finess", "year", "atc"], name="antibio_consumption_unique")]


class AntibioResistance(AntibioFigure):
    germ = models.CharField(_("germe"), max_length=20)
    antibiotic = models.CharField(_("antibiotique (ATC)"), max_length=7)
    susceptible = models.PositiveIntegerField(_("souches sensibles"))
    intermediate = models.PositiveIntegerField(_("souches intermédiaires"))
    resistant = models.PositiveIntegerField(_("souches résistantes"))

    class Meta:
        verbose_name = _("résultat de résistance")
        verbose_name_plural = _("résultats de résistance")
        constraints = [
            models.UniqueConstraint(fields=["finess", "year", "germ", "antibiotic"], name="antibio_resistance_unique")
        ]
