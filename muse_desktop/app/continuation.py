"""Continue, Stop and Regenerate: turns the writer's requests into generation jobs and streams the generated text into the editor."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from PySide6.QtCore import QObject, Signal

from muse_desktop.app.engine_host import EngineHost
from muse_desktop.app.engine_worker import GenerationJob, TokenChartData, next_job_id
from muse_desktop.app.mode_bar import INSTRUCTION_MODE, ModeBar
from muse_desktop.app.muse_charts import MuseChartsPanel
from muse_desktop.app.settings_panel import SettingsPanel
from muse_desktop.app.story_editor import StoryEditor
from muse_desktop.engine import GenerationResult

logger = logging.getLogger(__name__)


@dataclass
class _Running:
    job: GenerationJob
    position: int
    tokens: int = 0
    first_token_at: float | None = None


class ContinuationController(QObject):
    """Runs one continuation at a time into the editor.

    Signals:
        sig_progress(int, float, int): tokens so far, tokens per second and tokens in the context
            window, while streaming.
        sig_finished(object): the GenerationResult of a continuation that ended.
        sig_message(str): a one-line message for the status bar.
    """

    sig_progress = Signal(int, float, int)
    sig_finished = Signal(object)
    sig_message = Signal(str)

    def __init__(self, host: EngineHost, editor: StoryEditor, settings_panel: SettingsPanel,
                 mode_bar: ModeBar, charts: MuseChartsPanel) -> None:
        super().__init__(editor)
        self.host = host
        self.editor = editor
        self.settings_panel = settings_panel
        self.mode_bar = mode_bar
        self.charts = charts
        self.running: _Running | None = None
        self.last_job: GenerationJob | None = None
        self.last_result: GenerationResult | None = None
        host.worker.sig_token_generated.connect(self._on_token)
        host.worker.sig_generation_finished.connect(self._on_finished)
        host.worker.sig_generation_failed.connect(self._on_failed)

    def continue_story(self) -> bool:
        """Start a continuation at the insertion point; returns False with a message when it cannot."""
        if self.host.busy:
            return False
        position = self.editor.insertion_position()
        job = self._make_job(self.editor.text_before(position))
        if job is None:
            return False
        self._start(job, position)
        return True

    def regenerate(self) -> bool:
        """Replace the last continuation with a new one (a new seed unless the seed is fixed)."""
        if self.host.busy or self.last_job is None:
            return False
        position = self.editor.remove_continuation()
        if position is None:
            self.sig_message.emit("Nothing to regenerate: the last continuation was edited or undone.")
            return False
        job = self._make_job(self.last_job.text, self.last_job.instruction)
        if job is None:
            return False
        self._start(job, position)
        return True

    def stop(self) -> None:
        if self.running is not None:
            self.host.cancel()

    def _make_job(self, text: str, instruction: str | None = None) -> GenerationJob | None:
        """Build a job from the panel's settings; ``instruction`` None reads it from the mode bar."""
        settings = self.settings_panel.settings()
        if settings is None:
            self.sig_message.emit("Fix the sampler value marked in red before continuing.")
            return None
        if instruction is None:
            instruction = ""
            if self.mode_bar.mode() == INSTRUCTION_MODE:
                instruction = self.mode_bar.instruction.text().strip()
                if not instruction:
                    self.mode_bar.show_message("Write an instruction first, for example: Write a story about polar bears")
                    return None
        return GenerationJob(next_job_id(), text, instruction, settings)

    def _start(self, job: GenerationJob, position: int) -> None:
        self.running = _Running(job, position)
        self.last_job = job
        self.editor.setReadOnly(True)
        self.editor.begin_continuation(position)
        self.charts.start(job.settings.sampler.muse, job.settings.max_tokens)
        self.host.generate(job)
        self.sig_message.emit("Generating… press Esc to stop.")

    def _on_token(self, job_id: int, text: str, chart: TokenChartData | None, context_tokens: int) -> None:
        running = self.running
        if running is None or job_id != running.job.job_id:
            return
        now = time.perf_counter()
        if running.first_token_at is None:
            running.first_token_at = now
        running.tokens += 1
        self.editor.append_continuation(text)
        if chart is not None:
            self.charts.push(chart)
        elapsed = now - running.first_token_at
        tokens_per_second = (running.tokens - 1) / elapsed if elapsed > 0 else 0.0
        self.sig_progress.emit(running.tokens, tokens_per_second, context_tokens)

    def _on_finished(self, job_id: int, result: GenerationResult) -> None:
        if self.running is None or job_id != self.running.job.job_id:
            return
        self.running = None
        self.last_result = result
        self.editor.setReadOnly(False)
        self.settings_panel.show_last_seed(result.seed)
        logger.info("continuation %d finished: %s, %d tokens, %.1f tokens/s, seed %d",
                    job_id, result.finish_reason, result.generated_tokens, result.tokens_per_second, result.seed)
        self.sig_finished.emit(result)

    def _on_failed(self, job_id: int, message: str) -> None:
        if self.running is None or job_id != self.running.job.job_id:
            return
        self.running = None
        self.editor.setReadOnly(False)
        self.editor.forget_continuation()
        logger.warning("continuation %d failed: %s", job_id, message)
        self.sig_message.emit(message)
