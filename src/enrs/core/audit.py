"""The access trail: who touched which personal health data, when and how.

Every access goes through :func:`record`. Events form a hash chain: each row
stores the SHA-256 of its own canonical serialisation, which includes the
previous row's hash, so editing or deleting any row breaks every later link.
A per-database gapless ``sequence`` orders the chain; writers lock the single
chain-head row so two requests can never append to the same tip (no fork).
Every ``ENRS_AUDIT_ANCHOR_EVERY`` events (and on ``enrs audit anchor``) an
HMAC-signed anchor records the chain length and tip, which is what detects a
truncated tail. ``verify_chain`` walks the whole trail and reports the first
broken link in French.

The trail joins the caller's transaction: if the caller rolls back, the event
goes too (nothing was committed, so nothing was disclosed through this
transaction), and the chain-head lock is held until the caller commits.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import json
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime

import psycopg
from django.conf import settings
from django.db import connections, router, transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.ipv6 import clean_ipv6_address
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from enrs.core.middleware import request_id_var
from enrs.core.models import GENESIS_HASH, AccessEvent, AuditAnchor, AuditChainHead

ACTIONS = frozenset(AccessEvent.Action.values)
CHANNELS = frozenset(AccessEvent.Channel.values)
HEAD_ID = 1
ANCHOR_SALT = "enrs.core.audit.anchor"
_PG_LOCK_KEY = 0x454E5253  # "ENRS": serialises head creation on PostgreSQL
HASHED_FIELDS = (
    "sequence",
    "occurred_at",
    "actor_id",
    "actor_display",
    "role",
    "organisation_id",
    "patient_id",
    "object_type",
    "object_id",
    "action",
    "channel",
    "justification",
    "break_glass",
    "request_id",
    "ip_address",
    "previous_hash",
)


def async_commit_allowed() -> bool:
    """Trail-only appends may skip the WAL flush wait (docs/security/trail.md, Durability)."""
    return bool(getattr(settings, "ENRS_AUDIT_ASYNC_COMMIT", True))


def anchor_every() -> int:
    return int(getattr(settings, "ENRS_AUDIT_ANCHOR_EVERY", 1000))


# --- Writing ------------------------------------------------------------------


def record(
    *,
    actor,
    action: str,
    channel: str,
    patient_id: int | None = None,
    object_type: str = "",
    object_id: str = "",
    organisation_id: int | None = None,
    role: str = "",
    justification: str = "",
    break_glass: bool = False,
    request=None,
) -> AccessEvent:
    """Append one access to the trail and return it (already saved)."""
    if action not in ACTIONS:
        raise ValueError(_("Action de piste inconnue : « %(value)s ».") % {"value": action})
    if channel not in CHANNELS:
        raise ValueError(_("Canal de piste inconnu : « %(value)s ».") % {"value": channel})
    event = AccessEvent(
        occurred_at=timezone.now(),
        actor_id=_actor_id(actor),
        actor_display=_actor_display(actor)[:255],
        role=role[:50],
        organisation_id=organisation_id,
        patient_id=patient_id,
        object_type=str(object_type)[:100],
        object_id=str(object_id)[:100],
        action=action,
        channel=channel,
        justification=justification,
        break_glass=bool(break_glass),
        request_id=_request_id(request),
        ip_address=_client_ip(request),
    )
    pending = _appended_last.get()
    if pending is not None:
        pending.append(event)
        return event
    return _append(event)


_appended_last: ContextVar[list[AccessEvent] | None] = ContextVar("enrs_audit_appended_last", default=None)


@contextmanager
def appended_last():
    """Inside this block, :func:`record` keeps its events and appends them as the block ends.

    Appending locks the chain head until the commit. A unit of work that still writes
    after its trail lines (an HL7 message: the journal line comes after the effects)
    would hold that lock for those writes too; opened inside the transaction, this
    block makes the appends its last statements before the commit, so concurrent
    writers queue for less time. Until the block ends the events it returned are not
    saved (no sequence, no hash); if the block raises, they are dropped with the
    transaction they belonged to.
    """
    pending: list[AccessEvent] = []
    token = _appended_last.set(pending)
    try:
        yield
    finally:
        _appended_last.reset(token)
    for event in pending:
        _append(event)


def _append(event: AccessEvent) -> AccessEvent:
    alias = router.db_for_write(AccessEvent)
    connection = connections[alias]
    if connection.vendor == "postgresql" and _append_in_one_statement(connection, event):
        if event.sequence % anchor_every() == 0:
            with transaction.atomic(using=alias, savepoint=False):
                _write_anchor(alias, event.sequence, event.pk, event.hash, event.sequence)
    else:
        _append_in_python(alias, connection, event)
    event._state.adding, event._state.db = False, alias
    return event


def _append_in_python(alias: str, connection, event: AccessEvent) -> None:
    """Lock the head, hash in Python, insert and advance (SQLite; PostgreSQL's first event)."""
    with transaction.atomic(using=alias, savepoint=False), connection.cursor() as cursor:
        last_sequence, last_hash = _lock_chain_head(cursor, alias)
        event.sequence = last_sequence + 1
        event.previous_hash = last_hash
        event.hash = event_hash(event)
        _insert_and_advance(cursor, connection, event)
        if event.sequence % anchor_every() == 0:
            _write_anchor(alias, event.sequence, event.pk, event.hash, event.sequence)


# The hot path skips the ORM's insert machinery (several times the cost of the
# SQL itself); the row is the same one ``AccessEvent.save()`` would write.
_TABLE = AccessEvent._meta.db_table
_HEAD_TABLE = AuditChainHead._meta.db_table
_INSERT_FIELDS = (*HASHED_FIELDS, "hash")
_COLUMNS = ", ".join(f'"{AccessEvent._meta.get_field(name).column}"' for name in _INSERT_FIELDS)
_INSERT_SQL = f'INSERT INTO "{_TABLE}" ({_COLUMNS}) VALUES ({", ".join(["%s"] * len(_INSERT_FIELDS))}) RETURNING "id"'
_ADVANCE_HEAD_SQL = f"UPDATE {_HEAD_TABLE} SET last_sequence = %s, previous_hash = last_hash, last_hash = %s WHERE id = %s"

# PostgreSQL: the whole append in ONE statement, so one round trip (and, outside
# a transaction, no BEGIN/COMMIT round trips: a single statement is atomic).
# The UPDATE of the head row advances the tip and takes its row lock in one
# step: a concurrent writer waits for that lock, then PostgreSQL re-evaluates
# the SET expressions on the committed new version (READ COMMITTED re-check),
# so two writers never chain onto the same tip. Every SET expression sees the
# row's old values, which is how ``previous_hash`` receives the old tip and
# ``last_hash`` the new event's hash. The server computes that hash with its
# built-in ``sha256`` over the very canonical JSON Python would build: Python
# sends the JSON split around the two values only the head knows (previous
# hash and sequence, see ``canonical_parts``). One UPDATE instead of a locking
# SELECT followed by an UPDATE saves about a third of the statement's time.
_CHAINED_FIELDS = ("sequence", "previous_hash", "hash")
_OWN_FIELDS = tuple(name for name in _INSERT_FIELDS if name not in _CHAINED_FIELDS)


def _append_sql(connection) -> str:
    """The one-statement append, parameters typed so the server can prepare it once."""
    columns = [AccessEvent._meta.get_field(name) for name in _OWN_FIELDS]
    names = ", ".join(f'"{field.column}"' for field in columns)
    typed = ", ".join(f"%s::{field.db_type(connection)}" for field in columns)
    return f"""
WITH durability AS (
    SELECT set_config('synchronous_commit', 'off', true) WHERE %s::boolean
), advanced AS (
    UPDATE {_HEAD_TABLE}
    SET last_sequence = last_sequence + 1,
        previous_hash = last_hash,
        last_hash = encode(sha256(convert_to(
            %s::text || '"' || last_hash || '"' || %s::text || (last_sequence + 1)::text || %s::text, 'UTF8'
        )), 'hex')
    WHERE id = %s::bigint
    RETURNING last_sequence AS seq, previous_hash AS prev, last_hash AS hash
)
INSERT INTO "{_TABLE}" ({names}, "sequence", "previous_hash", "hash")
SELECT {typed}, advanced.seq, advanced.prev, advanced.hash FROM advanced LEFT JOIN durability ON true
RETURNING "id", "sequence", "previous_hash", "hash"
"""


_append_sql_cache: dict[str, str] = {}


def _append_in_one_statement(connection, event: AccessEvent) -> bool:
    """Append on PostgreSQL in one round trip; False when the head row is missing.

    The statement runs on a server-binding psycopg cursor over Django's own
    connection (same transaction) with ``prepare=True``: parsed and planned
    once per connection instead of on every access (Django's default cursor
    binds client-side and never prepares). Django's query log does not see it.
    """
    sql = _append_sql_cache.get(connection.alias) or _append_sql_cache.setdefault(connection.alias, _append_sql(connection))
    before, between, after = canonical_parts({name: getattr(event, name) for name in HASHED_FIELDS})
    connection.ensure_connection()
    trail_only = connection.get_autocommit() and async_commit_allowed()
    params = [trail_only, before, between, after, HEAD_ID, *(getattr(event, name) for name in _OWN_FIELDS)]
    with connection.wrap_database_errors, psycopg.Cursor(connection.connection) as cursor:
        cursor.execute(sql, params, prepare=True)
        row = cursor.fetchone()
    if row is None:
        return False
    event.pk, event.sequence, event.previous_hash, event.hash = row
    return True


def _insert_and_advance(cursor, connection, event: AccessEvent) -> None:
    values = [getattr(event, name) for name in _INSERT_FIELDS]
    values[_INSERT_FIELDS.index("occurred_at")] = connection.ops.adapt_datetimefield_value(event.occurred_at)
    cursor.execute(_INSERT_SQL, values)
    event.pk = cursor.fetchone()[0]
    cursor.execute(_ADVANCE_HEAD_SQL, [event.sequence, event.hash, HEAD_ID])


def _actor_id(actor) -> int | None:
    if actor is None or not getattr(actor, "is_authenticated", False):
        return None
    return actor.pk


SYSTEM_ACTOR_LABEL = _lazy("Système")


def _actor_display(actor) -> str:
    if actor is None or not getattr(actor, "is_authenticated", False):
        return str(SYSTEM_ACTOR_LABEL)
    full_name = actor.get_full_name() if hasattr(actor, "get_full_name") else ""
    return full_name.strip() or actor.get_username()


def _request_id(request) -> str:
    from_request = getattr(request, "request_id", "") if request is not None else ""
    current = from_request or request_id_var.get()
    return "" if current == "-" else current[:64]


def _client_ip(request) -> str | None:
    if request is None:
        return None
    address = request.META.get("REMOTE_ADDR") or ""
    return normalise_ip(address) or None


def normalise_ip(address: str | None) -> str:
    """The form the database gives back, so the hash survives a round trip."""
    if not address:
        return ""
    if ":" in address:
        try:
            return clean_ipv6_address(address)
        except Exception:  # noqa: BLE001 - an unparsable address is not stored
            return ""
    return address


def _lock_chain_head(cursor, alias: str) -> tuple[int, str]:
    """Lock the chain tip for this transaction and return (sequence, hash).

    The no-op UPDATE takes the row lock on PostgreSQL (held to commit) and the
    write lock on SQLite, so the read and the append that follow are serialised.
    """
    row = _touch_head(cursor)
    if row is None:
        row = _create_head(cursor, alias)
    return int(row[0]), row[1]


def _touch_head(cursor):
    cursor.execute(
        f"UPDATE {AuditChainHead._meta.db_table} SET last_sequence = last_sequence WHERE id = %s "
        "RETURNING last_sequence, last_hash",
        [HEAD_ID],
    )
    return cursor.fetchone()


def _create_head(cursor, alias: str):
    """First event (or after a flush): rebuild the head from the stored tail."""
    if connections[alias].vendor == "postgresql":
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_PG_LOCK_KEY])
        row = _touch_head(cursor)
        if row is not None:
            return row
    tail = AccessEvent.objects.using(alias).order_by("-sequence").values_list("sequence", "hash", "previous_hash").first()
    sequence, last_hash, previous_hash = tail or (0, GENESIS_HASH, GENESIS_HASH)
    AuditChainHead.objects.using(alias).create(
        id=HEAD_ID, last_sequence=sequence, last_hash=last_hash, previous_hash=previous_hash
    )
    return sequence, last_hash


