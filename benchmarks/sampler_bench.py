"""Sampler time per token on synthetic logits rows, without a model."""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from benchmarks.measure import percentile_summary
from muse_desktop.sampling import SamplerChain, SamplerSettings

# RedPajama's (GPT-NeoX's) vocabulary, and a Gemma-sized one.
VOCABULARY_SIZES = (50_432, 262_144)
DISTINCT_ROWS = 16
WARMUP_CALLS = 20


def synthetic_rows(vocabulary_size: int, seed: int) -> list[np.ndarray]:
    """Return float32 logits rows drawn from N(0, 2.5^2), a spread like a small model's logits."""
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(vocabulary_size, dtype=np.float32) * 2.5 for _ in range(DISTINCT_ROWS)]


def time_chain(settings: SamplerSettings, rows: list[np.ndarray], iterations: int) -> dict[str, float]:
    """Return the median and 99th percentile of ``SamplerChain.sample`` over ``iterations`` calls."""
    chain = SamplerChain(settings)
    chain.reset()
    for index in range(WARMUP_CALLS):
        chain.sample(rows[index % len(rows)])
    chain.reset()

    durations = []
    for index in range(iterations):
        row = rows[index % len(rows)]
        started = time.perf_counter()
        chain.sample(row)
        durations.append(time.perf_counter() - started)
    return percentile_summary(durations)


def run_sampler_bench(iterations: int, seed: int) -> list[dict[str, Any]]:
    """Time the default chain (temperature 0.7, top-k 50) with the Muse on and off, per vocabulary size."""
    results = []
    for size in VOCABULARY_SIZES:
        rows = synthetic_rows(size, seed)
        for muse_on in (True, False):
            settings = SamplerSettings(seed=seed) if muse_on else SamplerSettings(seed=seed, muse=None)
            results.append({"vocabulary_size": size, "muse": muse_on, "iterations": iterations, **time_chain(settings, rows, iterations)})
    return results
