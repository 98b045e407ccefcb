"""The Markdown page written by a benchmark run."""

from __future__ import annotations

from typing import Any

from benchmarks.measure import MEBIBYTE
from benchmarks.targets import check_targets, memory_limit_bytes

METHOD_NOTES = """\
## How each number is measured

- Each generation row combines several rounds. In a round every pipeline runs once, one after
  the other, each in a fresh process, and each round starts with the next pipeline in turn.
  A process loads the model, generates 4 tokens to warm up, then generates the measured tokens
  from the same story prompt. Both generations start with an empty KV cache. Rates and times
  are medians over the rounds, and sampler percentiles pool the rounds' tokens. Peak memory is
  the largest VmHWM (peak resident set) of the rounds' processes.
- Cells with several values separated by "/" give one value per round, in round order.
- The memory limit is the target for peak memory: the model file plus the KV cache for the
  whole context (float16 K and V) plus 300 MiB.
- When a pipeline ends with its end-of-text token before the measured tokens are out, another
  generation continues the story with that text and the next seed, until they are all out;
  "Generations per round" counts them. So every pipeline's rate covers the same number of
  tokens at similar story positions.
- A token counts as produced when the sampler returns it, so a sampled end-of-text token counts
  too. Time to first token runs from the call that starts the first generation (prompt
  evaluation included). Tokens per second is the number of intervals between consecutive
  tokens of the same generation divided by their total time, so it measures decoding only.
- Sampler time is one call of the sampler for one token. Ours: `SamplerChain.sample`, which
  includes validating the logits row, temperature, Muse, top-k and the draw.
  create_completion: llama-cpp-python's `Llama.sample`, llama.cpp's sampler chain through
  ctypes. transformers: the temperature, Muse and top-k processors, in PyTorch (its softmax and
  multinomial draw that follow are not included).
- Load is the time to construct the model object (for transformers, importing torch and
  transformers, reading the GGUF file and dequantizing it to float32). "Load plus first token"
  in the targets adds the warm-up generation's time to first token.
- Continuing a story: the story is generated from once with an empty KV cache (cold), then
  again with the generated text appended (warm), as a writer pressing "continue" does. One
  token's time is the median interval between tokens of the warm generation. The story is
  built from whole numbered paragraphs until it has at least the requested length, and "Story
  tokens" counts the warm prompt, which includes the cold generation's text.
- The long generation continues its own output until the token budget is spent. Growth is the
  resident memory at the end minus that after the first tenth of the tokens.
- Sampler rows on synthetic logits time `SamplerChain.sample` with the default settings
  (temperature 0.7, top-k 50, the Muse with top_k 3, damp 0.9) on float32 rows drawn from
  N(0, 2.5^2), after 20 warm-up calls. Warm rows time back-to-back calls. Cold rows sum a
  64 MiB buffer before each call, so the call starts with caches full of other data, as it
  does in the generation loop right after a decode.
- To see where a slow pipeline spends its time, profile one worker with py-spy (installed by
  `make bench`): `.venv/bin/py-spy record -o profile.svg -- .venv/bin/python -m benchmarks.run
  --models embedded --skip-transformers --repetitions 1 --output /tmp/benchmarks.md`, adding
  `--subprocesses` after `record` to follow the worker processes.
"""


