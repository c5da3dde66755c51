"""Secure chat, e-Demande requests and MSSanté dispatches.

Writes go through ``enrs.messaging.services`` (chat), ``demandes`` (e-Demande)
and ``mssante`` (sending); reads through ``selectors``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Attachment(models.Model):
    """A file checked by ``enrs.core.uploads.check_upload`` and kept in ``storages["documents"]``."""

    storage_name = models.CharField(_("fichier stocké"), max_length=300)
    filename = models.CharField(_("nom du fichier"), max_length=255)
    media_type = models.CharField(_("type de contenu"), max_length=100)
    size = models.PositiveBigIntegerField(_("taille (octets)"))
    sha256 = models.CharField(_("empreinte SHA-256"), max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("déposé par"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("déposé le"), default=timezone.now)

    class Meta:
        verbose_name = _("pièce jointe")
        verbose_name_plural = _("pièces jointes")

    def __str__(self) -> str:
        return self.filename


class Team(models.Model):
    """A named group of users that e-Demande requests can be addressed to (e.g. a DAC unit)."""

    name = models.CharField(_("nom"), max_length=200)
    organisation = models.ForeignKey(
        "directory.Organisation", verbose_name=_("structure"), on_delete=models.CASCADE, null=True, blank=True,
        related_name="messaging_teams",
    )
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, verbose_name=_("membres"), related_name="messaging_teams")

    class Meta:
        verbose_name = _("équipe")
        verbose_name_plural = _("équipes")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


# --- Secure chat --------------------------------------------------------------------------------
class Conversation(models.Model):
    class Kind(models.TextChoices):
        DIRECT = "direct", _("Entre deux professionnels")
        GROUP = "group", _("Groupe de professionnels")
        PATIENT_RECORD = "record", _("Autour du dossier d'un patient")
        WITH_PATIENT = "patient", _("Avec un patient")

    kind = models.CharField(_("type"), max_length=10, choices=Kind.choices)
    title = models.CharField(_("objet"), max_length=200, blank=True)
    patient = models.ForeignKey(
        "identity.Patient", verbose_name=_("patient"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="conversations",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("ouverte par"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("ouverte le"), default=timezone.now)
    closed_at = models.DateTimeField(_("close le"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("close par"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="+",
    )
    last_seq = models.PositiveIntegerField(_("dernier numéro de message"), default=0)
    last_message_at = models.DateTimeField(_("dernier message"), null=True, blank=True, db_index=True)

    class Meta:
        verbose_name = _("conversation")
        verbose_name_plural = _("conversations")
        ordering = ["-last_message_at", "-created_at"]

    def __str__(self) -> str:
        return self.title or f"{self.get_kind_display()} #{self.pk}"

    @property
    def is_open(self) -> bool:
        return self.closed_at is None

    @property
    def is_patient_related(self) -> bool:
        return self.patient_id is not None


class PatientConversation(Conversation):
    """The same rows seen as personal health data: the permission rule on this proxy trails every access."""

    class Meta:
        proxy = True
        verbose_name = _("conversation liée à un patient")
        verbose_name_plural = _("conversations liées à un patient")


class Participant(models.Model):
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="participants")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="conversation_memberships")
    is_patient = models.BooleanField(_("patient"), default=False)
    joined_at = models.DateTimeField(default=timezone.now)
    added_by = models.ForeignKey(  # empty for the members present at the opening
        settings.AUTH_USER_MODEL, verbose_name=_("ajouté par"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="+",
    )
    last_read_seq = models.PositiveIntegerField(_("dernier message lu"), default=0)
    last_read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("participant")
        verbose_name_plural = _("participants")
        constraints = [models.UniqueConstraint(fields=["conversation", "user"], name="messaging_one_participation")]
        indexes = [models.Index(fields=["user", "conversation"])]


class ParticipantRemoval(models.Model):
    """A past participation: who was removed (or left) when, and by whom.

    The ``Participant`` row itself is deleted, so every read and write rule
    (which all look for a participation) shuts the person out at once; this row
    keeps the history shown under the participant list.
    """

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="removals")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    joined_at = models.DateTimeField(_("arrivé le"))
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("ajouté par"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="+",
    )
    removed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("retiré par"), on_delete=models.PROTECT, related_name="+"
    )
    removed_at = models.DateTimeField(_("retiré le"), default=timezone.now)

    class Meta:
        verbose_name = _("participant retiré")
        verbose_name_plural = _("participants retirés")
        ordering = ["removed_at", "pk"]

    @property
    def left(self) -> bool:
        """True when the person left by himself."""
        return self.removed_by_id == self.user_id


class Message(models.Model):
    """A chat message; ``seq`` numbers the messages of a conversation from 1 without gaps."""

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="messages")
    sender = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    client_id = models.UUIDField(_("identifiant client"))
    seq = models.PositiveIntegerField(_("numéro"))
    body = models.TextField(_("message"), blank=True)
    attachment = models.ForeignKey(Attachment, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(_("envoyé le"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["conversation", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["sender", "client_id"], name="messaging_message_idempotent"),
            models.UniqueConstraint(fields=["conversation", "seq"], name="messaging_message_seq"),
        ]


# --- e-Demande ----------------------------------------------------------------------------------
class RequestType(models.Model):
    """A kind of request whose form is data: ``fields`` is a list of field definitions.

    Each field: ``{"name": "motif", "label": "Motif", "type": "text|textarea|choice|date|integer",
    "required": true, "choices": ["a", "b"]}`` (validated by ``demandes.validate_definition``).
    """

    code = models.SlugField(_("code"), max_length=50, unique=True)
    label = models.CharField(_("libellé"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    fields = models.JSONField(_("champs du formulaire"), default=list)
    due_days = models.PositiveIntegerField(_("délai de traitement (jours)"), default=7)
    about_patient = models.BooleanField(_("porte sur un patient"), default=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("type de demande")
        verbose_name_plural = _("types de demande")
        ordering = ["label"]

    def __str__(self) -> str:
        return self.label


class Request(models.Model):
    class Status(models.TextChoices):
        NEW = "nouvelle", _("Nouvelle")
        ASSIGNED = "affectee", _("Affectée")
        IN_PROGRESS = "en_cours", _("En cours")
        DONE = "terminee", _("Terminée")
        REFUSED = "refusee", _("Refusée")
        CANCELLED = "annulee", _("Annulée")

    request_type = models.ForeignKey(RequestType, verbose_name=_("type"), on_delete=models.PROTECT, related_name="requests")
    data = models.JSONField(_("contenu"), default=dict)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("demandeur"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("créée le"), default=timezone.now)
    due_date = models.DateField(_("échéance"), db_index=True)
    # Addressee: exactly one of the three (checked by a constraint).
    to_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("destinataire"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="+",
    )
    to_team = models.ForeignKey(Team, verbose_name=_("équipe destinataire"), on_delete=models.PROTECT, null=True, blank=True)
    to_organisation = models.ForeignKey(
        "directory.Organisation", verbose_name=_("structure destinataire"), on_delete=models.PROTECT, null=True,
        blank=True, related_name="+",
    )
    # Subject: a patient or a professional (or neither for requests about nobody in particular).
    patient = models.ForeignKey(
        "identity.Patient", verbose_name=_("patient concerné"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="+",
    )
    professional = models.ForeignKey(
        "directory.Professional", verbose_name=_("professionnel concerné"), on_delete=models.PROTECT, null=True,
        blank=True, related_name="+",
    )
    status = models.CharField(_("statut"), max_length=10, choices=Status.choices, default=Status.NEW, db_index=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("affectée à"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="+",
    )
    updated_at = models.DateTimeField(_("modifiée le"), default=timezone.now)

    class Meta:
        verbose_name = _("demande")
        verbose_name_plural = _("demandes")
        ordering = ["due_date", "pk"]
        constraints = [
            models.CheckConstraint(
                name="messaging_request_one_addressee",
                condition=(
                    models.Q(to_user__isnull=False, to_team__isnull=True, to_organisation__isnull=True)
                    | models.Q(to_user__isnull=True, to_team__isnull=False, to_organisation__isnull=True)
                    | models.Q(to_user__isnull=True, to_team__isnull=True, to_organisation__isnull=False)
                ),
            )
        ]

    def __str__(self) -> str:
        return f"{self.request_type.label} n° {self.pk}"

    @property
    def is_closed(self) -> bool:
        return self.status in {self.Status.DONE, self.Status.REFUSED, self.Status.CANCELLED}

    @property
    def is_overdue(self) -> bool:
        return not self.is_closed and self.due_date < timezone.localdate()

    @property
    def addressee_label(self) -> str:
        if self.to_user_id:
            return self.to_user.get_full_name() or self.to_user.email
        return str(self.to_team or self.to_organisation)


class PatientRequest(Request):
    """Requests about a patient, seen as personal health data (trailed by the permission API)."""

    class Meta:
        proxy = True
        verbose_name = _("demande concernant un patient")
        verbose_name_plural = _("demandes concernant un patient")


class RequestEvent(models.Model):
    """One status change: who, when, from what to what, and why."""

    request = models.ForeignKey(Request, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    from_status = models.CharField(max_length=10, choices=Request.Status.choices, blank=True)
    to_status = models.CharField(max_length=10, choices=Request.Status.choices)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "pk"]


class RequestComment(models.Model):
    request = models.ForeignKey(Request, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField(_("commentaire"), blank=True)
    attachment = models.ForeignKey(Attachment, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]


# --- MSSanté ------------------------------------------------------------------------------------
class MssanteDispatch(models.Model):
    """One message submitted to the MSSanté operator (kept whatever the outcome)."""

    class Status(models.TextChoices):
        SENT = "sent", _("Envoyé")
        FAILED = "failed", _("Échec")

    sender = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    from_address = models.EmailField(_("expéditeur MSSanté"))
    to_address = models.EmailField(_("destinataire MSSanté"))
    subject = models.CharField(_("objet"), max_length=250)
    body = models.TextField(_("message"), blank=True)
    attachment = models.ForeignKey(Attachment, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    patient = models.ForeignKey(
        "identity.Patient", verbose_name=_("patient concerné"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="+",
    )
    message_id = models.CharField(_("Message-ID"), max_length=250, blank=True)
    status = models.CharField(_("statut"), max_length=10, choices=Status.choices)
    error = models.TextField(_("erreur"), blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("envoi MSSanté")
        verbose_name_plural = _("envois MSSanté")
        ordering = ["-created_at"]
