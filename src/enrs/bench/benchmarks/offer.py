"""``enrs bench offer``: the TODS search and the capacity updates at regional scale.

A synthetic region is built in a transaction that is rolled back at the end
(``"rolled_back": true``): establishments spread around real Normandy
communes (through the directory's services), one place each, and N offers
(default 100,000) with codes drawn from the shipped nomenclatures, loaded with
``offer.services.bulk_insert_offers`` (same code checks and index terms as a
single upsert). Then:

- ``search``: multi-criteria (activity + care mode) plus a 30 km radius around a
  random commune, the full ``selectors.search`` (facets and the first page);
- ``text_search``: a French word plus a 30 km radius;
- ``capacity``: single figures through ``services.update_capacity`` (the form's
  path), per second, inside the rolled-back transaction (each call a savepoint,
  no commit);
- ``capacity_batched``: a place's six figures per call through
  ``services.update_capacities`` (the connector API's path), figures per second,
  same conditions;
- ``capacity_committed``: the same two paths on a few places created for the
  purpose *outside* the rolled-back transaction, each call committing its own
  transaction as in production (these places, their figures and their
  establishment are deleted at the end).

Targets (issue 9): search p95 ≤ 50 ms, capacity ≥ 500 updates/s (judged on the
committed figures).
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import time
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from tqdm import tqdm

from enrs.bench.registry import benchmark, percentiles_ms, positive_int
from enrs.core.validators import finess_complete
from enrs.demo.geography import communes
from enrs.directory import services as directory
from enrs.directory.models import Organisation
from enrs.offer import geo, selectors, services
from enrs.offer.models import Capacity, Place
from enrs.offer.selectors import OfferCriteria

ACTIVITIES = ["001", "003", "004", "005", "007", "013", "014", "016", "017", "018", "022", "023", "025", "030", "031", "032", "157", "183"]
CARE_MODES = ["09", "13", "20", "28", "33"]
PUBLICS = ["01", "02", "03", "04", "06", "07", "09"]
SPECIALISATIONS = ["DOUL-CHRON", "MIGR", "PED", "GER", "ONCO", "INSUF-CARD"]
EQUIPMENT = ["IRM", "SCAN", "TEP", "COR", "HYP", "NEUROSTIM"]
TELEHEALTH = ["teleexpertise", "teleconsultation", "telesoin"]
WORDS = ["douleur", "cardiologie", "chirurgie", "urgences", "pediatrie", "consultation"]
TARGET_P95_MS = 50.0
TARGET_UPDATES_PER_S = 500.0


class _Rollback(Exception):
    pass



def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--offers", type=positive_int, default=100_000)
    parser.add_argument("--establishments", type=positive_int, default=2_000)
    parser.add_argument("--queries", type=positive_int, default=300)
    parser.add_argument("--updates", type=positive_int, default=3_000)
    parser.add_argument("--radius", type=float, default=30.0)
    parser.add_argument("--seed", type=int, default=2026)


def _jitter(rng: random.Random, value: Decimal, spread: float) -> Decimal:
    return (value + Decimal(str(round(rng.uniform(-spread, spread), 5)))).quantize(Decimal("0.000001"))


def _build_places(rng: random.Random, count: int) -> dict[str, Any]:
    towns = communes()
    places = {}
    for index in tqdm(range(count), desc="Établissements", leave=False, disable=None):
        town = towns[index % len(towns)]
        organisation = directory.upsert_organisation({
            "finess": finess_complete(f"{town.departement}9{index:05d}"), "finess_kind": "ET", "kind": "CH",
            "name": f"Établissement de banc {index}", "commune_insee": town.insee, "city": town.name,
            "postal_code": town.postal_code, "latitude": _jitter(rng, town.latitude, 0.08),
            "longitude": _jitter(rng, town.longitude, 0.12), "source": "bench",
        }).obj
        place = services.upsert_place({"identifier": f"BENCH-LIEU-{index}", "name": f"Site {index}", "establishment": organisation}).obj
        places[place.identifier] = place
    return places


def _offer_rows(rng: random.Random, count: int, place_ids: list[str]) -> list[dict[str, Any]]:
    rows = []
    for index in range(count):
        activity = rng.choice(ACTIVITIES)
        rows.append({
            "identifier": f"BENCH-OFFRE-{index}", "place": rng.choice(place_ids), "activity": activity,
            "care_mode": rng.choice(CARE_MODES), "name": f"{rng.choice(WORDS).capitalize()} — offre {index}",
            "publics": rng.sample(PUBLICS, rng.randint(1, 2)),
            "specialisations": rng.sample(SPECIALISATIONS, rng.randint(0, 1)),
            "equipment": rng.sample(EQUIPMENT, rng.randint(0, 1)),
            "telehealth": rng.sample(TELEHEALTH, rng.randint(0, 1)) if rng.random() < 0.3 else [],
        })
    return rows


def _load(rng: random.Random, options) -> dict[str, Any]:
    places = _build_places(rng, options.establishments)
    rows = _offer_rows(rng, options.offers, list(places))
    started = time.perf_counter()
    for start in tqdm(range(0, len(rows), 10_000), desc="Offres", leave=False, disable=None):
        services.bulk_insert_offers(rows[start : start + 10_000], places)
    seconds = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # fresh statistics for the planner, as after a real load
    return {"places": places, "load_seconds": round(seconds, 1)}


def _timed_searches(rng: random.Random, options, with_text: bool) -> tuple[list[float], list[int]]:
    towns = communes()
    durations, totals = [], []
    for _ in range(options.queries):
        town = rng.choice(towns)
        criteria = OfferCriteria(
            query=rng.choice(WORDS) if with_text else "",
            activity="" if with_text else rng.choice(ACTIVITIES), care_mode="" if with_text else rng.choice(CARE_MODES),
            centre=geo.Point(float(town.latitude), float(town.longitude)), radius_km=options.radius,
        )
        started = time.perf_counter()
        result = selectors.search(criteria)
        durations.append(time.perf_counter() - started)
        totals.append(result.total)
    return durations, totals


def _timed_updates(rng: random.Random, options, places: dict) -> dict[str, Any]:
    """One figure per call, as the form sends them (``services.update_capacity``)."""
    place_list = list(places.values())
    base = timezone.now() - dt.timedelta(hours=2)
    started = time.perf_counter()
    for index in range(options.updates):
        place = place_list[index % len(place_list)]
        services.update_capacity(place, {
            "capacity_type": "01", "status": rng.choice(["01", "02", "03"]), "count": rng.randint(0, 40),
            "source_type": "FLUX", "updated_at": base + dt.timedelta(milliseconds=index),
        }, channel="api")
    seconds = time.perf_counter() - started
    return {"updates": options.updates, "seconds": round(seconds, 3), "per_second": round(options.updates / seconds, 1)}


BATCH = [("01", "01"), ("01", "02"), ("01", "03"), ("02", "01"), ("02", "02"), ("02", "03")]


def _timed_batches(rng: random.Random, options, places: dict) -> dict[str, Any]:
    """A place's six figures per call, as a system pushes them (``services.update_capacities``, the API path)."""
    place_list = list(places.values())
    base = timezone.now() - dt.timedelta(hours=1)
    calls = max(1, options.updates // len(BATCH))
    started = time.perf_counter()
    for index in range(calls):
        when = base + dt.timedelta(milliseconds=index)
        services.update_capacities(place_list[index % len(place_list)], [
            {"capacity_type": nature, "status": status, "count": rng.randint(0, 40), "source_type": "FLUX", "updated_at": when}
            for nature, status in BATCH
        ], channel="api")
    seconds = time.perf_counter() - started
    figures = calls * len(BATCH)
    return {"figures": figures, "calls": calls, "seconds": round(seconds, 3), "per_second": round(figures / seconds, 1)}


COMMITTED_PLACES = 50
COMMITTED_FINESS = finess_complete("14999999")


def _committed_places() -> list:
    """A scratch establishment and its places, committed (outside the rolled-back transaction)."""
    organisation = directory.upsert_organisation({
        "finess": COMMITTED_FINESS, "finess_kind": "ET", "kind": "CH", "name": "Établissement de banc (capacités validées)",
        "commune_insee": "14118", "city": "Caen", "postal_code": "14000", "latitude": Decimal("49.1829"),
        "longitude": Decimal("-0.3707"), "source": "bench",
    }).obj
    return [services.upsert_place({"identifier": f"BENCH-CAPA-{index}", "name": f"Site {index}", "establishment": organisation}).obj
            for index in range(COMMITTED_PLACES)]


def _delete_committed_places() -> None:
    Capacity.objects.filter(place__identifier__startswith="BENCH-CAPA-").delete()
    Place.objects.filter(identifier__startswith="BENCH-CAPA-").delete()
    Organisation.objects.filter(finess=COMMITTED_FINESS).delete()


def _timed_committed(rng: random.Random, options) -> dict[str, Any]:
    """Both capacity paths, each call committing its own transaction."""
    _delete_committed_places()
    places = {place.identifier: place for place in _committed_places()}
    try:
        return {"single": _timed_updates(rng, options, places), "batched": _timed_batches(rng, options, places)}
    finally:
        _delete_committed_places()


def _targets(search: dict, committed: dict) -> dict[str, bool]:
    return {
        "search_p95": search["p95_ms"] <= TARGET_P95_MS,
        "capacity_single_committed": committed["single"]["per_second"] >= TARGET_UPDATES_PER_S,
        "capacity_batched_committed": committed["batched"]["per_second"] >= TARGET_UPDATES_PER_S,
    }


@benchmark(
    "offer",
    help="TODS search (multi-criteria + radius, facets) and capacity updates over N synthetic offers, rolled back.",
    arguments=_arguments,
)
def offer(options: argparse.Namespace) -> dict[str, Any]:
    rng = random.Random(options.seed)
    result: dict[str, Any] = {}
    try:
        with transaction.atomic():
            loaded = _load(rng, options)
            durations, totals = _timed_searches(rng, options, with_text=False)
            text_durations, text_totals = _timed_searches(rng, options, with_text=True)
            updates = _timed_updates(rng, options, loaded["places"])
            batches = _timed_batches(rng, options, loaded["places"])
            result = {
                "dataset": {"offers": options.offers, "places": options.establishments, "queries": options.queries,
                            "radius_km": options.radius},
                "load_seconds": loaded["load_seconds"],
                "search": {**percentiles_ms(durations), "mean_results": round(sum(totals) / len(totals), 1)},
                "text_search": {**percentiles_ms(text_durations), "mean_results": round(sum(text_totals) / len(text_totals), 1)},
                "capacity": updates,
                "capacity_batched": batches,
                "target_p95_ms": TARGET_P95_MS, "target_updates_per_s": TARGET_UPDATES_PER_S,
                "rolled_back": True,
            }
            raise _Rollback
    except _Rollback:
        pass
    result["capacity_committed"] = _timed_committed(rng, options)
    result["targets_met"] = _targets(result["search"], result["capacity_committed"])
    return result
