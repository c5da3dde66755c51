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


def messages_posted(messages, members: dict[int, dict[int, Participant]]) -> None:
    """Notifications for a batch of new messages (in ``seq`` order per conversation).

    ``members`` holds each conversation's participants as read *before* the batch
    (``last_read_seq``); replaying the batch in memory tells who goes from 0 to 1
    unread with which message, exactly as if the messages had been posted one by one:
    a participant is notified by a message when he had read everything before it, and
    a sender has read his own message.
    """
    from enrs.core.notifications import notify_bulk

    title, body = _("Nouveau message dans la messagerie sécurisée"), _("Un message vous attend. Connectez-vous pour le lire.")
    by_conversation: dict[int, list] = {}
    for message in messages:
        by_conversation.setdefault(message.conversation_id, []).append(message)
    due = []
    for conversation_id, batch in by_conversation.items():
        participants = members.get(conversation_id, {})
        read = {user_id: p.last_read_seq for user_id, p in participants.items()}
        link = reverse("messaging:conversation", args=[conversation_id])
        for message in sorted(batch, key=lambda m: m.seq):
            for user_id, participant in participants.items():
                if user_id != message.sender_id and read[user_id] == message.seq - 1:
                    due.append((participant.user, "messaging.message", title, body, link, participant.is_patient))
            read[message.sender_id] = message.seq
    if due:
        notify_bulk(due)


def participants_added(conversation, actor, users) -> None:
    """Each newcomer is told who added him (no content of the conversation in the notification)."""
    link = reverse("messaging:conversation", args=[conversation.pk])
    who = actor.get_full_name() or actor.email
    for user in users:
        _notify(
            user, kind="messaging.participant", title=_("Vous avez été ajouté à une conversation"),
            body=_("%(who)s vous a ajouté à une conversation de la messagerie sécurisée.") % {"who": who}, link=link,
            email=False,
        )


def participant_removed(actor, user) -> None:
    """The removed person is told who removed him; no link (he can no longer open the conversation)."""
    who = actor.get_full_name() or actor.email
    _notify(
        user, kind="messaging.participant", title=_("Vous avez été retiré d'une conversation"),
        body=_("%(who)s vous a retiré d'une conversation de la messagerie sécurisée.") % {"who": who}, email=False,
    )


def recipients_of_request(request) -> list:
    from enrs.messaging import selectors

    return selectors.request_audience(request)


def request_event(request, *, actor, title: str, body: str = "") -> None:
    link = reverse("messaging:request", args=[request.pk])
    for user in recipients_of_request(request):
        if user.pk != actor.pk:
            _notify(user, kind="messaging.request", title=title, body=body, link=link)

