"""Checking a GGUF file the writer already has before the library registers it."""

from __future__ import annotations

import re
from pathlib import Path

from muse_desktop.models.catalog import MODEL_ID_PATTERN
from muse_desktop.models.errors import InvalidModelFileError
from muse_desktop.models.gguf_file import InvalidGGUFError, read_gguf_header
from muse_desktop.models.registry import ImportedFile


def inspect_import(path: Path, taken_ids: set[str]) -> ImportedFile:
    """Check the header of the GGUF at ``path`` and describe it under an id not in ``taken_ids``.

    Raises InvalidModelFileError for a missing file and for each header problem that
    `read_gguf_header` detects: empty, truncated, not GGUF (a text file, for one), unknown
    version, or an architecture llama.cpp does not support.
    """
    try:
        header = read_gguf_header(path)
    except FileNotFoundError as error:
        raise InvalidModelFileError(f"cannot import {path}: there is no such file") from error
    except InvalidGGUFError as error:
        raise InvalidModelFileError(f"cannot import: {error}") from error
    except OSError as error:
        raise InvalidModelFileError(f"cannot import {path}: {error.strerror or error}") from error

    return ImportedFile(
        id=unique_model_id(path.stem, taken_ids),
        path=str(path),
        display_name=header.name or path.stem,
        architecture=header.architecture or "unknown",
        context_length=header.context_length,
        size_bytes=header.file_size,
        has_chat_template=header.chat_template is not None,
    )


def unique_model_id(stem: str, taken_ids: set[str]) -> str:
    """Derive a model id from a file name: lowercase, with '-' for other characters, and a -2, -3 ... suffix if taken."""
    base = re.sub(r"[^a-z0-9._-]+", "-", stem.lower()).strip("-._")[:70] or "imported-model"
    candidate = base
    suffix = 2
    while candidate in taken_ids:
        candidate = f"{base}-{suffix}"
        suffix += 1
    assert MODEL_ID_PATTERN.match(candidate), candidate
    return candidate
