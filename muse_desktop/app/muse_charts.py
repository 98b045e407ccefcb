"""Two live charts of the Muse: the last token's candidates before and after damping, and the damp factor."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt, QTimer
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QHBoxLayout, QSizePolicy, QWidget

from muse_desktop.app.engine_worker import TokenChartData
from muse_desktop.sampling import MuseLogitsWarper, MuseSettings

# The charts repaint at most this often, however fast tokens arrive, so drawing never slows generation.
REFRESH_INTERVAL_MS = 50
BEFORE_COLOR = QColor("#9aa5b1")
AFTER_COLOR = QColor("#c2410c")
RAMP_COLOR = QColor("#2563eb")
MARGIN = 8


def visible_token(text: str) -> str:
    """Return a token's text with spaces and line breaks made visible, for chart labels."""
    label = text.replace(" ", "·").replace("\n", "⏎").replace("\t", "→")
    return label if label else "∅"


class ProbabilityChart(QWidget):
    """Horizontal bars: each candidate's probability before (grey) and after (orange) the Muse."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.data: TokenChartData | None = None
        self.setMinimumSize(260, 160)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setToolTip("For the token just generated: how likely each top candidate was before the Muse "
                        "damped it (grey) and after (orange). Bars that shrink are the tokens it pushed down.")

    def set_data(self, data: TokenChartData | None) -> None:
        self.data = data
        self.update()

    def paintEvent(self, _event) -> None:  # noqa: N802 (Qt naming)
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.fillRect(self.rect(), self.palette().base())
        line_height = painter.fontMetrics().height()
        if self.data is None or not self.data.labels:
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "Candidates of the last token appear here")
            return
        title = f"Token {self.data.token_index + 1}: “{visible_token(self.data.chosen_label)}”, damp {self.data.damp_factor:.3f}"
        painter.drawText(QPointF(MARGIN, MARGIN + line_height), title)
        self._draw_bars(painter, QRectF(MARGIN, MARGIN + line_height * 1.6, self.width() - 2 * MARGIN,
                                        self.height() - 2 * MARGIN - line_height * 2.8))
        self._draw_legend(painter, self.height() - MARGIN)

    def _draw_bars(self, painter: QPainter, area: QRectF) -> None:
        data = self.data
        label_width = min(110.0, area.width() * 0.3)
        bar_left = area.left() + label_width
        bar_width = max(1.0, area.width() - label_width - 84)
        row_height = area.height() / len(data.labels)
        bar_height = max(2.0, row_height * 0.38)
        # The longest bar spans the width, so small probabilities stay readable; the labels give the values.
        scale = max(max(data.probabilities_before), max(data.probabilities_after), 1e-9)
        for row, label in enumerate(data.labels):
            top = area.top() + row * row_height
            painter.setPen(self.palette().text().color())
            painter.drawText(QRectF(area.left(), top, label_width - 6, row_height),
                             Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, visible_token(label)[:14])
            for offset, (values, color) in enumerate(
                ((data.probabilities_before, BEFORE_COLOR), (data.probabilities_after, AFTER_COLOR))
            ):
                bar_top = top + row_height * 0.1 + offset * bar_height
                length = bar_width * max(0.0, min(1.0, values[row] / scale))
                painter.fillRect(QRectF(bar_left, bar_top, length, bar_height - 1), color)
            painter.drawText(QRectF(bar_left + bar_width + 4, top, 80, row_height),
                             Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                             f"{data.probabilities_before[row]:.0%}→{data.probabilities_after[row]:.0%}")

    def _draw_legend(self, painter: QPainter, baseline: float) -> None:
        x = float(MARGIN)
        for text, color in (("before the Muse", BEFORE_COLOR), ("after the Muse", AFTER_COLOR)):
            painter.fillRect(QRectF(x, baseline - 10, 12, 10), color)
            painter.setPen(self.palette().text().color())
            painter.drawText(QPointF(x + 16, baseline), text)
            x += 16 + painter.fontMetrics().horizontalAdvance(text) + 16


class DampChart(QWidget):
    """The damp factor per generated token: the planned ramp (blue line) and the tokens so far (orange)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ramp: list[float] = []
        self.ramp_tokens = 0
        self.points: list[tuple[int, float]] = []
        self.planned = False  # set_plan has run, so an empty ramp means the Muse is off
        self.setMinimumSize(260, 160)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setToolTip("The factor the Muse multiplies the top-k logits by, for each generated token. "
                        "The blue line is the planned ramp from damp_initial to damp; orange marks the tokens "
                        "generated so far, and the vertical line the current position.")

    def set_plan(self, muse: MuseSettings | None, max_tokens: int) -> None:
        """Draw the ramp that ``muse`` plans over ``max_tokens`` tokens; None means no Muse."""
        self.planned = True
        self.points = []
        if muse is None:
            self.ramp = []
        else:
            warper = MuseLogitsWarper(muse.top_k, muse.damp, muse.damp_initial, muse.damp_ramp_tokens)
            self.ramp = [warper.damp_factor(index) for index in range(max_tokens)]
            self.ramp_tokens = muse.damp_ramp_tokens
        self.update()

    def add_point(self, token_index: int, damp_factor: float) -> None:
        self.points.append((token_index, damp_factor))

    def paintEvent(self, _event) -> None:  # noqa: N802 (Qt naming)
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.fillRect(self.rect(), self.palette().base())
        if not self.ramp:
            message = "The Muse is off: no damping" if self.planned else "The damp factor of each generated token appears here"
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, message)
            return
        line_height = painter.fontMetrics().height()
        area = QRectF(MARGIN + 40, MARGIN + line_height, self.width() - 2 * MARGIN - 44,
                      self.height() - 2 * MARGIN - line_height * 2.4)
        values = self.ramp[: self.visible_tokens()] + [factor for _, factor in self.points]
        low, high = min(0.0, min(values)), max(1.0, max(values)) * 1.05
        self._draw_axes(painter, area, low, high, line_height)
        self._draw_series(painter, area, low, high)

    def visible_tokens(self) -> int:
        """Return how many tokens the x axis spans: twice the ramp or a little past the last token,
        at least 64, and never more than max_tokens, so a short ramp is not squeezed into a corner."""
        last = self.points[-1][0] if self.points else 0
        return min(len(self.ramp), max(2 * self.ramp_tokens, last + 16, 64))

    def _to_point(self, area: QRectF, index: float, value: float, low: float, high: float) -> QPointF:
        x = area.left() + area.width() * index / max(1, self.visible_tokens() - 1)
        y = area.bottom() - area.height() * (value - low) / (high - low)
        return QPointF(x, y)

    def _draw_axes(self, painter: QPainter, area: QRectF, low: float, high: float, line_height: int) -> None:
        painter.setPen(self.palette().text().color())
        painter.drawText(QPointF(MARGIN, MARGIN + line_height * 0.8), "damp factor per generated token")
        painter.drawLine(area.bottomLeft(), area.bottomRight())
        painter.drawLine(area.bottomLeft(), area.topLeft())
        labels = [low, 1.0] if high - 1.0 < 0.15 * (high - low) else [low, 1.0, high]
        for value in labels:
            point = self._to_point(area, 0, value, low, high)
            painter.drawText(QRectF(MARGIN, point.y() - line_height / 2, 36, line_height),
                             Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, f"{value:.2f}")
        painter.drawText(QRectF(area.left(), area.bottom() + 2, area.width(), line_height),
                         Qt.AlignmentFlag.AlignRight, f"token {self.visible_tokens()}")

    def _draw_series(self, painter: QPainter, area: QRectF, low: float, high: float) -> None:
        ramp_path = QPainterPath(self._to_point(area, 0, self.ramp[0], low, high))
        for index, value in enumerate(self.ramp[1 : self.visible_tokens()], start=1):
            ramp_path.lineTo(self._to_point(area, index, value, low, high))
        painter.setPen(QPen(RAMP_COLOR, 1.5, Qt.PenStyle.DashLine))
        painter.drawPath(ramp_path)
        if not self.points:
            return
        painter.setPen(QPen(AFTER_COLOR, 2.5))
        for index, value in self.points:
            painter.drawPoint(self._to_point(area, index, value, low, high))
        current = self._to_point(area, self.points[-1][0], self.points[-1][1], low, high)
        painter.setPen(QPen(AFTER_COLOR, 1, Qt.PenStyle.DotLine))
        painter.drawLine(QPointF(current.x(), area.top()), QPointF(current.x(), area.bottom()))


class MuseChartsPanel(QWidget):
    """Both charts, fed token by token and repainted on a timer at most every REFRESH_INTERVAL_MS."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.probabilities = ProbabilityChart()
        self.damp = DampChart()
        layout = QHBoxLayout(self)
        layout.addWidget(self.probabilities, 3)
        layout.addWidget(self.damp, 2)
        self._latest: TokenChartData | None = None
        self._dirty = False
        self.refresh_count = 0
        self._timer = QTimer(self)
        self._timer.setInterval(REFRESH_INTERVAL_MS)
        self._timer.timeout.connect(self._refresh)
        self._timer.start()

    def start(self, muse: MuseSettings | None, max_tokens: int) -> None:
        """Clear both charts for a new continuation."""
        self._latest = None
        self.probabilities.set_data(None)
        self.damp.set_plan(muse, max_tokens)
        self._dirty = False

    def push(self, data: TokenChartData) -> None:
        """Record one token; the charts show it at the next refresh."""
        self._latest = data
        self.damp.add_point(data.token_index, data.damp_factor)
        self._dirty = True

    def _refresh(self) -> None:
        if not self._dirty:
            return
        self._dirty = False
        self.refresh_count += 1
        self.probabilities.set_data(self._latest)
        self.damp.update()
