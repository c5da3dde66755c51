"""Notifications of the messaging app through ``enrs.core.notifications.notify``.

Chat: one in-app notification when a participant's unread count goes from 0 to 1
(not one per message); patients also get an e-mail then, professionals do not
(they see the badge). e-Demande: the addressees on creation, the requester and
the assignee on each status change and comment.
"""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from enrs.messaging.models import Participant


def _notify(user, **kwargs) -> None:
    from enrs.core.notifications import notify

    notify(user, **kwargs)


def message_posted(message) -> None:
    """Notify the participants for whom this message is the first unread one."""
    first_unread = Participant.objects.filter(
        conversation_id=message.conversation_id, last_read_seq=message.seq - 1
    ).exclude(user_id=message.sender_id).select_related("user")
    link = reverse("messaging:conversation", args=[message.conversation_id])
    for participant in first_unread:
        _notify(
            participant.user, kind="messaging.message", title=_("Nouveau message dans la messagerie sécurisée"),
            body=_("Un message vous attend. Connectez-vous pour le lire."), link=link,
            email=participant.is_patient,
        )


def recipients_of_request(request) -> list:
    from enrs.messaging import selectors

    return selectors.request_audience(request)


def request_event(request, *, actor, title: str, body: str = "") -> None:
    link = reverse("messaging:request", args=[request.pk])
    for user in recipients_of_request(request):
        if user.pk != actor.pk:
            _notify(user, kind="messaging.request", title=title, body=body, link=link)

