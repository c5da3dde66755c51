"""Matching quality on a generated population (fixed seed, deterministic), and the bench smoke test."""

from __future__ import annotations

import itertools
import json
from collections import defaultdict
from io import StringIO

import pytest
from django.core.management import call_command

from enrs.identity.matching import Traits, decide, find_duplicates, score
from enrs.identity.matching.synthetic import generate


def _truth(records) -> set[tuple[str, str]]:
    people = defaultdict(list)
    for record in records:
        people[record.person].append(record.id)
    return {pair for ids in people.values() for pair in itertools.combinations(sorted(ids), 2)}


def test_batch_detection_quality_on_2000_generated_identities():
    records = list(generate(2000, seed=11))
    truth = _truth(records)
    assert len(truth) > 300  # about 10% of people duplicated 1 to 3 times
    flagged = {(a, b) for a, b, _s, _d in find_duplicates((r.id, r.traits) for r in records)}
    true_positives = len(flagged & truth)
    precision, recall = true_positives / len(flagged), true_positives / len(truth)
    assert precision >= 0.99
    assert recall >= 0.95
    assert 2 * precision * recall / (precision + recall) >= 0.97


def test_generation_is_deterministic_and_the_first_records_do_not_depend_on_n():
    assert list(generate(50, seed=3)) == list(generate(50, seed=3))
    assert list(generate(100, seed=3))[:50] == list(generate(50, seed=3))
    assert list(generate(50, seed=3)) != list(generate(50, seed=4))


@pytest.mark.parametrize(
    ("other", "expected"),
    [
        # Name and first name inverted by a desk: still the same person.
        (Traits("Jean", ("Martin", "Paul"), "1975-06-02", "M", "14118"), {"link", "review"}),
        # A twin: same name, date and place, other first names: never linked automatically.
        (Traits("Martin", ("Luc",), "1975-06-02", "M", "14118"), {None, "review"}),
        # Two different valid INS: two people whatever the rest says.
        (Traits("Martin", ("Jean", "Paul"), "1975-06-02", "M", "14118", ins="175061411800217"), {None}),
    ],
)
def test_decisions_on_classic_traps(other, expected):
    reference = Traits("Martin", ("Jean", "Paul"), "1975-06-02", "M", "14118", ins="175061411800118")
    s = score(reference, other)
    assert decide(reference, other, s) in expected


@pytest.mark.django_db
def test_bench_runs_at_a_tiny_size_and_prints_one_json_object():
    out = StringIO()
    call_command(
        "bench", "identity", "--n", "300", "--seed", "2", "--no-splink", "--realtime-n", "5", stdout=out, stderr=StringIO()
    )
    result = json.loads(out.getvalue())
    assert result["benchmark"] == "identity" and result["dataset"]["n"] == 300
    assert 0.9 <= result["ours"]["f1"] <= 1.0 and result["ours"]["wall_s"] >= 0
    assert "splink" not in result
    assert result["realtime"]["realtime_backend"].startswith("db") and result["realtime"]["loaded"] == 300
    assert result["realtime"]["p95_ms"] >= result["realtime"]["p50_ms"] > 0
