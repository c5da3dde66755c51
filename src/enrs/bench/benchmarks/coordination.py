"""``enrs bench coordination``: the record page at size, and ADT ingestion over MLLP.

1. ``first_page``: one patient's record with 5,000 documents and 20,000
   timeline events (bulk-created), its first page rendered through the real
   view (Django test client, signed-in GP: permission checks, trail, counts,
   templates), N times; p95 target ≤ 150 ms.
2. ``adt``: the real MLLP listener, ``enrs hl7 listen --processes P`` in its
   own processes (P = 2 by default: one per core), C connections sending A01/A03 movements for followed patients,
   movements for unknown patients (queued for identity vigilance) and a share
   of unsupported events (rejected AR), each connection waiting for its ACK
   (HL7 original mode). Target ≥ 200 messages/s; every message sent is either
   stored (journal + effect) or rejected with an acknowledgement:
   ``sent == accepted + rejected`` and ``journal == sent - AR 207`` (a message
   the server could not process at all — database unreachable — is answered
   AR 207 so that the sender resends it; it is counted apart).

Everything the benchmark creates is deleted at the end (the access trail,
append-only by design, keeps its lines). E-mails go to Django's in-memory
backend during the run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import os
import random
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from typing import Any

from django.db import connection
from django.test import Client
from django.test.utils import override_settings
from django.urls import reverse
from django.utils import timezone

from enrs.access import services as access_services
from enrs.accounts.models import User
from enrs.bench.registry import benchmark, percentiles_ms, positive_int
from enrs.coordination import services
from enrs.coordination.models import CoordinationRecord, Document, PendingEncounter, TimelineEvent
from enrs.core.mllp import END_BLOCK, frame
from enrs.core.validators import finess_complete, luhn_complete
from enrs.directory import services as directory
from enrs.identity.models import LocalIdentifier, Patient
from enrs.interfaces import services as interfaces
from enrs.interfaces.models import InboundMessage

TARGET_P95_MS = 150.0
TARGET_MESSAGES_PER_S = 200.0
AUTHORITY_OID = "1.2.250.1.999.77.1"
TYPES = ["11490-0", "34112-3", "11488-4", "11502-2", "18748-4"]
KINDS = [TimelineEvent.Kind.NOTE, TimelineEvent.Kind.DOCUMENT, TimelineEvent.Kind.ADMISSION, TimelineEvent.Kind.DISCHARGE,
         TimelineEvent.Kind.TASK]



def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--documents", type=positive_int, default=5000, help="documents in the big record")
    parser.add_argument("--events", type=positive_int, default=20000, help="timeline events in the big record")
    parser.add_argument("--renders", type=positive_int, default=60, help="first-page renders measured")
    parser.add_argument("--messages", type=positive_int, default=3000, help="ADT messages sent")
    parser.add_argument("--connections", type=positive_int, default=4, help="concurrent MLLP connections")
    parser.add_argument("--processes", type=positive_int, default=2, help="listener worker processes (enrs hl7 listen --processes)")
    parser.add_argument("--followed", type=positive_int, default=50, help="followed patients receiving movements")
    parser.add_argument("--seed", type=int, default=5)


class _World:
    """Everything created, to delete it at the end."""

    def __init__(self):
        self.tag = uuid.uuid4().hex[:8]
        self.started = timezone.now()
        self.users: list[User] = []
        self.patients: list[Patient] = []
        self.organisation = None
        self.sender = None
        self._numbers = itertools.count(int(time.time()) % 10_000_000)

    def professional(self, profession: str = "10") -> User:
        n = next(self._numbers)
        record = directory.upsert_professional({"rpps": luhn_complete(f"19{n:08d}"), "last_name": f"Bench{n}", "first_name": "Marie",
                                                "profession_code": profession}).obj
        directory.upsert_situation(record, self.organisation, {"mode": "L"})
        user = User.objects.create_user(username=f"bench-{self.tag}-{n}", email=f"bench-{self.tag}-{n}@test.invalid", kind="pro",
                                        password=None)
        directory.link_user(record, user)
        self.users.append(user)
        return user

    def patient(self, index: int) -> Patient:
        patient = Patient.objects.create(birth_name=f"BENCH{self.tag.upper()}", birth_first_names=f"Patient{index}",
                                         birth_date=dt.date(1950, 1, 1) + dt.timedelta(days=index), sex="F", source="bench")
        self.patients.append(patient)
        return patient

    def cleanup(self) -> None:
        records = CoordinationRecord.objects.filter(patient__in=self.patients)
        Document.objects.filter(record__in=records).delete()
        records.delete()
        PendingEncounter.objects.filter(sender=self.sender).delete()
        from django_tasks_db.models import DBTaskResult

        # The movement e-mails the worker would have sent (no worker runs during the bench).
        DBTaskResult.objects.filter(task_path="enrs.core.tasks.send_notification_emails", enqueued_at__gte=self.started,
                                    status="READY").delete()
        InboundMessage.objects.filter(sender=self.sender).delete()
        InboundMessage.objects.filter(sending_application=f"BENCH{self.tag}").delete()
        from enrs.access.models import CareRelationship

        CareRelationship.objects.filter(patient__in=self.patients).delete()
        LocalIdentifier.objects.filter(patient__in=self.patients).delete()
        Patient.objects.filter(pk__in=[p.pk for p in self.patients]).delete()
        if self.sender is not None:
            self.sender.delete()
        for user in self.users:
            user.professional.delete() if hasattr(user, "professional") else None
            user.delete()


def _big_record(world: _World, gp: User, documents: int, events: int, rng: random.Random) -> CoordinationRecord:
    patient = world.patient(0)
    access_services.add_care_team_member(patient, gp, organisation=world.organisation, role="Médecin traitant", referent=True)
    record = services.open_record(patient, by=gp)
    now = timezone.now()
    Document.objects.bulk_create([
        Document(record=record, patient=patient, unique_id=f"2.25.{uuid.uuid4().int}", title=f"Document {i}",
                 type_code=rng.choice(TYPES), class_code="10", format_code="urn:ihe:iti:xds-sd:pdf:2008",
                 media_type="application/pdf", size=1000 + i, sha256="0" * 64, sha1="0" * 40, file_name=f"d{i}.pdf",
                 storage_name=f"coordination/bench/{i}.pdf", author=gp, author_name="Dr Bench", organisation=world.organisation,
                 service_date=(now - dt.timedelta(days=rng.randint(0, 3650))).date(), hidden_from_patient=rng.random() < 0.5,
                 visibility_codes=[], created_at=now - dt.timedelta(minutes=i))
        for i in range(documents)
    ], batch_size=1000)
    TimelineEvent.objects.bulk_create([
        TimelineEvent(record=record, kind=rng.choice(KINDS), title=f"Événement {i}", detail="détail",
                      source="bench", occurred_at=now - dt.timedelta(minutes=i * 7))
        for i in range(events)
    ], batch_size=2000)
    return record


def _analyse() -> None:
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def _first_page(record: CoordinationRecord, gp: User, renders: int) -> dict[str, Any]:
    client = Client()
    client.force_login(gp)
    url = reverse("coordination:record", args=[record.pk])
    assert client.get(url).status_code == 200  # warm-up
    durations = []
    for _ in range(renders):
        start = time.perf_counter()
        response = client.get(url)
        durations.append(time.perf_counter() - start)
        if response.status_code != 200:
            raise RuntimeError(f"record page answered {response.status_code}")
    return percentiles_ms(durations)


def _movement(event: str, control_id: str, ipp: str, tag: str) -> bytes:
    now = timezone.localtime().strftime("%Y%m%d%H%M%S")
    segments = [
        f"MSH|^~\\&|BENCH{tag}|CHB{tag}|ENRS|ARS|{now}||ADT^{event}^ADT_A01|{control_id}|P|2.5|||||FRA|UNICODE UTF-8",
        f"EVN|{event}|{now}",
        f"PID|1||{ipp}^^^BENCH&{AUTHORITY_OID}&ISO^PI||BENCH^Patient^^^^^L||19500101|F",
        f"PV1|1|I|MED^1^1||||||||||||||||V{control_id}",
    ]
    return ("\r".join(segments) + "\r").encode()


def _exchange(sock: socket.socket, payload: bytes) -> bytes:
    sock.sendall(frame(payload))
    data = b""
    while not data.endswith(END_BLOCK):
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("listener closed the connection")
        data += chunk
    return data


def _start_listener(options) -> tuple[subprocess.Popen, int]:
    """``enrs hl7 listen`` as in production, in its own processes, on this database; e-mails kept in memory."""
    env = {**os.environ, "ENRS_EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend"}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    command = [sys.executable, "-m", "enrs.cli", "hl7", "listen", "--port", "0", "--processes", str(options.processes),
               "--max-connections", str(options.connections + 2)]
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    line = process.stdout.readline()
    found = re.search(r":(\d+)\s*$", line)
    if found is None:
        process.kill()
        raise RuntimeError(f"the HL7 listener did not start: {line!r}")
    return process, int(found.group(1))


def _stop_listener(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(30)
    except subprocess.TimeoutExpired:
        process.kill()
        raise


def _adt(world: _World, options, rng: random.Random) -> dict[str, Any]:
    world.sender = interfaces.upsert_sender({
        "name": f"Bench {world.tag}", "sending_application": f"BENCH{world.tag}", "sending_facility": f"CHB{world.tag}",
        "organisation": world.organisation, "authority_oid": AUTHORITY_OID, "events": ["A01", "A02", "A03", "A04", "A11", "A13"],
    })
    team = [world.professional("60") for _ in range(2)]
    ipps = []
    for index in range(1, options.followed + 1):
        patient = world.patient(index)
        for member in team:
            access_services.add_care_team_member(patient, member, organisation=world.organisation, role="IDE")
        services.open_record(patient, by=team[0])
        LocalIdentifier.objects.create(patient=patient, authority=AUTHORITY_OID, value=f"B{world.tag}{index}")
        ipps.append(f"B{world.tag}{index}")
    plan = []
    for n in range(options.messages):
        draw = rng.random()
        if draw < 0.05:
            plan.append(("A08", rng.choice(ipps)))  # unsupported event: AR
        elif draw < 0.15:
            plan.append(("A01", f"UNKNOWN{world.tag}{n}"))  # unknown patient: queued
        else:
            plan.append((rng.choice(["A01", "A03", "A02", "A04"]), rng.choice(ipps)))
    listener, port = _start_listener(options)
    codes: dict[str, int] = {}
    lock = threading.Lock()

    def worker(index: int) -> None:
        with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
            for n in range(index, len(plan), options.connections):
                event, ipp = plan[n]
                ack = _exchange(sock, _movement(event, f"{world.tag}-{n}", ipp, world.tag))
                code = ack.split(b"\rMSA|", 1)[1][:2].decode()
                if b"|207^" in ack:
                    code = "AR-207"  # not processed (e.g. database refused the connection): the sender resends
                with lock:
                    codes[code] = codes.get(code, 0) + 1

    start = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(options.connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - start
    _stop_listener(listener)
    journal = InboundMessage.objects.filter(sending_application=f"BENCH{world.tag}").count()
    accepted = codes.get("AA", 0)
    rejected = codes.get("AE", 0) + codes.get("AR", 0) + codes.get("AR-207", 0)
    return {
        "messages_sent": len(plan), "connections": options.connections, "listener_processes": options.processes,
        "seconds": round(elapsed, 3),
        "messages_per_s": round(len(plan) / elapsed, 1), "acks": codes, "accepted": accepted, "rejected_with_ack": rejected,
        "journal_rows": journal, "queued_for_vigilance": PendingEncounter.objects.filter(sender=world.sender).count(),
        "timeline_events": TimelineEvent.objects.filter(record__patient__in=world.patients[1:]).exclude(kind="record").count(),
        # Every message got an ACK, and every message processed (all but AR 207) is in the journal.
        "none_lost": len(plan) == accepted + rejected and journal == len(plan) - codes.get("AR-207", 0),
    }


@benchmark("coordination", help="Dossier de coordination : première page à 5 000 documents / 20 000 événements, ingestion ADT en MLLP.",
           arguments=_arguments)
def run(options: argparse.Namespace) -> dict[str, Any]:
    rng = random.Random(options.seed)
    world = _World()
    world.organisation = directory.upsert_organisation({"finess": finess_complete(f"14{rng.randint(0, 999_999):06d}"),
                                                        "name": f"Bench {world.tag}", "kind": "CH", "college": "A"}).obj
    with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
        try:
            gp = world.professional()
            load_start = time.perf_counter()
            record = _big_record(world, gp, options.documents, options.events, rng)
            load_seconds = time.perf_counter() - load_start
            _analyse()
            page = _first_page(record, gp, options.renders)
            adt = _adt(world, options, rng)
        finally:
            world.cleanup()
    return {
        "dataset": {"documents": options.documents, "events": options.events, "followed_patients": options.followed,
                    "messages": options.messages},
        "load_seconds": round(load_seconds, 2),
        "first_page": {**page, "renders": options.renders},
        "adt": adt,
        "targets": {"first_page_p95_ms": TARGET_P95_MS, "adt_messages_per_s": TARGET_MESSAGES_PER_S},
        "met": {"first_page": page["p95_ms"] <= TARGET_P95_MS,
                "adt": adt["messages_per_s"] >= TARGET_MESSAGES_PER_S and adt["none_lost"]},
    }
