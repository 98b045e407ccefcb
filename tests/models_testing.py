"""Fixtures shared by the model library tests: a stand-in GGUF, a local Hub serving it, a library."""

from __future__ import annotations

from pathlib import Path

import gguf
import pytest
from local_hub import LocalHub
from standin_models import build_gptneox_model

from muse_desktop.models.catalog import load_catalog
from muse_desktop.models.library import ModelLibrary

DEFAULT_ID = "redpajama-incite-chat-3b-v1-q4_k_m"
DEFAULT_MODEL = load_catalog().get(DEFAULT_ID)
assert DEFAULT_MODEL is not None
assert DEFAULT_MODEL.hub is not None
REPOSITORY = DEFAULT_MODEL.hub.repository
FILENAME = DEFAULT_MODEL.hub.file

_standin_path: Path | None = None


@pytest.fixture
def standin_bytes(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """A 28 MB gptneox GGUF (the architecture of the catalog's RedPajama files), built once per session."""
    global _standin_path
    if _standin_path is None:
        _standin_path = build_gptneox_model(tmp_path_factory.mktemp("standin") / "standin.gguf")
    return _standin_path.read_bytes()


@pytest.fixture
def hub(standin_bytes: bytes):
    """A local Hub that serves the stand-in under the default catalog model's repository and file name."""
    local = LocalHub()
    local.add_file(REPOSITORY, FILENAME, standin_bytes)
    yield local
    local.close()


@pytest.fixture
def library(tmp_path: Path, hub: LocalHub, monkeypatch: pytest.MonkeyPatch) -> ModelLibrary:
    """A library with its own data and cache folders, pointed at the local Hub, with no token."""
    monkeypatch.delenv("HF_TOKEN", raising=False)
    monkeypatch.delenv("HUGGING_FACE_HUB_TOKEN", raising=False)
    monkeypatch.setattr("huggingface_hub.constants.HF_HUB_OFFLINE", False)
    return ModelLibrary(tmp_path / "data", cache_dir=tmp_path / "hub-cache", endpoint=hub.endpoint)


def write_header_only_gguf(path: Path, architecture: str) -> Path:
    """Write a GGUF with no tensors and the given general.architecture, for header checks."""
    writer = gguf.GGUFWriter(str(path), architecture)
    writer.add_name(f"header-only {architecture}")
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path
