"""Starts the engine worker on its own QThread and stops it cleanly."""

from __future__ import annotations

import logging

from PySide6.QtCore import QCoreApplication, QObject, Qt, QThread, Signal

from muse_desktop.app.engine_worker import EngineWorker, GenerationJob
from muse_desktop.engine import LoadOptions

logger = logging.getLogger(__name__)

# How long closing the window waits for the worker; one token and freeing the model take far less.
STOP_TIMEOUT_MS = 30_000


class EngineHost(QObject):
    """Owns the worker thread. Requests go to the worker as queued signals, in order.

    Signals:
        sig_load_requested(str, LoadOptions): queued to ``EngineWorker.load_model``.
        sig_generate_requested(GenerationJob): queued to ``EngineWorker.generate``.
        sig_shutdown_requested(): queued to ``EngineWorker.shutdown``.
        sig_busy_changed(bool): generations started or all finished.
    """

    sig_busy_changed = Signal(bool)
    sig_load_requested = Signal(str, object)
    sig_generate_requested = Signal(object)
    sig_shutdown_requested = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.thread = QThread()
        self.thread.setObjectName("muse-engine")
        self.worker = EngineWorker()
        self.worker.moveToThread(self.thread)
        self.sig_load_requested.connect(self.worker.load_model)
        self.sig_generate_requested.connect(self.worker.generate)
        self.sig_shutdown_requested.connect(self.worker.shutdown)
        # Quit from the worker thread once the model is freed, so queued requests run first.
        self.worker.sig_stopped.connect(self.thread.quit, Qt.ConnectionType.DirectConnection)
        self.worker.sig_generation_finished.connect(self._on_job_done)
        self.worker.sig_generation_failed.connect(self._on_job_done)
        self._pending_jobs = 0
        self._stopped = False
        self.thread.start()
        application = QCoreApplication.instance()
        if application is not None:
            # A QThread destroyed while running aborts the process, whatever way the app quits.
            application.aboutToQuit.connect(self.stop)

    @property
    def busy(self) -> bool:
        """Whether a generation is queued or running."""
        return self._pending_jobs > 0

    def load(self, path: str, options: LoadOptions) -> None:
        self.sig_load_requested.emit(path, options)

    def generate(self, job: GenerationJob) -> None:
        self._pending_jobs += 1
        if self._pending_jobs == 1:
            self.sig_busy_changed.emit(True)
        self.sig_generate_requested.emit(job)

    def _on_job_done(self, _job_id: int, _payload: object) -> None:
        self._pending_jobs = max(0, self._pending_jobs - 1)
        if self._pending_jobs == 0:
            self.sig_busy_changed.emit(False)

    def cancel(self) -> None:
        self.worker.cancel()

    def cancel_jobs(self, job_ids: list[int]) -> None:
        self.worker.cancel_jobs(job_ids)

    def stop(self) -> None:
        """Cancel any generation, free the model on the worker thread, and wait for the thread to end."""
        if self._stopped:
            return
        self._stopped = True
        self.worker.begin_shutdown()
        self.sig_shutdown_requested.emit()
        if not self.thread.wait(STOP_TIMEOUT_MS):
            logger.error("the engine thread did not stop within %d ms", STOP_TIMEOUT_MS)
            return
        logger.info("engine thread stopped")
