"""Reads of the interfaces app."""

from __future__ import annotations

import time

from django.conf import settings
from django.db.models import Q

from enrs.core.queries import by_unique_key
from enrs.interfaces.models import Hl7Sender, InboundMessage


# A feed sends hundreds of messages a second from a handful of senders: each
# process keeps the senders it found for a few seconds instead of reading them
# for every message. Saving or deleting a sender empties this process's copy at
# once; other listener processes see the change within the delay (setting
# ENRS_HL7_SENDER_CACHE_SECONDS, 0 to read every time). Unknown senders are
# never kept, so a newly declared sender is accepted at its first message.
_senders: dict[tuple[str, str], tuple[float, Hl7Sender]] = {}


def sender_for(sending_application: str, sending_facility: str) -> Hl7Sender | None:
    """The active sender configured for MSH-3 / MSH-4 (first components), or None."""
    key = (sending_application, sending_facility)
    kept = _senders.get(key)
    now = time.monotonic()
    if kept is not None and kept[0] > now:
        return kept[1]
    sender = (
        Hl7Sender.objects.select_related("organisation")
        .filter(sending_application=sending_application, sending_facility=sending_facility, active=True)
        .first()
    )
    delay = float(getattr(settings, "ENRS_HL7_SENDER_CACHE_SECONDS", 10))
    if sender is not None and delay > 0:
        _senders[key] = (now + delay, sender)
    return sender


def forget_senders(**_kwargs) -> None:
    """Empty this process's copy of the senders (connected to Hl7Sender's save and delete)."""
    _senders.clear()


def processed_message(sender: Hl7Sender, control_id: str) -> InboundMessage | None:
    """The message already received from ``sender`` with this MSH-10, if any (what a replay needs)."""
    if not control_id:
        return None
    return by_unique_key(
        InboundMessage.objects.filter(sender=sender, control_id=control_id).only("id", "control_id", "raw_sha256", "ack", "ack_code")
    )


def authorities_of(organisation) -> list[tuple[str, str]]:
    """The IPP assigning authorities (namespace, OID) declared for an organisation and its establishments.

    Declared once per sending system (``Hl7Sender``) and used by every channel:
    the HL7 feed and the FHIR ``Patient`` API of the organisation's connector.
    """
    rows = Hl7Sender.objects.filter(active=True).filter(
        Q(organisation=organisation) | Q(organisation__legal_entity=organisation)
    )
    return sorted({(row.authority_namespace, row.authority_oid) for row in rows})
