"""The preset chooser with Save as, Rename and Delete."""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QInputDialog, QLabel, QPushButton, QVBoxLayout, QWidget

from muse_desktop.app.presets import PresetError, PresetStore
from muse_desktop.app.writing_settings import WritingSettings

logger = logging.getLogger(__name__)


class PresetBar(QWidget):
    """Lists presets; choosing one applies it, and the writer's own can be saved, renamed, deleted.

    Signals:
        sig_preset_chosen(WritingSettings): the writer picked a preset.
    """

    sig_preset_chosen = Signal(object)

    def __init__(self, store: PresetStore, current_settings: Callable[[], WritingSettings | None]) -> None:
        super().__init__()
        self.store = store
        self._current_settings = current_settings
        self.combo = QComboBox()
        self.combo.setToolTip("Named settings. Choosing one replaces every value below.")
        self.save_button = QPushButton("Save as…")
        self.rename_button = QPushButton("Rename…")
        self.delete_button = QPushButton("Delete")
        self.modified_label = QLabel()
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setStyleSheet("color: #b3261e;")
        self.message.hide()

        buttons = QHBoxLayout()
        for button in (self.save_button, self.rename_button, self.delete_button):
            buttons.addWidget(button)
        top = QHBoxLayout()
        top.addWidget(self.combo, 1)
        top.addWidget(self.modified_label)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addLayout(buttons)
        layout.addWidget(self.message)

        self._fill(self.store.names()[0])
        self.combo.activated.connect(self._on_activated)
        self.save_button.clicked.connect(self.save_current)
        self.rename_button.clicked.connect(self.rename_current)
        self.delete_button.clicked.connect(self.delete_current)

    def current_name(self) -> str:
        return self.combo.currentText()

    def choose(self, name: str) -> None:
        """Select ``name`` and apply its settings."""
        self.combo.setCurrentText(name)
        self._on_activated(self.combo.currentIndex())

    def mark_modified(self, settings: WritingSettings | None) -> None:
        """Show whether the controls differ from the selected preset."""
        try:
            same = settings is not None and self.store.get(self.current_name()) == settings
        except PresetError:
            same = False
        self.modified_label.setText("" if same else "(modified)")

    def save_current(self) -> None:
        settings = self._current_settings()
        if settings is None:
            self._show_message("Fix the values marked below before saving a preset.")
            return
        name = self.ask_name("Save preset", "Name of the new preset:", "")
        if name is None:
            return
        self._run(lambda: self._reload(self.store.save(name, settings)))

    def rename_current(self) -> None:
        old_name = self.current_name()
        if self.store.is_built_in(old_name):
            self._show_message(f"'{old_name}' is built in and cannot be renamed; use Save as… for a copy.")
            return
        name = self.ask_name("Rename preset", f"New name for '{old_name}':", old_name)
        if name is not None:
            self._run(lambda: self._reload(self.store.rename(old_name, name)))

    def delete_current(self) -> None:
        name = self.current_name()
        self._run(lambda: (self.store.delete(name), self._reload(self.store.names()[0])))

    def ask_name(self, title: str, label: str, default: str) -> str | None:
        """Ask for a preset name; returns None when the writer cancels."""
        name, accepted = QInputDialog.getText(self, title, label, text=default)
        return name if accepted else None

    def _run(self, action: Callable[[], object]) -> None:
        try:
            action()
        except PresetError as error:
            self._show_message(str(error))
            return
        self._show_message("")

    def _reload(self, selected: str) -> None:
        self._fill(selected)
        self.mark_modified(self._current_settings())

    def _fill(self, selected: str) -> None:
        self.combo.blockSignals(True)
        self.combo.clear()
        self.combo.addItems(self.store.names())
        self.combo.setCurrentText(selected)
        self.combo.blockSignals(False)
        built_in = self.store.is_built_in(selected)
        self.rename_button.setEnabled(not built_in)
        self.delete_button.setEnabled(not built_in)

    def _on_activated(self, index: int) -> None:
        name = self.combo.itemText(index)
        built_in = self.store.is_built_in(name)
        self.rename_button.setEnabled(not built_in)
        self.delete_button.setEnabled(not built_in)
        self._show_message("")
        self.sig_preset_chosen.emit(self.store.get(name))

    def _show_message(self, message: str) -> None:
        self.message.setText(message)
        self.message.setVisible(bool(message))
