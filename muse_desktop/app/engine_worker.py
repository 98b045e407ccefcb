"""The worker that owns the loaded model and runs generations on its own QThread.

The GUI thread talks to it only through queued signals, except ``cancel()``, which only
calls the thread-safe ``Generation.cancel()``.
"""

from __future__ import annotations

import itertools
import logging
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, Signal, Slot

from muse_desktop.app.writing_settings import WritingSettings
from muse_desktop.engine import (
    Generation,
    GenerationRequest,
    LoadedModel,
    LoadOptions,
    ModelInfo,
    ModelLoadError,
    PromptError,
    PromptFormat,
    PromptTooLongError,
    TokenEvent,
)
from muse_desktop.models.gguf_file import InvalidGGUFError
from muse_desktop.sampling import InvalidLogitsError, SamplingTrace

logger = logging.getLogger(__name__)

# Candidates shown in the probability chart.
CHART_CANDIDATES = 8

CANCELLED_BEFORE_START = "Cancelled before it started."

_job_ids = itertools.count(1)


def next_job_id() -> int:
    """Return a new job id; ids are unique in the process so listeners can tell their jobs apart."""
    return next(_job_ids)


@dataclass(frozen=True)
class GenerationJob:
    """One continuation to generate.

    ``text`` is the story before the insertion point. An empty ``instruction`` continues the
    story as it is. Otherwise the instruction is sent in the model's chat format, and ``text``
    is the response written so far.
    """

    job_id: int
    text: str
    instruction: str
    settings: WritingSettings
    trace: bool = True


@dataclass(frozen=True)
class TokenChartData:
    """The Muse's effect on one token, with readable labels, for the charts."""

    token_index: int
    damp_factor: float
    labels: tuple[str, ...]
    probabilities_before: tuple[float, ...]
    probabilities_after: tuple[float, ...]
    chosen_label: str


