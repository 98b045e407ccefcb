"""Timing and memory helpers shared by the benchmark workers."""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

MEBIBYTE = 1024 * 1024


@dataclass
class TokenClock:
    """Timestamps and durations of the sampler calls of one generation.

    A token counts as produced when the sampler returns it, so the same definition applies
    to every pipeline: ours, llama-cpp-python's and transformers'.
    """

    started: float = field(default_factory=time.perf_counter)
    token_times: list[float] = field(default_factory=list)
    sampler_seconds: list[float] = field(default_factory=list)

    def wrap(self, sample: Callable[..., Any]) -> Callable[..., Any]:
        """Return ``sample`` wrapped so that each call is timed and stamped."""

        @functools.wraps(sample)
        def timed(*args: Any, **kwargs: Any) -> Any:
            before = time.perf_counter()
            result = sample(*args, **kwargs)
            after = time.perf_counter()
            self.sampler_seconds.append(after - before)
            self.token_times.append(after)
            return result

        return timed

    def summary(self) -> dict[str, Any]:
        """Return time to first token, decode rate and the sampler durations of this generation."""
        count = len(self.token_times)
        first = self.token_times[0] if count else time.perf_counter()
        decode_seconds = self.token_times[-1] - first if count > 1 else 0.0
        intervals = np.diff(self.token_times) if count > 1 else np.array([])
        return {
            "tokens": count,
            "time_to_first_token": first - self.started,
            "tokens_per_second": (count - 1) / decode_seconds if decode_seconds > 0 else 0.0,
            "token_seconds": float(np.median(intervals)) if intervals.size else 0.0,
            "sampler_seconds": list(self.sampler_seconds),
        }


def memory_status() -> dict[str, int]:
    """Return VmRSS and VmHWM (peak resident set) of this process in bytes, from /proc/self/status."""
    values = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0]) * 1024  # the kernel reports kB
    return values


def percentile_summary(seconds: list[float]) -> dict[str, float]:
    """Return the median and 99th percentile of ``seconds`` in microseconds (0 for an empty list)."""
    if not seconds:
        return {"median_us": 0.0, "p99_us": 0.0}
    micro = np.asarray(seconds) * 1e6
    return {"median_us": float(np.median(micro)), "p99_us": float(np.percentile(micro, 99))}


def combine_rounds(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    """Merge the results of one pipeline's rounds: medians of times and rates, pooled sampler times.

    Each round is one worker process: a model load, a short warm-up generation and one measured
    generation (``run``).
    """
    runs = [result["run"] for result in rounds]
    pooled = [value for run in runs for value in run["sampler_seconds"]]
    merged = {key: value for key, value in rounds[0].items() if key not in ("run", "load_seconds", "first_time_to_first_token", "peak_rss_bytes")}
    merged.update({
        "rounds": len(rounds),
        "tokens": [run["tokens"] for run in runs],
        "load_seconds": float(np.median([result["load_seconds"] for result in rounds])),
        "first_time_to_first_token": float(np.median([result["first_time_to_first_token"] for result in rounds])),
        "time_to_first_token": float(np.median([run["time_to_first_token"] for run in runs])),
        "tokens_per_second": float(np.median([run["tokens_per_second"] for run in runs])),
        "token_seconds": float(np.median([run["token_seconds"] for run in runs])),
        "sampler": percentile_summary(pooled),
        "peak_rss_bytes": max(result["peak_rss_bytes"] for result in rounds),
    })
    return merged
