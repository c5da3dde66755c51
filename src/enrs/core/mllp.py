"""An MLLP server base (HL7 v2 over TCP): framing, connections, limits, graceful stop.

Every HL7 v2 feed of the platform (identity ADT today, others later) plugs a
*handler* into :class:`MllpServer`; the handler never sees the socket::

    def handle(frame: Frame) -> bytes | None:   # synchronous, runs in a worker thread
        ...                                      # decode, parse, store, build the ACK
        return ack_bytes                         # sent back framed; None sends nothing

Framing (HL7 v2 MLLP release 1): ``<VT> message <FS><CR>``. What the base does
so that handlers stay protocol-level:

- bytes before ``<VT>`` are dropped (line noise, a keep-alive newline), a block
  without any ``<VT>`` is handed over as ``problem="no_start_block"``;
- a block longer than ``max_message_bytes`` is discarded up to its ``<FS><CR>``
  and handed over as ``problem="too_large"`` with its first bytes, so the
  handler can still address a negative acknowledgement to the sender;
- messages of one connection are handled one after the other, in order (HL7
  original-mode acknowledgement: the sender waits for the ACK before the next
  message), connections in parallel up to ``max_connections`` worker threads;
- a connection idle longer than ``idle_timeout`` or stuck inside a frame longer
  than ``read_timeout`` is closed;
- :meth:`MllpServer.stop` stops accepting, lets messages being handled finish
  (up to ``grace`` seconds) and closes every connection.

The handler runs in a thread because it uses the (synchronous) Django ORM;
the base closes stale database connections around each call. Each frame gets
a request id (``hl7-…``) in ``enrs.core.middleware.request_id_var`` so that
log lines and access-trail events of one message can be tied together.

``enrs.core`` imports no service app: the handler is given by the caller.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import os
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from django.db import close_old_connections

from enrs.core.middleware import request_id_var

log = logging.getLogger(__name__)

START_BLOCK = b"\x0b"  # <VT>
END_BLOCK = b"\x1c\x0d"  # <FS><CR>
HEAD_BYTES = 4096  # what is kept of an oversized message, for the negative ACK
READ_CHUNK = 65536


@dataclass(frozen=True)
class Frame:
    """One block received on a connection.

    ``payload`` is the message without its framing; when ``problem`` is set
    (``"too_large"`` or ``"no_start_block"``) it holds only the first bytes
    received, for the record and for addressing a rejection.
    """

    payload: bytes
    peer: str
    problem: str = ""
    request_id: str = ""


Handler = Callable[[Frame], "bytes | None"]


@dataclass(frozen=True)
class MllpSettings:
    host: str = "127.0.0.1"
    port: int = 2575
    max_message_bytes: int = 1_048_576
    max_connections: int = 16
    idle_timeout: float = 300.0
    read_timeout: float = 30.0
    grace: float = 10.0


def frame(message: bytes) -> bytes:
    """Wrap one message in its MLLP block."""
    return START_BLOCK + message + END_BLOCK


class _Deframer:
    """Cuts a byte stream into MLLP blocks, enforcing the size limit."""

    def __init__(self, max_message_bytes: int):
        self.max = max_message_bytes
        self.buffer = bytearray()
        self.discarding = False
        self.head = b""

    @property
    def inside_frame(self) -> bool:
        return bool(self.buffer) or self.discarding

    def feed(self, data: bytes) -> list[tuple[bytes, str]]:
        """Blocks completed by ``data``, as (payload, problem) pairs."""
        self.buffer += data
        blocks: list[tuple[bytes, str]] = []
        while True:
            end = self.buffer.find(END_BLOCK)
            if end < 0:
                self._check_size()
                return blocks
            block = bytes(self.buffer[:end])
            del self.buffer[: end + len(END_BLOCK)]
            if self.discarding:
                blocks.append((self.head, "too_large"))
                self.discarding, self.head = False, b""
                continue
            blocks.append(self._payload(block))

    def _payload(self, block: bytes) -> tuple[bytes, str]:
        start = block.find(START_BLOCK)
        if start < 0:
            return block[:HEAD_BYTES], "no_start_block"
        payload = block[start + 1 :]
        if len(payload) > self.max:
            return payload[:HEAD_BYTES], "too_large"
        return payload, ""

    def _check_size(self) -> None:
        # Keep the buffer bounded: past the limit only the head is kept, the
        # rest is dropped until the end of the block arrives.
        if self.discarding:
            self.buffer.clear()
        elif len(self.buffer) > self.max + 1:
            start = self.buffer.find(START_BLOCK)
            self.head = bytes(self.buffer[start + 1 : start + 1 + HEAD_BYTES] if start >= 0 else self.buffer[:HEAD_BYTES])
            self.buffer.clear()
            self.discarding = True


class MllpServer:
    """An asyncio MLLP listener calling a synchronous ``handler`` for each block."""

    def __init__(self, handler: Handler, settings: MllpSettings | None = None):
        self.handler = handler
        self.settings = settings or MllpSettings()
        self._server: asyncio.base_events.Server | None = None
        self._executor = ThreadPoolExecutor(max_workers=self.settings.max_connections, thread_name_prefix="mllp")
        self._connections: set[asyncio.Task] = set()
        self._busy: set[asyncio.Task] = set()
        self._slots = asyncio.Semaphore(self.settings.max_connections)
        self._stopping = False

    @property
    def port(self) -> int:
        """The port actually bound (useful with port 0)."""
        assert self._server is not None, "server not started"
        return self._server.sockets[0].getsockname()[1]

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._on_connect, self.settings.host, self.settings.port)
        log.info("MLLP listener started", extra={"host": self.settings.host, "port": self.port})

    async def stop(self) -> None:
        """Stop accepting, let the messages being handled finish, close connections."""
        if self._stopping:
            return
        self._stopping = True
        if self._server is not None:
            self._server.close()
        if self._busy:
            await asyncio.wait(set(self._busy), timeout=self.settings.grace)
        for task in list(self._connections):
            task.cancel()
        if self._connections:
            await asyncio.wait(set(self._connections), timeout=self.settings.grace)
        if self._server is not None:
            await self._server.wait_closed()
        self._executor.shutdown(wait=False, cancel_futures=True)
        log.info("MLLP listener stopped")

    async def adopt(self, sock) -> None:
        """Serve a connection accepted elsewhere (the parent of ``enrs.core.mllp_pool`` passes it)."""
        reader, writer = await asyncio.open_connection(sock=sock, limit=READ_CHUNK)
        await self._on_connect(reader, writer)

    async def _on_connect(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        peer = _peer_name(writer)
        if self._stopping or self._slots.locked():
            log.warning("MLLP connection refused (listener full or stopping)", extra={"peer": peer})
            writer.close()
            return
        self._connections.add(task)
        async with self._slots:
            log.info("MLLP connection opened", extra={"peer": peer, "pid": os.getpid()})
            try:
                await self._serve(reader, writer, peer)
            except asyncio.CancelledError:
                pass
            except (ConnectionError, OSError) as exc:
                log.info("MLLP connection lost", extra={"peer": peer, "error": str(exc)})
            finally:
                self._connections.discard(task)
                writer.close()
                log.info("MLLP connection closed", extra={"peer": peer})

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, peer: str) -> None:
        deframer = _Deframer(self.settings.max_message_bytes)
        while not self._stopping:
            timeout = self.settings.read_timeout if deframer.inside_frame else self.settings.idle_timeout
            try:
                data = await asyncio.wait_for(reader.read(READ_CHUNK), timeout)
            except TimeoutError:
                log.info("MLLP connection timed out", extra={"peer": peer, "inside_frame": deframer.inside_frame})
                return
            if not data:
                return
            for payload, problem in deframer.feed(data):
                response = await self._handle(Frame(payload, peer, problem, "hl7-" + uuid.uuid4().hex[:24]))
                if response is not None:
                    writer.write(frame(response))
                    await writer.drain()

    async def _handle(self, received: Frame) -> bytes | None:
        loop = asyncio.get_running_loop()
        context = contextvars.copy_context()
        context.run(request_id_var.set, received.request_id)
        future = loop.run_in_executor(self._executor, context.run, self._call_handler, received)
        # Shielded: a stop() that cancels the connection still lets the message
        # finish (and its ACK be sent if the socket is still open).
        task = asyncio.ensure_future(future)
        self._busy.add(task)
        try:
            return await asyncio.shield(task)
        finally:
            self._busy.discard(task)

    def _call_handler(self, received: Frame) -> bytes | None:
        close_old_connections()
        try:
            return self.handler(received)
        except Exception:
            # A handler must answer every message itself; a crash is a bug, and
            # the sender gets no ACK (it will resend), never a half-ACK.
            log.exception("MLLP handler failed", extra={"peer": received.peer})
            return None
        finally:
            close_old_connections()


def _peer_name(writer: asyncio.StreamWriter) -> str:
    peer = writer.get_extra_info("peername")
    if isinstance(peer, tuple) and len(peer) >= 2:
        return f"{peer[0]}:{peer[1]}"
    return str(peer or "")


async def serve_until(server: MllpServer, stop_event: asyncio.Event) -> None:
    """Run ``server`` until ``stop_event`` is set, then stop it gracefully."""
    await server.start()
    try:
        await stop_event.wait()
    finally:
        await server.stop()


class ThreadedMllpServer:
    """An :class:`MllpServer` running its own event loop in a background thread.

    For tests and embedding: ``start()`` returns once the port is bound,
    ``stop()`` returns once the listener is down.
    """

    def __init__(self, handler: Handler, settings: MllpSettings | None = None):
        self.handler = handler
        self.settings = settings or MllpSettings(port=0)
        self.port: int | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop_event: asyncio.Event | None = None
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name="mllp-listener", daemon=True)
        self._error: BaseException | None = None

    def start(self) -> int:
        self._thread.start()
        self._ready.wait(10)
        if self._error is not None:
            raise self._error
        if self.port is None:
            raise RuntimeError("MLLP listener did not start")
        return self.port

    def stop(self) -> None:
        if self._loop is not None and self._stop_event is not None:
            self._loop.call_soon_threadsafe(self._stop_event.set)
        self._thread.join(self.settings.grace + 5)

    def _run(self) -> None:
        asyncio.run(self._main())

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop_event = asyncio.Event()
        server = MllpServer(self.handler, self.settings)
        try:
            await server.start()
        except BaseException as exc:  # noqa: BLE001 - reported to start()
            self._error = exc
            self._ready.set()
            return
        self.port = server.port
        self._ready.set()
        try:
            await self._stop_event.wait()
        finally:
            await server.stop()
