"""Batch duplicate detection over a whole file or base of identities.

Steps, each sized for a million identities on two cores:

1. *prepare*: every record is normalised once (:func:`traits.prepare`) and its
   blocking keys computed; keys are stored as 64-bit hashes in a compact
   ``array`` (a dict of a few million strings would cost gigabytes);
2. *block*: DuckDB self-joins the (hash, record) table: every pair of records
   sharing a hash is a candidate, kept once even when found through several
   keys. A block larger than ``MAX_BLOCK`` (a degenerate key such as an empty
   name) is skipped and counted rather than exploding quadratically;
3. *score*: candidate pairs are scored by the Fellegi–Sunter model of
   :mod:`.scoring`, in chunks spread over worker processes (``fork``: the
   prepared records are shared copy-on-write, nothing is pickled but pair
   indexes and results);
4. *decide*: pairs at or above the low threshold come out as
   ``(id_a, id_b, score, decision)``;
5. *close*: pairs implied by transitivity inside small clusters are added for
   review (:func:`implied_pairs`).

Ordering rule: each flagged pair comes out once, with ``id_a < id_b`` in
Python string order, and pairs are sorted by ``(id_a, id_b)`` so that two runs
over the same input give the same file.
"""

from __future__ import annotations

import itertools
import multiprocessing
import os
from array import array
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

import duckdb
import pyarrow as pa

from enrs.identity.matching.blocking import keys_of_prepared
from enrs.identity.matching.scoring import (
    decide_prepared,
    high_threshold,
    low_threshold,
    match_weight,
    probability,
)
from enrs.identity.matching.traits import Prepared, Traits, prepare

Progress = Callable[[str, int, int], None]
MAX_BLOCK = 1_000
CHUNK_PAIRS = 50_000
# Below this many candidate pairs a second process costs more than it saves.
PARALLEL_FROM_PAIRS = 200_000
PARALLEL_FROM_RECORDS = 50_000
# A cluster of flagged records larger than this is a chain of look-alikes, not one person.
MAX_CLUSTER = 8
_prepare_uncached = prepare.__wrapped__


@dataclass
class BatchStats:
    records: int = 0
    keys: int = 0
    candidate_pairs: int = 0
    skipped_blocks: int = 0
    flagged: int = 0
    implied: int = 0
    workers: int = 1
    seconds: dict[str, float] = field(default_factory=dict)


# Shared with forked workers (set before the pool starts, read-only afterwards).
_SHARED: dict[str, object] = {}


def prepare_all(records: Iterable[tuple[str, Traits]], progress: Progress | None = None, total: int = 0):
    """Ids, prepared records and the (key hash, record index) arrays.

    Keys are hashed with ``hash()``: str hashes are salted per process, but
    every hash is computed in this process (workers only see the resulting
    integers), so they are consistent within one run.
    """
    ids: list[str] = []
    prepared: list[Prepared] = []
    key_hashes = array("q")
    key_owner = array("i")
    for index, (record_id, traits) in enumerate(records):
        p = _prepare_uncached(traits)
        ids.append(record_id)
        prepared.append(p)
        keys = keys_of_prepared(p, traits.birth_date)
        key_hashes.extend([hash(key) for key in keys])
        key_owner.extend([index] * len(keys))
        if progress and index % 10_000 == 9_999:
            progress("prepare", index + 1, total)
    if progress:
        progress("prepare", len(ids), total or len(ids))
    return ids, prepared, key_hashes, key_owner


def _prepare_slice(bounds: tuple[int, int]) -> tuple[list[str], list[Prepared], bytes, bytes]:
    start, stop = bounds
    records: list[tuple[str, Traits]] = _SHARED["records"]  # type: ignore[assignment]
    ids, prepared, hashes, owners = prepare_all(records[start:stop])
    return ids, prepared, hashes.tobytes(), array("i", [owner + start for owner in owners]).tobytes()


