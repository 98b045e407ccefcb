"""The library's own records, kept as JSON in its data folder.

It stores the GGUF files the writer imported. For each catalog download it stores the SHA-256,
size and commit the Hub published, and the size and mtime of the file when its hash was last
checked, so that a file is hashed again only after it changed.

Every change is a read-modify-write under a file lock, written to a temporary file and moved into
place, so that two processes cannot lose each other's changes and a crash cannot leave half a
file. A damaged file is reported and never overwritten.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout

from muse_desktop.models.errors import RegistryError

REGISTRY_FORMAT_VERSION = 1
LOCK_TIMEOUT_SECONDS = 10.0


@dataclass(frozen=True)
class ImportedFile:
    """A GGUF file the writer registered; the library never moves or deletes it."""

    id: str
    path: str
    display_name: str
    architecture: str
    context_length: int | None
    size_bytes: int
    has_chat_template: bool

    def __post_init__(self) -> None:
        _check_types(self, id=str, path=str, display_name=str, architecture=str,
                     context_length=(int, type(None)), size_bytes=int, has_chat_template=bool)


@dataclass(frozen=True)
class DownloadRecord:
    """The Hub's SHA-256, size and commit for one catalog download, and the stamp of its last hash check."""

    sha256: str
    size_bytes: int
    commit: str
    verified_path: str | None = None
    verified_size: int | None = None
    verified_mtime_ns: int | None = None

    def __post_init__(self) -> None:
        optional_int = (int, type(None))
        _check_types(self, sha256=str, size_bytes=int, commit=str, verified_path=(str, type(None)),
                     verified_size=optional_int, verified_mtime_ns=optional_int)

    def is_verified(self, path: Path) -> bool:
        """Return True if ``path`` is the file that passed the hash check and has not changed since."""
        try:
            stat = path.stat()
        except OSError:
            return False
        return (
            self.verified_path == str(path)
            and self.verified_size == stat.st_size
            and self.verified_mtime_ns == stat.st_mtime_ns
        )


class Registry:
    """Reads and changes the records file at ``path``."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = FileLock(str(path) + ".lock", timeout=LOCK_TIMEOUT_SECONDS)

    def imported(self) -> list[ImportedFile]:
        return [ImportedFile(**item) for item in self._read()["imported"]]

    def download_record(self, model_id: str) -> DownloadRecord | None:
        record = self._read()["downloads"].get(model_id)
        return DownloadRecord(**record) if record is not None else None

    def add_imported(self, imported: ImportedFile) -> None:
        """Add ``imported``; raises RegistryError if another process took its id in the meantime."""
        with self._change() as document:
            if any(item["id"] == imported.id for item in document["imported"]):
                raise RegistryError(f"the model id {imported.id} was just taken by another import; import the file again")
            document["imported"].append(asdict(imported))

    def remove_imported(self, model_id: str) -> None:
        with self._change() as document:
            document["imported"] = [item for item in document["imported"] if item["id"] != model_id]

    def set_download_record(self, model_id: str, record: DownloadRecord | None) -> None:
        with self._change() as document:
            if record is None:
                document["downloads"].pop(model_id, None)
            else:
                document["downloads"][model_id] = asdict(record)

    @contextmanager
    def _change(self) -> Iterator[dict[str, Any]]:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self._lock:
                document = self._read()
                yield document
                self._write(document)
        except Timeout as error:
            raise RegistryError(
                f"another Muse Desktop process has held {self._lock.lock_file} for over "
                f"{LOCK_TIMEOUT_SECONDS:.0f} s; close it and try again"
            ) from error
        except OSError as error:
            raise RegistryError(f"cannot write the model records {self.path}: {error}") from error

    def _read(self) -> dict[str, Any]:
        try:
            text = self.path.read_text("utf-8")
        except FileNotFoundError:
            return {"format_version": REGISTRY_FORMAT_VERSION, "imported": [], "downloads": {}}
        except (OSError, UnicodeDecodeError) as error:
            raise RegistryError(f"cannot read the model records {self.path}: {error}") from error
        try:
            document = json.loads(text)
            _check_document(document)
        except (json.JSONDecodeError, TypeError, ValueError) as error:
            raise RegistryError(
                f"the model records {self.path} are damaged ({error}); move the file away and "
                "import your own GGUF files again (downloaded models are found again by themselves)"
            ) from error
        return document

    def _write(self, document: dict[str, Any]) -> None:
        temporary = self.path.with_name(self.path.name + ".tmp")
        temporary.write_text(json.dumps(document, indent=2) + "\n", "utf-8")
        os.replace(temporary, self.path)


def _check_types(record: object, **expected: type | tuple[type, ...]) -> None:
    for name, types in expected.items():
        value = getattr(record, name)
        if not isinstance(value, types):
            raise TypeError(f"{type(record).__name__}.{name} has the wrong type: {value!r}")


def _check_document(document: Any) -> None:
    """Raise ValueError or TypeError unless ``document`` has the registry's shape."""
    if not isinstance(document, dict) or document.get("format_version") != REGISTRY_FORMAT_VERSION:
        raise ValueError(f"expected format_version {REGISTRY_FORMAT_VERSION}")
    if not isinstance(document.get("imported"), list) or not isinstance(document.get("downloads"), dict):
        raise ValueError("expected an 'imported' list and a 'downloads' object")
    for item in document["imported"]:
        ImportedFile(**item)  # raises TypeError on missing or unknown keys
    for record in document["downloads"].values():
        DownloadRecord(**record)
