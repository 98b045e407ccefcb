"""The main window: the story editor, the settings dock, the Muse charts dock and the actions."""

from __future__ import annotations

import json
import logging
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import QDockWidget, QMainWindow, QMenu, QScrollArea, QVBoxLayout, QWidget

from muse_desktop.app.context import AppContext
from muse_desktop.app.continuation import ContinuationController
from muse_desktop.app.document_controller import DocumentController
from muse_desktop.app.engine_host import EngineHost
from muse_desktop.app.mode_bar import ModeBar
from muse_desktop.app.model_panel import ModelPanel
from muse_desktop.app.muse_charts import MuseChartsPanel
from muse_desktop.app.settings_panel import SettingsPanel
from muse_desktop.app.status_bar import MuseStatusBar
from muse_desktop.app.story_editor import StoryEditor
from muse_desktop.app.story_file import StoryMetadata
from muse_desktop.app.writing_settings import WritingSettings
from muse_desktop.engine import LoadOptions, ModelInfo
from muse_desktop.models.embedded import EMBEDDED_MODEL_ID
from muse_desktop.models.resolve import resolve_model_path

logger = logging.getLogger(__name__)


def _stored_int(value: object) -> int | None:
    """Return an integer read from QSettings, or None when it is missing or not an integer."""
    try:
        return None if value is None else int(value)
    except (TypeError, ValueError):
        logger.warning("ignoring stored value %r: not an integer", value)
        return None


