"""The capacity writes in SQL: statements per call, the never-older guard of the upsert,
and the asynchronous commit of capacity-only transactions on PostgreSQL."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from enrs.offer import capacity_sql, services
from enrs.offer.models import Capacity


def figure(count, when, status="02", nature="01"):
    return {"capacity_type": nature, "status": status, "count": count, "source_type": "SAISIE", "updated_at": when}


def _statements(queries) -> list[str]:
    """The statements of a capture, savepoints left out (the test runs in a transaction)."""
    return [q["sql"] for q in queries if not q["sql"].upper().startswith(("SAVEPOINT", "RELEASE SAVEPOINT"))]


@pytest.mark.django_db
def test_a_figure_or_a_batch_costs_one_read_and_one_upsert(region):
    place = region["places"]["caen"]
    when = timezone.now() - dt.timedelta(minutes=30)
    services.update_capacity(place, figure(1, when - dt.timedelta(minutes=1)))  # warm the code cache
    with CaptureQueriesContext(connection) as single:
        assert services.update_capacity(place, figure(3, when)).status == "updated"
    keys = [("01", "01"), ("01", "02"), ("01", "03"), ("02", "01"), ("02", "02"), ("02", "03")]
    batch = [figure(3 if key == ("01", "02") else 7, when, nature=key[0], status=key[1]) for key in keys]
    with CaptureQueriesContext(connection) as batched:
        results = services.update_capacities(place, batch)
    assert [r.status for r in results] == ["created", "unchanged", "created", "created", "created", "created"]
    # PostgreSQL: one statement (read, checks and write); elsewhere one read and one upsert.
    expected = 1 if connection.vendor == "postgresql" else 2
    assert len(_statements(single.captured_queries)) == expected and len(_statements(batched.captured_queries)) == expected
    assert all(r.obj.pk for r in results) and Capacity.objects.filter(place=place).count() == 6


@pytest.mark.django_db
def test_the_upsert_never_lets_an_older_figure_replace_a_newer_one(region):
    """The guard that protects against a writer that read before a concurrent newer write."""
    place = region["places"]["bayeux"]
    newer = timezone.now() - dt.timedelta(minutes=5)
    stored = services.update_capacity(place, figure(8, newer)).obj
    late = dataclasses.replace(stored, count=99, updated_at=newer - dt.timedelta(minutes=1), pk=None)
    capacity_sql.upsert([late])
    assert Capacity.objects.values_list("count", "updated_at").get(place=place) == (8, newer)
    late.updated_at = newer + dt.timedelta(minutes=1)
    capacity_sql.upsert([late])
    assert Capacity.objects.values_list("count", "updated_at").get(place=place) == (99, newer + dt.timedelta(minutes=1))
    assert late.pk == stored.pk
    assert capacity_sql.stored_figures(place.pk, [stored.key]) == {
        stored.key: capacity_sql.StoredFigure(stored.pk, 99, newer + dt.timedelta(minutes=1))
    }


@pytest.mark.django_db
def test_an_older_figure_in_a_batch_stores_nothing(region):
    place = region["places"]["rouen"]
    now = timezone.now()
    services.update_capacity(place, figure(6, now - dt.timedelta(minutes=10), status="03"))
    with pytest.raises(ValidationError) as info:
        services.update_capacities(place, [figure(2, now), figure(1, now - dt.timedelta(hours=1), status="03")])
    assert "plus ancienne" in " ".join(info.value.message_dict["2.updated_at"])
    assert list(Capacity.objects.filter(place=place).values_list("status__code", "count")) == [("03", 6)]


def _synchronous_commit() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        return cursor.fetchone()[0]


@pytest.mark.postgres
@pytest.mark.django_db
def test_inside_a_callers_transaction_durability_is_not_relaxed(region):
    assert not capacity_sql.outside_any_transaction()
    services.update_capacity(region["places"]["rouen"], figure(4, timezone.now()))
    assert _synchronous_commit() == "on"


@pytest.mark.postgres
@pytest.mark.django_db
def test_a_capacity_only_transaction_commits_asynchronously(region, monkeypatch, settings):
    """What the service does when it runs outside any transaction (the test's transaction
    stands in for the statement's own); ENRS_OFFER_CAPACITY_ASYNC_COMMIT=False keeps it synchronous."""
    monkeypatch.setattr(capacity_sql, "outside_any_transaction", lambda: True)
    settings.ENRS_OFFER_CAPACITY_ASYNC_COMMIT = False
    services.update_capacity(region["places"]["rouen"], figure(4, timezone.now() - dt.timedelta(minutes=1)))
    assert _synchronous_commit() == "on"
    settings.ENRS_OFFER_CAPACITY_ASYNC_COMMIT = True
    services.update_capacity(region["places"]["rouen"], figure(5, timezone.now()))
    assert _synchronous_commit() == "off"  # set_config(..., true): until the end of the (test's) transaction
