"""New, Open, Save, Save As, recent files, autosave and crash recovery for the one open story."""

from __future__ import annotations

import datetime
import logging
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

from muse_desktop.app.context import AppContext
from muse_desktop.app.story_editor import StoryEditor
from muse_desktop.app.story_file import StoryFileError, StoryMetadata, read_story, write_story

logger = logging.getLogger(__name__)

MAX_RECENT_FILES = 8
FILE_FILTER = "Stories (*.md *.markdown *.txt);;All files (*)"
SAVE = "save"
DISCARD = "discard"
CANCEL = "cancel"


class DocumentController(QObject):
    """Tracks the story's file and unsaved changes, and keeps an autosave while there are any.

    The dialogs are methods (``ask_open_path``, ``ask_save_path``, ``ask_unsaved_changes``,
    ``ask_restore``, ``show_error``) so that tests can replace them.

    Signals:
        sig_metadata_loaded(StoryMetadata): a story or an autosave came with settings to apply.
        sig_title_changed(str): the window title to show.
        sig_recent_files_changed(list): paths, newest first.
    """

    sig_metadata_loaded = Signal(object)
    sig_title_changed = Signal(str)
    sig_recent_files_changed = Signal(list)

    def __init__(self, context: AppContext, editor: StoryEditor, metadata: Callable[[], StoryMetadata],
                 parent_widget: QWidget) -> None:
        super().__init__(parent_widget)
        self.context = context
        self.editor = editor
        self.metadata = metadata
        self.parent_widget = parent_widget
        self.path: Path | None = None
        self.autosave_timer = QTimer(self)
        self.autosave_timer.setInterval(context.autosave_interval_ms)
        self.autosave_timer.timeout.connect(self.autosave_now)
        self.autosave_timer.start()
        self._autosave_pending = False
        editor.document().contentsChanged.connect(self._on_contents_changed)
        editor.document().modificationChanged.connect(lambda _modified: self.update_title())

    @property
    def modified(self) -> bool:
        return self.editor.document().isModified()

    def new_story(self) -> bool:
        if not self.confirm_discard():
            return False
        self._set_text("", None)
        self.context.autosave.clear()
        return True

    def open_story(self, path: Path | None = None) -> bool:
        if not self.confirm_discard():
            return False
        path = path or self.ask_open_path()
        if path is None:
            return False
        try:
            story = read_story(path)
        except StoryFileError as error:
            self.show_error(str(error))
            return False
        self._set_text(story.text, path)
        self.context.autosave.clear()
        self._remember_recent(path)
        if story.metadata is not None:
            self.sig_metadata_loaded.emit(story.metadata)
        if story.metadata_problem:
            self.show_error(f"{path.name} was opened, but {story.metadata_problem}")
        logger.info("opened %s", path)
        return True

    def save(self) -> bool:
        if self.path is None:
            return self.save_as()
        return self._write(self.path)

    def save_as(self) -> bool:
        path = self.ask_save_path()
        if path is None:
            return False
        if not path.suffix:
            path = path.with_suffix(".md")
        return self._write(path)

    def confirm_discard(self) -> bool:
        """Return whether the current story may be replaced, saving it first if the writer chooses Save."""
        if not self.modified:
            return True
        answer = self.ask_unsaved_changes()
        if answer == SAVE:
            return self.save()
        return answer == DISCARD

    def discard_autosave(self) -> None:
        """Remove the autosave once the writer chose to save or discard, as at a clean exit."""
        self.context.autosave.clear()

    def autosave_now(self) -> None:
        if not self._autosave_pending or not self.modified:
            return
        try:
            self.context.autosave.write(self.editor.toPlainText(), self.path, self.metadata())
        except OSError as error:
            logger.error("autosave to %s failed: %s", self.context.autosave.path, error)
            return
        self._autosave_pending = False

    def offer_restore(self) -> bool:
        """Offer the autosave of a session that ended without saving; return True if restored."""
        snapshot = self.context.autosave.read()
        if snapshot is None:
            return False
        when = datetime.datetime.fromtimestamp(snapshot.saved_at).strftime("%Y-%m-%d %H:%M")
        if not self.ask_restore(snapshot.path, when, len(snapshot.text)):
            self.context.autosave.clear()
            logger.info("autosave from %s discarded by the writer", when)
            return False
        self._set_text(snapshot.text, Path(snapshot.path) if snapshot.path else None)
        self.editor.document().setModified(True)
        self._autosave_pending = True
        self.sig_metadata_loaded.emit(snapshot.metadata)
        logger.info("restored autosave from %s (%d characters)", when, len(snapshot.text))
        return True

    def recent_files(self) -> list[str]:
        stored = self.context.settings.value("recent_files", [])
        if isinstance(stored, str):
            stored = [stored]
        return [path for path in stored if isinstance(path, str)][:MAX_RECENT_FILES]

    # Dialogs, replaced in tests.

    def ask_open_path(self) -> Path | None:
        name, _ = QFileDialog.getOpenFileName(self.parent_widget, "Open story", self._dialog_folder(), FILE_FILTER)
        return Path(name) if name else None

    def ask_save_path(self) -> Path | None:
        suggested = str(self.path) if self.path else str(Path(self._dialog_folder()) / "story.md")
        name, _ = QFileDialog.getSaveFileName(self.parent_widget, "Save story", suggested, FILE_FILTER)
        return Path(name) if name else None

    def ask_unsaved_changes(self) -> str:
        buttons = QMessageBox.StandardButton
        answer = QMessageBox.question(
            self.parent_widget, "Unsaved changes", f"Save the changes to {self.display_name()}?",
            buttons.Save | buttons.Discard | buttons.Cancel, buttons.Save,
        )
        return {buttons.Save: SAVE, buttons.Discard: DISCARD}.get(answer, CANCEL)

    def ask_restore(self, path: str | None, when: str, characters: int) -> bool:
        name = Path(path).name if path else "an unsaved story"
        answer = QMessageBox.question(
            self.parent_widget, "Restore unsaved story",
            f"Muse Desktop did not close normally. Restore the unsaved changes to {name} "
            f"({characters} characters, autosaved {when})?",
        )
        return answer == QMessageBox.StandardButton.Yes

    def show_error(self, message: str) -> None:
        QMessageBox.warning(self.parent_widget, "Muse Desktop", message)

    def display_name(self) -> str:
        return self.path.name if self.path else "Untitled"

    def _write(self, path: Path) -> bool:
        try:
            write_story(path, self.editor.toPlainText(), self.metadata())
        except StoryFileError as error:
            self.show_error(f"{error}. The story is still open; try Save As with another folder.")
            return False
        self.path = path
        self.editor.document().setModified(False)
        self.context.autosave.clear()
        self._autosave_pending = False
        self._remember_recent(path)
        self.update_title()
        return True

    def _set_text(self, text: str, path: Path | None) -> None:
        self.editor.setPlainText(text)
        cursor = self.editor.textCursor()
        cursor.movePosition(cursor.MoveOperation.End)
        self.editor.setTextCursor(cursor)
        self.editor.document().setModified(False)
        self.path = path
        self._autosave_pending = False
        self.update_title()

    def _remember_recent(self, path: Path) -> None:
        recent = [str(path)] + [item for item in self.recent_files() if item != str(path)]
        recent = recent[:MAX_RECENT_FILES]
        self.context.settings.setValue("recent_files", recent)
        self.sig_recent_files_changed.emit(recent)

    def _dialog_folder(self) -> str:
        if self.path is not None:
            return str(self.path.parent)
        recent = self.recent_files()
        return str(Path(recent[0]).parent) if recent else str(Path.home())

    def _on_contents_changed(self) -> None:
        self._autosave_pending = True

    def update_title(self) -> None:
        marker = "*" if self.modified else ""
        self.sig_title_changed.emit(f"{marker}{self.display_name()} – Muse Desktop")
