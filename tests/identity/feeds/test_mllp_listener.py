"""The identity feed end to end: the real MLLP listener on a loopback port, real frames over a socket.

One listener for the module (started once, in a thread, with the same handler
``enrs hl7 listen`` uses); the tests commit their data so that the listener's
worker threads see it.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time

import pytest

from enrs.core.mllp import END_BLOCK, MllpSettings, ThreadedMllpServer, frame
from enrs.identity import selectors
from enrs.identity.hl7 import handle_frame
from enrs.identity.models import Patient
from enrs.interfaces.models import InboundMessage

from .conftest import AUTHORITY_OID, NIR_BAD_KEY, a28, ack_code, errors_of, ins, ipp, message, msh, pid


@pytest.fixture(scope="module")
def listener():
    server = ThreadedMllpServer(handle_frame, MllpSettings(port=0, max_message_bytes=64 * 1024))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def connection(listener, transactional_db, sender):
    with socket.create_connection(("127.0.0.1", listener.port), timeout=10) as sock:
        yield sock


def exchange(sock: socket.socket, payload: bytes) -> bytes:
    sock.sendall(frame(payload))
    data = b""
    while not data.endswith(END_BLOCK):
        chunk = sock.recv(65536)
        assert chunk, f"connection closed after {data!r}"
        data += chunk
    return data[1:-2]


def test_create_update_merge_and_change_identifier_over_one_connection(connection):
    assert ack_code(exchange(connection, a28("S-1", "IPP-1"))) == "AA"
    assert ack_code(exchange(connection, a28("S-2", "IPP-2", birth_name="LEGRAND", given="Paul", further="Paul", sex="M"))) == "AA"
    update = message(msh("A31", "S-3"), "EVN|A31", pid([ipp("IPP-1")], used_name="DURAND", used_given="Lou"))
    assert ack_code(exchange(connection, update)) == "AA"
    assert Patient.objects.get(birth_name="MARTIN").used_name == "DURAND"
    merge = message(msh("A40", "S-4"), "EVN|A40", pid([ipp("IPP-1")]), f"MRG|{ipp('IPP-2')}")
    assert ack_code(exchange(connection, merge)) == "AA"
    survivor = selectors.find_by_local_id(AUTHORITY_OID, "IPP-1")
    assert selectors.find_by_local_id(AUTHORITY_OID, "IPP-2") == survivor
    change = message(msh("A47", "S-5"), "EVN|A47", pid([ipp("IPP-9")]), f"MRG|{ipp('IPP-1')}")
    assert ack_code(exchange(connection, change)) == "AA"
    assert sorted(v for _a, v in selectors.local_ids_of(survivor)) == ["IPP-2", "IPP-9"]
    assert list(InboundMessage.objects.order_by("pk").values_list("control_id", "ack_code")) == [
        ("S-1", "AA"), ("S-2", "AA"), ("S-3", "AA"), ("S-4", "AA"), ("S-5", "AA")]


def test_malformed_message_gets_ar_and_the_connection_goes_on(connection):
    ack = exchange(connection, b"HELLO|this is not an HL7 message")
    assert ack_code(ack) == "AR" and errors_of(ack)[0][2] == "MSH^1"
    assert ack_code(exchange(connection, a28("S-10"))) == "AA"


def test_missing_pid_gets_ae_naming_pid_and_stores_nothing(connection):
    ack = exchange(connection, message(msh("A28", "S-20"), "EVN|A28"))
    assert ack_code(ack) == "AE" and errors_of(ack)[0][2] == "PID^1" and "PID" in errors_of(ack)[0][8]
    assert not Patient.objects.exists()


def test_bad_nir_key_gets_ae_naming_pid_3_and_stores_nothing(connection):
    ack = exchange(connection, a28("S-30", identifiers=[ipp("IPP-30"), ins(NIR_BAD_KEY)], reliability="QUAL"))
    assert ack_code(ack) == "AE"
    assert any(err[2].startswith("PID^1^3") and "PID-3" in err[8] for err in errors_of(ack))
    assert not Patient.objects.exists()
    assert InboundMessage.objects.get(control_id="S-30").ack_code == "AE"


def test_replay_over_a_new_connection_gets_the_same_ack(connection, listener):
    first = exchange(connection, a28("S-40"))
    with socket.create_connection(("127.0.0.1", listener.port), timeout=10) as again:
        assert exchange(again, a28("S-40")) == first
    assert Patient.objects.count() == 1 and InboundMessage.objects.count() == 1


def test_the_hl7_listen_command_starts_and_stops_on_sigint(tmp_path):
    """``enrs hl7 listen`` in its own process: binds, answers (AR: no database configured there), stops on Ctrl-C."""
    env_db = tmp_path / "listen.sqlite3"
    process = subprocess.Popen(
        [sys.executable, "-m", "enrs.cli", "hl7", "listen", "--port", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**_env(), "ENRS_DATABASE_URL": f"sqlite:///{env_db}"},
    )
    try:
        line = process.stdout.readline()
        assert "Écoute HL7" in line, (line, process.stderr.read() if process.poll() is not None else "")
        port = int(line.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            sock.sendall(frame(b"not hl7"))
            sock.settimeout(10)
            reply = sock.recv(65536)
        assert reply.startswith(b"\x0bMSH|") or reply == b"", reply
    finally:
        process.send_signal(2)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            raise
    assert process.returncode == 0, process.stderr.read()


def _env() -> dict:
    import os

    env = dict(os.environ)
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env["ENRS_LOG_FORMAT"] = "json"
    return env


def test_several_listener_processes_share_the_port_in_turn_and_stop_together(tmp_path):
    """``--processes 2``: connections handed to the two workers in turn, every one answered, all stop on SIGTERM."""
    import json
    import os
    import signal

    log_file = tmp_path / "listen.log"
    with open(log_file, "w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "enrs.cli", "hl7", "listen", "--port", "0", "--processes", "2"],
            stdout=subprocess.PIPE, stderr=log, text=True,
            env={**_env(), "ENRS_DATABASE_URL": f"sqlite:///{tmp_path / 'listen.sqlite3'}"},
        )  # fmt: skip
    try:
        line = process.stdout.readline()
        assert "Écoute HL7" in line, line
        port = int(line.rsplit(":", 1)[1])
        sockets = [socket.create_connection(("127.0.0.1", port), timeout=10) for _ in range(4)]
        for sock in sockets:  # each connection answered (AR 207 here: no tables in that database)
            reply = exchange(sock, a28("P-1"))
            assert reply.startswith(b"MSH|") and b"|207^" in reply, reply
        for sock in sockets:
            sock.close()
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(30)
    assert process.returncode == 0
    records = [json.loads(row) for row in log_file.read_text().splitlines() if row.startswith("{")]
    opened = [r["pid"] for r in records if r.get("message") == "MLLP connection opened"]
    assert len(opened) == 4 and sorted(opened.count(pid) for pid in set(opened)) == [2, 2], opened
    for pid in set(opened):  # the workers are gone with their parent
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


def test_the_number_of_listener_processes_is_checked():
    process = subprocess.run(
        [sys.executable, "-m", "enrs.cli", "hl7", "listen", "--port", "0", "--processes", "0"],
        capture_output=True, text=True, env=_env(), timeout=60,
    )  # fmt: skip
    assert process.returncode != 0 and "--processes" in process.stderr
