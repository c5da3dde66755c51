"""The coordination record (dossier de coordination) of one patient.

One record per regional identity: its care team (synchronised with
``access.CareRelationship``, which the permission API reads), notes, tasks,
pathways (e-Parcours) instantiated from templates, a timeline of events and
shared documents with their XDS / PDSm metadata. A document row is one
version: a replacement creates a new row pointing to the one it replaces,
which becomes ``superseded`` — nothing is ever overwritten.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class CoordinationRecord(models.Model):
    patient = models.OneToOneField(
        "identity.Patient", verbose_name=_("patient"), on_delete=models.PROTECT, related_name="coordination_record"
    )
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("ouvert par"), on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("ouvert le"), auto_now_add=True)
    updated_at = models.DateTimeField(_("mis à jour le"), auto_now=True)

    class Meta:
        verbose_name = _("dossier de coordination")
        verbose_name_plural = _("dossiers de coordination")

    def __str__(self) -> str:
        return str(_("Dossier de coordination n° %(pk)s") % {"pk": self.pk})


class CareTeamMember(models.Model):
    """A member of the care team; ``relationship`` is the access row that lets him in."""

    record = models.ForeignKey(CoordinationRecord, on_delete=models.CASCADE, related_name="team")
    professional = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("professionnel"), on_delete=models.PROTECT, related_name="+"
    )
    organisation = models.ForeignKey(
        "directory.Organisation", verbose_name=_("structure"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="+",
    )
    role = models.CharField(_("rôle dans l'équipe"), max_length=120)
    referent = models.BooleanField(_("référent"), default=False)
    start = models.DateTimeField(_("début"), default=timezone.now)
    end = models.DateTimeField(_("fin"), null=True, blank=True)
    relationship = models.ForeignKey(
        "access.CareRelationship", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-referent", "start", "pk"]
        verbose_name = _("membre de l'équipe de soins")
        verbose_name_plural = _("membres de l'équipe de soins")

    def __str__(self) -> str:
        return f"{self.professional} ({self.role})"

    def is_active(self, at=None) -> bool:
        at = at or timezone.now()
        return self.start <= at and (self.end is None or self.end > at)


class Note(models.Model):
    record = models.ForeignKey(CoordinationRecord, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = models.TextField(_("note"))
    created_at = models.DateTimeField(_("écrite le"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("note")
        verbose_name_plural = _("notes")


class PathwayTemplate(models.Model):
    """An e-Parcours template as data (YAML, validated on save), editable by agency staff."""

    code = models.SlugField(_("code"), max_length=60, unique=True)
    name = models.CharField(_("nom"), max_length=200)
    definition = models.TextField(_("définition (YAML)"))
    active = models.BooleanField(_("actif"), default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("modèle de parcours")
        verbose_name_plural = _("modèles de parcours")

    def __str__(self) -> str:
        return self.name

    def clean(self):
        from enrs.coordination.pathways import parse_template

        parsed = parse_template(self.definition)
        self.code, self.name = parsed.code, parsed.name


class Pathway(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", _("En cours")
        COMPLETED = "completed", _("Terminé")
        REVOKED = "revoked", _("Arrêté")

    record = models.ForeignKey(CoordinationRecord, on_delete=models.CASCADE, related_name="pathways")
    template = models.ForeignKey(PathwayTemplate, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("parcours"), max_length=200)
    start_date = models.DateField(_("date de référence"))
    status = models.CharField(_("état"), max_length=10, choices=Status.choices, default=Status.ACTIVE)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("parcours")
        verbose_name_plural = _("parcours")


class Task(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("À faire")
        DONE = "done", _("Fait")
        CANCELLED = "cancelled", _("Annulé")

    record = models.ForeignKey(CoordinationRecord, on_delete=models.CASCADE, related_name="tasks")
    pathway = models.ForeignKey(Pathway, on_delete=models.CASCADE, null=True, blank=True, related_name="tasks")
    step_code = models.CharField(_("étape"), max_length=60, blank=True)
    title = models.CharField(_("intitulé"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    role = models.CharField(_("rôle attendu"), max_length=120, blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("attribuée à"), on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )
    due_date = models.DateField(_("échéance"), null=True, blank=True)
    status = models.CharField(_("état"), max_length=10, choices=Status.choices, default=Status.OPEN)
    completed_at = models.DateTimeField(_("faite le"), null=True, blank=True)
    overdue_notified_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["status", "due_date", "pk"]
        verbose_name = _("tâche")
        verbose_name_plural = _("tâches")
        indexes = [models.Index(fields=["status", "due_date"], name="coord_task_status_due")]

    def __str__(self) -> str:
        return self.title

    @property
    def is_overdue(self) -> bool:
        return self.status == self.Status.OPEN and self.due_date is not None and self.due_date < timezone.localdate()


class TimelineEvent(models.Model):
    class Kind(models.TextChoices):
        RECORD = "record", _("Dossier")
        TEAM = "team", _("Équipe de soins")
        NOTE = "note", _("Note")
        DOCUMENT = "document", _("Document")
        TASK = "task", _("Tâche")
        PATHWAY = "pathway", _("Parcours")
        ADMISSION = "admission", _("Admission")
        DISCHARGE = "discharge", _("Sortie")
        TRANSFER = "transfer", _("Mutation")
        CANCEL = "cancel", _("Annulation")
        TELEMONITORING = "telemonitoring", _("Télésurveillance")

    record = models.ForeignKey(CoordinationRecord, on_delete=models.CASCADE, related_name="events")
    occurred_at = models.DateTimeField(_("date"), default=timezone.now)
    kind = models.CharField(_("type"), max_length=20, choices=Kind.choices)
    title = models.CharField(_("intitulé"), max_length=255)
    detail = models.TextField(_("détail"), blank=True)
    source = models.CharField(_("source"), max_length=120, blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-occurred_at", "-pk"]
        verbose_name = _("événement")
        verbose_name_plural = _("événements")
        indexes = [models.Index(fields=["record", "-occurred_at", "-id"], name="coord_event_record_time")]


class Document(models.Model):
    """One version of a shared document and its XDS / PDSm metadata (fr-interop §5)."""

    class Status(models.TextChoices):  # FHIR DocumentReference.status
        CURRENT = "current", _("En vigueur")
        SUPERSEDED = "superseded", _("Remplacé")
        ENTERED_IN_ERROR = "entered-in-error", _("Retiré (erreur)")

    record = models.ForeignKey(CoordinationRecord, on_delete=models.CASCADE, related_name="documents")
    patient = models.ForeignKey("identity.Patient", on_delete=models.PROTECT, related_name="+")
    unique_id = models.CharField(_("identifiant unique (uniqueId)"), max_length=80, unique=True)
    title = models.CharField(_("titre"), max_length=255)
    type_code = models.CharField(_("type (LOINC)"), max_length=20)
    class_code = models.CharField(_("classe (TRE_A03)"), max_length=10)
    confidentiality = models.CharField(_("confidentialité"), max_length=2, default="N")
    visibility_codes = models.JSONField(_("visibilité (TRE_A07)"), default=list, blank=True)
    # The TRE_A07 codes as flags, so that lists filter in SQL (set by services from visibility_codes).
    hidden_from_patient = models.BooleanField(_("non visible par le patient"), default=True)
    masked_from_health = models.BooleanField(default=False)
    masked_from_social = models.BooleanField(default=False)
    format_code = models.CharField(_("format"), max_length=80)
    media_type = models.CharField(_("type de contenu"), max_length=80)
    size = models.PositiveBigIntegerField(_("taille (octets)"))
    sha256 = models.CharField(_("empreinte SHA-256"), max_length=64)
    sha1 = models.CharField(_("empreinte SHA-1"), max_length=40)
    file_name = models.CharField(_("nom du fichier"), max_length=255)
    storage_name = models.CharField(max_length=255)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("auteur"), on_delete=models.PROTECT, related_name="+"
    )
    author_name = models.CharField(_("auteur"), max_length=200)
    organisation = models.ForeignKey(
        "directory.Organisation", verbose_name=_("structure"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="+",
    )
    service_date = models.DateField(_("date de l'acte"))
    version = models.PositiveIntegerField(_("version"), default=1)
    replaces = models.OneToOneField(
        "self", verbose_name=_("remplace"), on_delete=models.PROTECT, null=True, blank=True, related_name="replaced_by"
    )
    status = models.CharField(_("état"), max_length=20, choices=Status.choices, default=Status.CURRENT)
    status_reason = models.TextField(_("motif"), blank=True)
    created_at = models.DateTimeField(_("déposé le"), default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-service_date", "-created_at", "-pk"]
        verbose_name = _("document")
        verbose_name_plural = _("documents")
        indexes = [
            models.Index(fields=["record", "status", "-service_date"], name="coord_doc_record_status"),
            models.Index(fields=["patient", "type_code"], name="coord_doc_patient_type"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def type_display(self) -> str:
        from enrs.coordination.codes import type_label

        return type_label(self.type_code)

    @property
    def visible_to_patient(self) -> bool:
        return not self.hidden_from_patient


class PendingEncounter(models.Model):
    """An ADT about a patient the identity server does not know: kept for identity vigilance, never dropped."""

    class Status(models.TextChoices):
        OPEN = "open", _("À rattacher")
        ATTACHED = "attached", _("Rattaché")
        DISMISSED = "dismissed", _("Écarté")

    sender = models.ForeignKey("interfaces.Hl7Sender", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    source = models.CharField(_("émetteur"), max_length=200)
    organisation_name = models.CharField(_("établissement"), max_length=255, blank=True)
    control_id = models.CharField(_("identifiant du message"), max_length=64)
    event = models.CharField(_("événement"), max_length=3)
    occurred_at = models.DateTimeField(_("date de l'événement"))
    local_id = models.CharField(_("IPP"), max_length=64, blank=True)
    traits = models.JSONField(_("traits reçus"), default=dict, blank=True)
    status = models.CharField(_("état"), max_length=10, choices=Status.choices, default=Status.OPEN)
    patient = models.ForeignKey("identity.Patient", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-received_at", "-pk"]
        verbose_name = _("mouvement sans identité connue")
        verbose_name_plural = _("mouvements sans identité connue")
