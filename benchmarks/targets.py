"""The performance targets and their check against one run's results."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from benchmarks import jobs
from benchmarks.measure import MEBIBYTE
from benchmarks.models import EMBEDDED

MIN_RATIO_TO_LLAMA_COMPLETION = 0.98
SAMPLER_MEDIAN_LIMITS_US = {50_432: 60.0, 262_144: 400.0}
MAX_WARM_FIRST_TOKEN_IN_TOKENS = 2.0
MEMORY_OVERHEAD_BYTES = 300 * MEBIBYTE
# Resident memory may move by a few pages between two readings; more than this counts as growth.
MAX_GROWTH_MIB = 16.0
MIN_SPEEDUP_OVER_TRANSFORMERS = 3.0
MIN_LOAD_SPEEDUP_OVER_TRANSFORMERS = 10.0


@dataclass(frozen=True)
class TargetCheck:
    """One target, what was measured for it, and whether it was met."""

    target: str
    measured: str
    met: bool | None  # None: not measured in this run

    @property
    def verdict(self) -> str:
        return {True: "met", False: "missed", None: "not measured"}[self.met]


def memory_limit_bytes(row: dict[str, Any]) -> int:
    """Return the peak memory allowed for a llama.cpp run: model file plus KV cache plus 300 MiB."""
    return row["file_bytes"] + row["kv_cache_bytes"] + MEMORY_OVERHEAD_BYTES


def find_row(rows: list[dict[str, Any]], model_key: str, kind: str) -> dict[str, Any] | None:
    return next((row for row in rows if row["model_key"] == model_key and row["kind"] == kind and "error" not in row), None)


def ratio_check(target: str, numerator: float | None, denominator: float | None, minimum: float, unit: str = "") -> TargetCheck:
    """Check ``numerator / denominator >= minimum``. A missing or zero side means not measured."""
    if numerator is None or not denominator:
        return TargetCheck(target, "-", None)
    ratio = numerator / denominator
    return TargetCheck(target, f"{ratio:.3f}{unit} ({numerator:.3g} against {denominator:.3g})", ratio >= minimum)


def check_speed(generation: list[dict[str, Any]]) -> list[TargetCheck]:
    """Check the Muse loop against create_completion and transformers on the embedded model."""
    muse = find_row(generation, EMBEDDED, jobs.MUSE_LOOP)
    completion = find_row(generation, EMBEDDED, jobs.LLAMA_COMPLETION)
    hf = find_row(generation, EMBEDDED, jobs.TRANSFORMERS)

    def rate(row: dict[str, Any] | None) -> float | None:
        return row["tokens_per_second"] if row else None

    def start_up(row: dict[str, Any] | None) -> float | None:
        return row["load_seconds"] + row["first_time_to_first_token"] if row else None

    return [
        ratio_check(
            f"Muse-on tokens/s >= {MIN_RATIO_TO_LLAMA_COMPLETION} x create_completion (embedded model)",
            rate(muse), rate(completion), MIN_RATIO_TO_LLAMA_COMPLETION,
        ),
        ratio_check(
            f"Muse-on tokens/s >= {MIN_SPEEDUP_OVER_TRANSFORMERS:g} x transformers with a Muse warper (embedded model)",
            rate(muse), rate(hf), MIN_SPEEDUP_OVER_TRANSFORMERS, " x",
        ),
        # The inverse ratio: transformers' start-up time over ours.
        ratio_check(
            f"Load plus first token >= {MIN_LOAD_SPEEDUP_OVER_TRANSFORMERS:g} x faster than transformers (embedded model)",
            start_up(hf), start_up(muse), MIN_LOAD_SPEEDUP_OVER_TRANSFORMERS, " x",
        ),
    ]


def check_sampler(sampler: list[dict[str, Any]]) -> list[TargetCheck]:
    checks = []
    for size, limit in SAMPLER_MEDIAN_LIMITS_US.items():
        row = next((r for r in sampler if r["vocabulary_size"] == size and r["muse"] and r["caches"] == "warm"), None)
        target = f"Sampler median <= {limit:g} µs per token at {size:,} entries (Muse on, warm caches)"
        if row is None:
            checks.append(TargetCheck(target, "-", None))
        else:
            checks.append(TargetCheck(target, f"{row['median_us']:.1f} µs", row["median_us"] <= limit))
    return checks


def check_continuation(continuation: list[dict[str, Any]]) -> list[TargetCheck]:
    checks = []
    for result in continuation:
        if "error" in result or not result["rows"]:
            continue
        ratios = [row["warm_time_to_first_token"] / row["token_seconds"] for row in result["rows"] if row["token_seconds"] > 0]
        worst = max(ratios) if ratios else float("inf")
        checks.append(TargetCheck(
            f"Continuing an evaluated story: first token <= {MAX_WARM_FIRST_TOKEN_IN_TOKENS:g} x one token's time ({result['model_label']})",
            f"{worst:.2f} x at worst over {len(result['rows'])} story length{'s' if len(result['rows']) != 1 else ''}",
            worst <= MAX_WARM_FIRST_TOKEN_IN_TOKENS,
        ))
    return checks


def check_memory(generation: list[dict[str, Any]], long_runs: list[dict[str, Any]]) -> list[TargetCheck]:
    checks = []
    for row in generation + long_runs:
        if "error" in row or row["kind"] not in (jobs.MUSE_LOOP, jobs.PLAIN_LOOP, jobs.LONG_GENERATION):
            continue
        limit = memory_limit_bytes(row)
        checks.append(TargetCheck(
            f"Peak memory <= file + KV cache + 300 MiB ({row['model_label']}, {row['config_label']})",
            f"{row['peak_rss_bytes'] / MEBIBYTE:.0f} MiB of {limit / MEBIBYTE:.0f} MiB",
            row["peak_rss_bytes"] <= limit,
        ))
    for row in long_runs:
        if "error" in row:
            continue
        checks.append(TargetCheck(
            f"No memory growth over {row['generated_tokens']:,} tokens ({row['model_label']})",
            f"{row['growth_mib']:+.1f} MiB",
            row["growth_mib"] <= MAX_GROWTH_MIB,
        ))
    return checks


def check_targets(results: dict[str, Any]) -> list[TargetCheck]:
    """Return every target's check, in the order the report lists them."""
    return (
        check_speed(results["generation"])
        + check_sampler(results["sampler"])
        + check_continuation(results["continuation"])
        + check_memory(results["generation"], results["long"])
    )
