"""The MLLP server base over a real loopback socket: framing, limits, timeouts, stop."""

from __future__ import annotations

import socket
import threading
import time

import pytest

from enrs.core.mllp import END_BLOCK, START_BLOCK, Frame, MllpSettings, ThreadedMllpServer, _Deframer, frame


def _echo(received: Frame) -> bytes:
    return (received.problem or "ok").encode() + b"|" + received.payload[:40]


@pytest.fixture
def server():
    listener = ThreadedMllpServer(_echo, MllpSettings(port=0, max_message_bytes=1000, idle_timeout=2, read_timeout=0.5))
    listener.start()
    yield listener
    listener.stop()


def _connect(port: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    return sock


def _read_block(sock: socket.socket) -> bytes:
    # Byte by byte: two answers may arrive in one segment and the next read must find the second.
    data = b""
    while not data.endswith(END_BLOCK):
        chunk = sock.recv(1)
        if not chunk:
            raise ConnectionError(f"closed after {data!r}")
        data += chunk
    assert data.startswith(START_BLOCK)
    return data[1:-2]


def test_one_message_one_answer(server):
    with _connect(server.port) as sock:
        sock.sendall(frame(b"MSH|hello"))
        assert _read_block(sock) == b"ok|MSH|hello"


def test_frames_split_and_joined_in_any_chunks(server):
    with _connect(server.port) as sock:
        stream = frame(b"first") + frame(b"second")
        for byte in stream[:7]:
            sock.sendall(bytes([byte]))
            time.sleep(0.01)
        sock.sendall(stream[7:])
        assert _read_block(sock) == b"ok|first"
        assert _read_block(sock) == b"ok|second"


def test_noise_before_the_start_block_is_dropped(server):
    with _connect(server.port) as sock:
        sock.sendall(b"\r\n  " + frame(b"payload"))
        assert _read_block(sock) == b"ok|payload"


def test_block_without_start_is_reported(server):
    with _connect(server.port) as sock:
        sock.sendall(b"MSH|no-vt" + END_BLOCK)
        assert _read_block(sock) == b"no_start_block|MSH|no-vt"


def test_oversized_message_is_reported_with_its_head_and_the_connection_survives(server):
    with _connect(server.port) as sock:
        sock.sendall(START_BLOCK + b"MSH|big|" + b"x" * 5000)
        sock.sendall(b"y" * 5000 + END_BLOCK)
        assert _read_block(sock) == b"too_large|MSH|big|" + b"x" * 32
        sock.sendall(frame(b"after"))
        assert _read_block(sock) == b"ok|after"


def test_stuck_inside_a_frame_closes_the_connection(server):
    with _connect(server.port) as sock:
        sock.sendall(START_BLOCK + b"MSH|never ends")
        time.sleep(1.0)
        assert sock.recv(10) == b""


def test_graceful_stop_finishes_the_message_being_handled():
    started, release = threading.Event(), threading.Event()

    def slow(received: Frame) -> bytes:
        started.set()
        release.wait(5)
        return b"done"

    listener = ThreadedMllpServer(slow, MllpSettings(port=0, grace=5))
    port = listener.start()
    with _connect(port) as sock:
        sock.sendall(frame(b"work"))
        assert started.wait(5)
        stopper = threading.Thread(target=listener.stop)
        stopper.start()
        time.sleep(0.2)
        with pytest.raises(OSError):  # no longer accepting
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
        release.set()
        assert _read_block(sock) == b"done"
        stopper.join(10)
    assert not stopper.is_alive()


def test_a_crashing_handler_sends_nothing_and_keeps_the_listener():
    calls = []

    def crash(received: Frame) -> bytes:
        calls.append(received.payload)
        if received.payload == b"boom":
            raise RuntimeError("bug")
        return b"fine"

    listener = ThreadedMllpServer(crash, MllpSettings(port=0))
    port = listener.start()
    try:
        with _connect(port) as sock:
            sock.sendall(frame(b"boom") + frame(b"next"))
            assert _read_block(sock) == b"fine"
        assert calls == [b"boom", b"next"]
    finally:
        listener.stop()


def test_deframer_bounds_its_buffer():
    deframer = _Deframer(max_message_bytes=100)
    assert deframer.feed(START_BLOCK + b"z" * 1000) == []
    for _ in range(50):
        assert deframer.feed(b"z" * 1000) == []
        assert len(deframer.buffer) <= 1000
    assert deframer.feed(END_BLOCK) == [(b"z" * 1000, "too_large")]
    deframer = _Deframer(max_message_bytes=10)
    blocks = deframer.feed(START_BLOCK + b"a" * 20 + END_BLOCK + frame(b"short"))
    assert blocks == [(b"a" * 20, "too_large"), (b"short", "")]
