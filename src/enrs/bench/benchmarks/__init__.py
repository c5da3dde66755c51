"""Benchmark modules: each registers its benchmarks with ``enrs.bench.registry.benchmark``."""