# --- Hashing and anchors ----------------------------------------------------


def _canonical_value(name: str, value):
    if name == "occurred_at":
        return value.astimezone(UTC).isoformat(timespec="microseconds")
    if name == "ip_address":
        return normalise_ip(value) or None
    return value


_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
_dump = _ENCODER.encode  # the settings json.dumps(sort_keys=True, ...) uses for scalars
_SORTED_FIELDS = tuple(sorted(HASHED_FIELDS))
_KEYS = {name: _dump(name) + ":" for name in _SORTED_FIELDS}


def canonical_parts(values: dict) -> tuple[str, str, str]:
    """The canonical JSON cut around the previous hash and the sequence.

    ``before + '"' + previous_hash + '"' + between + str(sequence) + after`` is
    exactly ``json.dumps(payload, sort_keys=True, separators=(",", ":"),
    ensure_ascii=False)``: keys sorted, compact separators, so the text is the
    items joined by commas. PostgreSQL fills the two gaps itself (one-statement
    append); Python fills them in ``canonical_payload``. One builder, one format.
    """
    text, parts = "{", []
    for index, name in enumerate(_SORTED_FIELDS):
        text += ("," if index else "") + _KEYS[name]
        if name in ("previous_hash", "sequence"):
            parts.append(text)
            text = ""
        else:
            text += _dump(_canonical_value(name, values[name]))
    before, between = parts
    return before, between, text + "}"


