"""``enrs bench identity``: duplicate detection against Splink, on synthetic French identities.

One run:

1. generates ``--n`` records with ``enrs.identity.matching.synthetic`` (Faker
   fr_FR names, INSEE-like birth places, the documented error model, about
   10% of people duplicated 1 to 3 times, a few twins); the truth is the
   person behind each record;
2. runs our batch detection (``matching.find_duplicates``) and times it;
3. runs Splink 5 (DuckDB backend) on the same records and times it (unless
   ``--no-splink``). The Splink model is the textbook Fellegi–Sunter setup of
   its documentation, trained on the same data without labels:

   * input columns cleaned like ours (upper case, no accent, no punctuation,
     particles dropped from the birth name; empty → null);
   * comparisons: ``NameComparison`` on birth name and on first first name
     (exact / Jaro-Winkler 0.92, 0.88, 0.7), ``NameComparison`` on the used
     name, ``DateOfBirthComparison`` (exact, one edit, ≤1 month, ≤1 year,
     ≤10 years), exact sex, exact birth place, INS exact / one edit;
   * prediction blocking rules: INS; birth date + first name; birth date +
     birth name; birth name + first name; birth date + birth place;
   * training: ``probability_two_random_records_match`` from the
     deterministic rule name + first name + date (recall 0.7), ``u`` by random
     sampling (``max_pairs`` = 2e6 or 10×N, seeded), ``m`` by EM on two
     blocking rules (birth date; birth name + first name);
   * a pair is a Splink match at match probability ≥ 0.5; the best F1 over all
     thresholds is reported too (an oracle Splink never has), to be fair;
4. measures real-time matching: ``--realtime-n`` degraded copies of known
   people are matched one by one. Backend ``db`` loads the N identities in
   the database through ``identity.services.bulk_load_for_benchmark`` (inside
   a transaction rolled back at the end) and times
   ``identity.selectors.match_candidates`` (one indexed query + scoring)
   after ``ANALYZE`` of the identity tables (PostgreSQL) and 10 untimed
   warm-up look-ups;
   backend ``memory`` uses :class:`enrs.identity.matching.realtime.MatchIndex`.

Wall time and CPU time (this process's threads, DuckDB's included, plus
its finished workers) are reported for both: the machine is shared, and CPU
time is the fairer comparison when the load changes between the two runs.

Pairwise metrics: a predicted pair is any pair we flag (``link`` or
``review``); truth pairs are all pairs of records of the same person.
Peak memory is ``ru_maxrss`` of this process and of its worker processes,
read after our batch (before Splink runs, so Splink's memory is not counted
as ours) and at the end.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import logging
import os
import random
import resource
import time
from collections import defaultdict
from typing import Any

from enrs.bench.registry import benchmark, percentiles_ms
from enrs.identity.matching import BatchStats, find_duplicates
from enrs.identity.matching.normalise import (
    first_name_list,
    fold,
    name_forms,
    parse_birth_date,
)
from enrs.identity.matching.synthetic import SyntheticRecord, degrade, generate


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--n", type=int, default=10_000, help="records to generate")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--splink", action=argparse.BooleanOptionalAction, default=True)
    parser.add_argument(
        "--batch", action=argparse.BooleanOptionalAction, default=True, help="run our batch (--no-batch: real time only)"
    )
    parser.add_argument("--realtime-n", type=int, default=200, help="real-time queries to time")
    parser.add_argument("--realtime-backend", choices=("db", "memory"), default="db")
    parser.add_argument("--workers", type=int, default=None, help="scoring processes (default: cores)")


def _truth(records: list[SyntheticRecord]) -> set[tuple[str, str]]:
    by_person: dict[int, list[str]] = defaultdict(list)
    for record in records:
        by_person[record.person].append(record.id)
    return {pair for ids in by_person.values() for pair in itertools.combinations(sorted(ids), 2)}


def _metrics(predicted: set[tuple[str, str]], truth: set[tuple[str, str]]) -> dict[str, float | int]:
    true_positives = len(predicted & truth)
    precision = true_positives / len(predicted) if predicted else 1.0
    recall = true_positives / len(truth) if truth else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "f1": round(f1, 4),
        "predicted_pairs": len(predicted),
        "true_positives": true_positives,
    }


def _cpu_seconds() -> float:
    """CPU time of this process (all its threads, DuckDB's included) and of its finished workers."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _peak_mb() -> dict[str, float]:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {"process_mb": round(own, 1), "largest_worker_mb": round(children, 1)}


# --- Ours -----------------------------------------------------------------------------------
def _run_ours(records: list[SyntheticRecord], truth, workers: int | None) -> dict[str, Any]:
    stats = BatchStats()
    started, cpu = time.perf_counter(), _cpu_seconds()
    pairs = list(find_duplicates([(r.id, r.traits) for r in records], stats=stats, workers=workers))
    wall, cpu = time.perf_counter() - started, _cpu_seconds() - cpu
    flagged = {(a, b) for a, b, _score, _decision in pairs}
    linked = {(a, b) for a, b, _score, decision in pairs if decision == "link"}
    return {
        "wall_s": round(wall, 2),
        "cpu_s": round(cpu, 2),
        **_metrics(flagged, truth),
        "link_only": _metrics(linked, truth),
        "implied_pairs": stats.implied,
        "candidate_pairs": stats.candidate_pairs,
        "blocking_keys": stats.keys,
        "workers": stats.workers,
        "stage_s": {stage: round(seconds, 2) for stage, seconds in stats.seconds.items()},
        "peak_memory": _peak_mb(),
    }


# --- Splink ---------------------------------------------------------------------------------
def _splink_table(records: list[SyntheticRecord]):
    import pyarrow as pa

    def text(value: str) -> str | None:
        return value or None

    columns: dict[str, list] = defaultdict(list)
    for record in records:
        t = record.traits
        firsts = first_name_list(t.first_names)
        columns["unique_id"].append(record.id)
        columns["birth_name"].append(text(name_forms(t.birth_name)[1]))
        columns["first_name"].append(text(firsts[0] if firsts else ""))
        columns["used_name"].append(text(name_forms(t.used_name)[1]))
        columns["birth_date"].append(t.birth_date if parse_birth_date(t.birth_date) else None)
        columns["sex"].append(text(t.sex))
        columns["birth_place"].append(text(fold(t.birth_place)))
        columns["ins"].append(text(t.ins))
    return pa.table(dict(columns))


def _run_splink(records: list[SyntheticRecord], truth, seed: int) -> dict[str, Any]:
    import duckdb
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    logging.getLogger("splink").setLevel(logging.ERROR)
    table = _splink_table(records)  # input preparation is part of Splink's time too
    started, cpu = time.perf_counter(), _cpu_seconds()
    con = duckdb.connect()
    con.execute(f"SET threads = {len(os.sched_getaffinity(0))}")
    db_api = DuckDBAPI(connection=con)
    frame = db_api.register(table)
    settings = SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="unique_id",
        comparisons=[
            cl.NameComparison("birth_name"),
            cl.NameComparison("first_name"),
            cl.NameComparison("used_name"),
            cl.DateOfBirthComparison("birth_date", input_is_string=True, datetime_format="%Y-%m-%d"),
            cl.ExactMatch("sex"),
            cl.ExactMatch("birth_place"),
            cl.LevenshteinAtThresholds("ins", [1]),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("ins"),
            block_on("birth_date", "first_name"),
            block_on("birth_date", "birth_name"),
            block_on("birth_name", "first_name"),
            block_on("birth_date", "birth_place"),
        ],
        retain_intermediate_calculation_columns=False,
    )
    linker = Linker(frame, settings, log_level=logging.ERROR)
    linker.training.estimate_probability_two_random_records_match(
        [block_on("birth_name", "first_name", "birth_date")], recall=0.7
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=max(2e6, 10 * len(records)), seed=seed)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("birth_date"))
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("birth_name", "first_name"))
    predictions = linker.inference.predict(threshold_match_probability=0.01)
    rows = con.execute(
        f"SELECT unique_id_l, unique_id_r, match_probability FROM {predictions.physical_name}"
    ).fetchall()
    wall, cpu = time.perf_counter() - started, _cpu_seconds() - cpu
    con.close()
    scored = [((a, b) if a < b else (b, a), p) for a, b, p in rows]
    at_half = {pair for pair, p in scored if p >= 0.5}
    return {
        "wall_s": round(wall, 2),
        "cpu_s": round(cpu, 2),
        **_metrics(at_half, truth),
        "threshold": 0.5,
        "best_threshold": _best_threshold(scored, truth),
        "scored_pairs": len(rows),
    }


