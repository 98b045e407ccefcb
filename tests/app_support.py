"""Fixtures for the app tests: a stand-in model, an isolated data folder and a started main window."""

from __future__ import annotations

from pathlib import Path

import pytest

from muse_desktop.app.context import AppContext
from muse_desktop.app.main_window import MainWindow
from standin_models import build_gptneox_model

LOAD_TIMEOUT_MS = 60_000
GENERATION_TIMEOUT_MS = 120_000


@pytest.fixture(scope="session")
def standin_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 28 MB gptneox model with random weights; its text is noise, but every code path is real."""
    return build_gptneox_model(tmp_path_factory.mktemp("models") / "standin.gguf")


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    folder.mkdir()
    return folder


def make_context(data_dir: Path, model: Path, autosave_interval_ms: int = 60_000) -> AppContext:
    context = AppContext.create(data_dir, autosave_interval_ms=autosave_interval_ms)
    context.settings.setValue("model/spec", str(model))
    return context


def open_window(qtbot, context: AppContext, answer_unsaved: str = "discard", restore: bool = False) -> MainWindow:
    """Show a main window on ``context`` and wait for its model; dialogs get the given replies."""
    window = MainWindow(context)
    window.documents.ask_unsaved_changes = lambda: answer_unsaved
    window.documents.ask_restore = lambda path, when, characters: restore
    window.documents.show_error = lambda message: pytest.fail(f"unexpected error dialog: {message}")
    qtbot.addWidget(window)
    window.show()
    window.start()
    # Waiting on the main window's state, not on the worker's signal: pytest-qt's waitSignal on a
    # signal emitted from another thread stops its timer from that thread.
    qtbot.waitUntil(lambda: window.model_info is not None, timeout=LOAD_TIMEOUT_MS)
    return window


@pytest.fixture
def window(qtbot, data_dir: Path, standin_model: Path):
    main_window = open_window(qtbot, make_context(data_dir, standin_model))
    yield main_window
    close_window(main_window)


@pytest.fixture
def embedded_window(qtbot, data_dir: Path):
    """A main window on the embedded SmolLM2 model, for checks that need a trained model."""
    from muse_desktop.models.embedded import embedded_model_path

    main_window = open_window(qtbot, make_context(data_dir, embedded_model_path()))
    yield main_window
    close_window(main_window)


def close_window(window: MainWindow) -> None:
    """Close ``window`` discarding changes, so that its engine thread always stops."""
    window.documents.ask_unsaved_changes = lambda: "discard"
    window.close()
    window.host.stop()


def type_story(window: MainWindow, text: str) -> None:
    """Replace the story with ``text``, as if typed: the cursor at its end, the document modified."""
    window.editor.setPlainText(text)
    window.editor.document().setModified(True)
    cursor = window.editor.textCursor()
    cursor.movePosition(cursor.MoveOperation.End)
    window.editor.setTextCursor(cursor)


def continue_and_wait(qtbot, window: MainWindow, trigger=None):
    """Run one continuation (Continue by default) and return its GenerationResult."""
    with qtbot.waitSignal(window.continuation.sig_finished, timeout=GENERATION_TIMEOUT_MS) as blocker:
        started = (trigger or window.continue_action.trigger)()
        assert started is not False
    return blocker.args[0]
