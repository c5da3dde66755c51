"""Several MLLP worker processes behind one port (``enrs hl7 listen --processes N``).

Why: the work of a message (parsing, checks, ORM) is Python code holding one
interpreter lock, so one listener process uses one core whatever its threads.
Here the parent process only accepts: it hands each new connection (its file
descriptor, sent with SCM_RIGHTS over a Unix socket pair) to the workers in
turn, so that a burst of connections is spread evenly — with a shared
listening socket or SO_REUSEPORT the kernel may give all of them to one
worker. A connection stays in one worker for its whole life, so the order of
its messages (HL7 original-mode acknowledgement) holds.

Workers are forked after Django is set up (database connections closed
first, each worker opens its own). POSIX only. SIGTERM or Ctrl-C on the parent
stops accepting and stops every worker gracefully (messages being handled
finish, see :meth:`MllpServer.stop`).
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import os
import signal
import socket
from collections.abc import Callable

from django.db import connections

from enrs.core.mllp import Handler, MllpServer, MllpSettings

log = logging.getLogger("enrs.core.mllp")


class _Stop(Exception):
    """Raised by the parent's signal handlers to leave the accept loop."""


def serve_in_processes(handler: Handler, settings: MllpSettings, processes: int, announce: Callable[[int], None]) -> None:
    """Listen on ``settings.host:port``, dispatch connections to ``processes`` workers; return once stopped."""
    listener = socket.create_server((settings.host, settings.port), backlog=128)
    connections.close_all()  # never share a database connection with a forked worker
    workers = [_fork_worker(handler, settings, listener) for _ in range(processes)]
    announce(listener.getsockname()[1])
    previous = {signum: signal.signal(signum, _raise_stop) for signum in (signal.SIGINT, signal.SIGTERM)}
    try:
        _dispatch(listener, workers)
    except _Stop:
        pass
    finally:
        for signum, handler_before in previous.items():
            signal.signal(signum, handler_before)
        listener.close()
        _stop_workers(workers)


def _raise_stop(_signum, _frame) -> None:
    raise _Stop


def _fork_worker(handler: Handler, settings: MllpSettings, listener: socket.socket) -> tuple[int, socket.socket]:
    parent_end, child_end = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    pid = os.fork()
    if pid == 0:  # the worker: never returns
        listener.close()
        parent_end.close()
        code = 0
        try:
            asyncio.run(_worker_main(handler, settings, child_end))
        except BaseException:  # noqa: BLE001 - logged, then the worker exits with an error code
            log.exception("MLLP worker failed")
            code = 1
        finally:
            logging.shutdown()
            os._exit(code)
    child_end.close()
    return pid, parent_end


def _dispatch(listener: socket.socket, workers: list[tuple[int, socket.socket]]) -> None:
    """Accept forever, each connection to the next live worker."""
    alive = list(workers)
    for turn in itertools.count():
        conn, _address = listener.accept()
        with conn:
            while alive:
                pid, channel = alive[turn % len(alive)]
                try:
                    socket.send_fds(channel, [b"c"], [conn.fileno()])
                    break
                except OSError:
                    log.error("MLLP worker gone: no longer given connections", extra={"pid": pid})
                    alive.remove((pid, channel))
            if not alive:
                raise RuntimeError("every MLLP worker is gone")


def _stop_workers(workers: list[tuple[int, socket.socket]]) -> None:
    for pid, channel in workers:
        channel.close()
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    for pid, _channel in workers:
        try:
            os.waitpid(pid, 0)
        except ChildProcessError:
            pass


async def _worker_main(handler: Handler, settings: MllpSettings, channel: socket.socket) -> None:
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    server = MllpServer(handler, settings)
    channel.setblocking(False)

    def receive_connection() -> None:
        try:
            data, fds, _flags, _address = socket.recv_fds(channel, 1, 4)
        except BlockingIOError:
            return
        if not data and not fds:  # the parent is gone: stop too
            stop.set()
            return
        for fd in fds:
            asyncio.ensure_future(server.adopt(socket.socket(fileno=fd)))

    loop.add_reader(channel.fileno(), receive_connection)
    log.info("MLLP worker started", extra={"pid": os.getpid()})
    try:
        await stop.wait()
    finally:
        loop.remove_reader(channel.fileno())
        await server.stop()
        channel.close()
