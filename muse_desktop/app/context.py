"""Everything the main window needs from outside: folders, stored settings, presets, the llama.cpp build."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QSettings

from muse_desktop.app.autosave import AutosaveStore
from muse_desktop.app.presets import PresetStore
from muse_desktop.app.storage import default_data_dir
from muse_desktop.engine import BuildInfo, build_info
from muse_desktop.models.library import ModelLibrary

AUTOSAVE_INTERVAL_MS = 5_000


@dataclass
class AppContext:
    """The data folder and what lives in it.

    ``settings`` (window layout, last sampler settings, last model, recent files) is an INI
    file in the data folder rather than the platform's registry, so that a test or a second
    profile can point the whole app at another folder.
    """

    data_dir: Path
    settings: QSettings
    presets: PresetStore
    autosave: AutosaveStore
    build: BuildInfo
    library: ModelLibrary
    autosave_interval_ms: int = AUTOSAVE_INTERVAL_MS

    @classmethod
    def create(cls, data_dir: Path | None = None, autosave_interval_ms: int = AUTOSAVE_INTERVAL_MS) -> AppContext:
        data_dir = data_dir or default_data_dir()
        data_dir.mkdir(parents=True, exist_ok=True)
        settings = QSettings(str(data_dir / "settings.ini"), QSettings.Format.IniFormat)
        return cls(
            data_dir=data_dir,
            settings=settings,
            presets=PresetStore(data_dir / "presets.json"),
            autosave=AutosaveStore(data_dir),
            build=build_info(),
            library=ModelLibrary(data_dir),
            autosave_interval_ms=autosave_interval_ms,
        )
