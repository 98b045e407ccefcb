"""The model manager window against the real model library and a local Hub on 127.0.0.1."""

from __future__ import annotations


import pytest

from app_support import GENERATION_TIMEOUT_MS, close_window, make_context, open_window  # noqa: F401
from models_testing import DEFAULT_ID, hub, library, standin_bytes  # noqa: F401
from muse_desktop.app.model_manager import ModelManagerDialog, describe_progress, format_duration
from muse_desktop.models.embedded import EMBEDDED_MODEL_ID
from muse_desktop.models.progress import VERIFYING, DownloadProgress


@pytest.fixture
def manager(qtbot, library):
    dialog = ModelManagerDialog(library)
    qtbot.addWidget(dialog)
    dialog.show()
    yield dialog
    dialog.close()


def row_of(dialog: ModelManagerDialog, model_id: str) -> int:
    return [entry.id for entry in dialog.entries].index(model_id)


def state_of(dialog: ModelManagerDialog, model_id: str) -> str:
    return dialog.table.item(row_of(dialog, model_id), 2).text()


def test_manager_lists_catalog(manager):
    ids = [entry.id for entry in manager.entries]

    assert EMBEDDED_MODEL_ID in ids
    assert DEFAULT_ID in ids
    assert state_of(manager, EMBEDDED_MODEL_ID) == "ready"
    assert state_of(manager, DEFAULT_ID) == "not downloaded"
    assert manager.table.rowCount() == len(ids)


def test_embedded_model_cannot_be_removed(manager):
    manager.select(EMBEDDED_MODEL_ID)

    assert manager.use_button.isEnabled()
    assert not manager.remove_button.isEnabled()
    assert not manager.download_button.isEnabled()


def test_download_shows_progress_then_ready(qtbot, manager):
    manager.select(DEFAULT_ID)
    reports = []
    manager.downloads.worker.sig_progress.connect(lambda _model, progress: reports.append(progress))

    manager.download_button.click()
    assert manager.cancel_button.isEnabled()
    assert not manager.progress.isHidden()
    qtbot.waitUntil(lambda: manager.downloading is None, timeout=GENERATION_TIMEOUT_MS)

    assert reports
    assert reports[-1].downloaded_bytes == reports[-1].total_bytes
    assert state_of(manager, DEFAULT_ID) == "ready"
    assert manager.progress.isHidden()
    assert "Downloaded" in manager.message.text()


def test_cancel_download_keeps_partial(qtbot, manager, hub, standin_bytes):
    from models_testing import FILENAME, REPOSITORY

    hosted = hub.add_file(REPOSITORY, FILENAME, standin_bytes, stall_after_bytes=2_000_000)
    manager.select(DEFAULT_ID)

    manager.download_button.click()
    qtbot.waitUntil(lambda: "Downloading" in manager.progress_label.text(), timeout=GENERATION_TIMEOUT_MS)
    manager.cancel_button.click()
    qtbot.waitUntil(lambda: manager.downloading is None, timeout=GENERATION_TIMEOUT_MS)
    hosted.release.set()

    assert "cancelled" in manager.message.text()
    assert state_of(manager, DEFAULT_ID) == "partly downloaded"
    assert manager.download_button.text() == "Resume download"


def test_import_and_forget_gguf(manager, tmp_path, standin_bytes):
    path = tmp_path / "my-model.gguf"
    path.write_bytes(standin_bytes)
    manager.confirm_remove = lambda entry: True

    manager.import_file(path)

    imported = manager.selected_entry()
    assert imported.source == "imported"
    assert imported.path == path
    assert state_of(manager, imported.id) == "ready"

    manager.remove_selected()
    assert imported.id not in [entry.id for entry in manager.entries]
    assert path.exists()


def test_import_rejects_text_file(manager, tmp_path):
    path = tmp_path / "notes.gguf"
    path.write_text("not a model", encoding="utf-8")

    manager.import_file(path)

    assert "Could not import notes.gguf" in manager.message.text()
    assert all(entry.source != "imported" for entry in manager.entries)


def open_window_with_library(qtbot, tmp_path, library, standin_bytes):
    """Open the main window on a copy of the stand-in model, with ``library`` as its model library."""
    model = tmp_path / "standin.gguf"
    model.write_bytes(standin_bytes)
    context = make_context(tmp_path / "data", model)
    context.library = library
    return open_window(qtbot, context)


def test_use_model_loads_it_in_main_window(qtbot, tmp_path, library, standin_bytes):
    window = open_window_with_library(qtbot, tmp_path, library, standin_bytes)
    window.open_model_manager()
    dialog = window.model_manager
    dialog.select(EMBEDDED_MODEL_ID)

    dialog.use_button.click()
    qtbot.waitUntil(lambda: window.model_info.architecture == "llama", timeout=GENERATION_TIMEOUT_MS)

    assert window.model_spec == EMBEDDED_MODEL_ID
    close_window(window)
    assert not dialog.downloads.thread.isRunning()


def test_close_window_during_download(qtbot, tmp_path, library, hub, standin_bytes):
    from models_testing import FILENAME, REPOSITORY

    hosted = hub.add_file(REPOSITORY, FILENAME, standin_bytes, stall_after_bytes=1_000_000)
    window = open_window_with_library(qtbot, tmp_path, library, standin_bytes)
    window.open_model_manager()
    dialog = window.model_manager
    dialog.select(DEFAULT_ID)
    dialog.download_button.click()
    qtbot.waitUntil(lambda: "Downloading" in dialog.progress_label.text(), timeout=GENERATION_TIMEOUT_MS)

    window.close()
    hosted.release.set()

    assert window._closed
    assert dialog.downloads.thread.isFinished()
    assert window.host.thread.isFinished()


@pytest.mark.parametrize("seconds, text", [(None, "time left unknown"), (42.4, "42 s left"),
                                           (125, "2 min 05 s left"), (7300, "2 h 01 min left")])
def test_format_duration(seconds, text):
    assert format_duration(seconds) == text


def test_describe_progress():
    line = describe_progress(DownloadProgress(12_000_000, 98_100_000, 2_300_000.0, 37.0))

    assert line == "Downloading: 12.0 MB of 98.1 MB, 2.3 MB/s, 37 s left"
    assert describe_progress(DownloadProgress(1, 2, 0.0, None, VERIFYING)).startswith("Checking")