def canonical_payload(values: dict) -> bytes:
    """Sorted compact JSON of the hashed fields; times in UTC ISO 8601."""
    before, between, after = canonical_parts(values)
    return f'{before}"{values["previous_hash"]}"{between}{values["sequence"]}{after}'.encode()


def event_hash(event: AccessEvent) -> str:
    return _hash_values({name: getattr(event, name) for name in HASHED_FIELDS})


def _hash_values(values: dict) -> str:
    return hashlib.sha256(canonical_payload(values)).hexdigest()


def anchor_message(last_sequence: int, last_event_id: int, last_hash: str, event_count: int, created_at: datetime) -> str:
    stamp = created_at.astimezone(UTC).isoformat(timespec="microseconds")
    return f"{last_sequence}|{last_event_id}|{last_hash}|{event_count}|{stamp}"


def sign_anchor(message: str, secret: str | None = None) -> str:
    return salted_hmac(ANCHOR_SALT, message, secret=secret, algorithm="sha256").hexdigest()


def anchor_signature_valid(anchor: AuditAnchor) -> bool:
    message = anchor_message(
        anchor.last_sequence, anchor.last_event_id, anchor.last_hash, anchor.event_count, anchor.created_at
    )
    # Fallback keys keep old anchors verifiable after a SECRET_KEY rotation.
    secrets = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return any(hmac.compare_digest(anchor.signature, sign_anchor(message, secret)) for secret in secrets)


