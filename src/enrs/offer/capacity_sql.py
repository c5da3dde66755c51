"""The capacity writes in SQL: the hot path of the capacity module.

Systems push figures often (every few minutes, for every place of a region), so a
figure costs a fixed, small number of statements whatever the batch size, the same
text on SQLite (3.35 or later) and PostgreSQL:

- one read of the stored figures of the place for the keys sent, ``FOR UPDATE`` on
  PostgreSQL (the rules of ``services._store_capacities`` are checked against it);
- one ``INSERT … ON CONFLICT (place, nature, status, temporality) DO UPDATE`` for
  every new or changed figure of the batch, which never lets an older figure
  overwrite a newer one (``WHERE stored.updated_at <= excluded.updated_at``), even
  against a concurrent writer that inserted the same key after the read.

A capacity transaction of its own commits asynchronously on PostgreSQL
(docs/decisions/0003-capacity-async-commit.md, ``ENRS_OFFER_CAPACITY_ASYNC_COMMIT``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings
from django.db import connection
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from enrs.offer.models import Capacity

KEY_FIELDS = ("place", "capacity_type", "status", "temporality")
VALUE_FIELDS = ("count", "source_type", "temporary_assignment", "gender", "crisis_type", "updated_at", "received_at",
                "updated_by", "channel", "departement")


@dataclass(frozen=True)
class StoredFigure:
    pk: int
    count: int
    updated_at: dt.datetime


def _column(name: str) -> str:
    return connection.ops.quote_name(Capacity._meta.get_field(name).column)


@lru_cache(maxsize=4)
def _names(vendor: str) -> dict[str, str]:
    """Table and column names, quoted once (per database vendor)."""
    key = [_column(name) for name in KEY_FIELDS]
    values = [_column(name) for name in VALUE_FIELDS]
    table = connection.ops.quote_name(Capacity._meta.db_table)
    updated_at = _column("updated_at")
    return {
        "table": table, "columns": ", ".join(key + values), "width": str(len(key) + len(values)),
        "key": ", ".join(key), "set": ", ".join(f"{c} = excluded.{c}" for c in values), "updated_at": updated_at,
        "read": f"SELECT {_column('id')}, {', '.join(key[1:])}, {_column('count')}, {updated_at} FROM {table} WHERE {key[0]} = %s",
        "one": " AND ".join(f"{c} = %s" for c in key[1:]),
    }


def moment(value) -> dt.datetime:
    """A datetime read by a raw cursor: SQLite gives naive UTC (or text), PostgreSQL aware."""
    if isinstance(value, str):
        value = parse_datetime(value)
    return timezone.make_aware(value, dt.timezone.utc) if timezone.is_naive(value) else value


def stored_figures(place_id: int, keys: list[tuple[int, int, int]]) -> dict[tuple[int, int, int], StoredFigure]:
    """The stored figures of a place by ``(nature, status, temporality)`` ids (only the
    one asked when there is one key), locked until the end of the transaction."""
    names = _names(connection.vendor)
    sql, params = names["read"], [place_id]
    if len(keys) == 1:
        sql, params = f"{sql} AND {names['one']}", [place_id, *keys[0]]
    if connection.features.has_select_for_update:
        sql += " FOR UPDATE"
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return {(nature, status, temporality): StoredFigure(pk, count, moment(updated_at))
            for pk, nature, status, temporality, count, updated_at in rows}


def _row(obj: Capacity) -> list:
    adapt = connection.ops.adapt_datetimefield_value
    return [
        obj.place_id, obj.capacity_type_id, obj.status_id, obj.temporality_id, obj.count, obj.source_type_id,
        obj.temporary_assignment_id, obj.gender_id, obj.crisis_type_id, adapt(obj.updated_at), adapt(obj.received_at),
        obj.updated_by_id, obj.channel, obj.departement,
    ]


def upsert(figures: list[Capacity]) -> None:
    """Insert or update ``figures`` in one statement; sets the primary key of new ones."""
    if not figures:
        return
    names = _names(connection.vendor)
    placeholders = "(" + ", ".join(["%s"] * int(names["width"])) + ")"
    sql = (
        f"INSERT INTO {names['table']} ({names['columns']}) VALUES {', '.join([placeholders] * len(figures))}"
        f" ON CONFLICT ({names['key']}) DO UPDATE SET {names['set']}"
        f" WHERE {names['table']}.{names['updated_at']} <= excluded.{names['updated_at']}"
        f" RETURNING {_column('id')}, {_column('capacity_type')}, {_column('status')}, {_column('temporality')}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [value for obj in figures for value in _row(obj)])
        ids = {tuple(row[1:]): row[0] for row in cursor.fetchall()}
    for obj in figures:
        obj.pk = ids.get((obj.capacity_type_id, obj.status_id, obj.temporality_id), obj.pk)


def async_commit_allowed() -> bool:
    return bool(getattr(settings, "ENRS_OFFER_CAPACITY_ASYNC_COMMIT", True))


def outside_any_transaction() -> bool:
    return connection.get_autocommit()


def relax_durability() -> None:
    """For a transaction holding only capacity figures (opened by the capacity service
    outside any other): PostgreSQL commits it without waiting for the WAL flush."""
    if connection.vendor == "postgresql" and async_commit_allowed():
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('synchronous_commit', 'off', true)")
