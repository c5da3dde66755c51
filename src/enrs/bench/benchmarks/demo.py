"""``enrs bench demo``: how fast the demo region is written into the current database.

The whole build runs inside a transaction that is rolled back at the end, so
the database is left exactly as it was (the JSON says ``"rolled_back": true``).
Rows already present (a previous ``enrs demo``) are reported as unchanged and
make the rows/s figure meaningless; the JSON gives ``created`` to check.
"""

from __future__ import annotations

import argparse
import time
from typing import Any

from django.db import transaction

from enrs.bench.registry import benchmark, percentiles_ms
from enrs.demo.services import SECTIONS, build_demo_region


class _Rollback(Exception):
    pass


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--professionals", type=int, default=300)
    parser.add_argument("--patients", type=int, default=3000)


@benchmark("demo", help="Build the demo region in a rolled-back transaction; report rows/s.", arguments=_arguments)
def demo(options: argparse.Namespace) -> dict[str, Any]:
    started = time.perf_counter()
    try:
        with transaction.atomic():
            summary = build_demo_region(
                seed=options.seed, professionals=options.professionals, patients=options.patients
            )
            raise _Rollback
    except _Rollback:
        pass
    seconds = time.perf_counter() - started
    rows = sum(tally.total for tally in summary.tallies.values())
    sections = {
        section: {
            "rows": summary.tallies[section].total,
            "created": summary.tallies[section].created,
            "rows_per_second": round(len(summary.timings[section]) / sum(summary.timings[section]), 1)
            if summary.timings[section] and sum(summary.timings[section]) else 0.0,
            **percentiles_ms(summary.timings[section]),
        }
        for section in SECTIONS
    }
    return {
        "dataset": {
            "seed": options.seed,
            "professionals": options.professionals,
            "patients": options.patients,
            "organisations": summary.tallies["organisations"].total,
            "situations": summary.tallies["situations"].total,
        },
        "rows": rows,
        "created": summary.created,
        "seconds": round(seconds, 3),
        "rows_per_second": round(rows / seconds, 1) if seconds else 0.0,
        "sections": sections,
        "rolled_back": True,
    }
