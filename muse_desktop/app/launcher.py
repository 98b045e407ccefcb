"""Start the desktop app: logging to the data folder, the QApplication and the main window."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

logger = logging.getLogger(__name__)


def run_app(argv: list[str] | None = None, data_dir: Path | None = None) -> int:
    """Open the main window and run the Qt event loop; returns the exit code."""
    from PySide6.QtWidgets import QApplication

    from muse_desktop.app.context import AppContext
    from muse_desktop.app.main_window import MainWindow
    from muse_desktop.app.storage import configure_file_logging, default_data_dir

    data_dir = data_dir or default_data_dir()
    log_handler = configure_file_logging(data_dir)
    app = QApplication.instance() or QApplication(argv if argv is not None else sys.argv[:1])
    app.setApplicationName("Muse Desktop")
    app.setOrganizationName("muse-desktop")
    context = AppContext.create(data_dir)
    window = MainWindow(context)
    window.show()
    window.start()
    logger.info("Muse Desktop started; data folder %s", data_dir)
    code = app.exec()
    logger.info("Muse Desktop exited with code %d", code)
    logging.getLogger("muse_desktop").removeHandler(log_handler)
    log_handler.close()
    return code
