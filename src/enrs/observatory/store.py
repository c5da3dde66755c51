"""The analytical store of accepted RPU passages: an interface and its DuckDB implementation.

Services and selectors talk to :class:`AnalyticalStore` only; :func:`get_store`
returns the configured implementation. DuckDB (embedded, one file under
``$ENRS_VAR_DIR``, path in ``ENRS_OBSERVATORY_DUCKDB``) is the default; another
engine (PostgreSQL, a server-side columnar engine) implements the same four
methods with the same SQL (plain ANSI aggregates, ``?`` parameters).

Times in the store are Europe/Paris wall-clock times without zone: every ORU
indicator (night, hour slots, weekday) is defined on local time, and stays
are computed in UTC before storing (``duree_min``), so DST nights are right.

DuckDB allows one writing process per file: each call opens and closes its
own connection, so a CLI ingest and the web server take turns (a busy file
raises ``StoreBusy``, answered in French by the callers).
"""

from __future__ import annotations

import datetime as dt
import os
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

import duckdb
import pyarrow as pa
from django.conf import settings

from enrs.observatory import aggregates

TABLE = "passages"
# Another process (an ingest, the web server) holds the file: wait this long before answering "busy".
LOCK_WAIT_SECONDS = 10.0
CREATE_TABLE = f"""
CREATE TABLE IF NOT EXISTS {TABLE} (
    finess VARCHAR NOT NULL, departement VARCHAR, entree TIMESTAMP NOT NULL, jour DATE NOT NULL,
    sortie TIMESTAMP, duree_min INTEGER, age SMALLINT, age_jours INTEGER, sexe VARCHAR, cp VARCHAR,
    commune VARCHAR, mode_entree VARCHAR, provenance VARCHAR, transport VARCHAR, transport_pec VARCHAR,
    motif VARCHAR, gravite VARCHAR, dp VARCHAR, da VARCHAR, actes VARCHAR, mode_sortie VARCHAR,
    destination VARCHAR, orient VARCHAR
)
"""


class StoreBusy(Exception):
    """The analytical file is locked by another process."""


class AnalyticalStore(Protocol):
    def replace_days(self, finess: str, first_day: dt.date, last_day: dt.date, rows: pa.Table) -> int:
        """Delete the passages of ``finess`` on [first_day, last_day], insert ``rows``, refresh the per-day
        aggregates of those days (``aggregates.py``); one transaction."""

    def query(self, sql: str, params: list[Any] | None = None) -> list[tuple]:
        """Run a read-only query over the ``passages`` table and the aggregate tables."""

    def count(self, finess: str | None = None) -> int:
        """Number of stored passages (of one establishment)."""

    def clear(self) -> None:
        """Drop every passage (tests, demo reset)."""

    def session(self, *, read_only: bool = False):
        """Context manager: one connection for every call inside (cheap when an engine has no such cost)."""


def default_path() -> Path:
    configured = getattr(settings, "ENRS_OBSERVATORY_DUCKDB", None) or os.environ.get("ENRS_OBSERVATORY_DUCKDB")
    return Path(configured) if configured else Path(settings.VAR_DIR) / "observatory.duckdb"


class DuckDBStore:
    """Each call opens its own connection, except inside ``with store.session():`` where one
    connection serves every call (a dashboard's dozen queries, a batch of files): opening a
    DuckDB file costs tens of milliseconds."""

    def __init__(self, path: str | Path | None = None, *, threads: int | None = None) -> None:
        self.path = Path(path) if path else default_path()
        self.threads = threads
        self._session: duckdb.DuckDBPyConnection | None = None

    @contextmanager
    def session(self, *, read_only: bool = False):
        if self._session is not None:  # nested: reuse
            yield self
            return
        self._session = self._open(read_only=read_only)
        try:
            yield self
        finally:
            self._session.close()
            self._session = None

    @contextmanager
    def _connection(self, read_only: bool = False):
        if self._session is not None:
            yield self._session
            return
        connection = self._open(read_only=read_only)
        try:
            yield connection
        finally:
            connection.close()

    def _open(self, read_only: bool = False) -> duckdb.DuckDBPyConnection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        deadline = time.monotonic() + LOCK_WAIT_SECONDS
        while True:
            try:
                if read_only and self.path.exists():
                    connection = duckdb.connect(str(self.path), read_only=True)
                else:
                    connection = duckdb.connect(str(self.path))
                    self._prepare(connection)
                break
            except duckdb.IOException as exc:  # another process holds the write lock: wait a little
                if time.monotonic() > deadline:
                    raise StoreBusy(str(exc)) from exc
                time.sleep(0.05)
        if self.threads:
            connection.execute(f"SET threads = {int(self.threads)}")
        if read_only and not self._aggregates_current(connection):
            connection.close()  # a store written before the aggregates (or with other syndromes): upgrade once
            self._open(read_only=False).close()
            return self._open(read_only=True)
        return connection

    @staticmethod
    def _aggregates_current(connection) -> bool:
        try:
            row = connection.execute(f"SELECT value FROM {aggregates.META} WHERE key = 'syndromes_version'").fetchone()
        except duckdb.CatalogException:
            return False
        return row is not None and row[0] == aggregates.syndromes_version()

    def _prepare(self, connection) -> None:
        """Create the tables; (re)build the aggregates when they are missing or out of date."""
        connection.execute(CREATE_TABLE)
        for statement in aggregates.create_statements():
            connection.execute(statement)
        if self._aggregates_current(connection):
            return
        connection.execute("BEGIN TRANSACTION")
        try:
            for statement in aggregates.rebuild_statements():
                connection.execute(statement)
            connection.execute("COMMIT")
        except Exception:
            connection.execute("ROLLBACK")
            raise

    def replace_days(self, finess: str, first_day: dt.date, last_day: dt.date, rows: pa.Table) -> int:
        with self._connection() as connection:
            connection.execute("BEGIN TRANSACTION")
            try:
                days = [finess, first_day, last_day]
                connection.execute(f"DELETE FROM {TABLE} WHERE finess = ? AND jour BETWEEN ? AND ?", days)
                for statement in aggregates.delete_statements():
                    connection.execute(statement, days)
                connection.register("incoming", rows)
                connection.execute(f"INSERT INTO {TABLE} SELECT * FROM incoming")
                for statement in aggregates.insert_statements("incoming"):
                    connection.execute(statement)
                connection.unregister("incoming")
                connection.execute("COMMIT")
            except Exception:
                connection.execute("ROLLBACK")
                raise
        return rows.num_rows

    def query(self, sql: str, params: list[Any] | None = None) -> list[tuple]:
        with self._connection(read_only=True) as connection:
            return connection.execute(sql, params or []).fetchall()

    def count(self, finess: str | None = None) -> int:
        if finess is None:
            return self.query(f"SELECT count(*) FROM {TABLE}")[0][0]
        return self.query(f"SELECT count(*) FROM {TABLE} WHERE finess = ?", [finess])[0][0]

    def clear(self) -> None:
        with self._connection() as connection:
            for table in (TABLE, aggregates.DAILY, aggregates.SYNDROMES):
                connection.execute(f"DELETE FROM {table}")


def get_store() -> AnalyticalStore:
    return DuckDBStore()
