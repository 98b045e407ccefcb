"""The benchmark runs end to end on a tiny budget and writes a well-formed report.

These tests check the report's shape, never a time: timings on a shared machine prove nothing.
"""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

REPOSITORY_ROOT = Path(__file__).resolve().parent.parent
GENERATION_COLUMNS = 11
NUMBER = re.compile(r"^[+-]?[\d,]+(\.\d+)?$")


def run_benchmark(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "benchmarks.run", *arguments],
        cwd=REPOSITORY_ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def table_rows(report: str, heading: str) -> list[list[str]]:
    """Return the body rows of the table under ``## heading``, as lists of cells."""
    section = report.split(f"## {heading}\n", 1)[1].split("\n## ", 1)[0]
    lines = [line for line in section.splitlines() if line.startswith("|")]
    return [[cell.strip() for cell in line.strip("|").split("|")] for line in lines[2:]]


@pytest.fixture(scope="module")
def tiny_report(tmp_path_factory: pytest.TempPathFactory) -> tuple[subprocess.CompletedProcess[str], str]:
    folder = tmp_path_factory.mktemp("bench")
    output = folder / "benchmarks.md"
    completed = run_benchmark(
        "--models", "standin", "--tokens", "3", "--repetitions", "1", "--sampler-iterations", "5",
        "--continuation-lengths", "24", "--long-tokens", "6", "--skip-transformers",
        "--cache-dir", str(folder / "cache"), "--output", str(output),
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    return completed, output.read_text()


def test_report_has_every_section(tiny_report):
    _, report = tiny_report
    for heading in ("Machine and versions", "Settings", "Targets", "Generation", "Continuing an evaluated story",
                    "Memory over a long generation (Muse on)", "Sampler on synthetic logits", "GPU", "How each number is measured"):
        assert f"\n## {heading}\n" in report, heading


def test_generation_rows_are_numbers(tiny_report):
    _, report = tiny_report
    rows = table_rows(report, "Generation")
    measured = [row for row in rows if not row[2].startswith("not run")]
    assert [row[1] for row in measured] == ["our loop, Muse on", "our loop, Muse off", "llama-cpp-python create_completion"]
    for row in measured:
        assert len(row) == GENERATION_COLUMNS, row
        for cell in row[2:]:
            assert NUMBER.match(cell), (row[1], cell)


def test_skipped_pipeline_says_why(tiny_report):
    _, report = tiny_report
    rows = table_rows(report, "Generation")
    transformers_rows = [row for row in rows if row[1].startswith("transformers")]
    assert len(transformers_rows) == 1
    assert transformers_rows[0][2] == "not run: --skip-transformers"
    assert len(transformers_rows[0]) == GENERATION_COLUMNS


def test_targets_have_verdicts(tiny_report):
    _, report = tiny_report
    rows = table_rows(report, "Targets")
    assert rows
    assert {row[2] for row in rows} <= {"met", "missed", "not measured"}
    # The embedded model was not run, so its comparisons must read "not measured" rather than "met".
    speed = [row for row in rows if "embedded model" in row[0]]
    assert speed
    assert all(row[2] == "not measured" for row in speed)


def test_sampler_rows_cover_both_sizes(tiny_report):
    _, report = tiny_report
    rows = table_rows(report, "Sampler on synthetic logits")
    assert [(row[0], row[1], row[2]) for row in rows] == [
        ("50,432", "on", "warm"),
        ("50,432", "off", "warm"),
        ("50,432", "on", "cold"),
        ("262,144", "on", "warm"),
        ("262,144", "off", "warm"),
        ("262,144", "on", "cold"),
    ]


def test_continuation_reuses_the_story(tiny_report):
    _, report = tiny_report
    rows = table_rows(report, "Continuing an evaluated story")
    assert len(rows) == 1
    story_tokens, reused = int(rows[0][1]), int(rows[0][2])
    assert story_tokens >= 24
    assert reused >= story_tokens - 4  # only the tokens at the seam are evaluated again


def test_progress_printed_as_it_goes(tiny_report):
    completed, _ = tiny_report
    assert "our loop, Muse on:" in completed.stdout
    assert "Wrote " in completed.stdout


def test_continuation_longer_than_context_rejected(tmp_path):
    completed = run_benchmark("--n-ctx", "256", "--continuation-lengths", "512", "--output", str(tmp_path / "b.md"))
    assert completed.returncode == 2
    assert "--continuation-lengths 512 leave no room in --n-ctx 256" in completed.stderr
    assert not (tmp_path / "b.md").exists()


def test_unknown_model_rejected(tmp_path):
    completed = run_benchmark("--models", "gpt5", "--output", str(tmp_path / "b.md"))
    assert completed.returncode == 2
    assert "unknown model gpt5" in completed.stderr


@pytest.mark.skipif(importlib.util.find_spec("torch") is None, reason="torch is installed by make bench only")
def test_torch_muse_matches_numpy_warper():
    import torch

    if str(REPOSITORY_ROOT) not in sys.path:
        sys.path.insert(0, str(REPOSITORY_ROOT))
    from benchmarks.hf_pipeline import TorchMuseWarper
    from muse_desktop.sampling import MuseLogitsWarper, MuseSettings

    settings = MuseSettings(top_k=3, damp=0.5, damp_initial=1.0, damp_ramp_tokens=4)
    numpy_warper = MuseLogitsWarper(top_k=3, damp=0.5, damp_initial=1.0, damp_ramp_tokens=4)
    torch_warper = TorchMuseWarper(settings)
    rows = np.random.default_rng(0).standard_normal((6, 1000)).astype(np.float32)
    for row in rows:
        expected = numpy_warper(None, row)
        actual = torch_warper(None, torch.from_numpy(row[None, :]))[0].numpy()
        np.testing.assert_allclose(actual, expected, rtol=1e-6)


def test_redpajama_file_not_gguf_rejected(tmp_path):
    text_file = tmp_path / "notes.gguf"
    text_file.write_text("chapter one\n")
    completed = run_benchmark("--redpajama-file", str(text_file), "--output", str(tmp_path / "b.md"))
    assert completed.returncode == 2
    assert "--redpajama-file:" in completed.stderr
    assert "not a GGUF model" in completed.stderr
    assert not (tmp_path / "b.md").exists()


def test_token_clock_leaves_out_gaps_between_generations():
    from benchmarks.measure import TokenClock

    clock = TokenClock(started=0.0)
    clock.token_times = [1.0, 1.5, 2.0]
    clock.start_generation()
    clock.token_times += [9.0, 9.5]
    summary = clock.summary()
    assert summary["generations"] == 2
    assert summary["tokens"] == 5
    assert summary["time_to_first_token"] == 1.0
    assert summary["tokens_per_second"] == pytest.approx(3 / 1.5)
    assert summary["token_seconds"] == pytest.approx(0.5)


def test_generate_budget_continues_after_early_end():
    from benchmarks.jobs import Job
    from benchmarks.measure import TokenClock, generate_budget

    calls = []

    def generate(story: str, seed: int, max_tokens: int) -> tuple[str, int]:
        calls.append((story, seed, max_tokens))
        clock.token_times.append(float(len(calls)))
        return (" and then", 3) if len(calls) == 1 else (" the end", max_tokens)

    clock = TokenClock(started=0.0)
    generate_budget(generate, clock, Job(kind="muse-loop", model="m.gguf", prompt="Once", seed=7), 10)
    assert calls == [("Once", 7, 10), ("Once and then", 8, 7)]
    assert clock.generation_starts == [1]
