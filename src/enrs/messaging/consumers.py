"""The chat WebSocket: ``/ws/messagerie/`` (one socket per browser tab, many conversations).

Client → server (JSON):
  {"type": "subscribe", "conversation": 12}
  {"type": "send", "conversation": 12, "client_id": "<uuid>", "body": "…"}
  {"type": "read", "conversation": 12, "seq": 40}
Server → client:
  {"type": "subscribed", "conversation": 12, "last_seq": 40, "open": true}
  {"type": "ack", "client_id": "<uuid>", "id": 991, "seq": 41, "conversation": 12, "duplicate": false}
  {"type": "message", …}  {"type": "receipt", …}  {"type": "closed", …}
  {"type": "error", "code": "closed|forbidden|invalid", "message": "<French>", "client_id": …}

A message is acknowledged only once it is committed to the database; the ack
and the broadcast follow. Subscribing goes through the permission API, so
subscribing to a conversation about a patient leaves a line in the access trail.
"""

from __future__ import annotations

import asyncio

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils.translation import gettext as _

from enrs.messaging import events, selectors, services
from enrs.messaging.models import Conversation

UNAUTHENTICATED = 4401


def _text(error: Exception) -> str:
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    return str(error) or _("Action refusée.")


class ChatConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self):
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=UNAUTHENTICATED)
            return
        self.user = user
        self.subscribed: set[int] = set()
        self.pending: set[asyncio.Task] = set()
        await self.channel_layer.group_add(events.user_group(user.pk), self.channel_name)
        await self.accept()

    async def disconnect(self, code):
        if not hasattr(self, "user"):
            return
        if self.pending:  # messages being stored are stored (and acknowledged if still possible)
            await asyncio.gather(*self.pending, return_exceptions=True)
        for conversation_id in self.subscribed:
            await self.channel_layer.group_discard(events.conversation_group(conversation_id), self.channel_name)
        await self.channel_layer.group_discard(events.user_group(self.user.pk), self.channel_name)

    async def receive_json(self, content, **kwargs):
        handler = {"subscribe": self.on_subscribe, "send": self.on_send, "read": self.on_read}.get(
            content.get("type") if isinstance(content, dict) else None
        )
        if handler is None:
            await self.send_json({"type": "error", "code": "invalid", "message": _("Type de message inconnu.")})
            return
        if handler == self.on_send:
            # Storing waits for the database; meanwhile this socket keeps receiving the
            # conversation's events (they would otherwise queue up behind its own send).
            task = asyncio.create_task(self._guarded(handler, content))
            self.pending.add(task)
            task.add_done_callback(self.pending.discard)
            return
        await self._guarded(handler, content)

    async def _guarded(self, handler, content) -> None:
        try:
            await handler(content)
        except (PermissionDenied, Http404) as error:
            await self._error("forbidden", error, content)
        except ValidationError as error:
            await self._error("closed" if getattr(error, "code", "") == "closed" else "invalid", error, content)

    async def _error(self, code: str, error: Exception, content: dict) -> None:
        message = _text(error) if not isinstance(error, Http404) else _("Conversation introuvable.")
        await self.send_json({"type": "error", "code": code, "message": message, "client_id": content.get("client_id")})

    # --- Handlers ---------------------------------------------------------------------------------
    @database_sync_to_async
    def _load(self, content, action: str = "read") -> Conversation:
        pk = content.get("conversation")
        if not isinstance(pk, int):
            raise ValidationError(_("Conversation manquante ou invalide."))
        return selectors.conversation_for(self.user, pk, action=action, channel="web")

    async def on_subscribe(self, content):
        conversation = await self._load(content)
        if conversation.pk not in self.subscribed:
            await self.channel_layer.group_add(events.conversation_group(conversation.pk), self.channel_name)
            self.subscribed.add(conversation.pk)
        await self.send_json({
            "type": "subscribed", "conversation": conversation.pk, "last_seq": conversation.last_seq,
            "open": conversation.is_open,
        })  # fmt: skip

    @database_sync_to_async
    def _post(self, conversation_id: int, client_id, body):
        conversation = Conversation(pk=conversation_id)
        posted = services.post_message(self.user, conversation, client_id=client_id, body=body)
        return posted, events.message_payload(posted.message)

    async def on_send(self, content):
        conversation_id = self._subscribed_id(content)
        posted, payload = await self._post(conversation_id, content.get("client_id"), content.get("body", ""))
        await self.send_json({
            "type": "ack", "client_id": payload["client_id"], "id": payload["id"], "seq": payload["seq"],
            "conversation": conversation_id, "duplicate": not posted.created,
        })  # fmt: skip
        if posted.created:
            await self.channel_layer.group_send(events.conversation_group(conversation_id), events.as_layer_event(payload))

    @database_sync_to_async
    def _mark_read(self, conversation_id: int, seq):
        return services.mark_read(self.user, Conversation(pk=conversation_id), seq)

    async def on_read(self, content):
        conversation_id = self._subscribed_id(content)
        seq = await self._mark_read(conversation_id, content.get("seq"))
        payload = events.receipt_payload(conversation_id, self.user.pk, seq)
        await self.channel_layer.group_send(events.conversation_group(conversation_id), events.as_layer_event(payload))

    def _subscribed_id(self, content) -> int:
        pk = content.get("conversation")
        if pk not in self.subscribed:
            raise ValidationError(_("Abonnez-vous d'abord à la conversation (type « subscribe »)."))
        return pk

    # --- Channel-layer events -----------------------------------------------------------------------
    async def chat_event(self, event):
        await self.send_json(event["payload"])
