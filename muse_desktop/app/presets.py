"""Named writing settings: three built in, plus the ones the writer saves in the data folder."""

from __future__ import annotations

import json
import logging
from pathlib import Path

from muse_desktop.app.storage import atomic_write_text
from muse_desktop.app.writing_settings import MUSE_NO_RAMP_PRESET, MUSE_PRESET, PLAIN_PRESET, WritingSettings

logger = logging.getLogger(__name__)

BUILT_IN_PRESETS: dict[str, WritingSettings] = {
    "Muse": MUSE_PRESET,
    "Muse, no ramp": MUSE_NO_RAMP_PRESET,
    "Plain sampling": PLAIN_PRESET,
}
MAX_PRESET_NAME_LENGTH = 60


class PresetError(ValueError):
    """A preset operation that cannot be done; the message is meant for the writer."""


class PresetStore:
    """Built-in presets and the writer's own, which are kept in ``path`` as JSON.

    A file that cannot be read or contains invalid presets is logged and skipped preset by
    preset, so one bad entry does not hide the others.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._user: dict[str, WritingSettings] = self._load()

    def names(self) -> list[str]:
        return list(BUILT_IN_PRESETS) + sorted(self._user, key=str.casefold)

    def is_built_in(self, name: str) -> bool:
        return name in BUILT_IN_PRESETS

    def get(self, name: str) -> WritingSettings:
        if name in BUILT_IN_PRESETS:
            return BUILT_IN_PRESETS[name]
        if name in self._user:
            return self._user[name]
        raise PresetError(f"no preset named '{name}'")

    def save(self, name: str, settings: WritingSettings) -> str:
        """Save ``settings`` under ``name``, replacing a user preset of that name; return the name."""
        name = self._check_name(name)
        self._user[name] = settings
        self._write()
        return name

    def rename(self, old_name: str, new_name: str) -> str:
        if old_name in BUILT_IN_PRESETS:
            raise PresetError(f"'{old_name}' is built in and cannot be renamed; save a copy under a new name instead")
        if old_name not in self._user:
            raise PresetError(f"no preset named '{old_name}'")
        new_name = self._check_name(new_name)
        if new_name != old_name and new_name in self._user:
            raise PresetError(f"a preset named '{new_name}' already exists; choose another name")
        self._user[new_name] = self._user.pop(old_name)
        self._write()
        return new_name

    def delete(self, name: str) -> None:
        if name in BUILT_IN_PRESETS:
            raise PresetError(f"'{name}' is built in and cannot be deleted")
        if self._user.pop(name, None) is None:
            raise PresetError(f"no preset named '{name}'")
        self._write()

    def _check_name(self, name: str) -> str:
        name = name.strip()
        if not name:
            raise PresetError("a preset needs a name")
        if len(name) > MAX_PRESET_NAME_LENGTH:
            raise PresetError(f"a preset name may have at most {MAX_PRESET_NAME_LENGTH} characters, got {len(name)}")
        if name in BUILT_IN_PRESETS:
            raise PresetError(f"'{name}' is a built-in preset; choose another name")
        return name

    def _load(self) -> dict[str, WritingSettings]:
        if not self.path.exists():
            return {}
        try:
            stored = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
            logger.error("cannot read presets from %s: %s", self.path, error)
            return {}
        if not isinstance(stored, dict):
            logger.error("presets file %s does not contain a JSON object; ignoring it", self.path)
            return {}
        presets = {}
        for name, values in stored.items():
            try:
                presets[self._check_name(str(name))] = WritingSettings.from_dict(values)
            except ValueError as error:
                logger.error("skipping invalid preset '%s' in %s: %s", name, self.path, error)
        return presets

    def _write(self) -> None:
        payload = {name: settings.to_dict() for name, settings in self._user.items()}
        try:
            atomic_write_text(self.path, json.dumps(payload, indent=2, sort_keys=True) + "\n")
        except OSError as error:
            raise PresetError(f"cannot save presets to {self.path}: {error.strerror or error}") from error
