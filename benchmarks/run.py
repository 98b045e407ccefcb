"""Run the whole benchmark and write docs/benchmarks.md: ``python -m benchmarks.run --help``."""

from __future__ import annotations

import argparse
import datetime
import importlib.util
import json
import logging
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from benchmarks import jobs, models
from benchmarks.environment import describe_environment
from benchmarks.jobs import Job
from benchmarks.measure import MEBIBYTE, combine_rounds
from benchmarks.report import render_report
from benchmarks.sampler_bench import run_sampler_bench
from muse_desktop.engine import build_info
from muse_desktop.engine.model import available_cpu_count
from muse_desktop.models.embedded import EmbeddedModelMissingError

logger = logging.getLogger("benchmarks.run")

DEFAULT_PROMPT = (
    "The lighthouse keeper found a letter in the sand. It was addressed to her, in her mother's hand, "
    "and dated the winter before she was born. She"
)
PIPELINES = {
    jobs.MUSE_LOOP: "our loop, Muse on",
    jobs.PLAIN_LOOP: "our loop, Muse off",
    jobs.LLAMA_COMPLETION: "llama-cpp-python create_completion",
    jobs.TRANSFORMERS: "transformers generate() + Muse warper",
}
# Room left in the context after the longest story for the continuation's own tokens.
CONTINUATION_MARGIN = 64


def positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be an integer >= 1, got {value}")
    return value


def non_negative_int(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be an integer >= 0, got {value}")
    return value


def length_list(text: str) -> tuple[int, ...]:
    try:
        lengths = tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"must be comma-separated token counts such as 256,1024, got {text!r}") from error
    if any(length < 1 for length in lengths):
        raise argparse.ArgumentTypeError(f"story lengths must be >= 1 token, got {text!r}")
    return lengths


def model_list(text: str) -> tuple[str, ...]:
    keys = tuple(part.strip() for part in text.split(",") if part.strip())
    unknown = [key for key in keys if key not in models.MODEL_KEYS]
    if not keys:
        raise argparse.ArgumentTypeError(f"no model given; choose from {', '.join(models.MODEL_KEYS)}")
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown model {', '.join(unknown)}; choose from {', '.join(models.MODEL_KEYS)}")
    return keys


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.run",
        description="Measure generation speed and memory of our loop (Muse on and off), llama-cpp-python's "
        "create_completion and transformers with a Muse warper, and write a Markdown report.",
    )
    parser.add_argument("--models", type=model_list, default=(models.EMBEDDED, models.STANDIN, models.REDPAJAMA_SHAPE, models.REDPAJAMA),
                        help=f"comma-separated models to run, from {', '.join(models.MODEL_KEYS)} (default: all; "
                        "redpajama only runs with --redpajama-file)")
    parser.add_argument("--redpajama-file", type=Path, help="path of the real RedPajama-INCITE-Chat-3B Q4_K_M GGUF file, if present")
    parser.add_argument("--tokens", type=positive_int, default=128, help="tokens per generation (default: 128)")
    parser.add_argument("--repetitions", type=positive_int, default=3, help="rounds: worker processes per pipeline and model, each loading the model and timing one generation (default: 3)")
    parser.add_argument("--threads", type=positive_int, default=available_cpu_count(),
                        help="CPU threads for llama.cpp and torch (default: every CPU this process may use)")
    parser.add_argument("--n-ctx", type=positive_int, default=2048, help="context window in tokens for every model (default: 2048)")
    parser.add_argument("--n-gpu-layers", type=int, default=0, help="layers offloaded to the GPU, -1 for all (default: 0, CPU only)")
    parser.add_argument("--continuation-lengths", type=length_list, default=(256, 1024, 1792),
                        help="story lengths in tokens for the continuation test, comma-separated; empty to skip (default: 256,1024,1792)")
    parser.add_argument("--long-tokens", type=non_negative_int, default=2000,
                        help="tokens of the long generation that checks memory growth; 0 to skip (default: 2000)")
    parser.add_argument("--sampler-iterations", type=positive_int, default=2000, help="sampler calls per synthetic benchmark (default: 2000)")
    parser.add_argument("--skip-transformers", action="store_true", help="leave out the transformers pipeline")
    parser.add_argument("--no-build", action="store_true", help="skip the RedPajama-shaped model if it is not built yet")
    parser.add_argument("--cache-dir", type=Path, default=models.DEFAULT_CACHE_DIR, help=f"folder for built models (default: {models.DEFAULT_CACHE_DIR})")
    parser.add_argument("--output", type=Path, default=models.REPOSITORY_ROOT / "docs" / "benchmarks.md", help="Markdown file to write (default: docs/benchmarks.md)")
    parser.add_argument("--seed", type=non_negative_int, default=1234, help="sampler seed (default: 1234)")
    parser.add_argument("--prompt", default=DEFAULT_PROMPT, help="story prompt for the generation rows")
    parser.add_argument("--note", default="", help="a sentence to print at the top of the report, such as the machine's load")
    parser.add_argument("--job-timeout", type=positive_int, default=1800, help="seconds before one measurement is abandoned (default: 1800)")
    return parser


