"""SMS through a provider interface.

A region contracts an SMS operator; ENRS talks to it through a backend class
named by ``settings.ENRS_SMS_BACKEND`` (dotted path), in the same spirit as
Django's e-mail backends. Two backends ship: ``ConsoleBackend`` (logs the text,
the default for development) and ``MemoryBackend`` (keeps messages in
``outbox`` for tests). An operator backend implements ``send(number, text)``
and raises ``SmsError`` on refusal.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from django.conf import settings
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

logger = logging.getLogger("enrs.sms")

# French numbers only for now: the platform serves one French region.
_FRENCH_NUMBER = re.compile(r"^(?:\+33|0033|0)([1-9]\d{8})$")
MAX_SMS_LENGTH = 612  # four concatenated GSM segments: longer texts are a design error


class SmsError(Exception):
    """The number or the text cannot be sent; the message is French and user-facing."""


@dataclass(frozen=True)
class SmsMessage:
    number: str
    text: str


outbox: list[SmsMessage] = []


def normalise_number(number: str) -> str:
    """``06 12 34 56 78`` → ``+33612345678``; anything else is refused."""
    compact = re.sub(r"[\s.\-()]", "", number or "")
    match = _FRENCH_NUMBER.match(compact)
    if not match:
        raise SmsError(_("Numéro de téléphone invalide pour un SMS : %(number)s.") % {"number": number})
    return "+33" + match.group(1)


class ConsoleBackend:
    def send(self, message: SmsMessage) -> None:
        logger.info("SMS to %s: %s", message.number, message.text)


class MemoryBackend:
    def send(self, message: SmsMessage) -> None:
        outbox.append(message)


def send_sms(number: str, text: str) -> SmsMessage:
    if not text.strip():
        raise SmsError(_("Le texte du SMS est vide."))
    if len(text) > MAX_SMS_LENGTH:
        raise SmsError(_("Le texte du SMS dépasse %(max)d caractères.") % {"max": MAX_SMS_LENGTH})
    message = SmsMessage(normalise_number(number), text)
    import_string(settings.ENRS_SMS_BACKEND)().send(message)
    return message
