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
from enrs.observatory.models import AntibioImport, RpuFile

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


# --- NormAntiBio ------------------------------------------------------------------------------------
# Synthetic antibiotic consumption (DDJ by ATC molecule, share of the establishment's total) and
# resistance results (germ × marker antibiotic, tested strains and resistant share): orders of
# magnitude of French hospital surveillance, not real figures.
DEMO_ANTIBIO_CONSUMPTION = (("J01CA04", 0.22), ("J01CR02", 0.24), ("J01DD04", 0.12), ("J01CR05", 0.07),
                            ("J01MA02", 0.06), ("J01FA01", 0.05), ("J01XA01", 0.04), ("J01DH02", 0.03))
DEMO_ANTIBIO_RESISTANCE = (  # germ, antibiotic, strains tested (per 10,000 patient-days), resistant share
    ("ECOLI", "J01DD04", 60, 0.09), ("ECOLI", "J01CA04", 60, 0.45), ("KPNEUMONIAE", "J01DD04", 15, 0.25),
    ("KPNEUMONIAE", "J01DH02", 15, 0.01), ("SAUREUS", "J01CF04", 30, 0.13), ("EFAECIUM", "J01XA01", 5, 0.02),
    ("PAERUGINOSA", "J01DH02", 12, 0.16),
)


def _antibio_csv(organisations: list, year: int, seed: int) -> tuple[str, str]:
    consumption = ["finess;annee;atc;ddj;journees_hospitalisation"]
    resistance = ["finess;annee;germe;antibiotique;sensibles;intermediaires;resistants"]
    for organisation in organisations:
        rng = random.Random(f"{seed}:antibio:{organisation.finess}:{year}")
        days = rng.randrange(30_000, 140_000, 100)
        total_ddd = days / 1000 * rng.uniform(320, 560)  # DDJ per 1,000 patient-days
        for atc, share in DEMO_ANTIBIO_CONSUMPTION:
            ddd = f"{total_ddd * share * rng.uniform(0.8, 1.2):.1f}".replace(".", ",")
            consumption.append(f"{organisation.finess};{year};{atc};{ddd};{days}")
        for germ, antibiotic, per_10000, resistant_share in DEMO_ANTIBIO_RESISTANCE:
            tested = max(1, round(days / 10_000 * per_10000 * rng.uniform(0.7, 1.3)))
            resistant = round(tested * resistant_share * rng.uniform(0.6, 1.4))
            intermediate = round((tested - resistant) * 0.03)
            resistance.append(f"{organisation.finess};{year};{germ};{antibiotic};{tested - resistant - intermediate};"
                              f"{intermediate};{resistant}")
    return "\r\n".join(consumption) + "\r\n", "\r\n".join(resistance) + "\r\n"


def build_demo_antibio(organisations: Iterable, seed: int, *, today: dt.date | None = None) -> list[AntibioImport]:
    """Last two complete years of consumption and resistance for the demo's emergency departments,
    through the real import path (channel "Démonstration"). Idempotent: the content is deterministic,
    a file already imported with the same fingerprint is not imported again (and the replace
    semantics would leave the same figures anyway)."""
    import hashlib

    sites = emergency_departments(organisations)
    if not sites:
        return []
    year = (today or dt.date.today()).year - 1
    imports = []
    for demo_year in (year - 1, year):
        for kind, text in zip(("consommation", "resistance"), _antibio_csv(sites, demo_year, seed), strict=True):
            data = text.encode("utf-8")
            digest = hashlib.sha256(data).hexdigest()
            done = AntibioImport.objects.filter(channel=RpuFile.Channel.DEMO, sha256=digest, status=RpuFile.Status.ACCEPTED).first()
            imports.append(done or services.import_antibio(data, filename=f"normantibio_{kind}_{demo_year}.csv",
                                                           channel=RpuFile.Channel.DEMO))
    return imports
