"""Real-time events: payloads and the channel-layer groups they go to.

Groups: ``chat.conv.<id>`` (every WebSocket subscribed to a conversation) and
``chat.user.<id>`` (every WebSocket of a user). The HTTP views and the consumer
broadcast the same payloads, so a message posted by a form reaches open sockets.
"""

from __future__ import annotations

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.urls import reverse
from django.utils import timezone


def conversation_group(conversation_id: int) -> str:
    return f"chat.conv.{conversation_id}"


def user_group(user_id: int) -> str:
    return f"chat.user.{user_id}"


def message_payload(message) -> dict:
    sender = message.sender
    attachment = None
    if message.attachment_id:
        attachment = {
            "name": message.attachment.filename,
            "url": reverse("messaging:attachment", args=[message.attachment_id]),
        }
    return {
        "type": "message",
        "conversation": message.conversation_id,
        "id": message.pk,
        "seq": message.seq,
        "client_id": str(message.client_id),
        "sender": message.sender_id,
        "sender_name": sender.get_full_name() or sender.email,
        "body": message.body,
        "attachment": attachment,
        "created_at": timezone.localtime(message.created_at).isoformat(timespec="seconds"),
    }


def receipt_payload(conversation_id: int, user_id: int, seq: int) -> dict:
    return {"type": "receipt", "conversation": conversation_id, "user": user_id, "seq": seq}


def closed_payload(conversation) -> dict:
    return {"type": "closed", "conversation": conversation.pk, "closed_by": conversation.closed_by_id}


def participants_payload(conversation_id: int, added) -> dict:
    """Newcomers of a conversation (sockets update the participant list)."""
    return {
        "type": "participants", "conversation": conversation_id,
        "added": [{"user": p.user_id, "name": p.user.get_full_name() or p.user.email} for p in added],
    }


def removed_payload(removal) -> dict:
    """Someone left the conversation: sockets update the list; the removed person's sockets unsubscribe."""
    return {
        "type": "participant_removed", "conversation": removal.conversation_id, "user": removal.user_id,
        "name": removal.user.get_full_name() or removal.user.email, "left": removal.left,
    }


def as_removal_event(payload: dict) -> dict:
    """Handled by ``ChatConsumer.chat_removed`` (it also drops the removed person's subscription)."""
    return {"type": "chat.removed", "payload": payload}


def as_layer_event(payload: dict) -> dict:
    """Channel-layer events name the consumer handler in "type"; the payload travels inside."""
    return {"type": "chat.event", "payload": payload}


def as_layer_text(text: str) -> dict:
    """The same event with the payload already JSON-encoded (encoded once, not once per socket)."""
    return {"type": "chat.event", "text": text}


def broadcast(conversation_id: int, payload: dict, *, wrap=as_layer_event) -> None:
    """From sync code (views): send ``payload`` to every socket subscribed to the conversation."""
    layer = get_channel_layer()
    if layer is not None:
        async_to_sync(layer.group_send)(conversation_group(conversation_id), wrap(payload))
