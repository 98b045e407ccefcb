"""Loading llama.cpp's backends, which a GGML_BACKEND_DL=ON build leaves to the caller."""

from __future__ import annotations

from muse_desktop.engine.backend import build_info, load_dynamic_backends


def test_backends_registered_after_loading():
    assert load_dynamic_backends() >= 1


def test_build_info_lists_cpu_backend():
    assert "CPU :" in build_info().system_info
