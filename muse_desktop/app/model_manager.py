"""The model manager window: the catalog, downloads with progress, imports and removal."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from muse_desktop.app.download_worker import DownloadHost
from muse_desktop.app.model_panel import format_size
from muse_desktop.models.errors import ModelLibraryError
from muse_desktop.models.library import ModelEntry, ModelLibrary
from muse_desktop.models.progress import VERIFYING, DownloadProgress

if TYPE_CHECKING:
    from muse_desktop.app.main_window import MainWindow

logger = logging.getLogger(__name__)

COLUMNS = ("Model", "Size", "State", "Format", "License", "Source")
STATE_LABELS = {"present": "ready", "partial": "partly downloaded", "absent": "not downloaded"}


def format_duration(seconds: float | None) -> str:
    if seconds is None:
        return "time left unknown"
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds} s left"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds:02d} s left"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min left"


def describe_progress(progress: DownloadProgress) -> str:
    """Return one line such as "12.0 MB of 98.1 MB, 2.3 MB/s, 37 s left"."""
    verb = "Checking" if progress.phase == VERIFYING else "Downloading"
    speed = f"{format_size(int(progress.bytes_per_second))}/s" if progress.bytes_per_second > 0 else "measuring speed"
    return (f"{verb}: {format_size(progress.downloaded_bytes)} of {format_size(progress.total_bytes)}, "
            f"{speed}, {format_duration(progress.seconds_left)}")


class ModelManagerDialog(QDialog):
    """Lists the library's models; downloads, imports, removes them and picks the one to write with.

    Signals:
        sig_model_chosen(str, str): model id and verified path of the model to load.
    """

    sig_model_chosen = Signal(str, str)

    def __init__(self, library: ModelLibrary, current_path: Path | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Models")
        self.resize(900, 480)
        self.library = library
        self.current_path = current_path
        self.entries: list[ModelEntry] = []
        self.downloading: str | None = None
        self._use_when_done = False
        self.downloads = DownloadHost(library, self)
        self._build_widgets()
        worker = self.downloads.worker
        worker.sig_progress.connect(self._on_progress)
        worker.sig_finished.connect(self._on_download_finished)
        worker.sig_failed.connect(self._on_download_failed)
        worker.sig_cancelled.connect(self._on_download_cancelled)
        self.refresh()

    def _build_table(self) -> QTableWidget:
        table = QTableWidget(0, len(COLUMNS))
        table.setHorizontalHeaderLabels(COLUMNS)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.verticalHeader().hide()
        header = table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        return table

    def _build_widgets(self) -> None:
        self.table = self._build_table()
        self.description = QLabel()
        self.description.setWordWrap(True)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.hide()
        self.progress_label = QLabel()
        self.message = QLabel()
        self.message.setWordWrap(True)

        self.use_button = QPushButton("Use this model")
        self.download_button = QPushButton("Download")
        self.cancel_button = QPushButton("Cancel download")
        self.import_button = QPushButton("Import GGUF…")
        self.remove_button = QPushButton("Remove")
        buttons = QHBoxLayout()
        for button in (self.use_button, self.download_button, self.cancel_button, self.import_button, self.remove_button):
            buttons.addWidget(button)
        buttons.addStretch(1)

        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.description)
        layout.addWidget(self.progress)
        layout.addWidget(self.progress_label)
        layout.addWidget(self.message)
        layout.addLayout(buttons)

        self.table.itemSelectionChanged.connect(self._update_selection)
        self.use_button.clicked.connect(self.use_selected)
        self.download_button.clicked.connect(self.download_selected)
        self.cancel_button.clicked.connect(self.downloads.cancel)
        self.import_button.clicked.connect(lambda: self.import_file())
        self.remove_button.clicked.connect(self.remove_selected)

    def refresh(self) -> None:
        """Read the library's entries again and show them, keeping the selection."""
        selected = self.selected_entry()
        try:
            self.entries = self.library.entries()
        except ModelLibraryError as error:
            self._show_message(f"Could not list the models: {error}")
            self.entries = []
        self.table.setRowCount(len(self.entries))
        for row, entry in enumerate(self.entries):
            self._fill_row(row, entry)
        ids = [entry.id for entry in self.entries]
        in_use = [entry.id for entry in self.entries if self._is_in_use(entry)]
        if selected is not None and selected.id in ids:
            self.table.selectRow(ids.index(selected.id))
        elif in_use:
            self.table.selectRow(ids.index(in_use[0]))
        elif self.entries:
            self.table.selectRow(0)
        self._update_selection()

    def _fill_row(self, row: int, entry: ModelEntry) -> None:
        name = entry.display_name
        if self._is_in_use(entry):
            name += "  (in use)"
        size = format_size(entry.size_bytes)
        if entry.size_is_estimate:
            size = f"about {size}"
        values = (name, size, STATE_LABELS.get(entry.state, entry.state), entry.prompt_format, entry.license, entry.source)
        for column, value in enumerate(values):
            item = QTableWidgetItem(value)
            item.setToolTip(entry.description)
            self.table.setItem(row, column, item)

    def _is_in_use(self, entry: ModelEntry) -> bool:
        return entry.path is not None and self.current_path is not None and entry.path == self.current_path

    def selected_entry(self) -> ModelEntry | None:
        rows = self.table.selectionModel().selectedRows() if self.table.selectionModel() else []
        if not rows or rows[0].row() >= len(self.entries):
            return None
        return self.entries[rows[0].row()]

    def select(self, model_id: str) -> None:
        for row, entry in enumerate(self.entries):
            if entry.id == model_id:
                self.table.selectRow(row)
                return
        raise LookupError(f"no model {model_id} in the list")

    def _update_selection(self) -> None:
        entry = self.selected_entry()
        busy = self.downloading is not None
        self.description.setText(self._describe(entry) if entry else "")
        self.use_button.setEnabled(entry is not None and entry.state == "present" and not busy)
        self.download_button.setEnabled(entry is not None and entry.state != "present" and not busy)
        self.download_button.setText("Resume download" if entry is not None and entry.state == "partial" else "Download")
        self.cancel_button.setEnabled(busy)
        self.remove_button.setEnabled(entry is not None and entry.source != "embedded"
                                      and (entry.state != "absent" or entry.source == "imported") and not busy)

    @staticmethod
    def _describe(entry: ModelEntry) -> str:
        context = f"context {entry.context_length} tokens" if entry.context_length else "context unknown"
        muse = entry.muse
        return (f"<b>{entry.display_name}</b> ({entry.architecture}, {context}). {entry.description}<br>"
                f"Recommended Muse: top_k {muse.top_k}, damp {muse.damp}, ramp {muse.damp_ramp_tokens} tokens.")

    # Actions

    def download_selected(self) -> None:
        entry = self.selected_entry()
        if entry is None or self.downloading is not None:
            return
        self._use_when_done = False
        self._start_download(entry.id, f"Starting the download of {entry.display_name}…")

    def use_selected(self) -> None:
        """Verify the selected model on the download thread, then hand it to the main window."""
        entry = self.selected_entry()
        if entry is None or entry.state != "present" or self.downloading is not None:
            return
        self._use_when_done = True
        self._start_download(entry.id, f"Checking {entry.display_name}…")

    def import_file(self, path: Path | None = None) -> None:
        path = path or self.ask_import_path()
        if path is None:
            return
        try:
            entry = self.library.import_file(path)
        except ModelLibraryError as error:
            self._show_message(f"Could not import {Path(path).name}: {error}")
            return
        self._show_message(f"Imported {entry.display_name}.")
        self.refresh()
        self.select(entry.id)

    def remove_selected(self) -> None:
        entry = self.selected_entry()
        if entry is None or not self.confirm_remove(entry):
            return
        try:
            self.library.remove(entry.id)
        except ModelLibraryError as error:
            self._show_message(f"Could not remove {entry.display_name}: {error}")
            return
        done = "Forgot" if entry.source == "imported" else "Removed"
        self._show_message(f"{done} {entry.display_name}.")
        self.refresh()

    # Dialogs, replaced in tests.

    def ask_import_path(self) -> Path | None:
        name, _ = QFileDialog.getOpenFileName(self, "Import a GGUF model", str(Path.home()), "GGUF models (*.gguf)")
        return Path(name) if name else None

    def confirm_remove(self, entry: ModelEntry) -> bool:
        what = ("Forget the imported model {name}? The file itself stays where it is." if entry.source == "imported"
                else "Delete the downloaded file of {name} ({size})?")
        answer = QMessageBox.question(self, "Remove model",
                                      what.format(name=entry.display_name, size=format_size(entry.size_on_disk)))
        return answer == QMessageBox.StandardButton.Yes

    # Download signals

    def _start_download(self, model_id: str, message: str) -> None:
        self.downloading = model_id
        self.progress.setValue(0)
        self.progress.show()
        self.progress_label.setText(message)
        self._show_message("")
        self._update_selection()
        self.downloads.download(model_id)

    def _on_progress(self, model_id: str, progress: DownloadProgress) -> None:
        if model_id != self.downloading:
            return
        self.progress.setValue(int(progress.fraction * 1000))
        self.progress_label.setText(describe_progress(progress))

    def _on_download_finished(self, model_id: str, path: str) -> None:
        self._end_download()
        self.refresh()
        self.select(model_id)
        if self._use_when_done:
            self._show_message("Loading the model in the main window.")
            self.sig_model_chosen.emit(model_id, path)
        else:
            self._show_message("Downloaded and verified. Choose Use this model to write with it.")

    def _on_download_failed(self, model_id: str, message: str) -> None:
        self._end_download()
        self._show_message(f"The download of {model_id} failed: {message}")
        self.refresh()

    def _on_download_cancelled(self, model_id: str) -> None:
        self._end_download()
        self._show_message(f"The download of {model_id} was cancelled. What was downloaded is kept, and the next "
                           "download resumes there.")
        self.refresh()

    def _end_download(self) -> None:
        self.downloading = None
        self.progress.hide()
        self.progress_label.clear()

    def _show_message(self, message: str) -> None:
        self.message.setText(message)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt naming)
        """Cancel a running download and wait for the download thread before closing."""
        self.downloads.stop()
        super().closeEvent(event)


def open_model_manager(window: MainWindow) -> ModelManagerDialog:
    """Open the manager for the main window; choosing a model loads it there."""
    current = window.model_info.path if window.model_info is not None else None
    dialog = ModelManagerDialog(window.context.library, current, window)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.sig_model_chosen.connect(lambda model_id, _path: window.load_model(model_id))
    dialog.show()
    return dialog
