"""`muse-desktop generate` as a user runs it: in a subprocess, reading stdout, stderr and the exit code."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from muse_desktop.models.embedded import embedded_model_path


def muse_desktop(*arguments: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "muse_desktop", *arguments],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_generate_streams_story_with_embedded_model() -> None:
    completed = muse_desktop("generate", "The old map showed an island that", "--max-tokens", "40", "--seed", "4")
    assert completed.returncode == 0, completed.stderr
    assert len(completed.stdout.split()) >= 15
    assert "finish: length, seed 4" in completed.stderr


def test_same_seed_same_output() -> None:
    arguments = ("generate", "Once upon a time", "--max-tokens", "30", "--seed", "99")
    assert muse_desktop(*arguments).stdout == muse_desktop(*arguments).stdout


def test_json_lines_and_summary() -> None:
    completed = muse_desktop("generate", "Snow fell", "--max-tokens", "5", "--seed", "1", "--json")
    assert completed.returncode == 0, completed.stderr
    lines = [json.loads(line) for line in completed.stdout.splitlines()]
    tokens, summary = lines[:-1], lines[-1]["summary"]
    assert [line["index"] for line in tokens if line["token_id"] >= 0] == list(range(5))
    assert tokens[0]["damp_factor"] == 1.0
    assert summary["generated_tokens"] == 5
    assert summary["finish_reason"] == "length"
    assert summary["seed"] == 1


def test_prompt_from_stdin() -> None:
    completed = muse_desktop("generate", "--max-tokens", "5", "--seed", "1", stdin="The river")
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.strip()


def test_model_by_path_and_chat_format(standin_model_path: Path) -> None:
    completed = muse_desktop(
        "generate", "Write about bears", "--model", str(standin_model_path), "--format", "chat",
        "--max-tokens", "8", "--seed", "2", "--json",
    )
    assert completed.returncode == 0, completed.stderr
    assert json.loads(completed.stdout.splitlines()[-1])["summary"]["model"] == str(standin_model_path)


def test_flash_attention_option_generates(standin_model_path: Path) -> None:
    completed = muse_desktop(
        "generate", "The lighthouse", "--model", str(standin_model_path), "--flash-attention",
        "--max-tokens", "8", "--seed", "2", "--json",
    )
    assert completed.returncode == 0, completed.stderr
    assert json.loads(completed.stdout.splitlines()[-1])["summary"]["generated_tokens"] >= 1


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--damp", "-1"], "damp must be a finite number >= 0, got -1.0"),
        (["--damp", "nan"], "damp must be a finite number >= 0, got nan"),
        (["--temperature", "inf"], "temperature must be a finite number >= 0, got inf"),
        (["--top-p", "0"], "top_p must be a finite number in (0, 1], got 0.0"),
        (["--muse-top-k", "0"], "muse top_k must be an integer >= 1, got 0"),
        (["--top-k", "2.5"], "argument --top-k: invalid int value: '2.5'"),
        (["--max-tokens", "0"], "--max-tokens must be an integer >= 1, got 0"),
        (["--n-ctx", "4"], "--n-ctx must be an integer >= 16, got 4"),
        (["--format", "poem"], "argument --format: invalid choice: 'poem'"),
    ],
)
def test_invalid_option_one_line(arguments: list[str], message: str) -> None:
    completed = muse_desktop("generate", "x", *arguments)
    assert completed.returncode == 2
    assert message in completed.stderr
    assert len(completed.stderr.strip().splitlines()) == 1
    assert completed.stdout == ""


def make_bad_files(folder: Path) -> dict[str, Path]:
    files = {name: folder / f"{name}.gguf" for name in ("empty", "text", "truncated")}
    files["empty"].write_bytes(b"")
    files["text"].write_text("this is not a model\n")
    files["truncated"].write_bytes(embedded_model_path().read_bytes()[:4_000_000])
    files["missing"] = folder / "missing.gguf"
    return files


@pytest.mark.parametrize(
    ("kind", "message"),
    [
        ("missing", "model file not found"),
        ("empty", "is empty (0 bytes)"),
        ("text", "is a text file, not a GGUF model"),
        ("truncated", "is truncated"),
    ],
)
def test_bad_model_file_one_line(tmp_path: Path, kind: str, message: str) -> None:
    path = make_bad_files(tmp_path)[kind]
    completed = muse_desktop("generate", "x", "--model", str(path))
    assert completed.returncode == 1
    assert message in completed.stderr
    assert "Traceback" not in completed.stderr
    assert len(completed.stderr.strip().splitlines()) == 1


def test_unknown_model_id_one_line() -> None:
    completed = muse_desktop("generate", "x", "--model", "no-such-model")
    assert completed.returncode == 1
    assert "unknown model 'no-such-model'" in completed.stderr
