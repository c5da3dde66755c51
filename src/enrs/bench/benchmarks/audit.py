"""``enrs bench audit``: what the access trail adds to one audited request.

Two minimal views run behind the full middleware stack through Django's test
Client: one answers a small page, the other answers the same page after one
``enrs.core.audit.record()``. Requests alternate between the two so that
drift (cache, vacuum, other load) hits both equally. The overhead is the
difference of the percentiles. ``record()`` alone is also timed.

By default everything runs in one transaction rolled back at the end, so the
configured database's trail is left untouched; the commit of each audited
request is then not measured. ``--commit`` lets every request commit (the
real cost, fsync included) and therefore leaves its events in the trail: use
it on a dedicated benchmark database only.
"""

from __future__ import annotations

import argparse
import time
from typing import Any

from django.db import transaction
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
    parser.add_argument("--commit", action="store_true", help="commit each request (leaves events in the trail)")


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


def _run(options: argparse.Namespace) -> dict[str, list[float]]:
    with override_settings(ROOT_URLCONF=__name__, SECURE_SSL_REDIRECT=False):
        if options.commit:
            return _measure(options)
        try:
            with transaction.atomic():
                timings = _measure(options)
                raise _Rollback
        except _Rollback:
            return timings


@benchmark("audit", help="Overhead of the access trail per audited request (p50/p95, ms).", arguments=_arguments)
def audit_overhead(options: argparse.Namespace) -> dict[str, Any]:
    timings = _run(options)
    plain, audited = percentiles_ms(timings["plain"]), percentiles_ms(timings["audited"])
    record_only = percentiles_ms(timings["record"])
    return {
        "dataset": {"requests_per_view": options.requests, "warmup": options.warmup},
        "committed": options.commit,
        "plain_request": plain,
        "audited_request": audited,
        "record_call": record_only,
        "overhead_p50_ms": round(audited["p50_ms"] - plain["p50_ms"], 3),
        "overhead_p95_ms": round(audited["p95_ms"] - plain["p95_ms"], 3),
        "target_p95_ms": 1.0,
    }
