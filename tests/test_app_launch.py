"""Starting the app the way `muse-desktop` without a command does."""

from __future__ import annotations

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from muse_desktop.app.launcher import run_app
from muse_desktop.app.main_window import MainWindow
from muse_desktop.app.storage import LOG_FILE_NAME


def test_run_app_opens_and_quits(qtbot, tmp_path):
    seen = {}

    def close_when_loaded() -> None:
        windows = [widget for widget in QApplication.topLevelWidgets() if isinstance(widget, MainWindow)]
        if windows and windows[0].model_info is not None:
            seen["title"] = windows[0].windowTitle()
            seen["model"] = windows[0].model_info.name
            windows[0].close()
            return
        QTimer.singleShot(100, close_when_loaded)

    QTimer.singleShot(100, close_when_loaded)
    code = run_app(data_dir=tmp_path)

    assert code == 0
    assert seen["title"] == "Untitled – Muse Desktop"
    assert "135M" in seen["model"]
    assert "Muse Desktop started" in (tmp_path / LOG_FILE_NAME).read_text(encoding="utf-8")
    assert (tmp_path / "settings.ini").is_file()
