"""The current model, its size, context and prompt format, and the GPU offload control."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QFormLayout, QGroupBox, QHBoxLayout, QLabel, QPushButton, QSpinBox, QWidget

from muse_desktop.engine import BuildInfo, LoadOptions, ModelInfo

GPU_NONE, GPU_NUMBER, GPU_ALL = "none", "number", "all"
ALL_LAYERS = -1


def format_size(size_bytes: int) -> str:
    """Return a size in the largest unit that keeps it at least 1, for example "98.1 MB"."""
    value = float(size_bytes)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{value:.1f} GB"


def prompt_format_label(info: ModelInfo) -> str:
    if info.chat_template:
        return "story; chat with the model's own template"
    return "story; chat in the RedPajama format (<human>: … <bot>:)"


class ModelPanel(QGroupBox):
    """Shows the loaded model and lets the writer choose how many layers to offload.

    Signals:
        sig_reload_requested(LoadOptions): load the current model again with new options.
        sig_manager_requested(): open the model manager.
    """

    sig_reload_requested = Signal(object)
    sig_manager_requested = Signal()

    def __init__(self, build: BuildInfo, parent: QWidget | None = None) -> None:
        super().__init__("Model", parent)
        self.build = build
        self.name = QLabel("loading…")
        self.name.setWordWrap(True)
        self.details = QLabel()
        self.details.setWordWrap(True)
        self.prompt_format = QLabel()
        self.prompt_format.setWordWrap(True)
        self.backend = QLabel()
        self.backend.setWordWrap(True)
        self.notice = QLabel()
        self.notice.setWordWrap(True)
        self.notice.setStyleSheet("color: #8a5300;")
        self.notice.hide()
        self._build_offload_row()
        self.manager_button = QPushButton("Model manager…")
        self.manager_button.clicked.connect(self.sig_manager_requested)

        form = QFormLayout(self)
        form.addRow(self.name)
        form.addRow("Size, context", self.details)
        form.addRow("Formats", self.prompt_format)
        form.addRow("Backend", self.backend)
        form.addRow("GPU layers", self._offload_row)
        form.addRow(self.notice)
        form.addRow(self.manager_button)

    def _build_offload_row(self) -> None:
        self.gpu_mode = QComboBox()
        self.gpu_mode.addItem("none", GPU_NONE)
        self.gpu_mode.addItem("number", GPU_NUMBER)
        self.gpu_mode.addItem("all", GPU_ALL)
        self.gpu_layers = QSpinBox()
        self.gpu_layers.setRange(1, 999)
        self.apply_button = QPushButton("Reload")
        self.apply_button.setToolTip("Load the model again with this many layers on the GPU.")
        self._offload_row = QWidget()
        row = QHBoxLayout(self._offload_row)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.gpu_mode)
        row.addWidget(self.gpu_layers)
        row.addWidget(self.apply_button)
        supported = self.build.gpu_offload_supported
        tip = ("How many of the model's layers run on the GPU: none, a number, or all."
               if supported else "This build of llama.cpp cannot offload to a GPU, so the model runs on the CPU.")
        for widget in (self.gpu_mode, self.gpu_layers, self.apply_button):
            widget.setToolTip(tip)
            widget.setEnabled(supported)
        self.gpu_mode.setCurrentIndex(2 if supported else 0)
        self.gpu_mode.currentIndexChanged.connect(self._on_mode_changed)
        self.apply_button.clicked.connect(lambda: self.sig_reload_requested.emit(self.load_options()))
        self._on_mode_changed()

    def _on_mode_changed(self) -> None:
        self.gpu_layers.setEnabled(self.build.gpu_offload_supported and self.gpu_mode.currentData() == GPU_NUMBER)

    def load_options(self) -> LoadOptions:
        mode = self.gpu_mode.currentData()
        if mode == GPU_NONE:
            return LoadOptions(n_gpu_layers=0)
        if mode == GPU_NUMBER:
            return LoadOptions(n_gpu_layers=self.gpu_layers.value())
        return LoadOptions(n_gpu_layers=ALL_LAYERS)

    def set_gpu_layers(self, n_gpu_layers: int | None) -> None:
        """Show a stored layer count: 0 none, -1 or None all, else the number."""
        if not self.build.gpu_offload_supported or n_gpu_layers == 0:
            self.gpu_mode.setCurrentIndex(0)
        elif n_gpu_layers is None or n_gpu_layers < 0:
            self.gpu_mode.setCurrentIndex(2)
        else:
            self.gpu_mode.setCurrentIndex(1)
            self.gpu_layers.setValue(n_gpu_layers)

    def show_loading(self, name: str) -> None:
        self.name.setText(f"Loading {name}…")

    def show_model(self, info: ModelInfo) -> None:
        self.name.setText(f"<b>{info.name}</b> ({info.architecture})")
        self.name.setToolTip(str(info.path))
        self.details.setText(f"{format_size(info.file_size)}, context {info.n_ctx} of {info.n_ctx_train} tokens")
        self.prompt_format.setText(prompt_format_label(info))
        offload = "can offload to the GPU" if info.gpu_offload_supported else "CPU-only build, no GPU offload"
        self.backend.setText(f"{info.backend} ({offload})")
        if info.offload_failed:
            self.notice.setText("Loading with GPU offload failed, so the model runs on the CPU. The log file has details.")
        self.notice.setVisible(info.offload_failed)

    def show_failure(self, message: str) -> None:
        self.name.setText("No model loaded")
        self.notice.setText(message)
        self.notice.show()