def chart_rows(before: np.ndarray, after: np.ndarray, count: int) -> list[int]:
    """Pick the trace rows to chart: the most likely tokens before the Muse, then the most likely
    after it, ordered by the probability before.

    Taking both halves shows the tokens the Muse pushed down and the ones it lifted.
    """
    by_before = np.argsort(-np.asarray(before), kind="stable").tolist()
    by_after = np.argsort(-np.asarray(after), kind="stable").tolist()
    rows = by_before[: count // 2]
    for row in by_after + by_before:
        if len(rows) >= count:
            break
        if row not in rows:
            rows.append(row)
    return sorted(rows, key=lambda row: (-before[row], -after[row]))


class EngineWorker(QObject):
    """Loads models and generates text; lives on a worker QThread.

    Signals:
        sig_model_loaded(ModelInfo): a model finished loading.
        sig_model_load_failed(str): loading failed; the message is for the writer.
        sig_token_generated(int, str, object, int): job id, text released, TokenChartData or None,
            and the tokens now in the context window (prompt plus generated).
        sig_generation_finished(int, object): job id, GenerationResult.
        sig_generation_failed(int, str): job id, message for the writer.
        sig_stopped(): the model was freed after ``shutdown``.
    """

    sig_model_loaded = Signal(object)
    sig_model_load_failed = Signal(str)
    sig_token_generated = Signal(int, str, object, int)
    sig_generation_finished = Signal(int, object)
    sig_generation_failed = Signal(int, str)
    sig_stopped = Signal()

    def __init__(self) -> None:
        super().__init__()
        self._model: LoadedModel | None = None
        self._generation: Generation | None = None
        self._lock = threading.Lock()
        self._shutting_down = threading.Event()
        self._running_job_id: int | None = None
        self._cancelled_job_ids: set[int] = set()

    def cancel(self) -> None:
        """Stop the running generation before its next token; safe to call from any thread."""
        with self._lock:
            if self._generation is not None:
                self._generation.cancel()

    def cancel_jobs(self, job_ids: list[int]) -> None:
        """Stop these jobs whether running or still queued; safe to call from any thread."""
        with self._lock:
            self._cancelled_job_ids.update(job_ids)
            if self._generation is not None and self._running_job_id in self._cancelled_job_ids:
                self._generation.cancel()

    def begin_shutdown(self) -> None:
        """Cancel the running generation and skip queued jobs; safe to call from any thread."""
        self._shutting_down.set()
        self.cancel()

    @Slot(str, object)
    def load_model(self, path: str, options: LoadOptions) -> None:
        if self._shutting_down.is_set():
            return
        self._close_model()
        try:
            self._model = LoadedModel(Path(path), options)
        except (FileNotFoundError, InvalidGGUFError, ModelLoadError, ValueError) as error:
            logger.error("loading model %s failed: %s", path, error)
            self.sig_model_load_failed.emit(f"Could not load the model {Path(path).name}: {error}")
            return
        self.sig_model_loaded.emit(self._model.info)

    @Slot(object)
    def generate(self, job: GenerationJob) -> None:
        if self._shutting_down.is_set():
            return
        if self._model is None:
            self.sig_generation_failed.emit(job.job_id, "No model is loaded; choose one in the model manager.")
            return
        with self._lock:
            cancelled_before_start = job.job_id in self._cancelled_job_ids
            self._cancelled_job_ids.discard(job.job_id)
        if cancelled_before_start:
            self.sig_generation_failed.emit(job.job_id, CANCELLED_BEFORE_START)
            return
        try:
            generation = self._start(job)
            for event in generation:
                chart = self._chart_data(event) if event.trace is not None else None
                self.sig_token_generated.emit(job.job_id, event.text, chart, self._model.llama.n_tokens)
        except (PromptError, PromptTooLongError, ValueError) as error:
            self.sig_generation_failed.emit(job.job_id, str(error))
            return
        except (InvalidLogitsError, RuntimeError) as error:
            logger.exception("generation %d failed", job.job_id)
            self.sig_generation_failed.emit(job.job_id, f"Generation failed: {error}")
            return
        finally:
            with self._lock:
                self._generation = None
                self._running_job_id = None
                self._cancelled_job_ids.discard(job.job_id)
        self.sig_generation_finished.emit(job.job_id, generation.result)

    @Slot()
    def shutdown(self) -> None:
        """Free the model; connected so that it runs after any job already running."""
        self._close_model()
        self.sig_stopped.emit()

    def _start(self, job: GenerationJob) -> Generation:
        model = self._model
        if not job.instruction:
            prompt = model.build_prompt(PromptFormat.STORY, job.text)
        else:
            prompt = model.build_prompt(model.chat_format(), job.text, instruction=job.instruction)
        settings = job.settings
        request = GenerationRequest(prompt, settings.sampler, max_tokens=settings.max_tokens, trace=job.trace)
        generation = model.generate(request)
        with self._lock:
            self._generation = generation
            self._running_job_id = job.job_id
        if self._shutting_down.is_set():
            generation.cancel()
        logger.info("generation %d started (%s, max_tokens %d)", job.job_id,
                    "instruction" if job.instruction else "story", settings.max_tokens)
        return generation

    def _chart_data(self, event: TokenEvent) -> TokenChartData:
        trace: SamplingTrace = event.trace
        rows = chart_rows(trace.probabilities_before, trace.probabilities_after, CHART_CANDIDATES)
        return TokenChartData(
            token_index=trace.token_index,
            damp_factor=float(trace.damp_factor),
            labels=tuple(self._token_label(int(trace.token_ids[row])) for row in rows),
            probabilities_before=tuple(float(trace.probabilities_before[row]) for row in rows),
            probabilities_after=tuple(float(trace.probabilities_after[row]) for row in rows),
            chosen_label=self._token_label(event.token_id),
        )

    def _token_label(self, token_id: int) -> str:
        if token_id < 0:
            return ""
        return self._model.token_piece(token_id).decode("utf-8", errors="replace")

    def _close_model(self) -> None:
        if self._model is not None:
            self._model.close()
            self._model = None
