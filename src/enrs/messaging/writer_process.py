"""The chat's database writer in a process of its own (``ENRS_CHAT_WRITER=process``).

Why: a WebSocket server process runs its event loop (frames, channel layer,
consumers) and its database writer (``services.post_many``: the ORM building
and running a batch's statements) under one interpreter lock, so at a few
hundred messages a second both queue behind each other on one core. Here the
batches are stored by one child process (spawned, Django set up there, its own
database connection): the event loop keeps its core. The acknowledgement rule
does not change: the child commits before the batch's results come back.

The default (``thread``) keeps the writer in the server process: it needs no
second process and works with any database, an in-memory test database included.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import threading
import time
from concurrent.futures import ProcessPoolExecutor

_pool: ProcessPoolExecutor | None = None


def _start_child(parent_pid: int) -> None:
    import django

    django.setup()
    from enrs.core.runtime import tune_garbage_collector

    tune_garbage_collector()
    threading.Thread(target=_exit_with_parent, args=(parent_pid,), name="writer-watchdog", daemon=True).start()


def _exit_with_parent(parent_pid: int) -> None:
    """A server killed without a clean stop must not leave its writer behind (a batch not yet
    committed rolls back with the connection; its senders retry with the same client ids)."""
    while os.getppid() == parent_pid:
        time.sleep(1.0)
    os._exit(0)


def pool() -> ProcessPoolExecutor:
    """The writer process of this server process (started on first use)."""
    global _pool
    if _pool is None:
        _pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"), initializer=_start_child,
                                    initargs=(os.getpid(),))
        # Starting the child (Django set-up) takes seconds: begin at the first socket, not the first message.
        _pool.submit(_ready)
    return _pool


def forget_pool() -> None:
    """The writer died (``BrokenProcessPool``): the next batch starts a new one."""
    global _pool
    broken, _pool = _pool, None
    if broken is not None:
        broken.shutdown(wait=False, cancel_futures=True)


def _ready() -> bool:
    """Open the child's database connection and load what storing needs, before the first batch."""
    from django.db import connection

    from enrs.core import notifications  # noqa: F401 - imported by the first batch otherwise
    from enrs.messaging import events, services  # noqa: F401

    connection.ensure_connection()
    return True


def store_batch(requests: list) -> list:
    """Store, then build each new message's payload once (encoded once for all its recipients).

    One result per request: a ``ChatError``, or ``(created, payload, text)`` — plain
    values, cheap to send back from the writer process (no model instances); ``text``
    is the encoded payload of a new message, None for a replay.
    """
    from enrs.messaging import events, services

    out = []
    for result in services.post_many(requests):
        if isinstance(result, Exception):
            out.append(result)
        else:
            payload = events.message_payload(result.message)
            out.append((result.created, payload, json.dumps(payload, ensure_ascii=False) if result.created else None))
    return out


def store_batch_in_child(requests: list) -> list:
    """``store_batch`` as the writer process runs it: a stale database connection replaced first
    (what ``database_sync_to_async`` does on the thread side)."""
    from django.db import close_old_connections

    close_old_connections()
    return store_batch(requests)
