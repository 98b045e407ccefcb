"""Saving, opening, autosave, crash recovery and what persists between sessions."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from app_support import close_window, continue_and_wait, data_dir, make_context, open_window, standin_model, type_story, window  # noqa: F401
from muse_desktop.app.autosave import AutosaveStore
from muse_desktop.app.story_file import StoryFileError, StoryMetadata, companion_path, read_story, write_story
from muse_desktop.app.writing_settings import PLAIN_PRESET, WritingSettings

STORY = "Snow fell on the harbour all night.\n\nIn the morning the boats were gone."


def save_as(window, path: Path) -> bool:
    window.documents.ask_save_path = lambda: path
    return window.documents.save_as()


def test_markdown_round_trip_keeps_settings(qtbot, window, tmp_path):
    window.settings_panel.preset_bar.choose("Plain sampling")
    window.settings_panel.max_tokens.setValue(5)
    type_story(window, STORY)
    result = continue_and_wait(qtbot, window)
    story_text = window.editor.toPlainText()

    assert save_as(window, tmp_path / "harbour.md")

    story = read_story(tmp_path / "harbour.md")
    assert story.text == story_text
    assert story.metadata.settings == WritingSettings(PLAIN_PRESET.sampler, max_tokens=5)
    assert story.metadata.last_seed == result.seed
    assert (tmp_path / "harbour.md").read_text(encoding="utf-8").startswith("---\nmuse_desktop: 1\n")
    assert not window.documents.modified


def test_text_file_gets_companion_settings(window, tmp_path):
    type_story(window, STORY)

    assert save_as(window, tmp_path / "harbour.txt")

    assert (tmp_path / "harbour.txt").read_text(encoding="utf-8") == STORY
    companion = json.loads(companion_path(tmp_path / "harbour.txt").read_text(encoding="utf-8"))
    assert companion["muse_desktop"] == 1
    assert companion["sampler"]["muse"]["top_k"] == 3


def test_open_applies_stored_settings(window, tmp_path):
    settings = WritingSettings(PLAIN_PRESET.sampler.with_changes(temperature=1.25, seed=42), max_tokens=77)
    write_story(tmp_path / "s.md", STORY, StoryMetadata(settings, last_seed=42, mode="instruction",
                                                       instruction="Write about boats"))

    assert window.documents.open_story(tmp_path / "s.md")

    assert window.editor.toPlainText() == STORY
    assert window.settings_panel.settings() == settings
    assert window.mode_bar.mode() == "instruction"
    assert window.mode_bar.instruction.text() == "Write about boats"
    assert "42" in window.settings_panel.last_seed.text()
    assert window.windowTitle().startswith("s.md")


def test_foreign_front_matter_stays_in_text(tmp_path):
    text = "---\ntitle: Harbour\n---\n\nSnow fell."
    (tmp_path / "other.md").write_text(text, encoding="utf-8")

    story = read_story(tmp_path / "other.md")

    assert story.text == text
    assert story.metadata is None


def test_invalid_front_matter_keeps_text(tmp_path):
    (tmp_path / "bad.md").write_text('---\nmuse_desktop: 1\nsampler: {"temperature": -3}\n---\n\nSnow.', encoding="utf-8")

    story = read_story(tmp_path / "bad.md")

    assert story.text == "Snow."
    assert story.metadata is None
    assert "temperature" in story.metadata_problem


@pytest.mark.parametrize("content, expected", [
    (b"\xff\xfeSnow", "not UTF-8"),
    (None, "not found"),
])
def test_unreadable_story_raises_clear_error(tmp_path, content, expected):
    path = tmp_path / "story.txt"
    if content is not None:
        path.write_bytes(content)

    with pytest.raises(StoryFileError, match=expected):
        read_story(path)


def test_open_error_keeps_current_story(window, tmp_path):
    (tmp_path / "latin1.txt").write_bytes("Schnee fiel über den Hafen".encode("latin-1"))
    messages = []
    window.documents.show_error = messages.append
    type_story(window, STORY)
    window.documents.ask_unsaved_changes = lambda: "discard"

    assert not window.documents.open_story(tmp_path / "latin1.txt")

    assert window.editor.toPlainText() == STORY
    assert "not UTF-8" in messages[0]


def test_save_failure_keeps_text_and_explains(window, tmp_path):
    messages = []
    window.documents.show_error = messages.append
    type_story(window, STORY)

    (tmp_path / "blocker").write_text("a file, not a folder")
    assert not save_as(window, tmp_path / "blocker" / "story.md")

    assert window.editor.toPlainText() == STORY
    assert window.documents.modified
    assert "cannot save" in messages[-1]


def test_recent_files_remembered(window, tmp_path):
    type_story(window, STORY)
    save_as(window, tmp_path / "a.md")
    save_as(window, tmp_path / "b.md")

    assert window.documents.recent_files()[:2] == [str(tmp_path / "b.md"), str(tmp_path / "a.md")]
    assert [action.text() for action in window.recent_menu.actions()][:2] == [str(tmp_path / "b.md"), str(tmp_path / "a.md")]


def test_autosave_recovery_after_crash(qtbot, data_dir, standin_model):
    context = make_context(data_dir, standin_model, autosave_interval_ms=100)
    first = open_window(qtbot, context)
    first.settings_panel.temperature.setValue(1.4)
    type_story(first, STORY)
    autosave_path = AutosaveStore(data_dir).path
    qtbot.waitUntil(autosave_path.exists, timeout=5_000)

    first._closed = True  # a crash: no close handling, so the autosave stays
    first.host.stop()
    first.close()

    second_context = make_context(data_dir, standin_model)
    second = open_window(qtbot, second_context, restore=True)

    assert second.editor.toPlainText() == STORY
    assert second.documents.modified
    assert second.settings_panel.settings().sampler.temperature == pytest.approx(1.4)
    close_window(second)
    assert not autosave_path.exists()


def test_declined_restore_removes_autosave(qtbot, data_dir, standin_model):
    store = AutosaveStore(data_dir)
    store.write("Lost words", None, StoryMetadata(WritingSettings()))
    context = make_context(data_dir, standin_model)

    window = open_window(qtbot, context)  # answers No to the restore question

    assert window.editor.toPlainText() == ""
    assert not store.path.exists()
    close_window(window)


def test_corrupt_autosave_moved_aside(data_dir):
    store = AutosaveStore(data_dir)
    store.path.write_text("{not json", encoding="utf-8")

    assert store.read() is None
    assert store.path.with_suffix(".corrupt").read_text(encoding="utf-8") == "{not json"


def test_quit_with_changes_can_be_cancelled(qtbot, window):
    type_story(window, STORY)
    window.documents.ask_unsaved_changes = lambda: "cancel"

    window.close()

    assert window.isVisible()
    assert not window._closed


def test_quit_with_changes_can_save(qtbot, window, tmp_path):
    type_story(window, STORY)
    window.documents.ask_unsaved_changes = lambda: "save"
    window.documents.ask_save_path = lambda: tmp_path / "kept"

    window.close()

    assert window._closed
    assert (tmp_path / "kept.md").is_file()
    assert read_story(tmp_path / "kept.md").text == STORY


def test_settings_and_model_persist(qtbot, data_dir, standin_model):
    first = open_window(qtbot, make_context(data_dir, standin_model))
    first.settings_panel.preset_bar.choose("Muse, no ramp")
    first.settings_panel.max_tokens.setValue(123)
    first.resize(700, 500)
    first.charts_dock.hide()
    close_window(first)

    second = open_window(qtbot, make_context(data_dir, standin_model))

    assert second.size().width() == 700
    assert second.size().height() == 500
    assert second.charts_dock.isHidden()

    assert second.settings_panel.settings().max_tokens == 123
    assert second.settings_panel.settings().sampler.muse.damp_ramp_tokens == 0
    assert second.model_spec == str(standin_model)
    close_window(second)


def test_damaged_stored_settings_are_ignored(qtbot, data_dir, standin_model):
    context = make_context(data_dir, standin_model)
    context.settings.setValue("model/n_gpu_layers", "many")
    context.settings.setValue("sampler/last", "{not json")

    window = open_window(qtbot, context)

    assert window.settings_panel.preset_bar.current_name() == "Muse"
    assert window.settings_panel.settings() is not None
    close_window(window)


KILLED_SESSION = """
import os, signal, sys
from pathlib import Path
from PySide6.QtWidgets import QApplication
from muse_desktop.app.context import AppContext
from muse_desktop.app.main_window import MainWindow

app = QApplication([])
context = AppContext.create(Path(sys.argv[1]), autosave_interval_ms=100)
window = MainWindow(context)
window.show()
window.editor.setPlainText(sys.argv[2])
window.editor.document().setModified(True)
while not context.autosave.path.exists():
    app.processEvents()
os.kill(os.getpid(), signal.SIGKILL)
"""


def test_restore_after_kill(qtbot, data_dir, standin_model):
    environment = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    killed = subprocess.run([sys.executable, "-c", KILLED_SESSION, str(data_dir), STORY],
                            env=environment, timeout=120, capture_output=True)
    assert killed.returncode == -9

    window = open_window(qtbot, make_context(data_dir, standin_model), restore=True)

    assert window.editor.toPlainText() == STORY
    assert window.documents.modified
    close_window(window)
