"""An in-memory candidate index for real-time matching without a database.

The identity server matches against the database (``identity.selectors.match_candidates``:
blocking keys stored in a table, one indexed query). This index does the same
in memory for the benchmark's ``--realtime-backend memory`` and for tools that
match a file against a file: keys are kept as 64-bit hashes in two parallel
sorted ``array`` columns (16 bytes per key instead of ~150 for a dict entry),
looked up by bisection.
"""

from __future__ import annotations

import bisect
from array import array
from collections.abc import Iterable

import duckdb
import pyarrow as pa

from enrs.identity.matching.batch import prepare_all
from enrs.identity.matching.blocking import key_parts
from enrs.identity.matching.scoring import decide_prepared, match_weight, probability
from enrs.identity.matching.traits import Prepared, Traits, prepare


def _as_array(column: pa.ChunkedArray, typecode: str) -> array:
    """Copy a null-free fixed-width Arrow column into an ``array`` (bytewise, no Python objects)."""
    result = array(typecode)
    width = result.itemsize
    for chunk in column.chunks:
        buffer = chunk.buffers()[1]
        result.frombytes(buffer[chunk.offset * width : (chunk.offset + len(chunk)) * width])
    return result


class MatchIndex:
    def __init__(self, ids: list[str], prepared: list[Prepared], hashes: array, owners: array) -> None:
        self.ids, self.prepared, self.hashes, self.owners = ids, prepared, hashes, owners

    @classmethod
    def build(cls, records: Iterable[tuple[str, Traits]]) -> MatchIndex:
        ids, prepared, key_hashes, key_owner = prepare_all(records)
        table = pa.table(
            {
                "h": pa.Array.from_buffers(pa.int64(), len(key_hashes), [None, pa.py_buffer(key_hashes)]),
                "o": pa.Array.from_buffers(pa.int32(), len(key_owner), [None, pa.py_buffer(key_owner)]),
            }
        )
        con = duckdb.connect()
        try:
            con.register("k", table)
            ordered = con.sql("SELECT h, o FROM k ORDER BY h, o").to_arrow_table()
        finally:
            con.close()
        return cls(ids, prepared, _as_array(ordered.column("h"), "q"), _as_array(ordered.column("o"), "i"))

    def _owners_of(self, key_hash: int) -> list[int]:
        start = bisect.bisect_left(self.hashes, key_hash)
        stop = bisect.bisect_right(self.hashes, key_hash, lo=start)
        return self.owners[start:stop].tolist()

    def candidates(self, traits: Traits, limit: int = 10) -> list[tuple[str, float, str | None]]:
        """``(id, score, decision)`` of the best candidates, best first."""
        query = prepare(traits)
        found: set[int] = set()
        for parts in key_parts(traits):
            found.update(self._owners_of(hash(parts)))
        scored = []
        for index in found:
            weight, levels = match_weight(query, self.prepared[index])
            s = probability(weight)
            scored.append((self.ids[index], s, decide_prepared(query, self.prepared[index], s, found=levels)))
        scored.sort(key=lambda item: (-item[1], item[0]))
        return scored[:limit]
