"""Downloads and checks model files on a QThread, reporting progress through signals."""

from __future__ import annotations

import logging
import threading

from PySide6.QtCore import QObject, QThread, Signal, Slot

from muse_desktop.models.errors import DownloadCancelledError, ModelLibraryError
from muse_desktop.models.library import ModelLibrary
from muse_desktop.models.progress import DownloadProgress

logger = logging.getLogger(__name__)

STOP_TIMEOUT_MS = 10_000


class DownloadWorker(QObject):
    """Runs ``ModelLibrary.download`` for one model at a time.

    ``download`` of a model already on disk only verifies it, so "Use this model" goes through
    here too, which keeps a long hash check off the GUI thread.

    Signals:
        sig_progress(str, DownloadProgress): model id and a progress snapshot.
        sig_finished(str, str): model id and the path of the verified file.
        sig_failed(str, str): model id and a message for the writer.
        sig_cancelled(str): model id; the partial file is kept for a resume.
    """

    sig_progress = Signal(str, object)
    sig_finished = Signal(str, str)
    sig_failed = Signal(str, str)
    sig_cancelled = Signal(str)

    def __init__(self, library: ModelLibrary) -> None:
        super().__init__()
        self.library = library
        self.cancel_event = threading.Event()

    @Slot(str)
    def download(self, model_id: str) -> None:
        self.cancel_event.clear()
        logger.info("download of %s started", model_id)
        try:
            path = self.library.download(
                model_id, progress=lambda report: self.sig_progress.emit(model_id, report), cancel=self.cancel_event
            )
        except DownloadCancelledError as error:
            logger.info("download of %s cancelled: %s", model_id, error)
            self.sig_cancelled.emit(model_id)
            return
        except ModelLibraryError as error:
            logger.error("download of %s failed: %s", model_id, error)
            self.sig_failed.emit(model_id, str(error))
            return
        logger.info("download of %s finished: %s", model_id, path)
        self.sig_finished.emit(model_id, str(path))


class DownloadHost(QObject):
    """Owns the download thread; ``stop`` cancels the download and waits for the thread.

    Signals:
        sig_download_requested(str): queued to ``DownloadWorker.download``.
    """

    sig_download_requested = Signal(str)

    def __init__(self, library: ModelLibrary, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.thread = QThread()
        self.thread.setObjectName("muse-downloads")
        self.worker = DownloadWorker(library)
        self.worker.moveToThread(self.thread)
        self.sig_download_requested.connect(self.worker.download)
        self.thread.start()
        self._stopped = False

    def download(self, model_id: str) -> None:
        self.sig_download_requested.emit(model_id)

    def cancel(self) -> None:
        self.worker.cancel_event.set()

    def stop(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        self.cancel()
        self.thread.quit()
        if not self.thread.wait(STOP_TIMEOUT_MS):
            logger.error("the download thread did not stop within %d ms", STOP_TIMEOUT_MS)
