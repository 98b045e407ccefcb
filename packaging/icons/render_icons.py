"""Render muse-desktop.svg to the PNG, ICO and ICNS files that the installers use.

Run after editing the SVG: `QT_QPA_PLATFORM=offscreen .venv/bin/python packaging/icons/render_icons.py`.
The outputs are committed, so builds need neither this script nor an SVG renderer.
"""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

ICON_FOLDER = Path(__file__).resolve().parent
SOURCE = ICON_FOLDER / "muse-desktop.svg"
# Windows and macOS scale down from one 256-pixel image; Linux desktops take the SVG itself.
OUTPUTS = {"muse-desktop.png": "PNG", "muse-desktop.ico": "ICO", "muse-desktop.icns": "ICNS"}
SIZE = 256


def render(renderer: QSvgRenderer, size: int) -> QImage:
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    renderer.render(painter)
    painter.end()
    return image


def main() -> int:
    application = QGuiApplication(sys.argv)  # noqa: F841 (QPainter needs a QGuiApplication)
    renderer = QSvgRenderer(str(SOURCE))
    if not renderer.isValid():
        print(f"error: {SOURCE} is not a valid SVG file", file=sys.stderr)
        return 1
    image = render(renderer, SIZE)
    for name, image_format in OUTPUTS.items():
        path = ICON_FOLDER / name
        if not image.save(str(path), image_format):
            print(f"error: writing {path} as {image_format} failed", file=sys.stderr)
            return 1
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
