"""Save a screenshot of an X display once a window is drawn on it, for the bundle check.

Usage: DISPLAY=:99 python screenshot.py OUTPUT.png [TIMEOUT_SECONDS [PID]]

Grabs the whole screen every second until it is no longer one flat colour (an empty Xvfb
screen is), saves it and exits 0. Exits 1 if the screen stays empty until the timeout, or
until the process PID, the app under test, has exited.
Runs with the PySide6 of the build environment, outside the bundle under test.
"""

from __future__ import annotations

import os
import sys
import time

DEFAULT_TIMEOUT_SECONDS = 60
# A drawn window has text, borders and widgets, so it shows many more colours than this.
MIN_DISTINCT_COLORS = 8
# Time for the window to finish drawing after its first pixels appear.
SETTLE_SECONDS = 3


def distinct_colors(image, limit: int) -> int:
    """Count the distinct pixel values on a coarse grid, stopping at ``limit``."""
    colors = set()
    for y in range(0, image.height(), 4):
        for x in range(0, image.width(), 4):
            colors.add(image.pixel(x, y))
            if len(colors) >= limit:
                return len(colors)
    return len(colors)


def is_running(pid: int | None) -> bool:
    """Tell whether process ``pid`` runs; an exited child that its parent has not reaped does not."""
    if pid is None:
        return True
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stat:
            # The state letter follows the command name, which is in parentheses.
            return stat.read().rpartition(")")[2].split()[0] != "Z"
    except FileNotFoundError:
        return False


def main(argv: list[str]) -> int:
    if len(argv) not in (2, 3, 4):
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    output = argv[1]
    try:
        timeout = float(argv[2]) if len(argv) >= 3 else DEFAULT_TIMEOUT_SECONDS
        pid = int(argv[3]) if len(argv) == 4 else None
    except ValueError:
        print(f"error: TIMEOUT_SECONDS must be a number and PID an integer, got {argv[2:]}", file=sys.stderr)
        return 2
    if not os.environ.get("DISPLAY"):
        print("error: DISPLAY is not set; run this under xvfb-run or an X session", file=sys.stderr)
        return 2

    os.environ["QT_QPA_PLATFORM"] = "xcb"
    from PySide6.QtGui import QGuiApplication

    application = QGuiApplication(argv[:1])
    screen = application.primaryScreen()
    deadline = time.monotonic() + timeout
    while True:
        image = screen.grabWindow(0).toImage()
        colors = distinct_colors(image, MIN_DISTINCT_COLORS)
        if colors >= MIN_DISTINCT_COLORS or time.monotonic() > deadline or not is_running(pid):
            break
        time.sleep(1)
    if colors >= MIN_DISTINCT_COLORS:
        time.sleep(SETTLE_SECONDS)
        image = screen.grabWindow(0).toImage()

    if not image.save(output, "PNG"):
        print(f"error: writing {output} failed", file=sys.stderr)
        return 1
    if colors < MIN_DISTINCT_COLORS:
        reason = "the app exited" if not is_running(pid) else f"{timeout:.0f} s passed"
        print(f"error: no window appeared before {reason}; the empty screen is in {output}", file=sys.stderr)
        return 1
    print(f"screenshot with a window: {output} ({image.width()}x{image.height()})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
