"""The capacity writes in SQL: the hot path of the capacity module.

Systems push figures often (every few minutes, for every place of a region), so a
call costs a fixed, small number of statements whatever the batch size:

- PostgreSQL: ONE statement (``store_in_one_statement``, a data-modifying CTE) that
  reads and locks the stored figures of the keys sent, writes the new and changed ones,
  and writes nothing when one of them is older than the stored figure;
- SQLite (3.35 or later): one read of the stored figures (``stored_figures``), then one
  ``upsert`` statement, in a transaction (round trips cost nothing in-process).

Both write with ``INSERT … ON CONFLICT (place, nature, status, temporality) DO UPDATE
… WHERE stored.updated_at <= excluded.updated_at``: an older figure never overwrites a
newer one, even against a concurrent writer that inserted the same key after the read.

A capacity update made outside any transaction commits asynchronously on PostgreSQL
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

from enrs.offer.models import Capacity, Concept

KEY_FIELDS = ("place", "capacity_type", "status", "temporality")
VALUE_FIELDS = ("count", "source_type", "temporary_assignment", "gender", "crisis_type", "updated_at", "received_at",
                "updated_by", "channel", "departement")


@dataclass(frozen=True)
class StoredFigure:
    pk: int
    count: int
    updated_at: dt.datetime


@dataclass
class Figure:
    """A capacity figure as written (a plain object: building model instances was a
    large share of the time of an update). Coded values are ``Concept`` instances."""

    place_id: int
    capacity_type: Concept
    status: Concept
    temporality: Concept
    count: int
    source_type: Concept
    temporary_assignment: Concept | None
    gender: Concept | None
    crisis_type: Concept | None
    updated_at: dt.datetime
    received_at: dt.datetime
    updated_by_id: int | None
    channel: str
    departement: str
    pk: int | None = None

    @property
    def key(self) -> tuple[int, int, int]:
        return (self.capacity_type.pk, self.status.pk, self.temporality.pk)

    def row(self, adapt) -> tuple:
        """Values in the order of ``KEY_FIELDS + VALUE_FIELDS`` (``adapt``: the database's datetime adapter)."""
        optional = lambda concept: concept.pk if concept is not None else None  # noqa: E731
        return (
            self.place_id, *self.key, self.count, self.source_type.pk, optional(self.temporary_assignment), optional(self.gender),
            optional(self.crisis_type), adapt(self.updated_at), adapt(self.received_at), self.updated_by_id, self.channel, self.departement,
        )


@dataclass(frozen=True)
class _Statements:
    read: str
    read_one: str
    upsert_head: str
    row: str
    upsert_tail: str


@lru_cache(maxsize=4)
def _statements(vendor: str) -> _Statements:
    """The SQL texts, built once per database vendor."""
    quote = connection.ops.quote_name
    column = lambda name: quote(Capacity._meta.get_field(name).column)  # noqa: E731
    key, values = [column(name) for name in KEY_FIELDS], [column(name) for name in VALUE_FIELDS]
    table, updated_at, pk = quote(Capacity._meta.db_table), column("updated_at"), column("id")
    read = f"SELECT {pk}, {', '.join(key[1:])}, {column('count')}, {updated_at} FROM {table} WHERE {key[0]} = %s"
    return _Statements(
        read=read,
        read_one=f"{read} AND " + " AND ".join(f"{c} = %s" for c in key[1:]),
        upsert_head=f"INSERT INTO {table} ({', '.join(key + values)}) VALUES ",
        row="(" + ", ".join(["%s"] * (len(key) + len(values))) + ")",
        upsert_tail=(
            f" ON CONFLICT ({', '.join(key)}) DO UPDATE SET {', '.join(f'{c} = excluded.{c}' for c in values)}"
            f" WHERE {table}.{updated_at} <= excluded.{updated_at} RETURNING {pk}, {', '.join(key[1:])}"
        ),
    )


def moment(value) -> dt.datetime:
    """A datetime read by a raw cursor: SQLite gives naive UTC (or text), PostgreSQL aware."""
    if isinstance(value, str):
        value = parse_datetime(value)
    return timezone.make_aware(value, dt.timezone.utc) if timezone.is_naive(value) else value


def stored_figures(place_id: int, keys: list[tuple[int, int, int]]) -> dict[tuple[int, int, int], StoredFigure]:
    """The stored figures of a place by ``(nature, status, temporality)`` ids (only the
    one asked when there is one key), locked until the end of the transaction."""
    statements = _statements(connection.vendor)
    sql, params = (statements.read_one, (place_id, *keys[0])) if len(keys) == 1 else (statements.read, (place_id,))
    if connection.features.has_select_for_update:
        sql += " FOR UPDATE"
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return {(nature, status, temporality): StoredFigure(pk, count, moment(updated_at))
            for pk, nature, status, temporality, count, updated_at in rows}


def upsert(figures: list[Figure]) -> None:
    """Insert or update ``figures`` in one statement (never over a newer stored figure);
    sets the primary key of the new ones."""
    if not figures:
        return
    statements = _statements(connection.vendor)
    adapt = connection.ops.adapt_datetimefield_value
    sql = statements.upsert_head + ", ".join([statements.row] * len(figures)) + statements.upsert_tail
    with connection.cursor() as cursor:
        cursor.execute(sql, [value for figure in figures for value in figure.row(adapt)])
        ids = {tuple(row[1:]): row[0] for row in cursor.fetchall()}
    for figure in figures:
        figure.pk = ids.get(figure.key, figure.pk)


# --- PostgreSQL: the whole batch in one statement ---------------------------------------------
# Each round trip to the server costs a wake-up of both processes, a large share of an
# update on a loaded machine. On PostgreSQL the read, the checks and the write are one
# statement (data-modifying CTE), with no transaction or savepoint around it (a single
# statement is atomic): ``old`` reads and locks the stored figures of the keys sent;
# ``written`` inserts or updates the new and changed figures, and writes NOTHING when
# one figure of the batch is older than the stored one (the service then reports it:
# all or nothing without a savepoint); ``durability`` relaxes the commit when asked.
@lru_cache(maxsize=64)
def _one_statement_sql(rows: int) -> str:
    quote = connection.ops.quote_name
    fields = [Capacity._meta.get_field(name) for name in KEY_FIELDS + VALUE_FIELDS]
    columns = [quote(field.column) for field in fields]
    key, values = columns[: len(KEY_FIELDS)], columns[len(KEY_FIELDS) :]
    table, pk, count, updated_at = (quote(Capacity._meta.db_table), quote("id"), quote("count"), quote("updated_at"))
    typed_row = "(" + ", ".join(f"%s::{field.db_type(connection)}" for field in fields) + ")"
    same_key = lambda a, b: " AND ".join(f"{a}.{c} = {b}.{c}" for c in key)  # noqa: E731
    return f"""
WITH durability AS (
    SELECT set_config('synchronous_commit', 'off', true) WHERE %s::boolean
), new ({", ".join(columns)}) AS (
    VALUES {", ".join([typed_row] * rows)}
), old AS (
    SELECT c.{pk}, {", ".join(f"c.{c}" for c in key[1:])}, c.{count}, c.{updated_at}
    FROM {table} c JOIN new n ON {same_key("c", "n")} FOR UPDATE OF c
), written AS (
    INSERT INTO {table} ({", ".join(columns)})
    SELECT {", ".join(f"n.{c}" for c in columns)} FROM new n
    WHERE NOT EXISTS (SELECT 1 FROM old o JOIN new m ON {" AND ".join(f"o.{c} = m.{c}" for c in key[1:])} WHERE o.{updated_at} > m.{updated_at})
      AND NOT EXISTS (SELECT 1 FROM old o WHERE {" AND ".join(f"o.{c} = n.{c}" for c in key[1:])}
                      AND o.{updated_at} = n.{updated_at} AND o.{count} = n.{count})
    ON CONFLICT ({", ".join(key)}) DO UPDATE SET {", ".join(f"{c} = excluded.{c}" for c in values)}
    WHERE {table}.{updated_at} <= excluded.{updated_at}
    RETURNING {pk}, {", ".join(key[1:])}
)
SELECT 'old', {pk}, {", ".join(key[1:])}, {count}, {updated_at} FROM old
UNION ALL SELECT 'new', {pk}, {", ".join(key[1:])}, NULL, NULL FROM written
UNION ALL SELECT 'durability', NULL, NULL, NULL, NULL, NULL, NULL FROM durability
"""


def store_in_one_statement(place_id: int, figures: list[Figure], *, relax: bool) -> dict[tuple[int, int, int], StoredFigure]:
    """PostgreSQL: check and write a place's figures in one statement (see above).

    Returns the figures stored *before* (by key); sets the primary key of the figures
    written. Nothing is written if one figure is older than the stored one."""
    adapt = connection.ops.adapt_datetimefield_value
    params = [relax, *(value for figure in figures for value in figure.row(adapt))]
    with connection.cursor() as cursor:
        cursor.execute(_one_statement_sql(len(figures)), params)
        rows = cursor.fetchall()
    before, written = {}, {}
    for kind, pk, nature, status, temporality, count, updated_at in rows:
        if kind == "old":
            before[(nature, status, temporality)] = StoredFigure(pk, count, moment(updated_at))
        elif kind == "new":
            written[(nature, status, temporality)] = pk
    for figure in figures:
        figure.pk = written.get(figure.key, figure.pk)
    return before


def in_one_statement() -> bool:
    return connection.vendor == "postgresql"


def async_commit_allowed() -> bool:
    return bool(getattr(settings, "ENRS_OFFER_CAPACITY_ASYNC_COMMIT", True))


def outside_any_transaction() -> bool:
    return connection.get_autocommit()
