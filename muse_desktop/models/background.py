"""Running a long file task on a worker thread so that the caller can cancel it within a second.

huggingface_hub's `http_get` reads the body in 10 MiB chunks and only reports between chunks, so
on a slow connection a cancel flag checked in its progress hook can take many seconds to land.
Here the work runs on a daemon thread. The calling thread delivers the progress reports (so the
callback always runs on the caller's thread, a Qt worker thread included) and returns as soon
as the caller cancels. The work itself stops at its next progress report and then releases its
locks.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from typing import TypeVar

from muse_desktop.models.errors import DownloadCancelledError
from muse_desktop.models.progress import DownloadProgress, ProgressCallback

T = TypeVar("T")
Report = Callable[[DownloadProgress], None]

POLL_SECONDS = 0.1
# How long a cancelled call waits for the work to reach a stopping point before it returns anyway.
CANCEL_GRACE_SECONDS = 0.5

_FINISHED = object()


class WorkStopped(Exception):
    """Raised inside the work once the caller cancelled. By then run_cancellable has returned, so the caller never sees it."""


def run_cancellable(
    work: Callable[[Report, threading.Event], T],
    progress: ProgressCallback | None,
    cancel: threading.Event | None,
    *,
    name: str,
) -> T:
    """Run ``work(report, stop)`` on a worker thread and return its result.

    Raises DownloadCancelledError within POLL_SECONDS + CANCEL_GRACE_SECONDS of ``cancel`` being
    set. Any other exception of the work is raised here. An exception from ``progress``, or a
    KeyboardInterrupt, stops the work too.
    """
    stop = threading.Event()
    reports: queue.SimpleQueue[object] = queue.SimpleQueue()
    outcome: dict[str, object] = {}

    def target() -> None:
        try:
            outcome["value"] = work(reports.put, stop)
        except BaseException as error:  # handed to the calling thread below
            outcome["error"] = error
        finally:
            reports.put(_FINISHED)

    worker = threading.Thread(target=target, name=name, daemon=True)
    worker.start()
    try:
        _deliver_reports(reports, progress, cancel)
    except BaseException:
        stop.set()
        worker.join(CANCEL_GRACE_SECONDS)
        raise

    error = outcome.get("error")
    if error is not None:
        raise error  # type: ignore[misc]
    return outcome["value"]  # type: ignore[return-value]


def _deliver_reports(
    reports: queue.SimpleQueue[object], progress: ProgressCallback | None, cancel: threading.Event | None
) -> None:
    while True:
        try:
            item = reports.get(timeout=POLL_SECONDS)
        except queue.Empty:
            item = None
        if item is _FINISHED:
            return
        if cancel is not None and cancel.is_set():
            raise DownloadCancelledError("cancelled")
        if item is not None and progress is not None:
            progress(item)  # type: ignore[arg-type]
