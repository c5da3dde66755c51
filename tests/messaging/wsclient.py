"""A small JSON WebSocket client over the ``websockets`` library, for tests (and the benchmark's model)."""

from __future__ import annotations

import asyncio
import json

from websockets.asyncio.client import connect


async def open_socket(url: str, cookie: str = "", origin: str = "http://127.0.0.1"):
    headers = {"Cookie": cookie} if cookie else {}
    return await connect(url, additional_headers=headers, origin=origin, open_timeout=20)


async def send(ws, **payload) -> None:
    await ws.send(json.dumps(payload))


async def receive(ws, kind: str, timeout: float = 10.0, **match) -> dict:
    """The next message of type ``kind`` (matching ``match``); earlier other messages are skipped."""
    async with asyncio.timeout(timeout):
        while True:
            data = json.loads(await ws.recv())
            if data.get("type") == kind and all(data.get(k) == v for k, v in match.items()):
                return data


async def subscribe(ws, conversation_id: int) -> dict:
    await send(ws, type="subscribe", conversation=conversation_id)
    return await receive(ws, "subscribed", conversation=conversation_id)
