"""The app's data folder, its rotating log file, and atomic file writes."""

from __future__ import annotations

import logging
import os
import tempfile
from logging.handlers import RotatingFileHandler
from pathlib import Path

import platformdirs

APP_NAME = "muse-desktop"
LOG_FILE_NAME = "muse-desktop.log"
LOG_MAX_BYTES = 1_000_000
LOG_BACKUP_COUNT = 3


def default_data_dir() -> Path:
    """Return the per-user data folder, for example ~/.local/share/muse-desktop on Linux."""
    return platformdirs.user_data_path(APP_NAME, appauthor=False)


def configure_file_logging(data_dir: Path, level: int = logging.INFO) -> RotatingFileHandler:
    """Send log records of every muse_desktop module to a rotating file in ``data_dir``."""
    data_dir.mkdir(parents=True, exist_ok=True)
    handler = RotatingFileHandler(
        data_dir / LOG_FILE_NAME, maxBytes=LOG_MAX_BYTES, backupCount=LOG_BACKUP_COUNT, encoding="utf-8"
    )
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.setLevel(level)
    root = logging.getLogger()
    # Lowering the package's level below the root's would also send those records to the
    # console handlers on the root, so each of them keeps the level the root had.
    for console in root.handlers:
        if console.level == logging.NOTSET:
            console.setLevel(root.level)
    package_logger = logging.getLogger("muse_desktop")
    package_logger.addHandler(handler)
    if package_logger.getEffectiveLevel() > level:
        package_logger.setLevel(level)
    return handler


def atomic_write_text(path: Path, text: str) -> None:
    """Write ``text`` as UTF-8 to ``path`` so that a crash leaves either the old or the new file.

    The text goes to a temporary file in the same folder, is flushed to disk, and then
    replaces ``path`` in one rename. Raises OSError when the folder is not writable.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
