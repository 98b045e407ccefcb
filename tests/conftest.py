"""Shared fixtures: the embedded SmolLM2 model and a small gptneox stand-in for RedPajama."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path

import pytest

from standin_models import build_gptneox_model

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def pytest_configure(config: pytest.Config) -> None:
    """Keep the tests, and the commands they start, away from the user's models, data and settings."""
    home = Path(tempfile.mkdtemp(prefix="muse-desktop-tests-"))
    atexit.register(shutil.rmtree, home, ignore_errors=True)
    for variable, folder in (("HF_HOME", "hf-home"), ("XDG_DATA_HOME", "data"), ("XDG_CONFIG_HOME", "config")):
        os.environ[variable] = str(home / folder)
    os.environ.pop("HF_HUB_CACHE", None)
    os.environ.pop("HF_ENDPOINT", None)


@pytest.fixture(scope="session")
def standin_model_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 2-layer gptneox GGUF with RedPajama's 50,432-token vocabulary and random weights."""
    return build_gptneox_model(tmp_path_factory.mktemp("models") / "gptneox-standin.gguf")


@pytest.fixture(scope="session")
def standin_model(standin_model_path: Path):
    from muse_desktop.engine import LoadedModel, LoadOptions

    model = LoadedModel(standin_model_path, LoadOptions(n_ctx=512, n_threads=2))
    yield model
    model.close()


@pytest.fixture(scope="session")
def embedded_model():
    from muse_desktop.engine import LoadedModel, LoadOptions
    from muse_desktop.models.embedded import embedded_model_path

    model = LoadedModel(embedded_model_path(), LoadOptions(n_ctx=1024, n_threads=2))
    yield model
    model.close()
