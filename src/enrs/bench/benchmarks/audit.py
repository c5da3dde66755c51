"""``enrs bench audit``: what the access trail adds to one audited request.

Two minimal views run behind the full middleware stack through Django's test
Client: one answers a small page, the other answers the same page after one
``enrs.core.audit.record()``. Requests alternate between the two so that
drift (cache, vacuum, other load) hits both equally. The overhead is the
difference of the percentiles. ``record()`` alone is also timed.

By default the benchmark creates a scratch database next to the configured
one (Django's test-database machinery: same engine, same server, all
migrations), lets every request commit as in production (autocommit: the
trail-only append is its own transaction), then drops it. ``--rollback`` runs
in the configured database inside one transaction rolled back at the end (no
commit measured); ``--commit`` commits in the configured database and leaves
its events in that trail (dedicated database only).
"""

from __future__ import annotations

import argparse
import time
from typing import Any

from django.db import connection, transaction
from django.http import HttpResponse
from django.test import Client, override_settings
from django.urls import path

from enrs.bench.registry import benchmark, percentiles_ms
from enrs.core import audit


class _Rollback(Exception):
    pass


class _BenchActor:
    """Stands for a logged-in professional without a session lookup in either view."""

    pk = 0
    is_authenticated = True

    def get_full_name(self) -> str:
        return "Banc d'essai"

    def get_username(self) -> str:
        return "bench"


_ACTOR = _BenchActor()
_BODY = "<!doctype html><title>bench</title><p>ok</p>"


def plain_view(request):
    return HttpResponse(_BODY)


def audited_view(request):
    audit.record(
        actor=_ACTOR, action="read", channel="web", patient_id=1, object_type="identity.Patient",
        object_id="1", organisation_id=1, role="professional", request=request,
    )  # fmt: skip
    return HttpResponse(_BODY)


urlpatterns = [path("plain/", plain_view), path("audited/", audited_view)]


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--requests", type=int, default=2000, help="requests per view")
    parser.add_argument("--warmup", type=int, default=200)
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--commit", action="store_true", help="commit in the configured database (leaves events)")
    mode.add_argument("--rollback", action="store_true", help="one transaction rolled back, configured database")


def _time_get(client: Client, url: str) -> float:
    started = time.perf_counter()
    response = client.get(url)
    elapsed = time.perf_counter() - started
    if response.status_code != 200:
        raise RuntimeError(f"{url} answered {response.status_code}")
    return elapsed


def _measure(options: argparse.Namespace) -> dict[str, list[float]]:
    client = Client()
    for _ in range(options.warmup):
        _time_get(client, "/plain/")
        _time_get(client, "/audited/")
    timings: dict[str, list[float]] = {"plain": [], "audited": [], "record": []}
    for _ in range(options.requests):
        timings["plain"].append(_time_get(client, "/plain/"))
        timings["audited"].append(_time_get(client, "/audited/"))
    for _ in range(options.requests):
        started = time.perf_counter()
        audit.record(actor=_ACTOR, action="read", channel="cli", patient_id=1, object_type="identity.Patient", object_id="1")
        timings["record"].append(time.perf_counter() - started)
    return timings


def _mode(options: argparse.Namespace) -> str:
    return "commit" if options.commit else "rollback" if options.rollback else "scratch"


def _run(options: argparse.Namespace) -> dict[str, list[float]]:
    with override_settings(ROOT_URLCONF=__name__, SECURE_SSL_REDIRECT=False):
        mode = _mode(options)
        if mode == "commit":
            return _measure(options)
        if mode == "scratch":
            return _in_scratch_database(options)
        try:
            with transaction.atomic():
                timings = _measure(options)
                raise _Rollback
        except _Rollback:
            return timings


def _in_scratch_database(options: argparse.Namespace) -> dict[str, list[float]]:
    """Commit every request, as in production, in a database dropped afterwards."""
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        return _measure(options)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


@benchmark("audit", help="Overhead of the access trail per audited request (p50/p95, ms).", arguments=_arguments)
def audit_overhead(options: argparse.Namespace) -> dict[str, Any]:
    timings = _run(options)
    plain, audited = percentiles_ms(timings["plain"]), percentiles_ms(timings["audited"])
    record_only = percentiles_ms(timings["record"])
    return {
        "dataset": {"requests_per_view": options.requests, "warmup": options.warmup},
        "mode": _mode(options),
        "committed": _mode(options) != "rollback",
        "async_trail_commit": audit.async_commit_allowed(),
        "plain_request": plain,
        "audited_request": audited,
        "record_call": record_only,
        "overhead_p50_ms": round(audited["p50_ms"] - plain["p50_ms"], 3),
        "overhead_p95_ms": round(audited["p95_ms"] - plain["p95_ms"], 3),
        "target_p95_ms": 1.0,
    }
