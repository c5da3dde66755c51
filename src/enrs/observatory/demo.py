"""Demo data of the observatory: a week of synthetic RPU for the demo region's emergency departments.

Called by ``enrs demo`` (``enrs.demo.services``). Files go through the real ingestion path
(channel "démonstration"), with 2 % deliberately invalid passages so that quality reports and
the quarantine have something to show. Idempotent: the same days are replaced on each run.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterable

from enrs.observatory import services
from enrs.observatory.generator import file_xml, records_for_day
from enrs.observatory.models import RpuFile

DEMO_DAYS = 7
DEMO_PER_DAY = 45
DEMO_ERROR_RATE = 0.02


def emergency_departments(organisations: Iterable) -> list:
    """Main sites of the demo's university and general hospitals (they run the emergency departments)."""
    return [
        o for o in organisations
        if o.kind in ("CHU", "CH") and o.legal_entity_id and o.finess and "site principal" in o.name
    ]


def build_demo_rpu(organisations: Iterable, seed: int, *, today: dt.date | None = None) -> list[RpuFile]:
    last_day = (today or dt.date.today()) - dt.timedelta(days=1)
    first_day = last_day - dt.timedelta(days=DEMO_DAYS - 1)
    files = []
    for organisation in emergency_departments(organisations):
        rng = random.Random(f"{seed}:{organisation.finess}:{first_day}")
        records = [
            record
            for day in (first_day + dt.timedelta(days=n) for n in range(DEMO_DAYS))
            for record, _bad in records_for_day(day, DEMO_PER_DAY, rng, DEMO_ERROR_RATE)
        ]
        data = file_xml(organisation.finess, first_day, last_day, records).encode("utf-8")
        files.append(services.ingest_bytes(
            data, filename=f"RPU_{organisation.finess}_{first_day:%Y%m%d}_{last_day:%Y%m%d}.xml", channel=RpuFile.Channel.DEMO
        ))
    return files
