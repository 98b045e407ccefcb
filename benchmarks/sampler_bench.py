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
# Buffer swept before each call of the cold-cache rows. 64 MiB exceeds the last-level cache of
# most desktop and laptop CPUs, though not of those with stacked cache (96 MiB and more).
EVICTION_BYTES = 64 * 1024 * 1024
# Each sweep costs several milliseconds, so the cold-cache rows stop at this many calls.
MAX_COLD_CALLS = 300


def synthetic_rows(vocabulary_size: int, seed: int) -> list[np.ndarray]:
    """Return float32 logits rows drawn from N(0, 2.5^2), a spread like a small model's logits."""
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(vocabulary_size, dtype=np.float32) * 2.5 for _ in range(DISTINCT_ROWS)]


def time_chain(settings: SamplerSettings, rows: list[np.ndarray], iterations: int, *, evict: np.ndarray | None = None) -> dict[str, float]:
    """Return the median and 99th percentile of ``SamplerChain.sample`` over ``iterations`` calls.

    With ``evict``, the array is summed before each call, so the call starts with CPU caches
    that hold other data, as it does in the generation loop right after a decode.
    """
    chain = SamplerChain(settings)
    chain.reset()
    for index in range(WARMUP_CALLS):
        chain.sample(rows[index % len(rows)])
    chain.reset()

    durations = []
    for index in range(iterations):
        row = rows[index % len(rows)]
        if evict is not None:
            evict.sum()
        started = time.perf_counter()
        chain.sample(row)
        durations.append(time.perf_counter() - started)
    return percentile_summary(durations)


def run_sampler_bench(iterations: int, seed: int) -> list[dict[str, Any]]:
    """Time the default chain (temperature 0.7, top-k 50) per vocabulary size.

    Rows with warm caches time back-to-back calls with the Muse on and off. Rows with cold
    caches sweep a buffer larger than a CPU's last-level cache before each call (Muse on).
    """
    results = []
    evict = np.ones(EVICTION_BYTES // 4, dtype=np.float32)
    for size in VOCABULARY_SIZES:
        rows = synthetic_rows(size, seed)
        for muse_on in (True, False):
            settings = SamplerSettings(seed=seed) if muse_on else SamplerSettings(seed=seed, muse=None)
            results.append({"vocabulary_size": size, "muse": muse_on, "caches": "warm", "iterations": iterations,
                            **time_chain(settings, rows, iterations)})
        cold_iterations = min(iterations, MAX_COLD_CALLS)
        results.append({"vocabulary_size": size, "muse": True, "caches": "cold", "iterations": cold_iterations,
                        **time_chain(SamplerSettings(seed=seed), rows, cold_iterations, evict=evict)})
    return results