def _best_threshold(scored: list[tuple[tuple[str, str], float]], truth) -> dict[str, float]:
    """The threshold maximising Splink's F1 (computed with the truth: an upper bound, not a usable setting)."""
    ordered = sorted(scored, key=lambda item: -item[1])
    best = {"f1": 0.0, "threshold": 1.0}
    true_positives = 0
    for rank, (pair, p) in enumerate(ordered, start=1):
        true_positives += pair in truth
        precision, recall = true_positives / rank, true_positives / len(truth) if truth else 1.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        if f1 > best["f1"]:
            best = {"f1": round(f1, 4), "threshold": round(p, 4), "precision": round(precision, 4), "recall": round(recall, 4)}
    return best


# --- Real time ------------------------------------------------------------------------------
def _queries(records: list[SyntheticRecord], count: int, seed: int):
    rng = random.Random(f"realtime:{seed}")
    chosen = rng.sample(records, min(count, len(records)))
    return [degrade(rng, record.traits) for record in chosen]


def _run_realtime_memory(records, queries) -> dict[str, Any]:
    from enrs.identity.matching.realtime import MatchIndex

    started = time.perf_counter()
    index = MatchIndex.build((r.id, r.traits) for r in records)
    build = time.perf_counter() - started
    durations = []
    for query in queries:
        clock = time.perf_counter()
        index.candidates(query, limit=10)
        durations.append(time.perf_counter() - clock)
    return {"realtime_backend": "memory", "index_build_s": round(build, 2), **percentiles_ms(durations)}


