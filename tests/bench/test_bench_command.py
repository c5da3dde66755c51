"""The ``enrs bench`` dispatcher (benchmarks themselves never run in the test suite)."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from enrs.bench import registry as bench_registry
from enrs.bench.registry import benchmark, load_benchmarks, percentiles_ms


@pytest.fixture
def fake_benchmark():
    calls: list[int] = []

    def arguments(parser):
        parser.add_argument("--size", type=int, default=2)

    @benchmark("fake-tiny", help="A tiny fake benchmark for the tests.", arguments=arguments)
    def fake(options):
        calls.append(options.size)
        return {"dataset": {"size": options.size}, "throughput_per_s": 123.0, **percentiles_ms([0.001] * options.size)}

    yield calls
    bench_registry.registry.unregister("fake-tiny")


def _bench(*args: str) -> str:
    out = StringIO()
    call_command("bench", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_dispatches_to_the_named_benchmark_and_prints_one_json_object(fake_benchmark):
    out = _bench("fake-tiny", "--size", "3")
    assert fake_benchmark == [3]
    assert len(out.strip().splitlines()) == 1
    result = json.loads(out)
    assert result["benchmark"] == "fake-tiny"
    assert result["dataset"] == {"size": 3}
    assert result["throughput_per_s"] == 123.0 and result["p50_ms"] == 1.0
    assert isinstance(result["cores"], int) and result["cores"] >= 1
    assert result["database"] in {"sqlite", "postgresql"}
    assert result["python"].count(".") == 2 and result["started_at"].endswith("+00:00")


def test_list_shows_registered_benchmarks_without_running_them(fake_benchmark):
    out = _bench("--list")
    names = [line.split("\t")[0] for line in out.splitlines()]
    assert "demo" in names and "fake-tiny" in names
    assert fake_benchmark == []


def test_unknown_benchmark_is_a_french_error():
    with pytest.raises(CommandError, match="Banc d'essai inconnu : « nope »"):
        _bench("nope")


def test_missing_name_is_a_french_error():
    with pytest.raises(CommandError, match="Indiquez le nom"):
        _bench()


def test_bad_benchmark_options_are_a_french_error(fake_benchmark):
    with pytest.raises(CommandError, match="Options invalides pour le banc d'essai « fake-tiny »"):
        _bench("fake-tiny", "--size", "many")
    assert fake_benchmark == []


def test_registering_another_function_under_a_taken_name_fails(fake_benchmark):
    with pytest.raises(ValueError):
        benchmark("fake-tiny")(lambda options: {})


def test_demo_benchmark_is_registered_with_its_options():
    demo = load_benchmarks()["demo"]
    options = demo.parser().parse_args(["--professionals", "7", "--patients", "9"])
    assert (options.professionals, options.patients, options.seed) == (7, 9, 2026)


def test_percentiles_in_milliseconds():
    assert percentiles_ms([]) == {"p50_ms": 0.0, "p95_ms": 0.0}
    assert percentiles_ms([0.002]) == {"p50_ms": 2.0, "p95_ms": 2.0}
    result = percentiles_ms([i / 1000 for i in range(1, 101)])
    assert result["p50_ms"] == pytest.approx(50.5) and result["p95_ms"] == pytest.approx(95.05)
