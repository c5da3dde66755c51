"""Batch duplicate detection over a whole file or base of identities.

Steps, each sized for a million identities on two cores:

1. *keys*: every record is normalised (:func:`traits.prepare`) and its
   blocking keys computed, in slices over forked worker processes; keys come
   back as 64-bit hashes in compact ``array`` bytes (a dict of a few million
   strings would cost gigabytes, and pickling prepared records back costs
   more than preparing them again);
2. *block*: DuckDB self-joins the (hash, record) table: every pair of records
   sharing a hash is a candidate, kept once even when found through several
   keys. A block larger than ``MAX_BLOCK`` (a degenerate key such as an empty
   name) is skipped and counted rather than exploding quadratically;
3. *score*: candidate pairs are scored by the Fellegi–Sunter model of
   :mod:`.scoring`, in chunks spread over worker processes (``fork``: the
   records are shared copy-on-write, each worker prepares the records of its
   pairs once, nothing is pickled but pair indexes and results);
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
import time
from array import array
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import duckdb
import pyarrow as pa

from enrs.identity.matching.blocking import key_parts
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
# Below this size a second process costs more than it saves.
PARALLEL_FROM_RECORDS = 20_000
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


# Shared with forked workers (set before a pool starts, read-only afterwards).
_SHARED: dict[str, object] = {}
# Records prepared by this process for the chunk being scored (per worker after fork).
_PREPARED: dict[int, Prepared] = {}


def _available_cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def _can_fork() -> bool:
    return "fork" in multiprocessing.get_all_start_methods()


def _prepared(index: int) -> Prepared:
    found = _PREPARED.get(index)
    if found is None:
        records: list[tuple[str, Traits]] = _SHARED["records"]  # type: ignore[assignment]
        found = _PREPARED[index] = _prepare_uncached(records[index][1])
    return found


# --- Keys ----------------------------------------------------------------------------------
def _keys_of_slice(bounds: tuple[int, int]) -> tuple[bytes, bytes]:
    """Key hashes and owners of ``records[start:stop]``.

    Keys are hashed with ``hash()`` of their parts tuple: str hashes are salted
    per interpreter, and forked workers inherit the parent's salt, so hashes
    agree within one run (and only within one run).
    """
    start, stop = bounds
    records: list[tuple[str, Traits]] = _SHARED["records"]  # type: ignore[assignment]
    key_hashes, key_owner = array("q"), array("i")
    for index in range(start, stop):
        keys = key_parts(records[index][1])
        key_hashes.extend([hash(key) for key in keys])
        key_owner.extend([index] * len(keys))
    return key_hashes.tobytes(), key_owner.tobytes()


Mapper = Callable[[Callable, list], Iterable]


@contextmanager
def _mapper(workers: int) -> Iterator[Mapper]:
    """``map`` over one process, or the ``imap`` of a pool of forked workers kept for every stage.

    One pool serves the key and the scoring stages, so a worker keeps the
    normalisation caches it warmed while computing keys.
    """
    if workers > 1 and _can_fork():
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            yield pool.imap
    else:
        yield map


def block_keys(records: list[tuple[str, Traits]], run: Mapper = map, progress: Progress | None = None) -> tuple[array, array]:
    """The (key hash, record index) arrays of all records (``_SHARED["records"]`` must hold them)."""
    size = max(1, min(20_000, -(-len(records) // 4)))
    bounds = [(start, min(start + size, len(records))) for start in range(0, len(records), size)]
    key_hashes, key_owner = array("q"), array("i")
    done = 0
    for (hashes, owners), (start, stop) in zip(run(_keys_of_slice, bounds), bounds, strict=True):
        key_hashes.frombytes(hashes)
        key_owner.frombytes(owners)
        done += stop - start
        if progress:
            progress("prepare", done, len(records))
    if progress and not records:
        progress("prepare", 0, 0)
    return key_hashes, key_owner


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


# --- Scoring -------------------------------------------------------------------------------
def _score_chunk(pairs: list[tuple[int, int]]) -> list[tuple[int, int, float, str]]:
    """``(i, j, score, decision)`` of the pairs of the chunk that are flagged."""
    high: float = _SHARED["high"]  # type: ignore[assignment]
    low: float = _SHARED["low"]  # type: ignore[assignment]
    # Pairs come sorted by their first record, so a record is mostly needed
    # within one chunk: keeping prepared records per chunk bounds the memory.
    _PREPARED.clear()
    kept = []
    for i, j in pairs:
        a, b = _prepared(i), _prepared(j)
        weight, found = match_weight(a, b)
        s = probability(weight)
        if s >= low or (a.ins_valid and a.ins == b.ins):
            decision = decide_prepared(a, b, s, high=high, low=low, found=found)
            if decision:
                kept.append((i, j, s, decision))
    return kept


def _worker_count(size: int, threshold: int, workers: int | None) -> int:
    """``workers`` if given, else the available cores (at most 4) for inputs of ``threshold`` or more."""
    if workers is not None:
        return max(1, workers)
    return 1 if size < threshold else max(1, min(_available_cores(), 4))


def score_pairs(
    pairs: list[tuple[int, int]], run: Mapper = map, *, workers: int = 1, progress: Progress | None = None
) -> list[tuple[int, int, float, str]]:
    """Flagged pairs among ``pairs`` (records from ``_SHARED["records"]``, thresholds from ``_SHARED``)."""
    # Several chunks per worker, so that every worker gets its share.
    size = max(1, min(CHUNK_PAIRS, -(-len(pairs) // (workers * 4))))
    chunks = [pairs[start : start + size] for start in range(0, len(pairs), size)]
    results: list[tuple[int, int, float, str]] = []
    done = 0
    for kept, chunk in zip(run(_score_chunk, chunks), chunks, strict=True):
        results.extend(kept)
        done += len(chunk)
        if progress:
            progress("score", done, len(pairs))
    return results


def implied_pairs(direct: dict[tuple[int, int], tuple[float, str]]) -> dict[tuple[int, int], tuple[float, str]]:
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
                    implied[(i, j)] = (probability(match_weight(_prepared(i), _prepared(j))[0]), "review")
    return implied


def find_duplicates(
    records: Iterable[tuple[str, Traits]],
    *,
    progress: Progress | None = None,
    workers: int | None = None,
    stats: BatchStats | None = None,
) -> Iterator[tuple[str, str, float, str]]:
    """Flagged pairs ``(id_a, id_b, score, decision)`` with ``id_a < id_b``, sorted; decision ``link``/``review``.

    ``progress(stage, done, total)`` is called as the stages ``prepare`` and
    ``score`` advance. ``workers`` forces the number of processes (default:
    the available cores, for inputs large enough to pay for them).
    """
    stats = stats if stats is not None else BatchStats()
    records = records if isinstance(records, list) else list(records)
    stats.records = len(records)
    stats.workers = _worker_count(len(records), PARALLEL_FROM_RECORDS, workers)
    # Set before the pool forks: workers read the records and thresholds from here.
    _SHARED.update(records=records, high=high_threshold(), low=low_threshold())
    _PREPARED.clear()
    try:
        with _mapper(stats.workers) as run:
            clock = time.perf_counter()
            key_hashes, key_owner = block_keys(records, run, progress)
            stats.keys = len(key_hashes)
            stats.seconds["prepare"] = time.perf_counter() - clock
            clock = time.perf_counter()
            pairs = candidate_pairs(key_hashes, key_owner, stats)
            del key_hashes, key_owner
            stats.candidate_pairs = len(pairs)
            stats.seconds["block"] = time.perf_counter() - clock
            clock = time.perf_counter()
            kept = score_pairs(pairs, run, workers=stats.workers, progress=progress)
        del pairs
        direct = {(i, j): (s, decision) for i, j, s, decision in kept if records[i][0] != records[j][0]}
        implied = implied_pairs(direct)
    finally:
        _SHARED.clear()
        _PREPARED.clear()
    stats.implied = len(implied)
    stats.seconds["score"] = time.perf_counter() - clock
    flagged = []
    for (i, j), (s, decision) in itertools.chain(direct.items(), implied.items()):
        id_i, id_j = records[i][0], records[j][0]
        flagged.append((id_i, id_j, s, decision) if id_i < id_j else (id_j, id_i, s, decision))
    flagged.sort()
    stats.flagged = len(flagged)
    yield from flagged


def prepare_all(records: Iterable[tuple[str, Traits]]) -> tuple[list[str], list[Prepared], array, array]:
    """Ids, prepared records and key arrays of ``records``, in this process (used by the in-memory index)."""
    ids: list[str] = []
    prepared: list[Prepared] = []
    key_hashes, key_owner = array("q"), array("i")
    for index, (record_id, traits) in enumerate(records):
        keys = key_parts(traits)
        ids.append(record_id)
        prepared.append(_prepare_uncached(traits))
        key_hashes.extend([hash(key) for key in keys])
        key_owner.extend([index] * len(keys))
    return ids, prepared, key_hashes, key_owner