def validate(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """Reject option combinations that cannot run, with one message each."""
    if args.tokens < 2:
        parser.error(f"--tokens must be at least 2 to measure a decoding rate, got {args.tokens}")
    too_long = [length for length in args.continuation_lengths if length + args.tokens + CONTINUATION_MARGIN > args.n_ctx]
    if too_long:
        parser.error(
            f"--continuation-lengths {','.join(map(str, too_long))} leave no room in --n-ctx {args.n_ctx}; "
            f"keep each length at most {args.n_ctx - args.tokens - CONTINUATION_MARGIN}"
        )
    if args.redpajama_file is not None:
        if not args.redpajama_file.is_file():
            parser.error(f"--redpajama-file {args.redpajama_file} does not exist")
        try:
            models.redpajama_model(args.redpajama_file)
        except (ValueError, OSError) as error:
            parser.error(f"--redpajama-file: {error}")


def run_worker(job: Job, timeout: int) -> dict[str, Any]:
    """Run ``job`` in a fresh Python process and return its result, or {"error": ...} on failure."""
    with tempfile.TemporaryDirectory(prefix="muse-bench-") as folder:
        job_path, result_path, log_path = Path(folder, "job.json"), Path(folder, "result.json"), Path(folder, "worker.log")
        job_path.write_text(json.dumps(job.to_dict()))
        command = [sys.executable, "-m", "benchmarks.worker", str(job_path), str(result_path)]
        with log_path.open("w") as log:
            try:
                completed = subprocess.run(command, cwd=models.REPOSITORY_ROOT, stdout=log, stderr=subprocess.STDOUT, timeout=timeout, check=False)
            except subprocess.TimeoutExpired:
                logger.error("%s on %s timed out after %d s; raise --job-timeout or lower --tokens", job.kind, job.model, timeout)
                return {"error": f"timed out after {timeout} s"}
        if completed.returncode != 0 or not result_path.is_file():
            lines = [line for line in log_path.read_text(errors="replace").splitlines() if line.strip()]
            logger.error("%s on %s failed (exit code %d):\n%s", job.kind, job.model, completed.returncode, "\n".join(lines[-15:]))
            return {"error": lines[-1][:200] if lines else f"exit code {completed.returncode}"}
        return json.loads(result_path.read_text())


def resolve_models(args: argparse.Namespace, skipped: list[tuple[str, str, str]]) -> list[models.BenchModel]:
    """Return the models to benchmark, building the stand-ins when needed; note the ones left out."""
    selected = []
    for key in args.models:
        if key == models.EMBEDDED:
            try:
                selected.append(models.embedded_model())
            except EmbeddedModelMissingError as error:
                skipped.append(("SmolLM2-135M-Instruct (embedded)", "all", str(error)))
        elif key == models.STANDIN:
            selected.append(models.standin_model(args.cache_dir))
        elif key == models.REDPAJAMA_SHAPE:
            model = models.redpajama_shape_model(args.cache_dir)
            if not model.path.is_file() and not build_redpajama_shape(args, skipped, model):
                continue
            selected.append(model)
        elif args.redpajama_file is not None:
            selected.append(models.redpajama_model(args.redpajama_file))
        else:
            skipped.append(("RedPajama-INCITE-Chat-3B Q4_K_M", "all", "file not present; pass --redpajama-file PATH"))
    return selected


def build_redpajama_shape(args: argparse.Namespace, skipped: list[tuple[str, str, str]], model: models.BenchModel) -> bool:
    if args.no_build:
        skipped.append((model.label, "all", f"not built yet and --no-build was given ({model.path})"))
        return False
    print(f"Building {model.label} in {args.cache_dir} (several minutes, about 6 GB of memory and disk)", flush=True)
    result = run_worker(Job(jobs.BUILD_REDPAJAMA_SHAPE, str(args.cache_dir), threads=args.threads), args.job_timeout)
    if "error" in result:
        skipped.append((model.label, "all", f"building it failed: {result['error']}"))
        return False
    return True


def job_for(args: argparse.Namespace, model: models.BenchModel, kind: str) -> Job:
    tokens = args.long_tokens if kind == jobs.LONG_GENERATION else args.tokens
    if kind == jobs.CONTINUATION:
        tokens = min(args.tokens, 16)  # enough intervals for one token's median time
    return Job(
        kind, str(model.path), prompt=args.prompt, tokens=tokens, threads=args.threads,
        n_ctx=args.n_ctx, n_gpu_layers=args.n_gpu_layers, seed=args.seed, story_lengths=args.continuation_lengths,
    )


def transformers_available() -> bool:
    return all(importlib.util.find_spec(name) is not None for name in ("torch", "transformers", "accelerate", "gguf"))


def pipelines_for(args: argparse.Namespace, model: models.BenchModel, skipped: list[tuple[str, str, str]]) -> list[str]:
    """Return the generation pipelines to run on ``model``, noting why transformers is left out."""
    kinds = [jobs.MUSE_LOOP, jobs.PLAIN_LOOP, jobs.LLAMA_COMPLETION]
    label = PIPELINES[jobs.TRANSFORMERS]
    if args.skip_transformers:
        skipped.append((model.label, label, "--skip-transformers"))
    elif not model.transformers_supported:
        skipped.append((model.label, label, "transformers cannot load gptneox GGUF files"))
    elif not transformers_available():
        skipped.append((model.label, label, "torch, transformers, accelerate or gguf not installed (make bench installs them)"))
    else:
        kinds.append(jobs.TRANSFORMERS)
    return kinds


def print_generation_row(row: dict[str, Any]) -> None:
    if "error" in row:
        print(f"  {row['config_label']}: failed: {row['error']}", flush=True)
        return
    print(
        f"  {row['config_label']}: {row['tokens_per_second']:.1f} tokens/s, first token {row['time_to_first_token'] * 1000:.1f} ms, "
        f"sampler {row['sampler']['median_us']:.0f} µs median / {row['sampler']['p99_us']:.0f} µs p99, "
        f"load {row['load_seconds']:.2f} s, peak RSS {row['peak_rss_bytes'] / MEBIBYTE:.0f} MiB ({row['rounds']} rounds)",
        flush=True,
    )


def run_pipelines(args: argparse.Namespace, model: models.BenchModel, results: dict[str, Any]) -> None:
    """Run each pipeline once per round, interleaved, so that a change in the machine's load hits all alike.

    Each round starts with the next pipeline in turn, so that no pipeline always takes the same
    place in the order (for example right after the transformers process).
    """
    kinds = pipelines_for(args, model, results["skipped"])
    rounds: dict[str, list[dict[str, Any]]] = {kind: [] for kind in kinds}
    errors: dict[str, str] = {}
    for round_number in range(1, args.repetitions + 1):
        first = (round_number - 1) % len(kinds)
        for kind in kinds[first:] + kinds[:first]:
            if kind in errors:
                continue  # a pipeline that failed once is not retried
            result = run_worker(job_for(args, model, kind), args.job_timeout)
            if "error" in result:
                errors[kind] = result["error"]
            else:
                rounds[kind].append(result)
                print(f"  round {round_number}, {PIPELINES[kind]}: {result['run']['tokens_per_second']:.1f} tokens/s", flush=True)

    for kind in kinds:
        row = {"model_key": model.key, "model_label": model.label, "kind": kind, "config_label": PIPELINES[kind]}
        row.update({"error": errors[kind]} if kind in errors else combine_rounds(rounds[kind]))
        results["generation"].append(row)
        print_generation_row(row)


def benchmark_model(args: argparse.Namespace, model: models.BenchModel, results: dict[str, Any]) -> None:
    """Run every measurement on one model and add the rows to ``results``."""
    print(f"{model.label}: {model.path}", flush=True)
    run_pipelines(args, model, results)
    labels = {"model_key": model.key, "model_label": model.label}
    if args.continuation_lengths:
        result = {**labels, "kind": jobs.CONTINUATION, **run_worker(job_for(args, model, jobs.CONTINUATION), args.job_timeout)}
        results["continuation"].append(result)
        for row in result.get("rows", []):
            print(f"  continuing a {row['story_tokens']}-token story: first token {row['warm_time_to_first_token'] * 1000:.1f} ms "
                  f"(cold {row['cold_time_to_first_token'] * 1000:.1f} ms, one token {row['token_seconds'] * 1000:.1f} ms)", flush=True)
    if args.long_tokens:
        row = {**labels, "kind": jobs.LONG_GENERATION, "config_label": "long generation, Muse on",
               **run_worker(job_for(args, model, jobs.LONG_GENERATION), args.job_timeout)}
        results["long"].append(row)
        if "error" not in row:
            print(f"  {row['generated_tokens']} tokens: RSS {row['growth_mib']:+.1f} MiB after the first tenth, "
                  f"peak {row['peak_rss_bytes'] / MEBIBYTE:.0f} MiB", flush=True)


def gpu_note(args: argparse.Namespace) -> str:
    build = build_info()
    if args.n_gpu_layers != 0 and build.gpu_offload_supported:
        return f"The llama.cpp rows above ran with --n-gpu-layers {args.n_gpu_layers} on {build.backend}."
    if build.gpu_offload_supported:
        return f"This llama.cpp build can offload to {build.backend}, but this run used the CPU only (--n-gpu-layers 0)."
    return ("No GPU row: this run's llama.cpp build has no GPU offload, and no GPU machine was available when it ran. "
            "On a GPU machine, build llama-cpp-python with GPU support and run the same command with --n-gpu-layers -1.")


def command_line(argv: list[str]) -> str:
    """Return the command that ran, without the --note text, which the report shows on its own."""
    shown = ["python -m benchmarks.run"]
    skip_next = False
    for argument in argv:
        if skip_next:
            skip_next = False
        elif argument == "--note":
            skip_next = True
        elif not argument.startswith("--note="):
            shown.append(shlex.quote(argument))
    return " ".join(shown)


def settings_summary(args: argparse.Namespace, argv: list[str]) -> dict[str, Any]:
    return {
        "command": command_line(argv),
        "note": args.note,
        "Tokens per generation": args.tokens,
        "Rounds (worker processes per pipeline)": args.repetitions,
        "Threads": args.threads,
        "Context (n_ctx)": args.n_ctx,
        "GPU layers": args.n_gpu_layers,
        "Flash attention (llama.cpp)": "off, the app's default, for our loop and create_completion",
        "Sampler": f"temperature {jobs.TEMPERATURE}, top-k {jobs.TOP_K}, top-p 1, min-p 0, no repetition penalty; "
        "Muse top_k 3, damp 0.9, damp_initial 1.0, damp_ramp_tokens 32",
        "Continuation story lengths (tokens)": ", ".join(str(length) for length in args.continuation_lengths) or "none",
        "Long generation (tokens)": args.long_tokens or "none",
        "Sampler calls per synthetic row": args.sampler_iterations,
        "Seed": args.seed,
        "Prompt": repr(args.prompt),
    }


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = build_parser()
    args = parser.parse_args(argv)
    validate(parser, args)
    logging.basicConfig(level=logging.INFO, format="%(name)s: %(levelname)s: %(message)s", stream=sys.stderr)

    results: dict[str, Any] = {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "environment": describe_environment(),
        "settings": settings_summary(args, argv),
        "generation": [], "continuation": [], "long": [], "sampler": [], "skipped": [],
        "gpu_note": gpu_note(args),
    }
    print(f"Sampler on synthetic logits ({args.sampler_iterations} calls each):", flush=True)
    for row in run_sampler_bench(args.sampler_iterations, args.seed):
        results["sampler"].append(row)
        print(f"  {row['vocabulary_size']:,} entries, Muse {'on' if row['muse'] else 'off'}, {row['caches']} caches: "
              f"{row['median_us']:.1f} µs median, {row['p99_us']:.1f} µs p99", flush=True)

    for model in resolve_models(args, results["skipped"]):
        benchmark_model(args, model, results)

    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(render_report(results))
    print(f"Wrote {args.output}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
