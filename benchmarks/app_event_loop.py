"""Measure how long the desktop app's event loop stalls while a continuation streams in.

Run: `QT_QPA_PLATFORM=offscreen .venv/bin/python -m benchmarks.app_event_loop [--tokens N]`.
It opens the real main window on the embedded model in a temporary data folder, starts a 10 ms
timer, continues a story and prints the longest gap between timer ticks and the 99th
percentile. The target is no stall above 50 ms.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from pathlib import Path

STORY = "The lighthouse keeper found a letter in the sand. It was addressed to her, and"


def measure(tokens: int) -> list[float]:
    """Return the gaps in milliseconds between 10 ms timer ticks during one continuation."""
    from PySide6.QtCore import QElapsedTimer, QEventLoop, QTimer
    from PySide6.QtWidgets import QApplication

    from muse_desktop.app.context import AppContext
    from muse_desktop.app.main_window import MainWindow
    from muse_desktop.models.embedded import embedded_model_path

    application = QApplication.instance() or QApplication(sys.argv[:1])
    context = AppContext.create(Path(tempfile.mkdtemp(prefix="muse-bench-app-")), autosave_interval_ms=60_000)
    context.settings.setValue("model/spec", str(embedded_model_path()))
    window = MainWindow(context)
    window.documents.ask_unsaved_changes = lambda: "discard"
    window.show()
    window.start()
    while window.model_info is None:
        application.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)

    window.settings_panel.max_tokens.setValue(tokens)
    window.editor.setPlainText(STORY)
    cursor = window.editor.textCursor()
    cursor.movePosition(cursor.MoveOperation.End)
    window.editor.setTextCursor(cursor)

    gaps: list[float] = []
    clock = QElapsedTimer()
    timer = QTimer()
    timer.setInterval(10)

    def tick() -> None:
        gaps.append(clock.nsecsElapsed() / 1e6)
        clock.restart()

    timer.timeout.connect(tick)
    finished = QEventLoop()
    window.continuation.sig_finished.connect(lambda *_: finished.quit())
    clock.start()
    timer.start()
    window.continue_action.trigger()
    finished.exec()
    timer.stop()
    window.close()
    window.host.stop()
    return gaps


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokens", type=int, default=128, help="tokens to generate (default %(default)s)")
    args = parser.parse_args()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    gaps = measure(args.tokens)[1:]
    percentile_99 = statistics.quantiles(gaps, n=100)[98] if len(gaps) > 1 else gaps[0]
    print(f"event-loop gaps during {args.tokens} tokens: {len(gaps)} ticks, "
          f"max {max(gaps):.1f} ms, p99 {percentile_99:.1f} ms (target: no stall above 50 ms)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
