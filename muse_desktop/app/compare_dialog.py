"""Compare: two continuations of the same text with the same seed, side by side; keep either one."""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from muse_desktop.app.engine_worker import GenerationJob, next_job_id
from muse_desktop.app.mode_bar import INSTRUCTION_MODE
from muse_desktop.app.presets import PresetStore
from muse_desktop.app.writing_settings import WritingSettings
from muse_desktop.engine import GenerationResult
from muse_desktop.sampling.settings import MAX_SEED

if TYPE_CHECKING:
    from muse_desktop.app.main_window import MainWindow

logger = logging.getLogger(__name__)

CURRENT_SETTINGS = "Current settings"


@dataclass
class _Side:
    """One column of the comparison."""

    preset: QComboBox
    output: QPlainTextEdit
    summary: QLabel
    keep: QPushButton
    job: GenerationJob | None = None
    result: GenerationResult | None = None


class CompareDialog(QDialog):
    """Generates two continuations from the insertion point with one shared seed and two settings.

    With a fixed seed in the settings panel both sides use it. Otherwise one random seed is
    drawn for the pair, so the only difference between the sides is the settings.
    """

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.main_window = window
        self.setWindowTitle("Compare continuations")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.resize(1000, 560)
        self.position = window.editor.insertion_position()
        self.text = window.editor.text_before(self.position)
        self.seed: int | None = None
        presets: PresetStore = window.context.presets
        self.sides = [self._make_side(presets, "Muse"), self._make_side(presets, "Plain sampling")]
        self.generate_button = QPushButton("Generate both")
        self.stop_button = QPushButton("Stop")
        self.message = QLabel()
        self.message.setWordWrap(True)
        self._build_layout()
        worker = window.host.worker
        worker.sig_token_generated.connect(self._on_token)
        worker.sig_generation_finished.connect(self._on_finished)
        worker.sig_generation_failed.connect(self._on_failed)
        self.generate_button.clicked.connect(self.generate)
        self.stop_button.clicked.connect(self.stop)
        for index, side in enumerate(self.sides):
            side.keep.clicked.connect(lambda _checked=False, chosen=index: self.keep(chosen))
        self._update_buttons()

    def _make_side(self, presets: PresetStore, default: str) -> _Side:
        combo = QComboBox()
        combo.addItem(CURRENT_SETTINGS)
        combo.addItems(presets.names())
        combo.setCurrentText(default)
        output = QPlainTextEdit()
        output.setReadOnly(True)
        output.setPlaceholderText("The continuation appears here.")
        summary = QLabel()
        keep = QPushButton("Keep this one")
        return _Side(combo, output, summary, keep)

    def _build_layout(self) -> None:
        grid = QGridLayout()
        for column, side in enumerate(self.sides):
            grid.addWidget(side.preset, 0, column)
            grid.addWidget(side.output, 1, column)
            grid.addWidget(side.summary, 2, column)
            grid.addWidget(side.keep, 3, column)
        buttons = QHBoxLayout()
        buttons.addWidget(self.generate_button)
        buttons.addWidget(self.stop_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("Both sides continue the same text from the cursor with the same seed."))
        layout.addLayout(grid, 1)
        layout.addWidget(self.message)
        layout.addLayout(buttons)

    def settings_for(self, side: _Side) -> WritingSettings | None:
        """Return the side's settings, with the maximum tokens of the settings panel on both sides."""
        current = self.main_window.settings_panel.settings()
        if current is None:
            return None
        name = side.preset.currentText()
        if name == CURRENT_SETTINGS:
            return current
        return replace(self.main_window.context.presets.get(name), max_tokens=current.max_tokens)

    def generate(self) -> None:
        """Start both continuations, one after the other, with one shared seed."""
        if self._running():
            return
        settings = [self.settings_for(side) for side in self.sides]
        if any(value is None for value in settings):
            self.message.setText("Fix the sampler value marked in red in the main window first.")
            return
        panel_settings = self.main_window.settings_panel.settings()
        fixed = panel_settings.sampler.seed if panel_settings is not None else None
        self.seed = fixed if fixed is not None else secrets.randbelow(MAX_SEED + 1)
        instruction = self._instruction()
        if instruction is None:
            return
        for side, side_settings in zip(self.sides, settings):
            side.output.clear()
            side.summary.clear()
            side.result = None
            side.job = GenerationJob(next_job_id(), self.text, instruction, side_settings.with_seed(self.seed))
            self.main_window.host.generate(side.job)
        self.message.setText(f"Generating with seed {self.seed}…")
        self._update_buttons()

    def _instruction(self) -> str | None:
        mode_bar = self.main_window.mode_bar
        if mode_bar.mode() != INSTRUCTION_MODE:
            return ""
        instruction = mode_bar.instruction.text().strip()
        if not instruction:
            self.message.setText("Write an instruction in the main window first, or switch to story mode.")
            return None
        return instruction

    def stop(self) -> None:
        ids = [side.job.job_id for side in self.sides if side.job is not None and side.result is None]
        if ids:
            self.main_window.host.cancel_jobs(ids)

    def keep(self, index: int) -> None:
        """Insert one side's text into the story as a continuation that one Undo removes."""
        side = self.sides[index]
        text = side.output.toPlainText()
        if self._running() or not text:
            return
        editor = self.main_window.editor
        editor.begin_continuation(self.position)
        editor.append_continuation(text)
        self.main_window.continuation.last_job = side.job
        logger.info("kept the %s side of the comparison (%d characters)", ("left", "right")[index], len(text))
        self.close()

    def _side_for(self, job_id: int) -> _Side | None:
        return next((side for side in self.sides if side.job is not None and side.job.job_id == job_id), None)

    def _on_token(self, job_id: int, text: str, _chart, _context_tokens: int) -> None:
        side = self._side_for(job_id)
        if side is not None:
            side.output.moveCursor(side.output.textCursor().MoveOperation.End)
            side.output.insertPlainText(text)

    def _on_finished(self, job_id: int, result: GenerationResult) -> None:
        side = self._side_for(job_id)
        if side is None:
            return
        side.result = result
        side.summary.setText(f"{result.generated_tokens} tokens, {result.finish_reason}, seed {result.seed}")
        if not self._running():
            self.message.setText(f"Done. Both sides used seed {self.seed}.")
        self._update_buttons()

    def _on_failed(self, job_id: int, message: str) -> None:
        side = self._side_for(job_id)
        if side is None:
            return
        side.job = None
        side.summary.setText(message)
        self._update_buttons()

    def _running(self) -> bool:
        return any(side.job is not None and side.result is None for side in self.sides)

    def _update_buttons(self) -> None:
        running = self._running()
        self.generate_button.setEnabled(not running)
        self.stop_button.setEnabled(running)
        for side in self.sides:
            side.keep.setEnabled(not running and side.result is not None and bool(side.output.toPlainText()))

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt naming)
        self.stop()
        worker = self.main_window.host.worker
        worker.sig_token_generated.disconnect(self._on_token)
        worker.sig_generation_finished.disconnect(self._on_finished)
        worker.sig_generation_failed.disconnect(self._on_failed)
        super().closeEvent(event)