class _Rollback(Exception):
    pass


WARM_UP_QUERIES = 10


def _analyse_identity_tables(connection) -> None:
    """Fresh planner statistics, as a production database has (PostgreSQL sees this transaction's rows)."""
    if connection.vendor != "postgresql":
        return
    tables = [name for name in connection.introspection.table_names() if name.startswith("identity_")]
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(table)}")


def _run_realtime_db(records, queries) -> dict[str, Any]:
    from django.db import connection, transaction

    from enrs.identity import selectors, services

    rows = (
        {
            "birth_name": r.traits.birth_name,
            "birth_first_names": " ".join(r.traits.first_names),
            "birth_date": r.traits.birth_date,
            "sex": r.traits.sex or "I",
            "birth_place_insee": r.traits.birth_place,
            "used_name": r.traits.used_name,
            "used_first_name": r.traits.used_first_name,
            "ins": r.traits.ins,
        }
        for r in records
    )
    result: dict[str, Any] = {"realtime_backend": f"db ({connection.vendor})"}
    with contextlib.suppress(_Rollback), transaction.atomic():
        started = time.perf_counter()
        result["loaded"] = services.bulk_load_for_benchmark(rows)
        result["load_s"] = round(time.perf_counter() - started, 2)
        _analyse_identity_tables(connection)
        for query in queries[:WARM_UP_QUERIES]:  # first look-ups fill the caches: not timed
            selectors.match_candidates(query, limit=10)
        durations = []
        for query in queries:
            clock = time.perf_counter()
            selectors.match_candidates(query, limit=10)
            durations.append(time.perf_counter() - clock)
        result.update(percentiles_ms(durations))
        result["rolled_back"] = True
        raise _Rollback
    return result


@benchmark("identity", help="Détection de doublons d'identités (le nôtre contre Splink) et appariement temps réel.", arguments=_arguments)
def run(options: argparse.Namespace) -> dict[str, Any]:
    started = time.perf_counter()
    records = list(generate(options.n, options.seed))
    generation = time.perf_counter() - started
    truth = _truth(records)
    people = len({r.person for r in records})
    ours = _run_ours(records, truth, options.workers) if options.batch else None
    result: dict[str, Any] = {
        "dataset": {
            "n": len(records),
            "seed": options.seed,
            "people": people,
            "true_pairs": len(truth),
            "generation_s": round(generation, 2),
        },
    }
    if ours is not None:
        result["ours"] = ours
    if options.splink:
        result["splink"] = _run_splink(records, truth, options.seed)
        if ours is not None:
            result["f1_vs_splink"] = round(ours["f1"] - result["splink"]["f1"], 4)
            result["wall_ratio_vs_splink"] = round(ours["wall_s"] / max(result["splink"]["wall_s"], 1e-9), 3)
    if options.realtime_n > 0:
        queries = _queries(records, options.realtime_n, options.seed)
        runner = _run_realtime_db if options.realtime_backend == "db" else _run_realtime_memory
        result["realtime"] = runner(records, queries)
    result["peak_memory_end"] = _peak_mb()
    result["load_average"] = [round(x, 2) for x in os.getloadavg()]
    return result
