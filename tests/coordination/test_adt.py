"""ADT movements for the care team, through the identity feed's pipeline (handler, then the real MLLP listener)."""

from __future__ import annotations

import datetime as dt
import socket

import pytest
from django.db import connections

from access.builders import make_professional
from enrs.coordination.models import PendingEncounter, TimelineEvent
from enrs.core.mllp import END_BLOCK, Frame, MllpSettings, ThreadedMllpServer, frame
from enrs.directory import services as directory
from enrs.core.validators import finess_complete
from enrs.identity.hl7 import handle_frame
from enrs.identity.models import LocalIdentifier
from enrs.interfaces import services as interfaces
from enrs.interfaces.models import InboundMessage

from .adt_messages import APP, AUTHORITY_NS, AUTHORITY_OID, FACILITY, MOVEMENTS, ack_code, errors_of, movement

PEER = "127.0.0.1:50001"


def send(payload: bytes) -> bytes:
    return handle_frame(Frame(payload, PEER, "", "hl7-test"))


@pytest.fixture
def sender(db):
    organisation = directory.upsert_organisation(
        {"finess": finess_complete("14000077"), "finess_kind": "EJ", "name": "CHU de Caen (test)", "kind": "CH"}
    ).obj
    return interfaces.upsert_sender(
        {"name": "GAM CHU Caen", "sending_application": APP, "sending_facility": FACILITY, "organisation": organisation,
         "authority_namespace": AUTHORITY_NS, "authority_oid": AUTHORITY_OID,
         "events": ["A28", "A31", "A40", "A47", *MOVEMENTS]}
    )


@pytest.fixture
def followed(record, sender):
    LocalIdentifier.objects.create(patient=record.patient, authority=AUTHORITY_OID, value="IPP-COORD-1")
    return record


@pytest.mark.django_db
def test_a_discharge_goes_on_the_timeline_and_to_the_team_in_app_and_by_mail(followed, gp, smtp_server,
                                                                             django_capture_on_commit_callbacks):
    from enrs.core.models import Notification

    with django_capture_on_commit_callbacks(execute=True):
        ack = send(movement("A03", "M-1"))
    assert ack_code(ack) == "AA", ack
    event = followed.events.get(kind=TimelineEvent.Kind.DISCHARGE)
    assert event.occurred_at == dt.datetime(2026, 3, 2, 13, 30, tzinfo=dt.UTC)  # 14:30 Paris, winter time
    assert "CHU de Caen" in event.detail and "CARDIO" in event.detail
    notice = Notification.objects.get(recipient=gp)
    assert "Sortie" in notice.title and followed.patient.display_name in notice.title
    (sent,) = smtp_server
    assert sent["X-Envelope-To"] == gp.email and "Sortie" in sent["Subject"]
    assert InboundMessage.objects.get(control_id="M-1").outcome == "notified"


@pytest.mark.django_db
@pytest.mark.parametrize("event", MOVEMENTS)
def test_every_movement_is_accepted_for_a_followed_patient(followed, event):
    assert ack_code(send(movement(event, f"M-{event}"))) == "AA"
    assert followed.events.filter(data__event=event).count() == 1


@pytest.mark.django_db
def test_unknown_patient_is_queued_for_identity_vigilance_never_dropped(sender):
    ack = send(movement("A01", "M-2", local="IPP-INCONNU"))
    assert ack_code(ack) == "AA"
    (warning,) = errors_of(ack)
    assert warning[4] == "W" and "identitovigilance" in warning[8]
    pending = PendingEncounter.objects.get()
    assert (pending.event, pending.local_id, pending.status) == ("A01", "IPP-INCONNU", "open")
    assert pending.traits["birth_name"] == "MARTIN"
    assert InboundMessage.objects.get(control_id="M-2").outcome == "queued_for_vigilance"


@pytest.mark.django_db
def test_attaching_a_pending_movement_applies_it(sender, record, vigilance, django_capture_on_commit_callbacks):
    from enrs.coordination import services

    send(movement("A03", "M-3", local="IPP-X"))
    pending = PendingEncounter.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        assert services.attach_pending_encounter(pending, record.patient, by=vigilance) == "notified"
    assert record.events.filter(kind=TimelineEvent.Kind.DISCHARGE).count() == 1
    pending.refresh_from_db()
    assert pending.status == "attached" and pending.patient == record.patient


@pytest.mark.django_db
def test_known_patient_without_record_is_acknowledged(sender, patient):
    LocalIdentifier.objects.create(patient=patient, authority=AUTHORITY_OID, value="IPP-COORD-1")
    assert ack_code(send(movement("A01", "M-4"))) == "AA"
    assert InboundMessage.objects.get(control_id="M-4").outcome == "not_followed"
    assert not TimelineEvent.objects.exists()


