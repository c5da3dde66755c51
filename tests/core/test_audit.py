"""The access trail: recording, the hash chain, anchors and append-only guards."""

from __future__ import annotations

from datetime import UTC

import json
from datetime import datetime

import pytest
from django.contrib.auth import get_user_model
from django.db import DatabaseError, connection, transaction
from django.test import RequestFactory

from hypothesis import given, settings
from hypothesis import strategies as st

from enrs.core import audit
from enrs.core.middleware import request_id_var
from enrs.core.models import AccessEvent, AuditAnchor, AuditChainHead, TrailIsAppendOnly

pytestmark = pytest.mark.django_db


@pytest.fixture
def doctor(db):
    return get_user_model().objects.create_user(
        username="dr.martin", email="martin@test.invalid", first_name="Claire", last_name="Martin", kind="pro"
    )


def _record(n: int = 1, **overrides):
    values = {"actor": None, "action": "read", "channel": "web", "patient_id": 7, "object_type": "identity.Patient"}
    return [audit.record(**{**values, **overrides}) for _ in range(n)]


def test_record_stores_who_what_when_how(doctor):
    request = RequestFactory().get("/x", REMOTE_ADDR="2001:db8:0:0:0:0:0:1")
    token = request_id_var.set("req-42")
    try:
        event = audit.record(
            actor=doctor, action="update", channel="fhir", patient_id=12, object_type="identity.Patient",
            object_id=12, organisation_id=3, role="professional", justification="Suivi", break_glass=True,
            request=request,
        )  # fmt: skip
    finally:
        request_id_var.reset(token)
    stored = AccessEvent.objects.get(pk=event.pk)
    assert (stored.actor_id, stored.actor_display, stored.role, stored.organisation_id) == (doctor.pk, "Claire Martin", "professional", 3)
    assert (stored.patient_id, stored.object_type, stored.object_id) == (12, "identity.Patient", "12")
    assert (stored.action, stored.channel, stored.justification, stored.break_glass) == ("update", "fhir", "Suivi", True)
    assert stored.request_id == "req-42" and stored.ip_address == "2001:db8::1"
    assert stored.occurred_at.tzinfo is not None and stored.occurred_at.utcoffset().total_seconds() == 0
    assert stored.hash == audit.event_hash(stored) and len(stored.hash) == 64


def test_system_actor_and_unknown_values():
    event = _record(actor=None)[0]
    assert event.actor_id is None and event.actor_display == "Système"
    with pytest.raises(ValueError, match="Action de piste inconnue"):
        audit.record(actor=None, action="peek", channel="web")
    with pytest.raises(ValueError, match="Canal de piste inconnu"):
        audit.record(actor=None, action="read", channel="pigeon")
    assert AccessEvent.objects.count() == 1


def test_events_form_one_chain():
    events = _record(5)
    assert [e.sequence for e in events] == [1, 2, 3, 4, 5]
    assert events[0].previous_hash == audit.GENESIS_HASH
    for previous, current in zip(events, events[1:], strict=False):
        assert current.previous_hash == previous.hash
    assert len({e.hash for e in events}) == 5


def test_canonical_payload_is_sorted_json_in_utc():
    event = _record()[0]
    payload = audit.canonical_payload({name: getattr(event, name) for name in audit.HASHED_FIELDS}).decode()
    assert payload.startswith('{"action":"read"') and '"previous_hash":"' + "0" * 64 in payload
    assert event.occurred_at.astimezone(UTC).isoformat(timespec="microseconds") in payload


_texts = st.text(max_size=40)
_ids = st.one_of(st.none(), st.integers(min_value=0, max_value=2**62))


