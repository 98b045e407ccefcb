"""Timing and memory helpers shared by the benchmark workers."""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from benchmarks.jobs import Job

MEBIBYTE = 1024 * 1024
# Maximum generations per measured run. A run that keeps ending at once stops short of its tokens.
MAX_GENERATIONS = 32

logger = logging.getLogger(__name__)


@dataclass
class TokenClock:
    """Timestamps and durations of the sampler calls of one generation.

    A token counts as produced when the sampler returns it, so the same definition applies
    to every pipeline: ours, llama-cpp-python's and transformers'.
    """

    started: float = field(default_factory=time.perf_counter)
    token_times: list[float] = field(default_factory=list)
    sampler_seconds: list[float] = field(default_factory=list)
    # Indices into token_times of the first token of each generation after the first.
    generation_starts: list[int] = field(default_factory=list)

    def start_generation(self) -> None:
        """Mark the next token as the first of another generation.

        The gap before that token is prompt evaluation, so it does not count as a decode interval.
        """
        if self.token_times:
            self.generation_starts.append(len(self.token_times))

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
        intervals = np.diff(self.token_times) if count > 1 else np.array([])
        if self.generation_starts:
            intervals = np.delete(intervals, [start - 1 for start in self.generation_starts])
        decode_seconds = float(intervals.sum())
        return {
            "tokens": count,
            "generations": 1 + len(self.generation_starts),
            "time_to_first_token": first - self.started,
            "tokens_per_second": intervals.size / decode_seconds if decode_seconds > 0 else 0.0,
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
        "generations": [run.get("generations", 1) for run in runs],
        "load_seconds": float(np.median([result["load_seconds"] for result in rounds])),
        "first_time_to_first_token": float(np.median([result["first_time_to_first_token"] for result in rounds])),
        "time_to_first_token": float(np.median([run["time_to_first_token"] for run in runs])),
        "tokens_per_second": float(np.median([run["tokens_per_second"] for run in runs])),
        "token_seconds": float(np.median([run["token_seconds"] for run in runs])),
        "sampler": percentile_summary(pooled),
        "peak_rss_bytes": max(result["peak_rss_bytes"] for result in rounds),
    })
    return merged


def generate_budget(generate: Callable[[str, int, int], tuple[str, int]], clock: TokenClock, job: Job, tokens: int) -> None:
    """Generate ``tokens`` tokens from the job's prompt, starting another generation after each early end.

    Even with a fixed seed a pipeline may end with its end-of-text token after a few tokens
    (create_completion once ended SmolLM2's story after 22), and rates over different token
    counts and story positions do not compare. So a generation that ends early is followed by
    one that continues the story with its text, with the next seed, until the budget is spent.
    ``generate(story, seed, max_tokens)`` returns the generated text and its token count.
    """
    story, produced = job.prompt, 0
    for part in range(MAX_GENERATIONS):
        if part:
            clock.start_generation()
        text, count = generate(story, job.seed + part, tokens - produced)
        story += text
        produced += count
        if produced >= tokens:
            return
    logger.warning("stopped after %d generations with %d of %d tokens", MAX_GENERATIONS, produced, tokens)
