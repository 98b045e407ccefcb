"""Threads and shutdown: closing mid-generation, a responsive GUI, model load failures."""

from __future__ import annotations

import time

from PySide6.QtCore import QTimer, qInstallMessageHandler

from app_support import (  # noqa: F401
    GENERATION_TIMEOUT_MS,
    close_window,
    data_dir,
    make_context,
    open_window,
    standin_model,
    type_story,
    window,
)
from muse_desktop.app.main_window import MainWindow

STORY = "Rain on the tin roof, and then"


def test_close_during_generation_stops_thread(qtbot, window):
    messages = []
    previous = qInstallMessageHandler(lambda _mode, _context, message: messages.append(message))
    try:
        window.settings_panel.max_tokens.setValue(5000)
        type_story(window, STORY)
        window.continue_action.trigger()
        qtbot.waitUntil(lambda: window.continuation.running is not None and window.continuation.running.tokens > 2,
                        timeout=GENERATION_TIMEOUT_MS)

        started = time.perf_counter()
        window.close()
        closing_seconds = time.perf_counter() - started
    finally:
        qInstallMessageHandler(previous)

    assert window._closed
    assert window.host.thread.isFinished()
    assert closing_seconds < 10
    assert not [message for message in messages if "Destroyed while thread" in message]


def test_close_while_model_loads(qtbot, data_dir, standin_model):
    window = MainWindow(make_context(data_dir, standin_model))
    qtbot.addWidget(window)
    window.show()
    window.start()

    window.close()

    assert window.host.thread.isFinished()


def test_event_loop_runs_between_tokens(qtbot, window):
    """The GUI thread keeps handling timer events while tokens stream in from the worker.

    The gap between ticks is a speed figure, measured by benchmarks/app_event_loop.py. This test
    checks only that ticks and tokens interleave, so it fails if generation blocks the GUI thread.
    """
    window.settings_panel.max_tokens.setValue(60)
    type_story(window, STORY)
    ticks = []
    ticks_at_token = []
    timer = QTimer()
    timer.setInterval(5)
    timer.timeout.connect(lambda: ticks.append(1))
    window.continuation.sig_progress.connect(lambda *_: ticks_at_token.append(len(ticks)))

    timer.start()
    with qtbot.waitSignal(window.continuation.sig_finished, timeout=GENERATION_TIMEOUT_MS):
        window.continue_action.trigger()
    timer.stop()

    assert len(ticks_at_token) > 10
    assert len(set(ticks_at_token)) > 1, "no timer event ran between two tokens"


def test_missing_model_file_is_explained(qtbot, data_dir, tmp_path):
    window = MainWindow(make_context(data_dir, tmp_path / "gone.gguf"))
    qtbot.addWidget(window)
    window.show()
    window.start()

    assert "not found" in window.model_panel.notice.text()
    assert not window.continue_action.isEnabled()
    close_window(window)


def test_invalid_model_file_is_explained(qtbot, data_dir, tmp_path):
    fake = tmp_path / "notes.gguf"
    fake.write_text("these are my notes, not a model", encoding="utf-8")
    window = MainWindow(make_context(data_dir, fake))
    qtbot.addWidget(window)
    window.show()

    window.start()
    qtbot.waitUntil(lambda: not window.model_panel.notice.isHidden(), timeout=GENERATION_TIMEOUT_MS)

    assert "notes.gguf" in window.model_panel.notice.text()
    assert "not a GGUF model" in window.model_panel.notice.text()
    assert not window.continue_action.isEnabled()
    close_window(window)


def test_model_panel_shows_model(window):
    info = window.model_info

    assert info.architecture == "gptneox"
    assert "MB" in window.model_panel.details.text()
    assert str(info.n_ctx) in window.model_panel.details.text()
    assert "RedPajama" in window.model_panel.prompt_format.text()
    assert window.status.model.text() == info.name
    assert window.status.backend.text() == info.backend


def test_gpu_control_matches_build(window):
    panel = window.model_panel
    supported = window.context.build.gpu_offload_supported

    assert panel.gpu_mode.isEnabled() == supported
    if not supported:
        assert panel.load_options().n_gpu_layers == 0
        assert "cannot offload" in panel.gpu_mode.toolTip()


def test_gpu_layers_choices(window):
    panel = window.model_panel
    panel.gpu_mode.setCurrentIndex(1)
    panel.gpu_layers.setValue(12)
    assert panel.load_options().n_gpu_layers == 12
    panel.gpu_mode.setCurrentIndex(2)
    assert panel.load_options().n_gpu_layers == -1
    panel.gpu_mode.setCurrentIndex(0)
    assert panel.load_options().n_gpu_layers == 0
