"""The column-wise screen decides exactly like the per-record checker (same rows, quarantine, messages, quality)."""

from __future__ import annotations

import io
import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from enrs.core.validators import finess_complete
from enrs.observatory import processing
from enrs.observatory.generator import CORRUPTIONS, records_for_day, synthetic_record

from .conftest import FIRST_DAY, record, rpu_bytes

FINESS = finess_complete("14000601")
# Values chosen to sit on the edges of every rule (formats, calendars, clock changes, ages, codes…).
TRICKY = {
    "ENTREE": ["06/01/2025 10:00", "06/01/2025 10:00:59", "06/01/2025T10:00", "31/02/2025 10:00", "06/01/2025 24:00",
               "06/01/2025 10:61", "06/01/2025 10:00:61", "6/1/2025 10:00", "٠٦/01/2025 10:00", "07/01/2025 10:00",
               "05/01/2025 23:59", "30/03/2025 02:30", "26/10/2025 02:30", "00/01/2025 10:00", ""],
    "SORTIE": ["06/01/2025 12:30", "06/01/2025 09:59", "09/01/2025 10:00", "09/01/2025 10:01", "06/01/2025 10:00",
               "30/03/2025 03:10", "26/10/2025 02:10", "26/10/2025 03:30", "29/02/2025 10:00", "x", ""],
    "NAISSANCE": ["02/03/1970", "06/01/2025", "07/01/2025", "06/01/1905", "05/01/1905", "29/02/2024", "29/02/2023",
                  "01/01/0000", "2/3/1970", ""],
    "SEXE": ["M", "F", "I", "X", "m", ""],
    "CP": ["14000", "1400", "14000A", "١٤٠٠٠", ""],
    "COMMUNE": ["Caen", "É" * 80, "É" * 81, ""],
    "MODE_ENTREE": ["6", "7", "8", "9", ""],
    "PROVENANCE": ["1", "4", "5", "6", "7", "8", "9", ""],
    "TRANSPORT": ["PERSO", "smur", "TAXI", ""],
    "TRANSPORT_PEC": ["MED", "AUCUN", "RIEN", ""],
    "MOTIF": ["GASTRO04", "A.B+C-1", "MOTIF AVEC ESPACE", "X" * 21, ""],
    "GRAVITE": ["1", "P", "D", "6", ""],
    "DP": ["R074", "a09.9", "O800", "N400", "N992", "N800", "U900", "U849", "Z34", "12", ".", "D074", "A017", "K359", "S72001", "J189", ""],
    "MODE_SORTIE": ["6", "7", "8", "9", "5", ""],
    "DESTINATION": ["1", "4", "5", "6", "7", ""],
    "ORIENT": ["MED", "UHCD", "FUGUE", "REO", "HDT", "XYZ", ""],
}
LISTS = {"DA": [[], ["R509"], ["O800"], ["N400", "R509"], ["U950"], ["A09.9", "ZZ"], ["A017"], ["R509", "K359"], ["S72001"]],
         "ACTE": [[], ["DEQP003"], ["DEQP003-1"], ["DEQP03"], ["deqp003", "ZZZZ999"]]}


def outcome_signature(outcome):
    table = outcome.accepted_table
    rows = sorted(tuple(str(v) for v in row.values()) for row in table.to_pylist()) if table is not None else []
    return (
        outcome.records, outcome.file_error and outcome.file_error.code, rows,
        [(q.number, q.day, q.fields, [e.as_dict() for e in q.errors]) for q in outcome.quarantined],
        outcome.quality.completeness(), outcome.quality.conformity(), outcome.error_count,
    )


def both_ways(data: bytes):
    columnar = processing.process_stream(io.BytesIO(data), columnar=True)
    per_record = processing.process_stream(io.BytesIO(data), columnar=False)
    return outcome_signature(columnar), outcome_signature(per_record)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 100_000), size=st.integers(1, 40), edits=st.integers(0, 6), repeat=st.booleans())
def test_screen_and_checker_agree_on_edge_values(seed, size, edits, repeat):
    rng = random.Random(seed)
    records = []
    for _n in range(size):
        record = synthetic_record(FIRST_DAY, rng)
        for _e in range(edits):
            name = rng.choice([*TRICKY, *LISTS])
            record[name] = rng.choice(TRICKY[name] if name in TRICKY else LISTS[name])
        records.append({k: v for k, v in record.items() if v != ""})
    if repeat and records:
        records.append(dict(records[0]))  # a duplicate passage
    first, second = both_ways(rpu_bytes(FINESS, records, first=FIRST_DAY, last=FIRST_DAY))
    assert first == second


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 10_000), error_rate=st.floats(0, 1))
def test_screen_and_checker_agree_on_generated_days_and_files_without_period(seed, error_rate):
    rng = random.Random(seed)
    records = [r for r, _bad in records_for_day(FIRST_DAY, 40, rng, error_rate)]
    for corrupt in CORRUPTIONS:
        target = synthetic_record(FIRST_DAY, rng)
        corrupt(target, rng)
        records.append(target)
    data = rpu_bytes(FINESS, records)
    assert both_ways(data)[0] == both_ways(data)[1]
    no_period = data.replace(b"<DATEDEBUT>06/01/2025</DATEDEBUT>", b"").replace(b"<DATEFIN>06/01/2025</DATEFIN>", b"")
    first, second = both_ways(no_period)
    assert first == second


def test_chunks_carry_duplicates_and_quality_across(monkeypatch):
    monkeypatch.setattr(processing, "CHUNK", 7)
    rng = random.Random(3)
    records = [r for r, _bad in records_for_day(FIRST_DAY, 30, rng, 0.2)]
    records += [dict(records[1]), dict(records[-1])]
    first, second = both_ways(rpu_bytes(FINESS, records))
    assert first == second and any(e["code"] == "doublon" for q in first[3] for e in q[3])


def test_cim10_codes_missing_from_the_list_are_quarantined_by_both_paths():
    finess = finess_complete("14000601")
    records = [record(), record(DP="A017"), record(DP="I10", DA=["R074", "K359"]), record(DP="S72001"), record(DP="J189", DA=["U0710"])]
    data = rpu_bytes(finess, records)
    columnar, per_record = both_ways(data)
    assert columnar == per_record
    quarantined = {q.number: q for q in processing.process_stream(io.BytesIO(data), columnar=True).quarantined}
    assert sorted(quarantined) == [2, 3]
    assert [(e.field, e.code) for e in quarantined[3].errors] == [("DA", "format")]
