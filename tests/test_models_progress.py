"""Progress reports, the terminal progress bar, and the cancellable worker."""

from __future__ import annotations

import io
import threading
import time

import pytest

from muse_desktop.cli.progress_bar import TerminalProgressBar, format_duration, format_progress_line
from muse_desktop.models.background import WorkStopped, run_cancellable
from muse_desktop.models.errors import DownloadCancelledError
from muse_desktop.models.progress import DownloadProgress, ProgressMeter, format_bytes


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_meter_speed_and_time_left() -> None:
    clock = FakeClock()
    meter = ProgressMeter(total_bytes=1_000_000, clock=clock)

    first = meter.measure(200_000)
    clock.now += 2.0
    second = meter.measure(400_000)

    assert first.bytes_per_second == 0.0
    assert first.seconds_left is None
    assert second.bytes_per_second == pytest.approx(100_000.0)
    assert second.seconds_left == pytest.approx(6.0)
    assert second.fraction == pytest.approx(0.4)


def test_meter_forgets_old_samples() -> None:
    clock = FakeClock()
    meter = ProgressMeter(total_bytes=10_000_000, clock=clock)
    meter.measure(0)
    clock.now += 10.0
    meter.measure(1_000_000)  # 100 kB/s over the first 10 s
    clock.now += 1.0
    fast = meter.measure(2_000_000)  # then 1 MB in 1 s

    assert fast.bytes_per_second == pytest.approx(1_000_000.0)


@pytest.mark.parametrize(("size", "text"), [(512, "512 B"), (28_000, "28.0 kB"), (27_994_560, "28.0 MB"), (1_790_000_000, "1.79 GB")])
def test_format_bytes(size: int, text: str) -> None:
    assert format_bytes(size) == text


@pytest.mark.parametrize(("seconds", "text"), [(4.6, "5s"), (185, "3m05s"), (3720, "1h02m")])
def test_format_duration(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text


def test_progress_line() -> None:
    line = format_progress_line("model", DownloadProgress(895_000_000, 1_790_000_000, 12_300_000.0, 72.8))

    assert line == "model downloading   50%  [############------------]  895.0 MB / 1.79 GB  12.3 MB/s  1m13s left"


def test_bar_without_terminal_logs_each_tenth() -> None:
    stream = io.StringIO()
    bar = TerminalProgressBar(stream, "model", is_terminal=False)
    for done in range(0, 101, 5):
        bar(DownloadProgress(done, 100, 0.0, None))
    bar.finish()

    lines = stream.getvalue().splitlines()
    assert len(lines) == 11
    assert lines[-1].startswith("model downloading  100%")


def test_bar_on_terminal_redraws_one_line() -> None:
    stream = io.StringIO()
    bar = TerminalProgressBar(stream, "model", is_terminal=True)
    bar(DownloadProgress(10, 100, 0.0, None))
    bar(DownloadProgress(20, 100, 0.0, None))
    bar.finish()

    assert stream.getvalue().count("\r") == 2
    assert stream.getvalue().endswith("\n")
    assert stream.getvalue().count("\n") == 1


def test_run_cancellable_delivers_on_caller_thread() -> None:
    threads: list[str] = []

    def work(report, stop):
        report(DownloadProgress(1, 2, 0.0, None))
        return "done"

    result = run_cancellable(work, lambda progress: threads.append(threading.current_thread().name), None, name="test")

    assert result == "done"
    assert threads == [threading.current_thread().name]


def test_run_cancellable_raises_work_error() -> None:
    def work(report, stop):
        raise ValueError("broken")

    with pytest.raises(ValueError, match="broken"):
        run_cancellable(work, None, None, name="test")


def test_run_cancellable_returns_while_work_blocks() -> None:
    cancel = threading.Event()
    unblock = threading.Event()
    stopped = threading.Event()

    def work(report, stop):
        unblock.wait(10)  # a network read that cancel cannot interrupt
        if stop.is_set():
            stopped.set()
            raise WorkStopped

    threading.Timer(0.2, cancel.set).start()
    started = time.monotonic()
    with pytest.raises(DownloadCancelledError):
        run_cancellable(work, None, cancel, name="test")
    assert time.monotonic() - started < 1.2
    unblock.set()
    assert stopped.wait(5)
