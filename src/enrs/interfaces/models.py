"""HL7 senders (configuration as data) and the journal of inbound messages."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

DEFAULT_EVENTS = ["A28", "A31", "A40", "A47"]


def default_events() -> list[str]:
    return list(DEFAULT_EVENTS)


class Hl7Sender(models.Model):
    """A system allowed to send HL7 v2 messages, recognised by MSH-3 / MSH-4.

    The sender acts for one organisation of the directory. Its patient
    identifiers (PID-3 / MRG-1) carry an assigning authority (CX-4) that must
    be the sender's own (namespace or OID): a sender never writes another
    establishment's identifiers.
    """

    name = models.CharField(_("nom"), max_length=120)
    sending_application = models.CharField(
        _("application émettrice (MSH-3)"), max_length=64, help_text=_("Premier composant de MSH-3.")
    )
    sending_facility = models.CharField(
        _("établissement émetteur (MSH-4)"), max_length=64, help_text=_("Premier composant de MSH-4.")
    )
    organisation = models.ForeignKey(
        "directory.Organisation", verbose_name=_("organisation"), on_delete=models.PROTECT, related_name="hl7_senders"
    )
    authority_namespace = models.CharField(
        _("autorité d'affectation des IPP (espace de noms, CX-4.1)"), max_length=64, blank=True
    )
    authority_oid = models.CharField(_("autorité d'affectation des IPP (OID, CX-4.2)"), max_length=64, blank=True)
    events = models.JSONField(_("événements acceptés"), default=default_events, blank=True)
    allowed_addresses = models.JSONField(
        _("adresses IP autorisées"), default=list, blank=True, help_text=_("Vide : toute adresse.")
    )
    accept_identity_status = models.BooleanField(
        _("statut de fiabilité accepté (PID-32)"),
        default=True,
        help_text=_("L'établissement atteste le statut RNIV de ses identités (appel INSi, pièce contrôlée)."),
    )
    active = models.BooleanField(_("actif"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("émetteur HL7")
        verbose_name_plural = _("émetteurs HL7")
        constraints = [
            models.UniqueConstraint(fields=["sending_application", "sending_facility"], name="interfaces_sender_unique"),
            models.CheckConstraint(
                condition=~Q(authority_namespace="") | ~Q(authority_oid=""), name="interfaces_sender_has_authority"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.sending_application}/{self.sending_facility})"

    @property
    def authority(self) -> str:
        """The key under which this sender's local identifiers are stored: the OID when known."""
        return self.authority_oid or self.authority_namespace

    def owns_authority(self, namespace: str, oid: str) -> bool:
        return bool(
            (namespace and namespace == self.authority_namespace) or (oid and oid == self.authority_oid)
        )


class InboundMessage(models.Model):
    """One message received (accepted or rejected) and the acknowledgement sent back.

    Nothing a sender sent is lost: rejected messages are kept with their
    reasons. ``(sender, control_id)`` is unique, which makes a re-sent message
    get the same ACK without being processed twice.
    """

    class AckCode(models.TextChoices):
        AA = "AA", _("Accepté")
        AE = "AE", _("Erreur")
        AR = "AR", _("Rejeté")

    sender = models.ForeignKey(
        Hl7Sender, verbose_name=_("émetteur"), on_delete=models.PROTECT, null=True, blank=True, related_name="messages"
    )
    sending_application = models.CharField(_("application émettrice"), max_length=64, blank=True)
    sending_facility = models.CharField(_("établissement émetteur"), max_length=64, blank=True)
    control_id = models.CharField(_("identifiant du message (MSH-10)"), max_length=64, blank=True)
    message_type = models.CharField(_("type de message"), max_length=20, blank=True)
    peer = models.CharField(_("adresse de l'émetteur"), max_length=80, blank=True)
    request_id = models.CharField(_("identifiant de traitement"), max_length=64, blank=True)
    received_at = models.DateTimeField(_("reçu le"), auto_now_add=True, db_index=True)
    raw = models.TextField(_("message reçu"))
    raw_sha256 = models.CharField(_("empreinte SHA-256"), max_length=64)
    truncated = models.BooleanField(_("tronqué"), default=False)
    ack_code = models.CharField(_("acquittement"), max_length=2, choices=AckCode.choices)
    ack = models.TextField(_("acquittement envoyé"))
    errors = models.JSONField(_("erreurs"), default=list, blank=True)
    outcome = models.CharField(_("résultat"), max_length=40, blank=True)
    patient_id = models.BigIntegerField(_("identité concernée (id)"), null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-pk"]
        verbose_name = _("message HL7 reçu")
        verbose_name_plural = _("messages HL7 reçus")
        constraints = [
            models.UniqueConstraint(
                fields=["sender", "control_id"],
                condition=Q(sender__isnull=False) & ~Q(control_id=""),
                name="interfaces_message_once_per_sender",
            )
        ]

    def __str__(self) -> str:
        return f"{self.message_type} {self.control_id} → {self.ack_code}"
