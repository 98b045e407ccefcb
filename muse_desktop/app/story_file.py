"""Stories on disk: plain text or Markdown, with the settings that wrote them alongside.

A Markdown story (.md, .markdown) carries the settings in YAML front matter whose first key
is ``muse_desktop``. Every value is written as JSON, which is also valid YAML, so any
Markdown tool can open the file. Any other file keeps its text untouched and puts the
settings in a companion file named ``<story file name>.muse.json``.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path

from muse_desktop.app.storage import atomic_write_text
from muse_desktop.app.writing_settings import WritingSettings

logger = logging.getLogger(__name__)

FORMAT_VERSION = 1
MARKDOWN_SUFFIXES = (".md", ".markdown")
COMPANION_SUFFIX = ".muse.json"
FRONT_MATTER_FENCE = "---"
MODES = ("story", "instruction")


class StoryFileError(OSError):
    """A story that cannot be read or written; the message names the file and the problem."""


@dataclass(frozen=True)
class StoryMetadata:
    """Settings, seed, mode and model of a story, so that its last continuation can be reproduced.

    ``last_seed`` is the seed the last continuation used; ``model`` is a model id or a path.
    """

    settings: WritingSettings
    last_seed: int | None = None
    mode: str = "story"
    instruction: str = ""
    model: str | None = None

    def to_dict(self) -> dict:
        return {
            "muse_desktop": FORMAT_VERSION,
            "mode": self.mode,
            "instruction": self.instruction,
            "model": self.model,
            "last_seed": self.last_seed,
            "max_tokens": self.settings.max_tokens,
            "sampler": self.settings.sampler.to_dict(),
        }

    @classmethod
    def from_dict(cls, values: dict) -> StoryMetadata:
        """Build metadata from ``to_dict`` output; raises ValueError naming the bad value."""
        mode = values.get("mode", "story")
        if mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}, got {mode!r}")
        instruction = values.get("instruction") or ""
        model = values.get("model")
        last_seed = values.get("last_seed")
        if not isinstance(instruction, str):
            raise ValueError(f"instruction must be text, got {instruction!r}")
        if model is not None and not isinstance(model, str):
            raise ValueError(f"model must be text or null, got {model!r}")
        if last_seed is not None and (isinstance(last_seed, bool) or not isinstance(last_seed, int) or last_seed < 0):
            raise ValueError(f"last_seed must be a non-negative integer or null, got {last_seed!r}")
        settings = WritingSettings.from_dict(
            {"sampler": values.get("sampler", {}), "max_tokens": values.get("max_tokens", WritingSettings().max_tokens)}
        )
        return cls(settings=settings, last_seed=last_seed, mode=mode, instruction=instruction, model=model)


@dataclass(frozen=True)
class StoryFile:
    """A story read from disk.

    ``metadata_problem`` explains why settings found with the story were ignored; the text is
    loaded in any case.
    """

    text: str
    metadata: StoryMetadata | None
    metadata_problem: str | None = None


def is_markdown(path: Path) -> bool:
    return path.suffix.lower() in MARKDOWN_SUFFIXES


def companion_path(path: Path) -> Path:
    return path.with_name(path.name + COMPANION_SUFFIX)


def read_story(path: Path) -> StoryFile:
    """Read a story and its settings; raises StoryFileError when the text cannot be read."""
    text = _read_text(path)
    if is_markdown(path):
        return _split_front_matter(text)
    companion = companion_path(path)
    if not companion.is_file():
        return StoryFile(text, None)
    try:
        values = json.loads(companion.read_text(encoding="utf-8"))
        return StoryFile(text, _metadata_from_values(values))
    except (OSError, UnicodeDecodeError, ValueError) as error:
        logger.warning("ignoring settings in %s: %s", companion, error)
        return StoryFile(text, None, f"the settings in {companion.name} were ignored: {error}")


def write_story(path: Path, text: str, metadata: StoryMetadata) -> None:
    """Write a story and its settings atomically; raises StoryFileError on failure."""
    try:
        if is_markdown(path):
            atomic_write_text(path, format_front_matter(metadata) + text)
        else:
            atomic_write_text(path, text)
            atomic_write_text(companion_path(path), json.dumps(metadata.to_dict(), indent=2) + "\n")
    except OSError as error:
        raise StoryFileError(f"cannot save {path}: {error.strerror or error}") from error
    logger.info("saved %s (%d characters)", path, len(text))


def format_front_matter(metadata: StoryMetadata) -> str:
    lines = [FRONT_MATTER_FENCE]
    for key, value in metadata.to_dict().items():
        lines.append(f"{key}: {json.dumps(value, ensure_ascii=False)}")
    lines += [FRONT_MATTER_FENCE, "", ""]
    return "\n".join(lines)


def _read_text(path: Path) -> str:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise StoryFileError(f"story file not found: {path}") from None
    except IsADirectoryError:
        raise StoryFileError(f"{path} is a folder, not a story file") from None
    except OSError as error:
        raise StoryFileError(f"cannot read {path}: {error.strerror or error}") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise StoryFileError(
            f"{path} is not UTF-8 text (invalid byte at offset {error.start}); convert it to UTF-8 and open it again"
        ) from None
    return text.replace("\r\n", "\n")


def _split_front_matter(text: str) -> StoryFile:
    """Separate Muse Desktop's front matter from the story; other front matter stays in the text."""
    opening = f"{FRONT_MATTER_FENCE}\nmuse_desktop:"
    if not text.startswith(opening):
        return StoryFile(text, None)
    closing = text.find(f"\n{FRONT_MATTER_FENCE}\n", len(FRONT_MATTER_FENCE))
    if closing < 0:
        return StoryFile(text, None, "the settings block at the top has no closing '---' line, so it was kept as text")
    header = text[len(FRONT_MATTER_FENCE) + 1 : closing]
    body = text[closing + len(FRONT_MATTER_FENCE) + 2 :]
    body = body[1:] if body.startswith("\n") else body
    try:
        values = {}
        for line in header.splitlines():
            key, separator, raw = line.partition(":")
            if not separator:
                raise ValueError(f"line without 'key: value': {line!r}")
            values[key.strip()] = json.loads(raw)
        return StoryFile(body, _metadata_from_values(values))
    except ValueError as error:
        logger.warning("ignoring invalid front matter: %s", error)
        return StoryFile(body, None, f"the settings at the top of the file were ignored: {error}")


def _metadata_from_values(values: object) -> StoryMetadata:
    if not isinstance(values, dict):
        raise ValueError(f"expected a mapping of settings, got {type(values).__name__}")
    version = values.get("muse_desktop")
    if version != FORMAT_VERSION:
        raise ValueError(f"unsupported settings version {version!r}; this app reads version {FORMAT_VERSION}")
    return StoryMetadata.from_dict(values)
