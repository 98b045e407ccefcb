"""Crash recovery: the unsaved story is written to the data folder and offered back on the next start."""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from pathlib import Path

from muse_desktop.app.storage import atomic_write_text
from muse_desktop.app.story_file import StoryMetadata
from muse_desktop.app.writing_settings import WritingSettings

logger = logging.getLogger(__name__)

AUTOSAVE_FILE_NAME = "autosave.json"


@dataclass(frozen=True)
class AutosaveSnapshot:
    """The editor's text and settings at one moment; ``path`` is the story's file, if it has one."""

    text: str
    path: str | None
    metadata: StoryMetadata
    saved_at: float


class AutosaveStore:
    """One autosave file in ``folder``, present only while the app has unsaved changes.

    The file is removed when the story is saved or the writer discards the changes, so a file
    found at start-up means the last session ended without either: a crash or a kill.
    """

    def __init__(self, folder: Path) -> None:
        self.path = folder / AUTOSAVE_FILE_NAME

    def write(self, text: str, path: Path | None, metadata: StoryMetadata) -> None:
        """Write a snapshot atomically; raises OSError when the data folder is not writable."""
        payload = {
            "text": text,
            "path": str(path) if path else None,
            "metadata": metadata.to_dict(),
            "saved_at": time.time(),
        }
        atomic_write_text(self.path, json.dumps(payload, ensure_ascii=False))
        logger.debug("autosaved %d characters to %s", len(text), self.path)

    def read(self) -> AutosaveSnapshot | None:
        """Return the snapshot left by the last session, or None.

        A snapshot whose settings are invalid still returns its text with default settings.
        An unreadable file is moved aside (``.corrupt``) rather than deleted.
        """
        if not self.path.exists():
            return None
        try:
            payload = json.loads(self.path.read_text(encoding="utf-8"))
            text = payload["text"]
            if not isinstance(text, str):
                raise ValueError(f"text must be a string, got {type(text).__name__}")
        except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError) as error:
            corrupt = self.path.with_suffix(".corrupt")
            logger.error("autosave file %s is unreadable (%s); moving it to %s", self.path, error, corrupt)
            self.path.replace(corrupt)
            return None
        return AutosaveSnapshot(
            text=text,
            path=payload.get("path") if isinstance(payload.get("path"), str) else None,
            metadata=_metadata_or_default(payload.get("metadata")),
            saved_at=float(payload.get("saved_at") or 0.0),
        )

    def clear(self) -> None:
        self.path.unlink(missing_ok=True)


def _metadata_or_default(values: object) -> StoryMetadata:
    if isinstance(values, dict):
        try:
            return StoryMetadata.from_dict(values)
        except ValueError as error:
            logger.warning("autosaved settings are invalid (%s); using the defaults", error)
    return StoryMetadata(WritingSettings())