def table(headers: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join(" --- " for _ in headers) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def mib(value: float) -> str:
    return f"{value / MEBIBYTE:,.0f}"


def generation_cells(row: dict[str, Any]) -> list[str]:
    """Return one generation table row's cells, or the error in place of the numbers."""
    head = [row["model_label"], row["config_label"]]
    if "error" in row:
        return head + [f"failed: {row['error']}"] + [""] * 8
    limit = mib(memory_limit_bytes(row)) if "kv_cache_bytes" in row else "-"
    return head + [
        f"{row['load_seconds']:.2f}",
        f"{row['time_to_first_token'] * 1000:.1f}",
        f"{row['tokens_per_second']:.1f}",
        f"{row['sampler']['median_us']:.0f}",
        f"{row['sampler']['p99_us']:.0f}",
        mib(row["peak_rss_bytes"]),
        limit,
        "/".join(str(count) for count in row["tokens"]),
        "/".join(str(count) for count in row["generations"]),
    ]


def generation_section(results: dict[str, Any]) -> str:
    headers = [
        "Model", "Pipeline", "Load (s)", "First token (ms)", "Tokens/s", "Sampler median (µs)",
        "Sampler p99 (µs)", "Peak RSS (MiB)", "Memory limit (MiB)", "Tokens per round",
        "Generations per round",
    ]
    rows = [generation_cells(row) for row in results["generation"]]
    rows += [[label, config, f"not run: {reason}"] + [""] * 8 for label, config, reason in results["skipped"]]
    return "## Generation\n\n" + table(headers, rows)


def continuation_section(results: dict[str, Any]) -> str:
    headers = ["Model", "Story tokens", "Reused from cache", "Cold first token (ms)", "Warm first token (ms)", "One token (ms)", "Warm / one token"]
    rows = []
    for result in results["continuation"]:
        if "error" in result:
            rows.append([result["model_label"], f"failed: {result['error']}"] + [""] * 5)
            continue
        for row in result["rows"]:
            ratio = row["warm_time_to_first_token"] / row["token_seconds"] if row["token_seconds"] > 0 else float("inf")
            rows.append([
                result["model_label"], str(row["story_tokens"]), str(row["reused_tokens"]),
                f"{row['cold_time_to_first_token'] * 1000:.1f}", f"{row['warm_time_to_first_token'] * 1000:.1f}",
                f"{row['token_seconds'] * 1000:.1f}", f"{ratio:.2f}",
            ])
    return "## Continuing an evaluated story\n\n" + table(headers, rows)


def long_section(results: dict[str, Any]) -> str:
    headers = ["Model", "Tokens", "Generations", "Context shifts", "RSS after 10% (MiB)", "RSS at end (MiB)", "Growth (MiB)", "Peak RSS (MiB)", "Memory limit (MiB)"]
    rows = []
    for row in results["long"]:
        if "error" in row:
            rows.append([row["model_label"], f"failed: {row['error']}"] + [""] * 7)
            continue
        rows.append([
            row["model_label"], f"{row['generated_tokens']:,}", str(row["generations"]), str(row["context_shifts"]),
            mib(row["rss_at_checkpoint_bytes"]), mib(row["rss_at_end_bytes"]), f"{row['growth_mib']:+.1f}",
            mib(row["peak_rss_bytes"]), mib(memory_limit_bytes(row)),
        ])
    return "## Memory over a long generation (Muse on)\n\n" + table(headers, rows)


def sampler_section(results: dict[str, Any]) -> str:
    headers = ["Logits row entries", "Muse", "CPU caches", "Calls", "Median (µs)", "p99 (µs)"]
    rows = [
        [f"{row['vocabulary_size']:,}", "on" if row["muse"] else "off", row["caches"], str(row["iterations"]),
         f"{row['median_us']:.1f}", f"{row['p99_us']:.1f}"]
        for row in results["sampler"]
    ]
    return "## Sampler on synthetic logits\n\n" + table(headers, rows)


def header_section(results: dict[str, Any]) -> str:
    settings = results["settings"]
    lines = [
        "# Benchmarks",
        "",
        f"Written by `{settings['command']}` on {results['date']}. Run it again to replace this page.",
        "What earlier runs led to (profiling, changes, open questions) is in docs/benchmark-findings.md.",
    ]
    if settings.get("note"):
        lines += ["", f"Note: {settings['note']}"]
    lines += ["", "## Machine and versions", ""]
    lines += [table(["", ""], [[key, value] for key, value in results["environment"].items()])]
    lines += ["", "## Settings", ""]
    lines += [table(["", ""], [[key, str(value)] for key, value in settings.items() if key not in ("command", "note")])]
    return "\n".join(lines)


def targets_section(results: dict[str, Any]) -> str:
    rows = [[check.target, check.measured, check.verdict] for check in check_targets(results)]
    return "## Targets\n\n" + table(["Target", "Measured", "Result"], rows)


def render_report(results: dict[str, Any]) -> str:
    """Return the whole benchmark page as Markdown."""
    sections = [
        header_section(results),
        targets_section(results),
        generation_section(results),
        continuation_section(results),
        long_section(results),
        sampler_section(results),
        "## GPU\n\n" + results["gpu_note"],
        METHOD_NOTES,
    ]
    return "\n\n".join(section.rstrip() for section in sections) + "\n"
