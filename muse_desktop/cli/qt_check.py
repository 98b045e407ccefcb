"""Checking that Qt can start: its libraries, the platform plugin and a display.

Qt aborts the whole process when it cannot load a platform plugin, with a message that does not
say which library was missing. This module loads the plugin with QPluginLoader first, so the
self-test can report the loader's own error instead.
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

logger = logging.getLogger(__name__)

# The display that each windowing platform plugin connects to, and the variable that names it.
_DISPLAY_VARIABLES = {"xcb": ("DISPLAY",), "wayland": ("WAYLAND_DISPLAY", "WAYLAND_SOCKET")}


class QtCheckError(Exception):
    """Qt, a platform plugin or the display is missing; the message names the part and the fix."""


def requested_platforms() -> list[str]:
    """Return the platform plugin keys Qt will try, in order.

    QT_QPA_PLATFORM may list several keys separated by ";" and give options after ":".
    Without it, Qt 6 on Linux uses Wayland in a Wayland session (XDG_SESSION_TYPE=wayland), else X11 (xcb).
    """
    value = os.environ.get("QT_QPA_PLATFORM", "").strip()
    if value:
        keys = [entry.split(":", 1)[0].strip() for entry in value.split(";")]
        return [key for key in keys if key]
    if sys.platform == "win32":
        return ["windows"]
    if sys.platform == "darwin":
        return ["cocoa"]
    if os.environ.get("XDG_SESSION_TYPE") == "wayland":
        return ["wayland", "xcb"]
    return ["xcb"]


def plugin_directories() -> list[Path]:
    """Return the folders where Qt looks for platform plugins."""
    from PySide6.QtCore import QCoreApplication

    folders = [Path(path) / "platforms" for path in QCoreApplication.libraryPaths()]
    return [folder for folder in folders if folder.is_dir()]


def find_platform_plugin(key: str) -> Path | None:
    """Return the plugin file whose metadata lists ``key``, or None if no plugin provides it."""
    from PySide6.QtCore import QPluginLoader

    for folder in plugin_directories():
        for path in sorted(folder.iterdir()):
            # Reading metadata does not load the library, so a broken plugin is still found here.
            keys = QPluginLoader(str(path)).metaData().get("MetaData", {}).get("Keys", [])
            if key.lower() in (str(entry).lower() for entry in keys):
                return path
    return None


def load_platform_plugin(key: str) -> Path:
    """Load the plugin for ``key`` with all the libraries it links to and return its path."""
    from PySide6.QtCore import QPluginLoader

    path = find_platform_plugin(key)
    if path is None:
        searched = ", ".join(str(folder) for folder in plugin_directories()) or "no plugin folder exists"
        raise QtCheckError(f"the Qt platform plugin '{key}' is missing (searched: {searched})")
    loader = QPluginLoader(str(path))
    if not loader.load():
        raise QtCheckError(f"the Qt platform plugin '{key}' could not be loaded: {loader.errorString()}")
    return path


def check_display(key: str) -> None:
    variables = _DISPLAY_VARIABLES.get(key, ())
    if variables and not any(os.environ.get(name) for name in variables):
        raise QtCheckError(
            f"the Qt platform plugin '{key}' needs a display, but {' and '.join(variables)} "
            "are not set; run from a desktop session, or set QT_QPA_PLATFORM=offscreen"
        )


def check_qt_platform() -> str:
    """Start a QApplication on the first platform plugin that loads and describe it.

    Raises QtCheckError naming the missing library, plugin or display.
    """
    try:
        from PySide6 import __version__ as pyside_version
        from PySide6.QtWidgets import QApplication
    except ImportError as error:
        raise QtCheckError(f"the Qt libraries could not be loaded: {error}") from error

    failures = []
    for key in requested_platforms():
        try:
            plugin = load_platform_plugin(key)
            check_display(key)
        except QtCheckError as error:
            logger.info("Qt platform '%s' is not usable: %s", key, error)
            failures.append(str(error))
            continue
        application = QApplication.instance() or QApplication([sys.argv[0] if sys.argv else "muse-desktop"])
        return f"PySide6 {pyside_version}, platform {application.platformName()} ({plugin.name})"
    if not failures:
        raise QtCheckError("QT_QPA_PLATFORM names no platform plugin; unset it or set it to, for example, xcb")
    raise QtCheckError("; ".join(failures))
