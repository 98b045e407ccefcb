"""`muse-desktop models ...` and `generate --model ID`, run as a user runs them, against a local Hub.

Each command runs in a fresh process, so huggingface_hub reads HF_ENDPOINT, HF_HUB_CACHE and
HF_HUB_OFFLINE from the environment as it does for a user.
"""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from local_hub import LocalHub
from models_testing import DEFAULT_ID, hub, standin_bytes  # noqa: F401

TEN_MIB = 10 * 1024 * 1024


@pytest.fixture
def environment(tmp_path: Path, hub: LocalHub) -> dict[str, str]:
    return {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path / "home"),
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "HF_HOME": str(tmp_path / "hf-home"),
        "HF_ENDPOINT": hub.endpoint,
        "HF_HUB_DISABLE_TELEMETRY": "1",
    }


def muse(environment: dict[str, str], *arguments: str, **overrides: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "muse_desktop", *arguments],
        env={**environment, **overrides}, capture_output=True, text=True, timeout=300,
    )


def test_download_list_generate(environment: dict[str, str], tmp_path: Path, standin_bytes: bytes) -> None:
    download = muse(environment, "models", "download", DEFAULT_ID)
    assert download.returncode == 0, download.stderr
    path = Path(download.stdout.strip())
    assert path.is_relative_to(tmp_path / "hf-home" / "hub")
    assert path.read_bytes() == standin_bytes
    assert re.search(rf"^{DEFAULT_ID} downloading +100% +\[#+\] +28.0 MB / 28.0 MB", download.stderr, re.MULTILINE)
    assert re.search(rf"^{DEFAULT_ID} verifying +100%", download.stderr, re.MULTILINE)

    listing = muse(environment, "models", "list", "--json")
    assert listing.returncode == 0, listing.stderr
    entry = next(item for item in json.loads(listing.stdout) if item["id"] == DEFAULT_ID)
    assert entry["state"] == "present"
    assert entry["path"] == str(path)
    assert entry["size_on_disk"] == len(standin_bytes)

    story = muse(environment, "generate", "--model", DEFAULT_ID, "--max-tokens", "4", "--seed", "1", "--json",
                 "Once upon a time")
    assert story.returncode == 0, story.stderr
    summary = json.loads(story.stdout.splitlines()[-1])["summary"]
    assert summary["model"] == str(path)
    assert summary["generated_tokens"] >= 1


def test_download_honours_hf_hub_cache(environment: dict[str, str], tmp_path: Path, hub: LocalHub) -> None:
    cache = tmp_path / "other-disk" / "hub"
    result = muse(environment, "models", "download", DEFAULT_ID, "--quiet", HF_HUB_CACHE=str(cache))

    assert result.returncode == 0, result.stderr
    assert Path(result.stdout.strip()).is_relative_to(cache)
    assert "downloading" not in result.stderr
    assert len(hub.requests_to("cdn")) == 1


def test_download_offline(environment: dict[str, str]) -> None:
    result = muse(environment, "models", "download", DEFAULT_ID, HF_HUB_OFFLINE="1")

    assert result.returncode == 1
    assert result.stderr.strip() == (
        f"muse-desktop: error: {DEFAULT_ID} is not downloaded and offline mode is on "
        "(HF_HUB_OFFLINE is set); unset it to download"
    )


def test_list_table(environment: dict[str, str]) -> None:
    result = muse(environment, "models", "list")

    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["ID", "STATE", "SIZE", "ON", "DISK", "SOURCE", "PATH"]
    assert lines[1].split()[:5] == [DEFAULT_ID, "*", "absent", "~1.79", "GB"]
    assert lines[-1].startswith("* the default model")


def test_import_and_remove(environment: dict[str, str], tmp_path: Path, standin_bytes: bytes) -> None:
    model = tmp_path / "standin.gguf"
    model.write_bytes(standin_bytes)

    imported = muse(environment, "models", "import", str(model))
    assert imported.returncode == 0, imported.stderr
    assert imported.stdout.strip() == f"imported {model} as standin (gptneox); use it with --model standin"

    removed = muse(environment, "models", "remove", "standin")
    assert removed.returncode == 0, removed.stderr
    assert removed.stdout.strip() == f"forgot standin; the file {model} was not touched"
    assert model.read_bytes() == standin_bytes


def test_import_text_file(environment: dict[str, str], tmp_path: Path) -> None:
    notes = tmp_path / "notes.gguf"
    notes.write_text("not a model\n")

    result = muse(environment, "models", "import", str(notes))

    assert result.returncode == 1
    assert "is a text file, not a GGUF model" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_models_without_command(environment: dict[str, str]) -> None:
    result = muse(environment, "models")

    assert result.returncode == 2
    assert "choose a command: list, download, import or remove" in result.stderr


def _start_download(environment: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "muse_desktop", "models", "download", DEFAULT_ID],
        env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def _wait_for_partial(partial: Path, size: int) -> None:
    deadline = time.monotonic() + 60
    while not (partial.exists() and partial.stat().st_size >= size):
        assert time.monotonic() < deadline, f"{partial} did not reach {size} bytes"
        time.sleep(0.05)


@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGKILL])
def test_interrupted_download_resumes(
    environment: dict[str, str], hub: LocalHub, tmp_path: Path, standin_bytes: bytes, stop_signal: signal.Signals
) -> None:
    hosted = next(iter(hub.files.values()))
    hosted.stall_after_bytes = TEN_MIB + 1024 * 1024
    partial = tmp_path / "hf-home" / "hub" / "models--mav23--RedPajama-INCITE-Chat-3B-v1-GGUF" / "blobs" / f"{hosted.sha256}.incomplete"

    process = _start_download(environment)
    _wait_for_partial(partial, TEN_MIB)
    process.send_signal(stop_signal)
    _, stderr = process.communicate(timeout=30)
    hosted.stall_after_bytes = None
    hosted.release.set()

    if stop_signal == signal.SIGINT:
        assert process.returncode == 130
        assert f"download of {DEFAULT_ID} interrupted; run the same command again to resume" in stderr
    else:
        assert process.returncode == -signal.SIGKILL
    assert partial.stat().st_size == TEN_MIB

    resumed = muse(environment, "models", "download", DEFAULT_ID)
    assert resumed.returncode == 0, resumed.stderr
    assert Path(resumed.stdout.strip()).read_bytes() == standin_bytes
    assert hub.requests_to("cdn")[-1].range == f"bytes={TEN_MIB}-"