def prepare_parallel(records: list[tuple[str, Traits]], workers: int, progress: Progress | None = None):
    """:func:`prepare_all` over slices in forked processes (same hash salt as this process: fork copies it)."""
    _SHARED["records"] = records
    size = max(1, -(-len(records) // (workers * 4)))
    bounds = [(start, min(start + size, len(records))) for start in range(0, len(records), size)]
    ids: list[str] = []
    prepared: list[Prepared] = []
    key_hashes, key_owner = array("q"), array("i")
    try:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            for slice_ids, slice_prepared, hashes, owners in pool.imap(_prepare_slice, bounds):
                ids.extend(slice_ids)
                prepared.extend(slice_prepared)
                key_hashes.frombytes(hashes)
                key_owner.frombytes(owners)
                if progress:
                    progress("prepare", len(ids), len(records))
    finally:
        _SHARED.clear()
    return ids, prepared, key_hashes, key_owner


def _arrow(values: array, kind) -> pa.Array:
    """Zero-copy view of an ``array.array`` as an Arrow array."""
    return pa.Array.from_buffers(kind, len(values), [None, pa.py_buffer(values)])


def candidate_pairs(key_hashes: array, key_owner: array, stats: BatchStats | None = None) -> list[tuple[int, int]]:
    """Unique candidate pairs ``(i, j)`` with ``i < j`` of records sharing a key.

    The self-join runs in DuckDB (embedded, columnar, multi-threaded): the keys
    go in as one Arrow table without copying, the distinct pairs come out.
    """
    if len(key_hashes) < 2:
        return []
    table = pa.table({"h": _arrow(key_hashes, pa.int64()), "o": _arrow(key_owner, pa.int32())})
    con = duckdb.connect(config={"threads": _available_cores()})
    try:
        con.register("block_keys", table)
        if stats is not None:
            stats.skipped_blocks = con.execute(
                "SELECT count(*) FROM (SELECT h FROM block_keys GROUP BY h HAVING count(*) > ?)", [MAX_BLOCK]
            ).fetchone()[0]
        rows = con.execute(
            """
            WITH usable AS (SELECT h FROM block_keys GROUP BY h HAVING count(*) BETWEEN 2 AND ?),
                 keyed AS (SELECT k.h, k.o FROM block_keys k SEMI JOIN usable u ON k.h = u.h)
            SELECT DISTINCT a.o AS i, b.o AS j FROM keyed a JOIN keyed b ON a.h = b.h AND a.o < b.o
            ORDER BY i, j
            """,
            [MAX_BLOCK],
        ).fetchall()
    finally:
        con.close()
    return rows


def _available_cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def _score_chunk(pairs: list[tuple[int, int]]) -> list[tuple[int, int, float, bool]]:
    prepared: list[Prepared] = _SHARED["prepared"]  # type: ignore[assignment]
    low: float = _SHARED["low"]  # type: ignore[assignment]
    kept = []
    for i, j in pairs:
        a, b = prepared[i], prepared[j]
        weight, found = match_weight(a, b)
        s = probability(weight)
        if s >= low or (a.ins_valid and a.ins == b.ins):
            kept.append((i, j, s, found["first_names"] == "different"))
    return kept


def _worker_count(pairs: int, workers: int | None) -> int:
    if workers is not None:
        return max(1, workers)
    if pairs < PARALLEL_FROM_PAIRS:
        return 1
    return max(1, min(_available_cores(), 4))


def score_pairs(
    pairs: list[tuple[int, int]], prepared: list[Prepared], *, low: float, workers: int, progress: Progress | None = None
) -> list[tuple[int, int, float, bool]]:
    """Pairs whose score reaches ``low`` (or that share a valid INS), with their score."""
    _SHARED.update(prepared=prepared, low=low)
    chunks = [pairs[start : start + CHUNK_PAIRS] for start in range(0, len(pairs), CHUNK_PAIRS)]
    results: list[tuple[int, int, float, bool]] = []
    done = 0
    try:
        if workers > 1 and "fork" in multiprocessing.get_all_start_methods():
            with multiprocessing.get_context("fork").Pool(workers) as pool:
                for kept, chunk in zip(pool.imap(_score_chunk, chunks), chunks, strict=True):
                    results.extend(kept)
                    done += len(chunk)
                    if progress:
                        progress("score", done, len(pairs))
        else:
            for chunk in chunks:
                results.extend(_score_chunk(chunk))
                done += len(chunk)
                if progress:
                    progress("score", done, len(pairs))
    finally:
        _SHARED.clear()
    return results


def implied_pairs(direct: dict[tuple[int, int], tuple[float, str]], prepared: list[Prepared]) -> dict[tuple[int, int], tuple[float, str]]:
    """Pairs implied by transitivity: A~B and B~C flag A–C for review.

    A person entered four times by four desks gives six pairs; the two most
    distant records may share no blocking key or score low on their own while
    both are clearly linked to a third. The clusters (connected components of
    flagged pairs) are closed, with two guards: a cluster larger than
    ``MAX_CLUSTER`` is left alone (a chain of look-alikes, not a person), and
    an implied pair is never automatic (``review``); its score is its own
    direct score.
    """
    parent: dict[int, int] = {}

    def root(x: int) -> int:
        while parent.get(x, x) != x:
            parent[x] = parent.get(parent[x], parent[x])
            x = parent[x]
        return x

    for i, j in direct:
        ri, rj = root(i), root(j)
        if ri != rj:
            parent[ri] = rj
    clusters: dict[int, list[int]] = {}
    for member in {x for pair in direct for x in pair}:
        clusters.setdefault(root(member), []).append(member)
    implied = {}
    for members in clusters.values():
        if 3 <= len(members) <= MAX_CLUSTER:
            for i, j in itertools.combinations(sorted(members), 2):
                if (i, j) not in direct:
                    implied[(i, j)] = (probability(match_weight(prepared[i], prepared[j])[0]), "review")
    return implied


def find_duplicates(
    records: Iterable[tuple[str, Traits]],
    *,
    progress: Progress | None = None,
    workers: int | None = None,
    stats: BatchStats | None = None,
    total: int = 0,
) -> Iterator[tuple[str, str, float, str]]:
    """Flagged pairs ``(id_a, id_b, score, decision)`` with ``id_a < id_b``, sorted; decision ``link``/``review``.

    ``progress(stage, done, total)`` is called as the stages ``prepare`` and
    ``score`` advance (``total`` of ``prepare`` is 0 when unknown).
    """
    import time

    stats = stats if stats is not None else BatchStats()
    clock = time.perf_counter()
    records = records if isinstance(records, list) else list(records)
    if workers is not None:
        prepare_workers = max(1, workers)
    else:
        prepare_workers = min(_available_cores(), 4) if len(records) >= PARALLEL_FROM_RECORDS else 1
    if prepare_workers > 1 and "fork" in multiprocessing.get_all_start_methods():
        ids, prepared, key_hashes, key_owner = prepare_parallel(records, prepare_workers, progress)
    else:
        ids, prepared, key_hashes, key_owner = prepare_all(records, progress, len(records))
    del records
    stats.records, stats.keys = len(ids), len(key_hashes)
    stats.seconds["prepare"] = time.perf_counter() - clock
    clock = time.perf_counter()
    pairs = candidate_pairs(key_hashes, key_owner, stats)
    del key_hashes, key_owner
    stats.candidate_pairs = len(pairs)
    stats.seconds["block"] = time.perf_counter() - clock
    clock = time.perf_counter()
    stats.workers = _worker_count(len(pairs), workers)
    high, low = high_threshold(), low_threshold()
    kept = score_pairs(pairs, prepared, low=low, workers=stats.workers, progress=progress)
    stats.seconds["score"] = time.perf_counter() - clock
    del pairs
    direct: dict[tuple[int, int], tuple[float, str]] = {}
    for i, j, s, different_first_names in kept:
        found = {"first_names": "different" if different_first_names else "known"}
        decision = decide_prepared(prepared[i], prepared[j], s, high=high, low=low, found=found)
        if decision and ids[i] != ids[j]:
            direct[(i, j)] = (s, decision)
    implied = implied_pairs(direct, prepared)
    stats.implied = len(implied)
    flagged = []
    for (i, j), (s, decision) in itertools.chain(direct.items(), implied.items()):
        a, b = (ids[i], ids[j]) if ids[i] < ids[j] else (ids[j], ids[i])
        flagged.append((a, b, s, decision))
    flagged.sort()
    stats.flagged = len(flagged)
    yield from flagged
