"""Turning a --model value (a model id or a .gguf path) into a file path."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from muse_desktop.models.embedded import EMBEDDED_MODEL_ID, embedded_model_path

if TYPE_CHECKING:
    from muse_desktop.models.library import ModelLibrary


class ModelNotFoundError(LookupError):
    """A --model value that gives no usable file: an unknown id, a model not downloaded, or a path with no file."""


def resolve_model_path(spec: str | None, library: ModelLibrary | None = None) -> Path:
    """Return the GGUF path for ``spec``: None or the embedded id for the embedded model, a catalog or imported id, else a file path.

    A value that ends in .gguf or contains a path separator is taken as a path. A catalog id
    resolves only once its file is downloaded and its SHA-256 verified. ``library`` is a
    ModelLibrary to use instead of the default one.

    Raises ModelNotFoundError; for a library failure its message is the library's and the
    ModelLibraryError is its cause.
    """
    if spec is None or spec == EMBEDDED_MODEL_ID:
        return embedded_model_path()
    path = Path(spec).expanduser()
    if spec.endswith(".gguf") or "/" in spec or "\\" in spec or path.exists():
        if not path.is_file():
            raise ModelNotFoundError(f"model file not found: {path}")
        return path

    from muse_desktop.models.errors import ModelLibraryError, UnknownModelError
    from muse_desktop.models.library import ModelLibrary

    try:
        return (library or ModelLibrary()).path_for(spec)
    except UnknownModelError:
        raise ModelNotFoundError(
            f"unknown model '{spec}'; give a .gguf path or a model id from 'muse-desktop models list'"
        ) from None
    except ModelLibraryError as error:
        raise ModelNotFoundError(str(error)) from error