def _write_anchor(alias: str, last_sequence: int, last_event_id: int, last_hash: str, count: int) -> AuditAnchor:
    created_at = timezone.now()
    anchor = AuditAnchor(
        last_sequence=last_sequence,
        last_event_id=last_event_id,
        last_hash=last_hash,
        event_count=count,
        created_at=created_at,
        signature=sign_anchor(anchor_message(last_sequence, last_event_id, last_hash, count, created_at)),
    )
    anchor.save(using=alias)
    return anchor


def anchor_now() -> AuditAnchor | None:
    """Sign the current tip (``enrs audit anchor``); None when the trail is empty."""
    alias = router.db_for_write(AccessEvent)
    with transaction.atomic(using=alias), connections[alias].cursor() as cursor:
        last_sequence, last_hash = _lock_chain_head(cursor, alias)
        if last_sequence == 0:
            return None
        tip = AccessEvent.objects.using(alias).filter(sequence=last_sequence).values_list("pk", flat=True).first()
        if tip is None:
            return None
        return _write_anchor(alias, last_sequence, tip, last_hash, last_sequence)


# --- Verifying --------------------------------------------------------------


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    count: int
    event_id: int | None = None
    problem: str = ""


def _stored_events(alias: str) -> Iterator[dict]:
    fields = ("pk", "hash", *HASHED_FIELDS)
    rows = AccessEvent.objects.using(alias).order_by("sequence").values_list(*fields)
    for row in rows.iterator(chunk_size=5000):
        yield dict(zip(fields, row, strict=True))


