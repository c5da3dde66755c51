"""Reads of the interfaces app."""

from __future__ import annotations

from django.db.models import Q

from enrs.interfaces.models import Hl7Sender, InboundMessage


def sender_for(sending_application: str, sending_facility: str) -> Hl7Sender | None:
    """The active sender configured for MSH-3 / MSH-4 (first components), or None."""
    return (
        Hl7Sender.objects.select_related("organisation")
        .filter(sending_application=sending_application, sending_facility=sending_facility, active=True)
        .first()
    )


def processed_message(sender: Hl7Sender, control_id: str) -> InboundMessage | None:
    """The message already received from ``sender`` with this MSH-10, if any."""
    if not control_id:
        return None
    return InboundMessage.objects.filter(sender=sender, control_id=control_id).first()


def authorities_of(organisation) -> list[tuple[str, str]]:
    """The IPP assigning authorities (namespace, OID) declared for an organisation and its establishments.

    Declared once per sending system (``Hl7Sender``) and used by every channel:
    the HL7 feed and the FHIR ``Patient`` API of the organisation's connector.
    """
    rows = Hl7Sender.objects.filter(active=True).filter(
        Q(organisation=organisation) | Q(organisation__legal_entity=organisation)
    )
    return sorted({(row.authority_namespace, row.authority_oid) for row in rows})