class MainWindow(QMainWindow):
    """The writing studio. Call ``start()`` after construction to load the model and offer recovery."""

    def __init__(self, context: AppContext) -> None:
        super().__init__()
        self.context = context
        self.setObjectName("MainWindow")
        self.resize(1280, 820)
        self.host = EngineHost(self)
        self.model_spec: str = EMBEDDED_MODEL_ID
        self.model_info: ModelInfo | None = None
        self.loaded_seed: int | None = None
        self._closed = False
        self.compare_dialog = None
        self.model_manager = None
        self._build_widgets()
        self.continuation = ContinuationController(self.host, self.editor, self.settings_panel,
                                                   self.mode_bar, self.charts)
        self.documents = DocumentController(context, self.editor, self.current_metadata, self)
        self._build_actions()
        self._build_menus()
        self._connect()
        self._restore_persisted()
        self._update_actions()

    # Construction

    def _build_widgets(self) -> None:
        self.editor = StoryEditor()
        self.mode_bar = ModeBar()
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.addWidget(self.mode_bar)
        layout.addWidget(self.editor, 1)
        self.setCentralWidget(central)

        self.model_panel = ModelPanel(self.context.build)
        self.settings_panel = SettingsPanel(self.context.presets)
        side = QWidget()
        side_layout = QVBoxLayout(side)
        side_layout.addWidget(self.model_panel)
        side_layout.addWidget(self.settings_panel, 1)
        scroll = QScrollArea()
        scroll.setWidget(side)
        scroll.setWidgetResizable(True)
        self.settings_dock = self._dock("Settings", "SettingsDock", scroll, Qt.DockWidgetArea.RightDockWidgetArea)

        self.charts = MuseChartsPanel()
        self.charts_dock = self._dock("The Muse", "MuseDock", self.charts, Qt.DockWidgetArea.BottomDockWidgetArea)
        self.status = MuseStatusBar()
        self.setStatusBar(self.status)

    def _dock(self, title: str, name: str, widget: QWidget, area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(name)
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        return dock

    def _action(self, text: str, slot, shortcut=None, tip: str = "") -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcuts(shortcut if isinstance(shortcut, list) else [shortcut])
        action.setToolTip(tip or text)
        action.setStatusTip(tip)
        action.triggered.connect(slot)
        self.addAction(action)
        return action

    def _build_actions(self) -> None:
        keys = QKeySequence.StandardKey
        self.new_action = self._action("&New", self.documents.new_story, QKeySequence(keys.New))
        self.open_action = self._action("&Open…", lambda: self.documents.open_story(), QKeySequence(keys.Open))
        self.save_action = self._action("&Save", self.documents.save, QKeySequence(keys.Save))
        self.save_as_action = self._action("Save &As…", self.documents.save_as, QKeySequence(keys.SaveAs))
        self.quit_action = self._action("&Quit", self.close, QKeySequence(keys.Quit))

        self.continue_action = self._action(
            "Continue", self.continuation.continue_story,
            [QKeySequence("Ctrl+Return"), QKeySequence("Ctrl+Enter")],
            "Continue the story from the cursor (Ctrl+Enter)",
        )
        self.stop_action = self._action("Stop", self.continuation.stop, QKeySequence("Esc"), "Stop generating (Esc)")
        self.regenerate_action = self._action(
            "Regenerate", self.continuation.regenerate, QKeySequence("Ctrl+R"),
            "Replace the last continuation with a new one (Ctrl+R)",
        )
        # The editor handles these keys itself while it has focus; the actions cover the rest of the window.
        self.undo_action = self._action("Undo", self.editor.undo, QKeySequence(keys.Undo),
                                        "Undo; removes a whole continuation at once (Ctrl+Z)")
        self.redo_action = self._action("Redo", self.editor.redo, QKeySequence(keys.Redo), "Redo (Ctrl+Shift+Z)")
        self.compare_action = self._action("Compare…", self.open_compare, QKeySequence("Ctrl+K"),
                                           "Generate two continuations side by side and keep one (Ctrl+K)")
        self.models_action = self._action("Models…", self.open_model_manager, None, "Open the model manager")

        toolbar = self.addToolBar("Writing")
        toolbar.setObjectName("WritingToolbar")
        for action in (self.continue_action, self.stop_action, self.regenerate_action, self.undo_action):
            toolbar.addAction(action)
        toolbar.addSeparator()
        toolbar.addAction(self.compare_action)
        toolbar.addAction(self.models_action)

    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        for action in (self.new_action, self.open_action):
            file_menu.addAction(action)
        self.recent_menu = QMenu("Open &Recent", self)
        file_menu.addMenu(self.recent_menu)
        for action in (self.save_action, self.save_as_action):
            file_menu.addAction(action)
        file_menu.addSeparator()
        file_menu.addAction(self.quit_action)
        edit_menu = self.menuBar().addMenu("&Edit")
        edit_menu.addAction(self.undo_action)
        edit_menu.addAction(self.redo_action)
        generate_menu = self.menuBar().addMenu("&Generate")
        for action in (self.continue_action, self.stop_action, self.regenerate_action, self.compare_action):
            generate_menu.addAction(action)
        view_menu = self.menuBar().addMenu("&View")
        view_menu.addAction(self.settings_dock.toggleViewAction())
        view_menu.addAction(self.charts_dock.toggleViewAction())
        self.menuBar().addMenu("&Models").addAction(self.models_action)
        self._fill_recent_menu(self.documents.recent_files())

    def _connect(self) -> None:
        worker = self.host.worker
        worker.sig_model_loaded.connect(self._on_model_loaded)
        worker.sig_model_load_failed.connect(self._on_model_load_failed)
        self.host.sig_busy_changed.connect(lambda _busy: self._update_actions())
        self.continuation.sig_progress.connect(self.status.show_progress)
        self.continuation.sig_finished.connect(self.status.show_result)
        self.continuation.sig_finished.connect(lambda _result: self._update_actions())
        self.continuation.sig_message.connect(lambda message: self.status.showMessage(message, 10_000))
        self.documents.sig_title_changed.connect(self.setWindowTitle)
        self.documents.sig_metadata_loaded.connect(self.apply_metadata)
        self.documents.sig_recent_files_changed.connect(self._fill_recent_menu)
        self.editor.document().contentsChanged.connect(self._update_actions)
        self.model_panel.sig_reload_requested.connect(lambda options: self.load_model(self.model_spec, options))
        self.model_panel.sig_manager_requested.connect(self.open_model_manager)
        self.settings_panel.sig_settings_changed.connect(self._update_actions)

    # Start-up and persistence

    def start(self) -> None:
        """Load the last model and offer to restore an autosave left by a crash."""
        self.load_model(self.model_spec, self.model_panel.load_options())
        self.documents.offer_restore()
        self.documents.update_title()

    def _restore_persisted(self) -> None:
        stored = self.context.settings
        geometry = stored.value("window/geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        state = stored.value("window/state")
        if state is not None:
            self.restoreState(state)
        self.model_spec = str(stored.value("model/spec", EMBEDDED_MODEL_ID))
        self.model_panel.set_gpu_layers(_stored_int(stored.value("model/n_gpu_layers")))
        last = stored.value("sampler/last")
        if last:
            try:
                self.settings_panel.apply_settings(WritingSettings.from_dict(json.loads(last)))
            except ValueError as error:
                logger.warning("ignoring stored sampler settings: %s", error)

    def _save_persisted(self) -> None:
        stored = self.context.settings
        stored.setValue("window/geometry", self.saveGeometry())
        stored.setValue("window/state", self.saveState())
        stored.setValue("model/spec", self.model_spec)
        stored.setValue("model/n_gpu_layers", self.model_panel.load_options().n_gpu_layers)
        settings = self.settings_panel.settings()
        if settings is not None:
            stored.setValue("sampler/last", json.dumps(settings.to_dict()))
        stored.sync()

    # Models

    def load_model(self, spec: str, options: LoadOptions | None = None) -> None:
        """Load a model by id or path on the worker thread; the result arrives as a signal."""
        try:
            # NOTE: for a catalog id this may hash the file on the GUI thread, but only when the file
            # changed since the library last verified it.
            path = resolve_model_path(spec, self.context.library)
        except (LookupError, FileNotFoundError) as error:
            self._on_model_load_failed(str(error))
            return
        self.model_spec = spec
        self.model_panel.show_loading(path.name)
        self.status.showMessage(f"Loading {path.name}…")
        self.host.load(str(path), options or self.model_panel.load_options())

    def _on_model_loaded(self, info: ModelInfo) -> None:
        self.model_info = info
        self.model_panel.show_model(info)
        self.status.show_model(info)
        message = f"Loaded {info.name}"
        if info.offload_failed:
            message += ": GPU offload failed, running on the CPU"
        self.status.showMessage(message, 10_000)
        self._update_actions()

    def _on_model_load_failed(self, message: str) -> None:
        self.model_info = None
        self.model_panel.show_failure(message)
        self.status.showMessage(message)
        self._update_actions()

    def open_model_manager(self) -> None:
        from muse_desktop.app.model_manager import open_model_manager

        if self.model_manager is not None:
            self.model_manager.raise_()
            return
        self.model_manager = open_model_manager(self)
        self.model_manager.destroyed.connect(self._on_model_manager_closed)

    def _on_model_manager_closed(self) -> None:
        self.model_manager = None

    def open_compare(self) -> None:
        from muse_desktop.app.compare_dialog import CompareDialog

        if self.host.busy:
            return
        if self.compare_dialog is not None:
            self.compare_dialog.close()
        self.compare_dialog = CompareDialog(self)
        self.compare_dialog.destroyed.connect(self._on_compare_closed)
        self.compare_dialog.show()

    def _on_compare_closed(self) -> None:
        self.compare_dialog = None

    # Story metadata

    def current_metadata(self) -> StoryMetadata:
        result = self.continuation.last_result
        return StoryMetadata(
            settings=self.settings_panel.settings() or WritingSettings(),
            last_seed=result.seed if result is not None else self.loaded_seed,
            mode=self.mode_bar.mode(),
            instruction=self.mode_bar.instruction.text(),
            model=self.model_spec,
        )

    def apply_metadata(self, metadata: StoryMetadata) -> None:
        self.settings_panel.apply_settings(metadata.settings)
        self.mode_bar.set_mode(metadata.mode, metadata.instruction)
        self.loaded_seed = metadata.last_seed
        if metadata.last_seed is not None:
            self.settings_panel.show_last_seed(metadata.last_seed)
        if metadata.model and metadata.model != self.model_spec:
            self.status.showMessage(f"This story was written with {Path(metadata.model).name}; "
                                    f"the current model is {Path(self.model_spec).name}.", 15_000)

    # State

    def _update_actions(self) -> None:
        busy = self.host.busy
        ready = self.model_info is not None and self.settings_panel.settings() is not None
        self.continue_action.setEnabled(ready and not busy)
        self.stop_action.setEnabled(busy)
        can_regenerate = self.editor.continuation_range() is not None and self.continuation.last_job is not None
        self.regenerate_action.setEnabled(ready and not busy and can_regenerate)
        self.compare_action.setEnabled(ready and not busy)
        self.undo_action.setEnabled(not busy)
        # Replacing the document while text streams into it would put the rest of the stream in
        # the wrong place.
        for action in (self.new_action, self.open_action):
            action.setEnabled(not busy)
        self.recent_menu.setEnabled(not busy and bool(self.documents.recent_files()))

    def _fill_recent_menu(self, paths: list[str]) -> None:
        self.recent_menu.clear()
        for path in paths:
            action = self.recent_menu.addAction(path)
            action.triggered.connect(lambda _checked=False, chosen=path: self.documents.open_story(Path(chosen)))
        self.recent_menu.setEnabled(bool(paths))

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt naming)
        """Stop any generation, ask about unsaved changes, then stop the engine thread."""
        if self._closed:
            event.accept()
            return
        self.continuation.stop()
        if self.compare_dialog is not None:
            self.compare_dialog.close()
        if self.model_manager is not None:
            self.model_manager.close()
        if not self.documents.confirm_discard():
            event.ignore()
            return
        self.documents.discard_autosave()
        self._save_persisted()
        self.host.stop()
        self._closed = True
        logger.info("main window closed")
        event.accept()
