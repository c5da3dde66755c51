"""Writes of the interfaces app: configure senders, journal every message received."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from enrs.interfaces.models import Hl7Sender, InboundMessage


@dataclass
class JournalEntry:
    """What the journal keeps of one received message."""

    raw: str
    ack: str
    ack_code: str
    sender: Hl7Sender | None = None
    sending_application: str = ""
    sending_facility: str = ""
    control_id: str = ""
    message_type: str = ""
    peer: str = ""
    request_id: str = ""
    truncated: bool = False
    errors: list[dict] = field(default_factory=list)
    outcome: str = ""
    patient_id: int | None = None


def digest(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8", "surrogateescape")).hexdigest()


def _row(entry: JournalEntry, *, keep_sender: bool) -> InboundMessage:
    return InboundMessage(
        sender=entry.sender if keep_sender else None,
        sending_application=entry.sending_application[:64],
        sending_facility=entry.sending_facility[:64],
        control_id=entry.control_id[:64],
        message_type=entry.message_type[:20],
        peer=entry.peer[:80],
        request_id=entry.request_id[:64],
        raw=entry.raw,
        raw_sha256=digest(entry.raw),
        truncated=entry.truncated,
        ack_code=entry.ack_code,
        ack=entry.ack,
        errors=entry.errors,
        outcome=entry.outcome[:40],
        patient_id=entry.patient_id,
    )


def journal(entry: JournalEntry, *, once: bool = True) -> InboundMessage:
    """Store one received message with its ACK.

    ``once`` (a processed message of a known sender) keeps the (sender, MSH-10)
    pair unique: it joins the caller's transaction so that a message and its
    effects are committed together or not at all. Otherwise the message is
    kept without claiming its control id (duplicates, unknown senders).
    """
    row = _row(entry, keep_sender=once and entry.sender is not None and bool(entry.control_id))
    # Inside the caller's unit of work no savepoint: a failed insert fails the whole
    # message (the caller replays or rejects it), and two round trips are saved.
    with transaction.atomic(savepoint=False):
        row.save()
    return row


def journal_rejected(entry: JournalEntry) -> InboundMessage:
    """Store a message that was not processed, in its own transaction.

    When its control id is already taken (a concurrent duplicate) it is kept
    without the link to the sender, so that it is never lost.
    """
    try:
        with transaction.atomic():  # its own unit (or savepoint), so that the fallback below can still write
            return journal(entry)
    except IntegrityError:
        return journal(entry, once=False)


def upsert_sender(data: dict) -> Hl7Sender:
    """Create or update a sender keyed by (MSH-3, MSH-4); French errors per field."""
    required = {
        "name": _("Le nom est obligatoire."),
        "sending_application": _("L'application émettrice (MSH-3) est obligatoire."),
        "sending_facility": _("L'établissement émetteur (MSH-4) est obligatoire."),
        "organisation": _("L'organisation est obligatoire."),
    }
    errors = {name: [message] for name, message in required.items() if not data.get(name)}
    if not (data.get("authority_namespace") or data.get("authority_oid")):
        errors["authority_oid"] = [_("Indiquez l'autorité d'affectation des IPP (espace de noms ou OID).")]
    if errors:
        raise ValidationError(errors)
    key = {"sending_application": data["sending_application"], "sending_facility": data["sending_facility"]}
    values = {name: value for name, value in data.items() if name not in key}
    sender, _created = Hl7Sender.objects.update_or_create(**key, defaults=values)
    return sender
