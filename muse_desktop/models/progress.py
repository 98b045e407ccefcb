"""Download progress reports, shared by the terminal progress bar and the app's progress bar."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

DOWNLOADING = "downloading"
VERIFYING = "verifying"

# Speed is averaged over this many seconds, so that one slow or fast chunk does not make the
# time left jump about.
SPEED_WINDOW_SECONDS = 5.0


@dataclass(frozen=True)
class DownloadProgress:
    """A snapshot of one download.

    During the "downloading" phase the byte counts are bytes of the file on disk, including bytes
    kept from an earlier, interrupted attempt. During the "verifying" phase they count the bytes
    whose SHA-256 has been computed so far.

    Attributes:
        downloaded_bytes: Bytes done.
        total_bytes: Size of the file in bytes, from the Hub's metadata.
        bytes_per_second: Recent speed; 0.0 until two reports are a moment apart.
        seconds_left: Estimated time to finish the phase, or None while the speed is unknown.
        phase: "downloading" or "verifying".
    """

    downloaded_bytes: int
    total_bytes: int
    bytes_per_second: float
    seconds_left: float | None
    phase: str = DOWNLOADING

    @property
    def fraction(self) -> float:
        """Fraction done, from 0.0 to 1.0."""
        if self.total_bytes <= 0:
            return 0.0
        return min(1.0, self.downloaded_bytes / self.total_bytes)


ProgressCallback = Callable[[DownloadProgress], None]


class ProgressMeter:
    """Turns byte counts into DownloadProgress with a speed averaged over the last few seconds."""

    def __init__(self, total_bytes: int, phase: str = DOWNLOADING, clock: Callable[[], float] = time.monotonic) -> None:
        self.total_bytes = total_bytes
        self.phase = phase
        self._clock = clock
        self._samples: deque[tuple[float, int]] = deque()

    def measure(self, done_bytes: int) -> DownloadProgress:
        """Record that ``done_bytes`` are done now and return the progress report."""
        now = self._clock()
        self._samples.append((now, done_bytes))
        while len(self._samples) > 2 and now - self._samples[0][0] > SPEED_WINDOW_SECONDS:
            self._samples.popleft()

        first_time, first_bytes = self._samples[0]
        elapsed = now - first_time
        speed = (done_bytes - first_bytes) / elapsed if elapsed > 0 else 0.0
        speed = max(speed, 0.0)
        seconds_left = (self.total_bytes - done_bytes) / speed if speed > 0 else None
        return DownloadProgress(done_bytes, self.total_bytes, speed, seconds_left, self.phase)


def format_bytes(size: int) -> str:
    """Format a byte count with decimal units, as the Hub's file lists do: 1.79 GB, 28.4 MB, 512 B."""
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if abs(size) >= scale:
            return f"{size / scale:.2f} {unit}" if unit == "GB" else f"{size / scale:.1f} {unit}"
    return f"{size} B"
