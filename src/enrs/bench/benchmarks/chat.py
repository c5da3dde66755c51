"""``enrs bench chat``: many WebSocket clients against real Daphne processes.

Set-up (in the configured database, removed at the end): ``--clients`` accounts
(default 1,000) with a session each, split into group conversations of
``--group-size`` members (default 10). Then ``--servers`` Daphne processes
(default 1; more share the Redis channel layer, ``ENRS_CHANNEL_REDIS_URL`` or
``ENRS_REDIS_URL``) serve ``enrs.asgi``; every client opens its socket (``websockets``)
to one of them, round robin, and subscribes to its conversation. Senders drawn at
random post ``--rate`` messages per second (default 200) for ``--duration`` seconds.

Measured: the fan-out latency (send → arrival at every other member, p50/p95),
the acknowledgement latency, and the losses: every message sent must be
acknowledged, stored once and delivered to every member's socket
(sent = acknowledged = persisted = delivered to each online member).
Targets (issue 7): 1,000 clients, 200 msg/s, fan-out p95 ≤ 100 ms, zero loss.
The client side runs in this process (one asyncio loop): on a small machine it
competes with the server for the same cores; the result says how many cores there are.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import socket
import subprocess
import sys
import time
import uuid
from contextlib import closing
from typing import Any

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.db import transaction

from enrs.bench.registry import benchmark, percentiles_ms

PREFIX = "bench-chat-"
TARGET_P95_MS = 100.0


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--group-size", type=int, default=10)
    parser.add_argument("--rate", type=float, default=200.0, help="messages per second, all senders together")
    parser.add_argument("--duration", type=float, default=30.0, help="seconds of sending, measured")
    parser.add_argument("--warmup", type=float, default=5.0,
                        help="seconds of sending first at the same rate, checked for losses but not in the latency figures")
    parser.add_argument("--servers", type=int, default=1, help="Daphne processes (>1 needs Redis)")
    parser.add_argument("--writer", choices=["process", "thread"], default="process",
                        help="where each server stores the messages (ENRS_CHAT_WRITER; process is the production advice)")
    parser.add_argument("--seed", type=int, default=7)


# --- Data set ----------------------------------------------------------------------------------
def _create_dataset(clients: int, group_size: int) -> tuple[list[int], dict[int, int], dict[int, str]]:
    """Users, group conversations and sessions; returns (conversation ids, user→conversation, user→cookie)."""
    from enrs.messaging.models import Conversation, Participant

    User = get_user_model()
    run = uuid.uuid4().hex[:6]
    with transaction.atomic():
        users = User.objects.bulk_create([
            User(username=f"{PREFIX}{run}-{i}", email=f"{PREFIX}{run}-{i}@bench.invalid", password="!", kind="pro")
            for i in range(clients)
        ])  # fmt: skip
        users = list(User.objects.filter(username__startswith=f"{PREFIX}{run}-").order_by("pk"))
        groups = [users[i : i + group_size] for i in range(0, len(users), group_size)]
        conversations = Conversation.objects.bulk_create([
            Conversation(kind="group", title=f"{PREFIX}{run}-{n}", created_by=group[0]) for n, group in enumerate(groups)
        ])  # fmt: skip
        conversations = list(Conversation.objects.filter(title__startswith=f"{PREFIX}{run}-").order_by("pk"))
        Participant.objects.bulk_create([
            Participant(conversation=conversation, user=user)
            for conversation, group in zip(conversations, groups, strict=True) for user in group
        ])  # fmt: skip
    membership = {user.pk: conversation.pk for conversation, group in zip(conversations, groups, strict=True) for user in group}
    cookies = {user.pk: f"sessionid={_session_for(user)}" for user in users}
    return [c.pk for c in conversations], membership, cookies


def _session_for(user) -> str:
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return session.session_key


def _drop_dataset(conversation_ids: list[int], user_ids: list[int], session_keys: list[str]) -> None:
    from enrs.core.models import Notification
    from enrs.messaging.models import Conversation, Message

    User = get_user_model()
    with transaction.atomic():
        Message.objects.filter(conversation_id__in=conversation_ids).delete()
        Conversation.objects.filter(pk__in=conversation_ids).delete()
        Notification.objects.filter(recipient_id__in=user_ids).delete()
        Session.objects.filter(session_key__in=session_keys).delete()
        User.objects.filter(pk__in=user_ids).delete()


# --- Servers -----------------------------------------------------------------------------------
def free_port() -> int:
    with closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _start_servers(count: int, writer: str) -> list[tuple[subprocess.Popen, int]]:
    env = {**os.environ, "ENRS_SECRET_KEY": settings.SECRET_KEY, "ENRS_LOG_LEVEL": "WARNING", "ENRS_CHAT_WRITER": writer}
    if count > 1:
        env["ENRS_CHANNEL_LAYER"] = "redis"
    servers = []
    for _ in range(count):
        port = free_port()
        profile = os.environ.get("ENRS_BENCH_PROFILE")  # a path: cProfile the (first) server into it
        prefix = ["-m", "cProfile", "-o", profile] if profile and not servers else []
        command = [sys.executable, *prefix, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "--websocket_connect_timeout", "60",
                   "enrs.asgi:application"]
        servers.append((subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL), port))
    for _process, port in servers:
        wait_for_port(port)
    return servers


def wait_for_port(port: int, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"Daphne did not listen on port {port} within {timeout} s")


def _stop_servers(servers) -> None:
    for process, _port in servers:
        process.send_signal(signal.SIGINT)  # a clean stop (a profile, if any, is written)
    for process, _port in servers:
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()


# --- Clients -----------------------------------------------------------------------------------
class Tally:
    def __init__(self):
        self.sent_at: dict[str, float] = {}
        self.sender_of: dict[str, int] = {}
        self.acked: dict[str, float] = {}
        self.deliveries: dict[str, int] = {}
        self.fanout: list[float] = []
        self.fanout_sent_at: list[float] = []  # when each measured message was sent (for the per-window figures)
        self.warmup: set[str] = set()  # client ids sent during the warm-up
        self.warmup_fanout: list[float] = []
        self.errors: list[str] = []
        self.online_per_conversation: dict[int, int] = {}
        self.conversation_of: dict[str, int] = {}


async def _client(conversation_id: int, url: str, cookie: str, tally: Tally):
    from websockets.asyncio.client import connect

    ws = await connect(url, additional_headers={"Cookie": cookie}, origin="http://127.0.0.1", open_timeout=120,
                       ping_interval=None, max_queue=None)  # fmt: skip
    await ws.send(json.dumps({"type": "subscribe", "conversation": conversation_id}))
    subscribed = json.loads(await ws.recv())
    if subscribed.get("type") != "subscribed":
        tally.errors.append(str(subscribed))
    return ws


async def _listen(user_id: int, ws, tally: Tally) -> None:
    async for raw in ws:
        data = json.loads(raw)
        kind, client_id = data.get("type"), data.get("client_id")
        now = time.perf_counter()
        if kind == "ack":
            tally.acked.setdefault(client_id, now - tally.sent_at[client_id])
        elif kind == "message" and client_id in tally.sent_at:
            tally.deliveries[client_id] = tally.deliveries.get(client_id, 0) + 1
            if tally.sender_of[client_id] == user_id:
                pass
            elif client_id in tally.warmup:
                tally.warmup_fanout.append(now - tally.sent_at[client_id])
            else:
                tally.fanout.append(now - tally.sent_at[client_id])
                tally.fanout_sent_at.append(tally.sent_at[client_id])
        elif kind == "error":
            tally.errors.append(data.get("message", ""))


async def _run_clients(options, urls: list[str], membership: dict[int, int], cookies: dict[int, str]) -> dict[str, Any]:
    tally = Tally()
    gate = asyncio.Semaphore(50)  # handshakes in flight
    users = sorted(membership)

    async def open_one(index: int, user_id: int):
        async with gate:
            try:
                return await _client(membership[user_id], urls[index % len(urls)], cookies[user_id], tally)
            except Exception as error:  # noqa: BLE001 - a refused or timed-out handshake: this client is offline
                tally.errors.append(f"connect: {type(error).__name__}")
                return None

    opened_at = time.perf_counter()
    opened = await asyncio.gather(*(open_one(i, u) for i, u in enumerate(users)))
    connect_seconds = time.perf_counter() - opened_at
    online = [(u, ws) for u, ws in zip(users, opened, strict=True) if ws is not None]
    users, sockets = [u for u, _ws in online], [ws for _u, ws in online]
    tally.online_per_conversation = {}
    for user_id in users:
        conversation_id = membership[user_id]
        tally.online_per_conversation[conversation_id] = tally.online_per_conversation.get(conversation_id, 0) + 1
    tally.conversation_of = {}
    listeners = [asyncio.create_task(_listen(u, ws, tally)) for u, ws in zip(users, sockets, strict=True)]
    rng = random.Random(options.seed)
    warmup = int(options.rate * options.warmup)
    total = warmup + int(options.rate * options.duration)
    started = time.perf_counter()
    for n in range(total):
        delay = started + n / options.rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        index = rng.randrange(len(users))
        client_id = str(uuid.uuid4())
        if n < warmup:
            tally.warmup.add(client_id)
        tally.sent_at[client_id] = time.perf_counter()
        tally.sender_of[client_id] = users[index]
        tally.conversation_of[client_id] = membership[users[index]]
        payload = {"type": "send", "conversation": membership[users[index]], "client_id": client_id, "body": f"message {n}"}
        await sockets[index].send(json.dumps(payload))
    sending_seconds = time.perf_counter() - started
    await _drain(tally, timeout=30)
    for ws in sockets:
        await ws.close()
    for task in listeners:
        task.cancel()
    return {"tally": tally, "connect_seconds": connect_seconds, "sending_seconds": sending_seconds}


async def _drain(tally: Tally, timeout: float) -> None:
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        if len(tally.acked) == len(tally.sent_at) and _fully_delivered(tally) == len(tally.sent_at):
            return
        await asyncio.sleep(0.2)


def _fully_delivered(tally: Tally) -> int:
    """Messages that reached the socket of every online member of their conversation (the sender's included)."""
    return sum(
        1 for c in tally.sent_at if tally.deliveries.get(c, 0) >= tally.online_per_conversation[tally.conversation_of[c]]
    )


def _persisted(conversation_ids: list[int]) -> int:
    from enrs.messaging.models import Message

    return Message.objects.filter(conversation_id__in=conversation_ids).count()


def _children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as children:
            return [int(child) for child in children.read().split()]
    except OSError:
        return []


def _cpu_seconds(pid: int | None = None) -> float:
    """User + system CPU seconds of a process (this one by default), from /proc (Linux) or resource."""
    if pid is None:
        import resource

        usage = resource.getrusage(resource.RUSAGE_SELF)
        return usage.ru_utime + usage.ru_stime
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def _load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


@benchmark(
    "chat",
    help="N WebSocket clients in groups against real Daphne processes: fan-out latency and losses at a message rate.",
    arguments=_arguments,
)
def chat(options: argparse.Namespace) -> dict[str, Any]:
    load_before = _load()
    conversation_ids, membership, cookies = _create_dataset(options.clients, options.group_size)
    servers = _start_servers(options.servers, options.writer)
    try:
        urls = [f"ws://127.0.0.1:{port}/ws/messagerie/" for _process, port in servers]
        client_cpu, started = _cpu_seconds(), time.perf_counter()
        outcome = asyncio.run(_run_clients(options, urls, membership, cookies))
        wall = time.perf_counter() - started
        outcome["cpu"] = {
            "wall_seconds": round(wall, 1),
            "bench_client_cpu_seconds": round(_cpu_seconds() - client_cpu, 1),
            "server_cpu_seconds": [round(_cpu_seconds(process.pid), 1) for process, _port in servers],
            # The writer process of each server (ENRS_CHAT_WRITER=process), counted apart.
            "writer_cpu_seconds": [round(sum(_cpu_seconds(child) for child in _children(process.pid)), 1)
                                   for process, _port in servers],
        }
    finally:
        _stop_servers(servers)
    tally = outcome["tally"]
    persisted = _persisted(conversation_ids)
    _drop_dataset(conversation_ids, list(membership), [c.split("=", 1)[1] for c in cookies.values()])
    return _report(options, tally, persisted, outcome, load_before)


def _p95_per_window(tally: Tally, seconds: float) -> list[float]:
    """The fan-out p95 of the messages sent in each window of the run: where the tail comes from."""
    if not tally.fanout_sent_at:
        return []
    first = min(tally.fanout_sent_at)
    windows: dict[int, list[float]] = {}
    for sent_at, latency in zip(tally.fanout_sent_at, tally.fanout, strict=True):
        windows.setdefault(int((sent_at - first) // seconds), []).append(latency)
    return [percentiles_ms(windows[w])["p95_ms"] for w in sorted(windows)]


def _report(options, tally: Tally, persisted: int, outcome: dict, load_before: list[float]) -> dict[str, Any]:
    sent = len(tally.sent_at)
    fully_delivered = _fully_delivered(tally)
    fanout = percentiles_ms(tally.fanout)
    zero_loss = sent == len(tally.acked) == persisted == fully_delivered
    return {
        "dataset": {"clients": options.clients, "group_size": options.group_size, "servers": options.servers,
                    "channel_layer": "redis" if options.servers > 1 else settings.CHANNEL_LAYERS["default"]["BACKEND"]},
        "load_average_before": load_before,
        "load_average_after": _load(),
        "cpu": outcome.get("cpu", {}),
        "connect_seconds": round(outcome["connect_seconds"], 2),
        "online_clients": sum(tally.online_per_conversation.values()),
        "rate_target": options.rate,
        "rate_achieved": round(sent / outcome["sending_seconds"], 1) if outcome["sending_seconds"] else 0.0,
        "sent": sent,
        "acknowledged": len(tally.acked),
        "persisted": persisted,
        "fully_delivered": fully_delivered,
        "deliveries": sum(tally.deliveries.values()),
        "errors": len(tally.errors),
        "first_errors": tally.errors[:3],
        "ack": percentiles_ms([seconds for client_id, seconds in tally.acked.items() if client_id not in tally.warmup]),
        "fanout": fanout,
        "fanout_p95_ms_per_window": _p95_per_window(tally, seconds=2.0),
        "warmup": {"seconds": options.warmup, "messages": len(tally.warmup), "fanout": percentiles_ms(tally.warmup_fanout)},
        "writer": options.writer,
        "targets": {"fanout_p95_ms": TARGET_P95_MS, "zero_loss": True},
        "met": {"fanout_p95": fanout["p95_ms"] <= TARGET_P95_MS, "zero_loss": zero_loss},
    }  # fmt: skip
