"""``enrs bench agenda``: next-available search, a 200-client race on one slot, booking throughput.

A synthetic region is written (and committed: the race needs other
connections to see it) then deleted at the end: N agendas (default 10,000)
spread around the Normandy demo communes, each with a patients' motif and a
weekday opening rule bounded to 90 days, their next-slot cache computed by
``services.refresh_next_free`` (the production path). Then:

- ``search``: ``selectors.search`` for a specialty within 30 km of a random
  commune (the e-RDV search: soonest first, stale caches refreshed);
- ``race``: C threads (default 200) book the same slot at once through
  ``services.book``; expected exactly one success and C-1 ``SlotUnavailable``;
- ``throughput``: W threads book distinct free slots for S bookings, per second.

Targets (issue 6): search p95 ≤ 100 ms; race 1 / C-1; throughput reported
against the national peak of 20,000 bookings a minute (333/s).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import queue
import random
import threading
import time
from decimal import Decimal
from typing import Any

from django.db import close_old_connections, connection
from django.utils import timezone
from tqdm import tqdm

from enrs.accounts.models import User
from enrs.agenda import selectors, services
from enrs.agenda import slots as arithmetic
from enrs.agenda.models import Agenda, Appointment, Motif, OpeningRule, SlotClaim
from enrs.agenda.services import SlotUnavailable
from enrs.bench.registry import benchmark, percentiles_ms, positive_int
from enrs.core.text import fold
from enrs.core.validators import finess_complete
from enrs.demo.geography import communes
from enrs.directory.models import Organisation
from enrs.offer import geo

SPECIALTIES = ["SM54", "SM04", "SM26", "SM38", "SM40", "SM42", "SM15", "SM48", "SM53", "SM28", "SM19", "SM44"]
RULES = ["FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", "FREQ=WEEKLY;BYDAY=MO,WE,FR", "FREQ=WEEKLY;BYDAY=TU,TH", "FREQ=DAILY"]
TARGET_P95_MS = 100.0
REFERENCE_PER_S = 333.0
BENCH_EMAIL = "bench-agenda@bench.invalid"



def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--agendas", type=positive_int, default=10_000)
    parser.add_argument("--organisations", type=positive_int, default=1_000)
    parser.add_argument("--days", type=positive_int, default=90)
    parser.add_argument("--queries", type=positive_int, default=300)
    parser.add_argument("--clients", type=positive_int, default=200)
    parser.add_argument("--bookings", type=positive_int, default=2_000)
    parser.add_argument("--workers", type=positive_int, default=8)
    parser.add_argument("--connections", type=positive_int, default=40,
                        help="database sessions open at once (a pool, as behind pgbouncer); the clients queue for one")
    parser.add_argument("--radius", type=float, default=30.0)
    parser.add_argument("--seed", type=int, default=2026)


def _organisations(rng: random.Random, count: int) -> list[Organisation]:
    towns = communes()
    rows = []
    for index in range(count):
        town = towns[index % len(towns)]
        rows.append(Organisation(
            finess=finess_complete(f"{town.departement}8{index:05d}"), finess_kind="ET", kind="CABINET", name=f"Cabinet de banc {index}",
            commune_insee=town.insee, city=town.name, latitude=town.latitude + Decimal(str(round(rng.uniform(-0.05, 0.05), 5))),
            longitude=town.longitude + Decimal(str(round(rng.uniform(-0.08, 0.08), 5))), source="bench-agenda"))
    return Organisation.objects.bulk_create(rows, batch_size=1000)


def _load(rng: random.Random, options) -> list[Agenda]:
    organisations = _organisations(rng, options.organisations)
    today = timezone.localdate()
    agendas = []
    for index in range(options.agendas):
        organisation = organisations[index % len(organisations)]
        lat, lon = float(organisation.latitude), float(organisation.longitude)
        specialty = rng.choice(SPECIALTIES)
        ux, uy, uz = geo.unit_vector(lat, lon)
        agendas.append(Agenda(kind=Agenda.Kind.TEAM, name=f"Agenda de banc {index}", organisation=organisation, specialty_code=specialty,
                              specialty_label=specialty, granularity_minutes=15, published=True, city=organisation.city,
                              latitude=lat, longitude=lon, ux=ux, uy=uy, uz=uz, folded_name=fold(f"agenda de banc {index}")))
    agendas = Agenda.objects.bulk_create(agendas, batch_size=1000)
    Motif.objects.bulk_create([Motif(agenda=a, label="Consultation", duration_minutes=rng.choice([15, 30]), min_notice_minutes=60,
                                     horizon_days=options.days) for a in agendas], batch_size=1000)
    rules = []
    for agenda in agendas:
        morning = rng.choice([8, 9])
        rules.append(OpeningRule(agenda=agenda, rrule=rng.choice(RULES), start_date=today, end_date=today + dt.timedelta(days=options.days),
                                 start_time=dt.time(morning), end_time=dt.time(morning + 4)))
    OpeningRule.objects.bulk_create(rules, batch_size=1000)
    _first_slots(agendas, rules, options)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return agendas


def _first_slots(agendas: list[Agenda], rules: list[OpeningRule], options) -> None:
    """The next-slot cache of each new agenda, with the production slot arithmetic in memory (no
    appointment or absence exists yet, so the database reads of ``refresh_next_free`` would find nothing)."""
    now = timezone.now()
    earliest = now + dt.timedelta(minutes=60)
    first, last = timezone.localdate(), timezone.localdate() + dt.timedelta(days=options.days)
    for agenda, rule in tqdm(list(zip(agendas, rules, strict=True)), desc="Prochains créneaux", leave=False, disable=None):
        spec = selectors.rule_spec(rule)
        starts = (start for interval in arithmetic.opening_intervals(spec, first, min(last, first + dt.timedelta(days=14)), skip_holidays=True)
                  for start in arithmetic.slot_starts(interval, dt.timedelta(minutes=15)) if start >= earliest)
        agenda.next_free_at, agenda.next_free_checked_at = next(starts, None), now
    Agenda.objects.bulk_update(agendas, ["next_free_at", "next_free_checked_at"], batch_size=1000)


def _timed_searches(rng: random.Random, options) -> tuple[list[float], list[int]]:
    towns = communes()
    durations, counts = [], []
    for _ in range(options.queries):
        town = rng.choice(towns)
        criteria = selectors.SearchCriteria(specialty=rng.choice(SPECIALTIES), centre=geo.Point(float(town.latitude), float(town.longitude)),
                                            radius_km=options.radius)
        started = time.perf_counter()
        rows = selectors.search(criteria)
        durations.append(time.perf_counter() - started)
        counts.append(len(rows))
    return durations, counts


def _threads(count: int, work, connections: int | None = None) -> list[str]:
    barrier = threading.Barrier(count)
    pool = threading.BoundedSemaphore(connections or count)
    outcomes: list[str] = []
    lock = threading.Lock()

    def run(index: int):
        barrier.wait()
        with pool:
            try:
                outcome = work(index)
            except SlotUnavailable:
                outcome = "refused"
            except Exception as exc:  # noqa: BLE001 - an unclean failure is what the race must not show
                outcome = f"error: {type(exc).__name__}: {exc}"[:200]
            finally:
                close_old_connections()
                connection.close()
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=run, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def _race(agenda: Agenda, user, clients: int, connections: int) -> dict[str, Any]:
    motif = agenda.motifs.get()
    slot = selectors.next_free_slot(motif)
    started = time.perf_counter()
    outcomes = _threads(clients, lambda _i: services.book(motif, slot.start, user=user) and "booked", connections)
    seconds = time.perf_counter() - started
    errors = sorted({o for o in outcomes if o.startswith("error")})
    booked, refused = outcomes.count("booked"), outcomes.count("refused")
    stored = Appointment.objects.filter(agenda=agenda, start=slot.start).exclude(status=Appointment.Status.CANCELLED).count()
    return {"clients": clients, "connections": connections, "booked": booked, "refused": refused, "errors": errors[:5], "stored": stored,
            "seconds": round(seconds, 3), "met": booked == 1 and refused == clients - 1 and stored == 1}


def _throughput(agendas: list[Agenda], user, options) -> dict[str, Any]:
    work: queue.Queue = queue.Queue()
    now = timezone.now()
    for agenda in agendas:
        motif = agenda.motifs.get()
        for slot in selectors.slots(motif, now, now + dt.timedelta(days=7)):
            work.put((motif, slot.start))
            if work.qsize() >= options.bookings:
                break
        if work.qsize() >= options.bookings:
            break
    total = work.qsize()

    def drain(_index: int) -> str:
        done = 0
        while True:
            try:
                motif, start = work.get_nowait()
            except queue.Empty:
                return f"done:{done}"
            services.book(motif, start, user=user)
            done += 1

    started = time.perf_counter()
    outcomes = _threads(options.workers, drain)
    seconds = time.perf_counter() - started
    booked = sum(int(o.split(":")[1]) for o in outcomes if o.startswith("done:"))
    return {"workers": options.workers, "bookings": booked, "attempted": total, "seconds": round(seconds, 2),
            "per_second": round(booked / seconds, 1), "reference_per_s": REFERENCE_PER_S,
            "ratio_to_reference": round(booked / seconds / REFERENCE_PER_S, 3), "errors": sorted({o for o in outcomes if o.startswith("error")})[:5]}


def _cleanup() -> None:
    agendas = Agenda.objects.filter(organisation__source="bench-agenda")
    SlotClaim.objects.filter(agenda__in=agendas).delete()
    Appointment.objects.filter(agenda__in=agendas).delete()
    OpeningRule.objects.filter(agenda__in=agendas).delete()
    Motif.objects.filter(agenda__in=agendas).delete()
    agendas.delete()
    Organisation.objects.filter(source="bench-agenda").delete()
    User.objects.filter(email=BENCH_EMAIL).delete()


def _load_average() -> list[float]:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return []


@benchmark(
    "agenda",
    help="e-RDV next-available search (specialty within 30 km), 200 clients racing for one slot, booking throughput; data deleted after.",
    arguments=_arguments,
)
def agenda(options: argparse.Namespace) -> dict[str, Any]:
    rng = random.Random(options.seed)
    _cleanup()
    user = User.objects.create_user(username=BENCH_EMAIL, email=BENCH_EMAIL, password=None, kind="pro")
    try:
        started = time.perf_counter()
        agendas = _load(rng, options)
        load_seconds = time.perf_counter() - started
        durations, counts = _timed_searches(rng, options)
        search = {**percentiles_ms(durations), "mean_results": round(sum(counts) / len(counts), 1), "target_p95_ms": TARGET_P95_MS}
        search["met"] = search["p95_ms"] <= TARGET_P95_MS
        race = _race(agendas[0], user, options.clients, options.connections)
        throughput = _throughput(agendas[1:], user, options)
        return {
            "dataset": {"agendas": options.agendas, "organisations": options.organisations, "days_of_rules": options.days,
                        "queries": options.queries, "radius_km": options.radius},
            "load_seconds": round(load_seconds, 1), "load_average": _load_average(),
            "search": search, "race": race, "throughput": throughput,
        }
    finally:
        _cleanup()
