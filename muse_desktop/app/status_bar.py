"""The status bar: tokens per second, context use, model name and backend."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QStatusBar

from muse_desktop.engine import GenerationResult, ModelInfo


class MuseStatusBar(QStatusBar):
    """Permanent fields on the right, passing messages on the left."""

    def __init__(self) -> None:
        super().__init__()
        self.speed = QLabel("– tokens/s")
        self.speed.setToolTip("Generation speed of the current or last continuation.")
        self.context = QLabel("context –")
        self.context.setToolTip("Tokens of the context window in use: the prompt plus the generated text.")
        self.model = QLabel("no model")
        self.backend = QLabel("")
        self.backend.setToolTip("Where the model runs: CPU, or a GPU backend such as CUDA, Metal or Vulkan.")
        for label in (self.speed, self.context, self.model, self.backend):
            self.addPermanentWidget(label)
        self._n_ctx: int | None = None

    def show_model(self, info: ModelInfo) -> None:
        self._n_ctx = info.n_ctx
        self.model.setText(info.name)
        self.backend.setText(info.backend)
        self.context.setText(f"context 0 / {info.n_ctx}")

    def show_progress(self, _tokens: int, tokens_per_second: float, context_tokens: int) -> None:
        self.speed.setText(f"{tokens_per_second:.1f} tokens/s")
        self.context.setText(f"context {context_tokens} / {self._n_ctx or '?'}")

    def show_result(self, result: GenerationResult) -> None:
        self.speed.setText(f"{result.tokens_per_second:.1f} tokens/s")
        used = result.prompt_tokens + result.generated_tokens
        if self._n_ctx:
            used = min(used, self._n_ctx)
        self.context.setText(f"context {used} / {self._n_ctx or '?'}")
        self.showMessage(
            f"{result.generated_tokens} tokens, finish: {result.finish_reason}, seed {result.seed}", 10_000
        )
