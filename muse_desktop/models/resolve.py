"""Turning a --model value (a model id or a .gguf path) into a file path."""

from __future__ import annotations

from pathlib import Path

from muse_desktop.models.embedded import EMBEDDED_MODEL_ID, embedded_model_path


class ModelNotFoundError(LookupError):
    """A model id that names no known model, or a path with no file."""


def resolve_model_path(spec: str | None) -> Path:
    """Return the GGUF path for ``spec``: None or the embedded id for the embedded model, else a file path.

    A value that ends in .gguf or contains a path separator is taken as a path.
    """
    if spec is None or spec == EMBEDDED_MODEL_ID:
        return embedded_model_path()
    path = Path(spec).expanduser()
    if spec.endswith(".gguf") or "/" in spec or "\\" in spec or path.exists():
        if not path.is_file():
            raise ModelNotFoundError(f"model file not found: {path}")
        return path
    raise ModelNotFoundError(
        f"unknown model '{spec}'; give a .gguf path or a model id from 'muse-desktop models list'"
    )