def verify_chain() -> VerifyResult:
    """Walk the whole trail; stop at the first broken link."""
    alias = router.db_for_write(AccessEvent)
    expected_sequence, expected_previous, count = 1, GENESIS_HASH, 0
    hashes_by_sequence: dict[int, tuple[int, str]] = {}
    anchored = set(AuditAnchor.objects.using(alias).values_list("last_sequence", flat=True))
    for values in _stored_events(alias):
        problem = _link_problem(values, expected_sequence, expected_previous)
        if problem:
            return VerifyResult(False, count, values["pk"], problem)
        if values["sequence"] in anchored:
            hashes_by_sequence[values["sequence"]] = (values["pk"], values["hash"])
        expected_sequence, expected_previous = values["sequence"] + 1, values["hash"]
        count += 1
    return _verify_anchors(alias, count, hashes_by_sequence)


def _link_problem(values: dict, expected_sequence: int, expected_previous: str) -> str:
    if values["sequence"] != expected_sequence:
        return _(
            "rang %(found)s trouvé alors que le rang %(expected)s était attendu : "
            "au moins un événement précédent a été supprimé."
        ) % {"found": values["sequence"], "expected": expected_sequence}
    if values["previous_hash"] != expected_previous:
        return _("l'empreinte précédente enregistrée ne correspond pas à celle de l'événement précédent : lien rompu.")
    if _hash_values(values) != values["hash"]:
        return _("le contenu de l'événement a été modifié : son empreinte recalculée ne correspond pas.")
    return ""


def _verify_anchors(alias: str, count: int, hashes_by_sequence: dict[int, tuple[int, str]]) -> VerifyResult:
    for anchor in AuditAnchor.objects.using(alias).order_by("last_sequence"):
        if not anchor_signature_valid(anchor):
            return VerifyResult(
                False, count, anchor.last_event_id,
                _("l'ancre n° %(id)s a une signature invalide : ancre falsifiée.") % {"id": anchor.pk},
            )  # fmt: skip
        stored = hashes_by_sequence.get(anchor.last_sequence)
        if stored is None:
            return VerifyResult(
                False, count, anchor.last_event_id,
                _(
                    "la chaîne a été tronquée : l'ancre n° %(id)s atteste de %(anchored)s événements, "
                    "il n'en reste que %(count)s."
                ) % {"id": anchor.pk, "anchored": anchor.event_count, "count": count},
            )  # fmt: skip
        if stored[1] != anchor.last_hash:
            return VerifyResult(
                False, count, stored[0],
                _("l'événement ne correspond pas à l'empreinte scellée par l'ancre n° %(id)s.") % {"id": anchor.pk},
            )  # fmt: skip
    head = AuditChainHead.objects.using(alias).filter(pk=HEAD_ID).first()
    if head is not None and head.last_sequence > count:
        return VerifyResult(
            False, count, None,
            _("la chaîne a été tronquée : la tête de chaîne indique %(head)s événements, il n'en reste que %(count)s.")
            % {"head": head.last_sequence, "count": count},
        )  # fmt: skip
    return VerifyResult(True, count)


# --- Reading ----------------------------------------------------------------


def events_for_patient(patient_id: int):
    """The patient's own trail, newest first (for the patient page)."""
    return AccessEvent.objects.filter(patient_id=patient_id).order_by("-occurred_at", "-sequence")


def events_for_user(user_id: int):
    return AccessEvent.objects.filter(actor_id=user_id).order_by("sequence")


def events_between(start: datetime | None, end: datetime | None):
    events = AccessEvent.objects.order_by("sequence")
    if start is not None:
        events = events.filter(occurred_at__gte=start)
    if end is not None:
        events = events.filter(occurred_at__lt=end)
    return events


# --- DPO export -----------------------------------------------------------

