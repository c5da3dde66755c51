"""Registry of the ``enrs bench`` benchmarks.

A benchmark is a function registered with :func:`benchmark`; it receives the
parsed options and returns a dict with at least ``dataset`` (sizes) and its
metrics. :func:`run` wraps the result in the common envelope (machine cores,
database vendor, Python version, start time) so that every benchmark prints
the same kind of JSON object. Benchmarks measure speed; they never run in the
test suite.
"""

from __future__ import annotations

import argparse
import datetime
import importlib
import os
import pkgutil
import platform
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import connection

Configure = Callable[[argparse.ArgumentParser], None]
Runner = Callable[[argparse.Namespace], dict[str, Any]]


class UsageError(Exception):
    """Bad options for a benchmark (the message comes from argparse)."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # argparse would exit the process
        raise UsageError(message)


@dataclass(frozen=True)
class Benchmark:
    name: str
    run: Runner
    help: str = ""
    configure: Configure | None = None

    def parser(self) -> argparse.ArgumentParser:
        parser = _Parser(prog=f"enrs bench {self.name}", description=self.help)
        if self.configure:
            self.configure(parser)
        return parser


@dataclass
class Registry:
    benchmarks: dict[str, Benchmark] = field(default_factory=dict)

    def register(self, item: Benchmark) -> None:
        if item.name in self.benchmarks and self.benchmarks[item.name].run is not item.run:
            raise ValueError(f"benchmark {item.name!r} is already registered")
        self.benchmarks[item.name] = item

    def unregister(self, name: str) -> None:
        self.benchmarks.pop(name, None)


registry = Registry()


def benchmark(name: str, *, help: str = "", arguments: Configure | None = None) -> Callable[[Runner], Runner]:
    """Decorator: register ``func`` as the benchmark ``name`` (``arguments`` adds its options)."""

    def decorate(func: Runner) -> Runner:
        registry.register(Benchmark(name=name, run=func, help=help, configure=arguments))
        return func

    return decorate


def load_benchmarks() -> dict[str, Benchmark]:
    """Import every module of ``enrs.bench.benchmarks`` so that their decorators run."""
    package = importlib.import_module("enrs.bench.benchmarks")
    for module in pkgutil.iter_modules(package.__path__):
        importlib.import_module(f"{package.__name__}.{module.name}")
    return dict(sorted(registry.benchmarks.items()))


def positive_int(text: str) -> int:
    """argparse type for counts: an integer of at least 1, refused in French otherwise."""
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("doit valoir au moins 1")
    return value


def percentiles_ms(durations: Sequence[float]) -> dict[str, float]:
    """p50 and p95 of durations given in seconds, in milliseconds."""
    if not durations:
        return {"p50_ms": 0.0, "p95_ms": 0.0}
    if len(durations) == 1:
        only = round(durations[0] * 1000, 3)
        return {"p50_ms": only, "p95_ms": only}
    cuts = statistics.quantiles(durations, n=100, method="inclusive")
    return {"p50_ms": round(cuts[49] * 1000, 3), "p95_ms": round(cuts[94] * 1000, 3)}


def run(item: Benchmark, argv: Sequence[str]) -> dict[str, Any]:
    """Parse ``argv`` for the benchmark, run it and return its JSON-ready result."""
    options = item.parser().parse_args(list(argv))
    started_at = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
    result = item.run(options)
    return {
        "benchmark": item.name,
        "cores": os.cpu_count(),
        "database": connection.vendor,
        "python": platform.python_version(),
        "started_at": started_at,
        "dataset": result.pop("dataset", {}),
        **result,
    }
