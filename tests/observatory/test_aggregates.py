"""Per-day pre-aggregates: always equal to the same counters computed over the stored passages."""

from __future__ import annotations

import datetime as dt
import random

import duckdb
import pytest

from enrs.observatory import aggregates, indicators, services
from enrs.observatory.generator import records_for_day
from enrs.observatory.store import DuckDBStore

from .conftest import rpu_bytes

pytestmark = pytest.mark.django_db
FIRST = dt.date(2025, 1, 6)


def raw_counters(store, scope):
    """The dashboard counters recomputed from the passages, without the aggregates."""
    where, params = scope.where()
    measures = ", ".join(sql for _name, sql in indicators.TOTAL_MEASURES)
    row = store.query(f"SELECT {measures} FROM passages WHERE {where}", params)[0]
    return {name: value or 0 for (name, _sql), value in zip(indicators.TOTAL_MEASURES, row, strict=True)}


def raw_syndromes(store, scope):
    where, params = scope.where()
    return {
        code: store.query(f"SELECT count(*) FROM passages WHERE {where} AND {aggregates.syndrome_condition(p, age)}", params)[0][0]
        for code, _label, p, age in aggregates.syndrome_definitions()
    }


def daily_syndromes(store, scope):
    where, params = scope.where()
    counts = dict(store.query(f"SELECT code, sum(n) FROM {aggregates.SYNDROMES} WHERE {where} GROUP BY code", params))
    return {code: counts.get(code, 0) for code, *_rest in aggregates.syndrome_definitions()}


def send(finess, first, days, seed, per_day=30):
    rng = random.Random(seed)
    records = [r for n in range(days) for r, _bad in records_for_day(first + dt.timedelta(days=n), per_day, rng, 0.05)]
    return services.ingest_bytes(rpu_bytes(finess, records, first, first + dt.timedelta(days=days - 1)), filename="f.xml",
                                 channel="cli")


def test_aggregates_follow_replacements_and_stores_without_them_are_rebuilt(hospitals, store):
    caen, rouen = hospitals["caen"].finess, hospitals["rouen"].finess
    send(caen, FIRST, 7, seed=1)
    send(rouen, FIRST, 7, seed=2)
    send(caen, FIRST + dt.timedelta(days=2), 3, seed=3, per_day=60)  # replaces three days of Caen
    send(caen, FIRST + dt.timedelta(days=2), 3, seed=3, per_day=60)  # idempotent
    scopes = [indicators.Scope(FIRST, FIRST + dt.timedelta(days=6)),
              indicators.Scope(FIRST + dt.timedelta(days=1), FIRST + dt.timedelta(days=3), finess=(caen,)),
              indicators.Scope(FIRST, FIRST + dt.timedelta(days=6), departement="76")]
    for scope in scopes:
        assert indicators.totals(store, scope) == raw_counters(store, scope)
        assert daily_syndromes(store, scope) == raw_syndromes(store, scope)
    before = indicators.dashboard(scopes[0], {})
    assert before.summary.passages == store.count() > 0
    with duckdb.connect(str(store.path)) as connection:  # a store written before the aggregates existed
        connection.execute(f"DROP TABLE {aggregates.DAILY}")
        connection.execute(f"DROP TABLE {aggregates.META}")
    rebuilt = DuckDBStore(store.path)
    assert indicators.dashboard(scopes[0], {}, rebuilt) == before
    store.clear()
    assert indicators.totals(store, scopes[0])["n"] == 0
