"""A terminal progress bar for downloads, driven by the library's DownloadProgress callback."""

from __future__ import annotations

import shutil
from typing import TextIO

from muse_desktop.models.progress import DownloadProgress, format_bytes

BAR_WIDTH = 24
# Without a terminal (a log file, a pipe), one line is written per this fraction of progress.
LOG_STEP = 0.1


class TerminalProgressBar:
    """Draws one updating line on a terminal, or a line per 10 % elsewhere.

    Call the instance with each DownloadProgress, then ``finish()``.
    """

    def __init__(self, stream: TextIO, label: str, *, is_terminal: bool | None = None) -> None:
        self._stream = stream
        self._label = label
        self._is_terminal = stream.isatty() if is_terminal is None else is_terminal
        self._drawn = False
        self._last_logged: tuple[str, int] | None = None

    def __call__(self, progress: DownloadProgress) -> None:
        line = format_progress_line(self._label, progress)
        if self._is_terminal:
            width = shutil.get_terminal_size((100, 20)).columns - 1
            self._stream.write("\r" + line[:width].ljust(width))
            self._drawn = True
        else:
            step = (progress.phase, int(progress.fraction / LOG_STEP))
            if step == self._last_logged:
                return
            self._last_logged = step
            self._stream.write(line + "\n")
        self._stream.flush()

    def finish(self) -> None:
        """End the updating line, so that the next output starts on a fresh line."""
        if self._drawn:
            self._stream.write("\n")
            self._stream.flush()
            self._drawn = False


def format_progress_line(label: str, progress: DownloadProgress) -> str:
    """Format one line: label, phase, percent, bar, bytes, speed and time left."""
    filled = int(progress.fraction * BAR_WIDTH)
    bar = "#" * filled + "-" * (BAR_WIDTH - filled)
    parts = [
        f"{label} {progress.phase}",
        f"{progress.fraction * 100:3.0f}%",
        f"[{bar}]",
        f"{format_bytes(progress.downloaded_bytes)} / {format_bytes(progress.total_bytes)}",
    ]
    if progress.bytes_per_second > 0:
        parts.append(f"{format_bytes(int(progress.bytes_per_second))}/s")
    if progress.seconds_left is not None:
        parts.append(f"{format_duration(progress.seconds_left)} left")
    return "  ".join(parts)


def format_duration(seconds: float) -> str:
    """Format seconds as 45s, 3m05s or 1h02m."""
    whole = int(round(seconds))
    if whole < 60:
        return f"{whole}s"
    if whole < 3600:
        return f"{whole // 60}m{whole % 60:02d}s"
    return f"{whole // 3600}h{whole % 3600 // 60:02d}m"