@settings(max_examples=200, deadline=None)
@given(
    texts=st.fixed_dictionaries(
        {name: _texts for name in ("actor_display", "role", "object_type", "object_id", "justification", "request_id")}
    ),
    ids=st.fixed_dictionaries({name: _ids for name in ("actor_id", "organisation_id", "patient_id")}),
    sequence=st.integers(min_value=1, max_value=2**62),
    previous_hash=st.text(alphabet="0123456789abcdef", min_size=64, max_size=64),
    break_glass=st.booleans(),
    ip=st.sampled_from([None, "127.0.0.1", "2001:db8::1"]),
    when=st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)),
)
def test_canonical_parts_rebuild_exactly_the_sorted_compact_json(texts, ids, sequence, previous_hash, break_glass, ip, when):
    values = {
        **texts, **ids, "sequence": sequence, "previous_hash": previous_hash, "break_glass": break_glass,
        "ip_address": ip, "occurred_at": when, "action": "read", "channel": "web",
    }  # fmt: skip
    expected = {name: audit._canonical_value(name, values[name]) for name in audit.HASHED_FIELDS}
    reference = json.dumps(expected, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    assert audit.canonical_payload(values) == reference
    before, between, after = audit.canonical_parts(values)
    assert f'{before}"{previous_hash}"{between}{sequence}{after}'.encode() == reference


def test_hash_computed_by_the_database_equals_the_python_hash(doctor):
    """On PostgreSQL the server hashes (one-statement append); Python must agree."""
    events = _record(3, actor=doctor, justification='urgence « vitale », ligne 2\n"citée"', object_id="é-1")
    for event in events:
        stored = AccessEvent.objects.get(pk=event.pk)
        assert stored.hash == event.hash == audit.event_hash(stored)
    assert audit.verify_chain().ok


# --- Verify -------------------------------------------------------------------------------


def _raw(sql: str, params=()) -> None:
    """Tamper as an attacker with database access would: triggers dropped first."""
    audit.remove_guard(connection)
    with connection.cursor() as cursor:
        cursor.execute(sql, list(params))


def test_verify_intact_trail():
    _record(4)
    result = audit.verify_chain()
    assert result.ok and result.count == 4


def test_verify_empty_trail():
    assert audit.verify_chain() == audit.VerifyResult(True, 0)


def test_verify_reports_an_edited_row():
    events = _record(4)
    _raw("UPDATE core_accessevent SET actor_display = %s WHERE id = %s", ["Quelqu'un d'autre", events[2].pk])
    result = audit.verify_chain()
    assert not result.ok and result.event_id == events[2].pk and result.count == 2
    assert "contenu de l'événement a été modifié" in result.problem


def test_verify_reports_a_rehashed_row_through_the_next_link():
    events = _record(3)
    forged = AccessEvent.objects.get(pk=events[1].pk)
    forged.patient_id = 999
    _raw("UPDATE core_accessevent SET patient_id = 999, hash = %s WHERE id = %s", [audit.event_hash(forged), forged.pk])
    result = audit.verify_chain()
    assert not result.ok and result.event_id == events[2].pk and "lien rompu" in result.problem


def test_verify_reports_a_deleted_middle_row():
    events = _record(5)
    _raw("DELETE FROM core_accessevent WHERE id = %s", [events[2].pk])
    result = audit.verify_chain()
    assert not result.ok and result.event_id == events[3].pk
    assert "rang 4 trouvé alors que le rang 3 était attendu" in result.problem


def test_verify_reports_a_truncated_tail_through_the_anchor(settings):
    settings.ENRS_AUDIT_ANCHOR_EVERY = 3
    events = _record(4)
    assert AuditAnchor.objects.count() == 1
    _raw("DELETE FROM core_accessevent WHERE sequence >= 3")
    _raw("DELETE FROM core_audit_chain_head")  # a careful attacker also rewinds the head
    result = audit.verify_chain()
    assert not result.ok and result.event_id == events[2].pk
    assert "tronquée" in result.problem and "atteste de 3 événements, il n'en reste que 2" in result.problem


def test_verify_reports_a_truncated_tail_after_the_last_anchor():
    _record(3)
    _raw("DELETE FROM core_accessevent WHERE sequence = 3")
    result = audit.verify_chain()
    assert not result.ok and "tête de chaîne indique 3 événements, il n'en reste que 2" in result.problem


def test_verify_reports_a_forged_anchor():
    _record(2)
    anchor = audit.anchor_now()
    _raw("UPDATE core_auditanchor SET event_count = 1 WHERE id = %s", [anchor.pk])
    result = audit.verify_chain()
    assert not result.ok and "signature invalide" in result.problem


def test_anchor_every_n_events_is_signed(settings):
    settings.ENRS_AUDIT_ANCHOR_EVERY = 2
    events = _record(5)
    anchors = list(AuditAnchor.objects.order_by("last_sequence"))
    assert [(a.last_sequence, a.last_event_id, a.last_hash) for a in anchors] == [
        (2, events[1].pk, events[1].hash),
        (4, events[3].pk, events[3].hash),
    ]
    assert all(audit.anchor_signature_valid(a) for a in anchors)
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = "une-autre-cle" * 4, [settings.SECRET_KEY]
    assert audit.anchor_signature_valid(anchors[0])  # still valid after a key rotation
    settings.SECRET_KEY_FALLBACKS = []
    assert not audit.anchor_signature_valid(anchors[0])


def test_head_is_rebuilt_from_the_tail_when_missing():
    events = _record(2)
    _raw("DELETE FROM core_audit_chain_head")
    audit.install_guard(connection)
    nxt = _record()[0]
    assert nxt.sequence == 3 and nxt.previous_hash == events[1].hash
    assert audit.verify_chain().ok


def test_head_holds_the_tip_and_the_hash_before_it():
    # PostgreSQL's one-UPDATE append reads the tip it chains onto from the head's previous_hash.
    first, second = _record(2)
    head = AuditChainHead.objects.get(id=audit.HEAD_ID)
    assert (head.last_sequence, head.last_hash, head.previous_hash) == (second.sequence, second.hash, first.hash)
    assert second.previous_hash == first.hash


# --- Append-only ----------------------------------------------------------------------------


def test_orm_cannot_change_the_trail():
    event = _record()[0]
    event.justification = "réécrite"
    with pytest.raises(TrailIsAppendOnly):
        event.save()
    with pytest.raises(TrailIsAppendOnly):
        event.delete()
    with pytest.raises(TrailIsAppendOnly):
        AccessEvent.objects.filter(pk=event.pk).update(justification="x")
    with pytest.raises(TrailIsAppendOnly):
        AccessEvent.objects.all().delete()
    with pytest.raises(TrailIsAppendOnly):
        AccessEvent.objects.bulk_update([event], ["justification"])
    with pytest.raises(TrailIsAppendOnly):
        AccessEvent.objects.bulk_create([AccessEvent(sequence=9)])
    anchor = audit.anchor_now()
    with pytest.raises(TrailIsAppendOnly):
        anchor.delete()
    with pytest.raises(TrailIsAppendOnly):
        AuditAnchor.objects.all().update(event_count=0)
    assert AccessEvent.objects.get(pk=event.pk).justification == ""
    assert audit.verify_chain().ok


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE core_accessevent SET justification = 'x'",
        "DELETE FROM core_accessevent",
        "UPDATE core_auditanchor SET event_count = 0",
        "DELETE FROM core_auditanchor",
        # TRUNCATE skips row triggers; PostgreSQL has a statement trigger for it (SQLite has no TRUNCATE).
        *(["TRUNCATE core_accessevent", "TRUNCATE core_auditanchor"] if connection.vendor == "postgresql" else []),
    ],
)
def test_database_triggers_refuse_raw_changes(sql):
    _record(2)
    audit.anchor_now()
    with pytest.raises(DatabaseError, match="ajout seul"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql)
    assert AccessEvent.objects.count() == 2 and AuditAnchor.objects.count() == 1
    assert audit.verify_chain().ok


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_async_commit_only_for_trail_only_appends():
    """Inside a caller's transaction the caller's durability is never weakened."""
    with transaction.atomic():
        _record()
        with connection.cursor() as cursor:
            cursor.execute("SHOW synchronous_commit")
            assert cursor.fetchone()[0] == "on"
    event = _record()[0]  # autocommit: its own transaction, committed asynchronously
    assert AccessEvent.objects.filter(pk=event.pk, hash=event.hash).exists()
    assert audit.verify_chain().ok


def test_appended_last_appends_when_the_block_ends_and_drops_on_error():
    from enrs.core.models import Notification

    before = AccessEvent.objects.count()
    user = get_user_model().objects.create_user(username="u-last", email="u-last@test.invalid")
    with transaction.atomic(), audit.appended_last():
        (event,) = _record()
        assert event.pk is None and AccessEvent.objects.count() == before  # kept for the end of the block
        later = Notification.objects.create(recipient=user, kind="test", title="écrit après la ligne de piste")
    event_row = AccessEvent.objects.get(pk=event.pk)
    assert event_row.pk > 0 and event.sequence == AccessEvent.objects.order_by("-sequence").first().sequence
    assert Notification.objects.filter(pk=later.pk).exists()
    assert audit.verify_chain().ok
    with pytest.raises(RuntimeError), transaction.atomic(), audit.appended_last():
        _record()
        raise RuntimeError("the unit of work fails")
    assert AccessEvent.objects.count() == before + 1
    (outside,) = _record()  # after the block, appends are immediate again
    assert outside.pk is not None