@pytest.mark.django_db
def test_unknown_event_type_is_rejected_with_a_clear_error(followed):
    ack = send(movement("A08", "M-5"))
    assert ack_code(ack) == "AR"
    (error,) = errors_of(ack)
    assert error[3].startswith("201") and "A08" in error[8] and "A03" in error[8]
    assert InboundMessage.objects.get(control_id="M-5").ack_code == "AR"


@pytest.mark.django_db
def test_event_not_opened_to_the_sender_is_rejected(followed, sender):
    sender.events = ["A28"]
    sender.save()
    ack = send(movement("A01", "M-6"))
    assert ack_code(ack) == "AR" and "A01" in errors_of(ack)[0][8]


@pytest.mark.django_db
def test_unreadable_event_date_is_an_error_naming_evn_and_stores_nothing(followed):
    ack = send(movement("A01", "M-7", evn_when="2026-03-02"))
    assert ack_code(ack) == "AE"
    assert errors_of(ack)[0][2].startswith("EVN^1^2") and "EVN-2" in errors_of(ack)[0][8]
    assert not followed.events.exclude(kind="record").exists()


@pytest.mark.django_db
def test_replay_is_not_notified_twice(followed, smtp_server, django_capture_on_commit_callbacks):
    from enrs.core.models import Notification

    with django_capture_on_commit_callbacks(execute=True):
        first = send(movement("A01", "M-8"))
        second = send(movement("A01", "M-8"))
    assert first == second
    assert followed.events.filter(data__event="A01").count() == 1
    assert Notification.objects.filter(kind="coordination.encounter").count() == 1 and len(smtp_server) == 1
    assert InboundMessage.objects.filter(control_id="M-8").count() == 1


@pytest.mark.django_db
def test_only_the_members_active_now_are_told(followed, gp, nurse, smtp_server, django_capture_on_commit_callbacks):
    from enrs.coordination import services
    from enrs.core.models import Notification

    now = dt.datetime.now(dt.UTC)
    former = services.add_member(followed, nurse, role="IDE", by=gp)
    services.end_member(former, by=gp)
    services.add_member(followed, make_professional(followed.team.first().organisation), role="Kiné", by=gp,
                        start=now + dt.timedelta(days=2))  # not yet in the team
    with django_capture_on_commit_callbacks(execute=True):
        assert ack_code(send(movement("A01", "M-9"))) == "AA"
    told = Notification.objects.filter(kind="coordination.encounter")
    assert list(told.values_list("recipient_id", flat=True)) == [gp.pk]
    assert [m["X-Envelope-To"] for m in smtp_server if "Admission" in m["Subject"]] == [gp.email]


# --- Over a real MLLP socket ---------------------------------------------------------------------
def handle_and_close(received: Frame) -> bytes:
    """The listener's handler, closing the worker thread's connection so that PostgreSQL can drop the test database."""
    try:
        return handle_frame(received)
    finally:
        connections.close_all()


@pytest.fixture
def listener():
    server = ThreadedMllpServer(handle_and_close, MllpSettings(port=0, max_message_bytes=64 * 1024))
    server.start()
    yield server
    server.stop()


def exchange(sock: socket.socket, payload: bytes) -> bytes:
    sock.sendall(frame(payload))
    data = b""
    while not data.endswith(END_BLOCK):
        chunk = sock.recv(65536)
        assert chunk
        data += chunk
    return data[1:-2]


@pytest.mark.django_db(transaction=True)
def test_admission_and_discharge_over_mllp(listener, gp, patient, org, sender):
    from enrs.access import services as access_services
    from enrs.coordination import services
    from enrs.core.models import Notification

    access_services.add_care_team_member(patient, gp, organisation=org, role="Médecin traitant")
    record = services.open_record(patient, by=gp)
    LocalIdentifier.objects.create(patient=patient, authority=AUTHORITY_OID, value="IPP-COORD-1")
    with socket.create_connection(("127.0.0.1", listener.port), timeout=10) as sock:
        assert ack_code(exchange(sock, movement("A01", "S-1"))) == "AA"
        assert ack_code(exchange(sock, movement("A03", "S-2", when="20260305100000"))) == "AA"
        assert ack_code(exchange(sock, movement("A99", "S-3"))) == "AR"
    kinds = list(record.events.exclude(kind="record").order_by("occurred_at").values_list("kind", flat=True))
    assert kinds == ["admission", "discharge"]
    assert Notification.objects.filter(recipient=gp).count() == 2
    assert InboundMessage.objects.count() == 3