EXPORT_HEADERS = (
    _lazy("Rang"),
    _lazy("Date (heure de Paris)"),
    _lazy("Utilisateur (id)"),
    _lazy("Utilisateur"),
    _lazy("Rôle"),
    _lazy("Organisation (id)"),
    _lazy("Patient (id)"),
    _lazy("Type d'objet"),
    _lazy("Identifiant d'objet"),
    _lazy("Action"),
    _lazy("Canal"),
    _lazy("Justification"),
    _lazy("Bris de glace"),
    _lazy("Identifiant de requête"),
    _lazy("Adresse IP"),
    _lazy("Empreinte"),
)
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _cell(value) -> str:
    """Text for a CSV cell; free text that Excel would run as a formula is defused."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def export_rows(events) -> Iterator[list[str]]:
    actions, channels = dict(AccessEvent.Action.choices), dict(AccessEvent.Channel.choices)
    paris = timezone.get_default_timezone()
    yield [str(header) for header in EXPORT_HEADERS]
    for event in events.iterator(chunk_size=2000):
        yield [
            _cell(value)
            for value in (
                event.sequence,
                timezone.localtime(event.occurred_at, paris).strftime("%d/%m/%Y %H:%M:%S"),
                event.actor_id,
                event.actor_display,
                event.role,
                event.organisation_id,
                event.patient_id,
                event.object_type,
                event.object_id,
                actions.get(event.action, event.action),
                channels.get(event.channel, event.channel),
                event.justification,
                _("oui") if event.break_glass else _("non"),
                event.request_id,
                event.ip_address,
                event.hash,
            )
        ]


def write_export(events, stream) -> int:
    """Write the CSV the DPO opens in Excel (';' separated, BOM); return the row count."""
    stream.write("\ufeff")
    writer = csv.writer(stream, delimiter=";", lineterminator="\r\n")
    count = -1
    for count, row in enumerate(export_rows(events)):  # noqa: B007 - count is the result
        writer.writerow(row)
    return count


def export_events(*, patient_id=None, user_id=None, start=None, end=None):
    """The events a DPO export selects; filters combine."""
    events = events_between(start, end)
    if patient_id is not None:
        events = events.filter(patient_id=patient_id)
    if user_id is not None:
        events = events.filter(actor_id=user_id)
    return events


def describe_export(*, patient_id=None, user_id=None, start=None, end=None) -> str:
    parts = []
    if patient_id is not None:
        parts.append(f"patient={patient_id}")
    if user_id is not None:
        parts.append(f"user={user_id}")
    if start is not None:
        parts.append(f"from={start.isoformat()}")
    if end is not None:
        parts.append(f"to={end.isoformat()}")
    return " ".join(parts)[:100]


# --- Database guard ---------------------------------------------------------
# Triggers refuse UPDATE and DELETE (and TRUNCATE on PostgreSQL) on the trail
# tables, so that even raw SQL through the application's connection cannot
# rewrite history. Someone who can drop a trigger can still tamper: that is
# what the hash chain and the anchors detect.

GUARDED_TABLES = ("core_accessevent", "core_auditanchor")
_REFUSAL = "piste d''accès en ajout seul : modification et suppression refusées"


def _sqlite_guard_sql() -> list[str]:
    statements = []
    for table in GUARDED_TABLES:
        for operation in ("UPDATE", "DELETE"):
            statements.append(
                f"CREATE TRIGGER IF NOT EXISTS {table}_no_{operation.lower()} BEFORE {operation} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{_REFUSAL}'); END"
            )
    return statements


def _postgresql_guard_sql() -> list[str]:
    statements = [
        "CREATE OR REPLACE FUNCTION enrs_audit_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$ "
        f"BEGIN RAISE EXCEPTION '{_REFUSAL} (%% sur %%)', TG_OP, TG_TABLE_NAME "
        "USING ERRCODE = 'insufficient_privilege'; END $$"
    ]
    for table in GUARDED_TABLES:
        statements += [
            f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}",
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION enrs_audit_refuse_change()",
            f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}",
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION enrs_audit_refuse_change()",
        ]
    return statements


def _guard_removal_sql(vendor: str) -> list[str]:
    if vendor == "postgresql":
        statements = []
        for table in GUARDED_TABLES:
            statements += [
                f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}",
                f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}",
            ]
        return [*statements, "DROP FUNCTION IF EXISTS enrs_audit_refuse_change()"]
    return [f"DROP TRIGGER IF EXISTS {t}_no_{op} " for t in GUARDED_TABLES for op in ("update", "delete")]


def install_guard(connection) -> None:
    if connection.vendor == "postgresql":
        statements = _postgresql_guard_sql()
    elif connection.vendor == "sqlite":
        statements = _sqlite_guard_sql()
    else:
        return
    with connection.cursor() as cursor:
        for statement in statements:
            # With params the drivers turn '%%' into a literal '%'.
            cursor.execute(statement, [])


def remove_guard(connection) -> None:
    with connection.cursor() as cursor:
        for statement in _guard_removal_sql(connection.vendor):
            cursor.execute(statement, [])
