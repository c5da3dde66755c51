"""The chat WebSocket: ``/ws/messagerie/`` (one socket per browser tab, many conversations).

Client → server (JSON):
  {"type": "subscribe", "conversation": 12}
  {"type": "send", "conversation": 12, "client_id": "<uuid>", "body": "…"}
  {"type": "read", "conversation": 12, "seq": 40}
Server → client:
  {"type": "subscribed", "conversation": 12, "last_seq": 40, "open": true}
  {"type": "ack", "client_id": "<uuid>", "id": 991, "seq": 41, "conversation": 12, "duplicate": false}
  {"type": "message", …}  {"type": "receipt", …}  {"type": "closed", …}  {"type": "participants", …}
  {"type": "participant_removed", "conversation": 12, "user": 7, …} (a socket of user 7 is unsubscribed)
  {"type": "error", "code": "closed|forbidden|invalid|unavailable", "message": "<French>", "client_id": …}

A message is acknowledged only once it is committed to the database; the ack
and the broadcast follow. Subscribing goes through the permission API, so
subscribing to a conversation about a patient leaves a line in the access trail.
"""

from __future__ import annotations

import asyncio
import weakref
from concurrent.futures.process import BrokenProcessPool

from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError
from django.http import Http404
from django.utils.translation import gettext as _

from enrs.messaging import events, selectors, services, writer_process
from enrs.messaging.models import Conversation

UNAUTHENTICATED = 4401
BATCH_MAX = 200  # messages stored in one transaction at most


class PostWriter:
    """One per event loop (i.e. per server process): stores the sends of every socket in batches.

    A socket's ``send`` waits on a future; the writer takes whatever queued while the
    previous batch was being committed and stores it in one transaction
    (``services.post_many``) on the database thread, then resolves the futures: the
    acks go out only after the commit. Under light load a batch holds one message
    (no added latency); under heavy load one commit serves many messages, instead of
    every message queueing for its own transaction on the single database thread.
    """

    _by_loop: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, PostWriter]" = weakref.WeakKeyDictionary()

    @classmethod
    def current(cls) -> "PostWriter":
        loop = asyncio.get_running_loop()
        writer = cls._by_loop.get(loop)
        if writer is None:
            writer = cls._by_loop[loop] = cls()
        return writer

    def __init__(self):
        self.queue: asyncio.Queue = asyncio.Queue()
        self.task: asyncio.Task | None = None

    async def post(self, request: services.PostRequest):
        future = asyncio.get_running_loop().create_future()
        self.queue.put_nowait((request, future))
        if self.task is None or self.task.done():
            self.task = asyncio.create_task(self._run())
        return await future

    async def _run(self) -> None:
        while not self.queue.empty():  # ends when idle; ``post`` starts it again
            batch = [self.queue.get_nowait()]
            while len(batch) < BATCH_MAX and not self.queue.empty():
                batch.append(self.queue.get_nowait())
            try:
                results = await _store_batch([request for request, _future in batch])
            except Exception as error:  # noqa: BLE001 - the database failed: every sender gets the error
                results = [error] * len(batch)
            for (_request, future), result in zip(batch, results, strict=True):
                if future.done():  # the socket went away meanwhile
                    continue
                if isinstance(result, Exception):
                    future.set_exception(result)
                else:
                    future.set_result(result)


async def _store_batch(requests: list) -> list:
    """Store on the database thread, or in the writer process (``ENRS_CHAT_WRITER=process``)."""
    if getattr(settings, "ENRS_CHAT_WRITER", "thread") == "process":
        try:
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(writer_process.pool(), writer_process.store_batch_in_child, requests)
        except BrokenProcessPool as error:
            # Nothing of the batch is acknowledged: its senders are told to retry (same client ids).
            writer_process.forget_pool()
            raise DatabaseError("the chat writer process stopped") from error
    return await database_sync_to_async(writer_process.store_batch)(requests)


def _text(error: Exception) -> str:
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    return str(error) or _("Action refusée.")


class ChatConsumer(AsyncJsonWebsocketConsumer):
    async def dispatch(self, message):
        """Channels' dispatch without its ``aclose_old_connections()`` before every event.

        Channels 4.2+ hops to the (single, shared) database thread before *each* handler,
        including every fan-out delivery: at 10 deliveries per chat message that hop
        serialised the whole process behind the database thread (profiled: one
        ``sync_to_async`` per delivered frame). Every database call of this consumer goes
        through ``database_sync_to_async``, which closes stale connections itself.
        """
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def connect(self):
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=UNAUTHENTICATED)
            return
        self.user = user
        if getattr(settings, "ENRS_CHAT_WRITER", "thread") == "process":
            writer_process.pool()  # started with the first socket, ready before the first message
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
        except DatabaseError:  # nothing was stored (the batch rolled back): the client retries with the same id
            await self.send_json({
                "type": "error", "code": "unavailable", "client_id": content.get("client_id"),
                "message": _("Le message n'a pas pu être enregistré : réessayez dans un instant."),
            })  # fmt: skip

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

    async def on_send(self, content):
        conversation_id = self._subscribed_id(content)
        request = services.PostRequest(self.user, conversation_id, content.get("client_id"), content.get("body", ""))
        created, payload, text = await PostWriter.current().post(request)
        await self.send_json({
            "type": "ack", "client_id": payload["client_id"], "id": payload["id"], "seq": payload["seq"],
            "conversation": conversation_id, "duplicate": not created,
        })  # fmt: skip
        if created:  # pre-encoded: the layer copies a string, each socket sends it as is
            await self.channel_layer.group_send(events.conversation_group(conversation_id), events.as_layer_text(text))

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
        if "text" in event:
            await self.send(text_data=event["text"])
        else:
            await self.send_json(event["payload"])

    async def chat_removed(self, event):
        """Someone left; when it is this socket's user, it stops receiving the conversation at once."""
        payload = event["payload"]
        if payload["user"] == self.user.pk and payload["conversation"] in self.subscribed:
            await self.channel_layer.group_discard(events.conversation_group(payload["conversation"]), self.channel_name)
            self.subscribed.discard(payload["conversation"])
        await self.send_json(payload)
