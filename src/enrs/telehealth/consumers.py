"""WebRTC signaling socket of a video room: ``ws/telesante/salle/<room_id>/``.

The server relays, it never stores SDP or ICE candidates. Client → server (JSON):
  {"type": "join"}                                   once admitted: announce yourself to the room
  {"type": "offer"|"answer"|"ice", "to": "<peer>", "payload": {...}}   to one live peer
  {"type": "admit", "to": "<peer>"}                  host only: let a waiting participant in
  {"type": "chat", "payload": {"text": "…"}}         to the live participants (not stored)
  {"type": "leave"}
Server → client:
  {"type": "hello", "peer": "<own id>", "live": bool, "role": "host|guest|third"}
  {"type": "admitted"}                               the host let you in: send "join"
  {"type": "waiting", "peers": [{"peer", "name", "role"}]}   hosts: the waiting room
  {"type": "join"|"offer"|"answer"|"ice"|"leave"|"chat", "from": "<peer>", "name": …, "payload": …}
  {"type": "error", "code": <int or str>, "message": "<French>"}
Refusals are sent as an error message then a close with the same code (4401 not signed in,
4403 not invited, 4410 expired, 4429 room full), see ``enrs.telehealth.rooms``.
"""

from __future__ import annotations

import secrets

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _

from enrs.telehealth import rooms

RELAYED = {"offer", "answer", "ice"}
MAX_CHAT = 2000


def live_group(room_id: int) -> str:
    return f"telesante.salle.{room_id}"


def hosts_group(room_id: int) -> str:
    return f"telesante.salle.{room_id}.hotes"


class SignalingConsumer(AsyncJsonWebsocketConsumer):
    peer_id = ""
    live = False

    async def connect(self):
        self.room_id = int(self.scope["url_route"]["kwargs"]["room_id"])
        self.user = self.scope.get("user")
        self.peer_id = secrets.token_hex(8)
        await self.accept()
        try:
            room, invitation, self.live = await self._enter()
        except rooms.RoomRefusal as refusal:
            self.peer_id = ""
            await self.send_json({"type": "error", "code": refusal.code, "message": refusal.message})
            await self.close(code=refusal.code)
            return
        self.role = invitation.role
        self.name = rooms.display_name(self.user)
        if self.live:
            await self.channel_layer.group_add(live_group(self.room_id), self.channel_name)
        if self.role == "host":
            await self.channel_layer.group_add(hosts_group(self.room_id), self.channel_name)
        await self.send_json({"type": "hello", "peer": self.peer_id, "live": self.live, "role": self.role})
        await self._tell_hosts()

    @database_sync_to_async
    def _enter(self):
        room = None
        if self.user is not None and getattr(self.user, "is_authenticated", False):
            try:
                return rooms.enter(self.user, self.room_id, peer_id=self.peer_id, channel_name=self.channel_name)
            except PermissionDenied as error:
                raise rooms.RoomRefusal(rooms.NOT_INVITED, str(error)) from error
        return rooms.entry_invitation(self.user, room)  # raises the "not signed in" refusal

    async def disconnect(self, code):
        if not self.peer_id:
            return
        await database_sync_to_async(rooms.leave)(self.peer_id)
        if self.live:
            await self._broadcast({"type": "leave"})
            await self.channel_layer.group_discard(live_group(self.room_id), self.channel_name)
        if getattr(self, "role", "") == "host":
            await self.channel_layer.group_discard(hosts_group(self.room_id), self.channel_name)
        await self._tell_hosts()

    async def receive_json(self, content, **kwargs):
        kind = content.get("type") if isinstance(content, dict) else None
        if kind == "admit":
            return await self._admit(content)
        if kind == "leave":
            return await self.close()
        if kind not in RELAYED | {"join", "chat"}:
            return await self._error("invalid", _("Type de message inconnu."))
        if not self.live:
            return await self._error("waiting", _("Vous êtes en salle d'attente : le professionnel va vous faire entrer."))
        if kind == "join":
            return await self._broadcast({"type": "join", "name": self.name, "role": self.role})
        if kind == "chat":
            text = str((content.get("payload") or {}).get("text", "")).strip()[:MAX_CHAT]
            return await self._broadcast({"type": "chat", "name": self.name, "payload": {"text": text}}) if text else None
        target, payload = content.get("to"), content.get("payload")
        if not isinstance(target, str) or not isinstance(payload, dict):
            return await self._error("invalid", _("Message de signalisation incomplet (« to » et « payload » attendus)."))
        await self._broadcast({"type": kind, "to": target, "payload": payload})

    async def _admit(self, content):
        try:
            presence = await database_sync_to_async(rooms.admit)(self.user, self.room_id, str(content.get("to", "")))
        except PermissionDenied as error:
            return await self._error("forbidden", str(error))
        except ValidationError as error:
            return await self._error("invalid", " ".join(error.messages))
        await self.channel_layer.send(presence.channel_name, {"type": "room.admitted"})

    async def _error(self, code, message: str) -> None:
        await self.send_json({"type": "error", "code": code, "message": message})

    async def _broadcast(self, message: dict) -> None:
        await self.channel_layer.group_send(live_group(self.room_id), {"type": "room.signal", "message": {**message, "from": self.peer_id}})

    async def _tell_hosts(self) -> None:
        peers = await database_sync_to_async(rooms.waiting_peers)(self.room_id)
        await self.channel_layer.group_send(hosts_group(self.room_id), {"type": "room.waiting", "peers": peers})

    # --- Channel-layer events ---------------------------------------------------------------------
    async def room_signal(self, event):
        message = event["message"]
        if message["from"] == self.peer_id or ("to" in message and message["to"] != self.peer_id):
            return
        await self.send_json(message)

    async def room_waiting(self, event):
        await self.send_json({"type": "waiting", "peers": event["peers"]})

    async def room_admitted(self, event):
        if self.live:
            return
        self.live = True
        await self.channel_layer.group_add(live_group(self.room_id), self.channel_name)
        await self.send_json({"type": "admitted"})
        await self._tell_hosts()
