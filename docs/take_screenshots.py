"""Start Muse Desktop under Xvfb and save screenshots of it into docs/.

Usage: .venv/bin/python docs/take_screenshots.py

Without a DISPLAY the script starts Xvfb (Debian package xvfb) on a free display number, with
TCP disabled, and runs itself again inside it. It uses a temporary data folder, so the
writer's own settings, autosave and models are neither read nor changed, and it generates
with the embedded SmolLM2 model and a fixed seed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DOCS = Path(__file__).resolve().parent
SCREEN = "1440x900x24"
STORY = (
    "The lighthouse keeper found a letter in the sand. It was addressed to her, in her mother's "
    "handwriting, and dated the day after the storm that took the old pier.\n\n"
    "She read it twice before she let herself sit down."
)
TOKENS_BEFORE_SNAPSHOT = 48
SEED = 20261204


def main() -> int:
    if not os.environ.get("DISPLAY"):
        return run_under_xvfb()
    return take_screenshots()


def run_under_xvfb() -> int:
    """Start Xvfb on a free display, run this script inside it, and stop Xvfb."""
    if shutil.which("Xvfb") is None:
        print("Xvfb is not installed; install it with: apt-get install xvfb", file=sys.stderr)
        return 1
    for display in range(99, 120):
        if not Path(f"/tmp/.X11-unix/X{display}").exists() and not Path(f"/tmp/.X{display}-lock").exists():
            break
    else:
        print("no free X display number between :99 and :119", file=sys.stderr)
        return 1
    server = subprocess.Popen(["Xvfb", f":{display}", "-screen", "0", SCREEN, "-nolisten", "tcp"])
    try:
        time.sleep(1.0)
        environment = dict(os.environ, DISPLAY=f":{display}", QT_QPA_PLATFORM="xcb")
        return subprocess.call([sys.executable, __file__], env=environment)
    finally:
        server.terminate()
        server.wait(timeout=10)


def wait_until(app, condition, timeout: float = 300.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("the app did not reach the expected state in time")
        app.processEvents()
        time.sleep(0.01)


def settle(app, seconds: float = 0.3) -> None:
    """Let pending paints and the charts' refresh timer run."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents()
        time.sleep(0.01)


def take_screenshots() -> int:
    from PySide6.QtWidgets import QApplication

    from muse_desktop.app.context import AppContext
    from muse_desktop.app.main_window import MainWindow
    from muse_desktop.models.library import ModelLibrary

    app = QApplication(sys.argv[:1])
    data_dir = Path(tempfile.mkdtemp(prefix="muse-screenshots-"))
    context = AppContext.create(data_dir)
    context.library = ModelLibrary(data_dir, cache_dir=data_dir / "hub-cache")
    window = MainWindow(context)
    window.resize(1400, 860)
    window.show()
    window.start()
    try:
        wait_until(app, lambda: window.model_info is not None)
        capture_writing(app, window)
        capture_compare(app, window)
        capture_model_manager(app, window)
    finally:
        window.documents.ask_unsaved_changes = lambda: "discard"
        window.close()
        shutil.rmtree(data_dir, ignore_errors=True)
    return 0


def capture_writing(app, window) -> None:
    panel = window.settings_panel
    panel.max_tokens.setValue(400)
    panel.fixed_seed.setChecked(True)
    panel.seed.setText(str(SEED))
    window.editor.setPlainText(STORY)
    window.editor.moveCursor(window.editor.textCursor().MoveOperation.End)
    window.continue_action.trigger()
    wait_until(app, lambda: window.continuation.running is not None
               and window.continuation.running.tokens >= TOKENS_BEFORE_SNAPSHOT)
    settle(app)
    save(window.grab(), "screenshot-writing.png")
    save(window.charts.grab(), "screenshot-muse-charts.png")
    window.stop_action.trigger()
    wait_until(app, lambda: not window.host.busy)


def capture_compare(app, window) -> None:
    window.settings_panel.max_tokens.setValue(160)
    window.editor.undo()
    window.open_compare()
    dialog = window.compare_dialog
    dialog.generate()
    wait_until(app, lambda: all(side.result is not None for side in dialog.sides))
    settle(app)
    save(dialog.grab(), "screenshot-compare.png")
    dialog.close()


def capture_model_manager(app, window) -> None:
    window.open_model_manager()
    dialog = window.model_manager
    settle(app)
    save(dialog.grab(), "screenshot-model-manager.png")
    dialog.close()


def save(pixmap, name: str) -> None:
    path = DOCS / name
    if not pixmap.save(str(path)):
        raise OSError(f"could not write {path}")
    print(f"saved {path} ({pixmap.width()}x{pixmap.height()})")


if __name__ == "__main__":
    sys.exit(main())
