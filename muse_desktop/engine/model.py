"""Loading a GGUF model with llama-cpp-python."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

import llama_cpp

from muse_desktop.engine.backend import build_info
from muse_desktop.engine.generation import Generation, GenerationRequest
from muse_desktop.engine.prompts import Prompt, PromptFormat, redpajama_chat_prompt, story_prompt, template_chat_prompt
from muse_desktop.models.gguf_file import GGUFHeader, read_gguf_header

logger = logging.getLogger(__name__)

# Default context when the caller gives none: the model's training context, capped at this.
# The KV cache grows with the context, and SmolLM2 would otherwise get 8,192 tokens.
DEFAULT_MAX_CONTEXT = 4096
ALL_LAYERS = -1


class ModelLoadError(RuntimeError):
    """llama.cpp could not load a model file; the message names the file and what to try."""


@dataclass(frozen=True)
class LoadOptions:
    """How to load a model.

    Attributes:
        n_ctx: Context window in tokens; None uses the model's own, capped at DEFAULT_MAX_CONTEXT.
        n_threads: CPU threads for generation; None uses every CPU this process may run on.
        n_gpu_layers: Layers to offload to the GPU: 0 for none, -1 for all, None for all
            when the build can offload and none otherwise.
    """

    n_ctx: int | None = None
    n_threads: int | None = None
    n_gpu_layers: int | None = None


@dataclass(frozen=True)
class ModelInfo:
    """Description of a loaded model and how it runs."""

    path: Path
    name: str
    architecture: str
    file_size: int
    n_ctx: int
    n_ctx_train: int
    n_vocab: int
    chat_template: str | None
    n_gpu_layers: int
    backend: str
    gpu_offload_supported: bool
    offload_failed: bool


def available_cpu_count() -> int:
    """Return how many CPUs this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


class LoadedModel:
    """A llama.cpp model and context, used by one thread at a time."""

    def __init__(self, path: str | Path, options: LoadOptions = LoadOptions()) -> None:
        self.path = Path(path)
        self.header: GGUFHeader = read_gguf_header(self.path)
        self.options = options
        build = build_info()

        n_gpu_layers = options.n_gpu_layers
        if n_gpu_layers is None:
            n_gpu_layers = ALL_LAYERS if build.gpu_offload_supported else 0
        n_ctx = options.n_ctx
        if n_ctx is None:
            n_ctx = min(self.header.context_length or DEFAULT_MAX_CONTEXT, DEFAULT_MAX_CONTEXT)
        n_threads = options.n_threads or available_cpu_count()

        offload_failed = False
        try:
            self.llama = self._load(n_ctx, n_threads, n_gpu_layers)
        except ModelLoadError:
            if n_gpu_layers == 0:
                raise
            logger.warning("loading %s with %s GPU layers failed; falling back to the CPU", self.path, n_gpu_layers)
            offload_failed = True
            n_gpu_layers = 0
            self.llama = self._load(n_ctx, n_threads, n_gpu_layers)

        self.vocab = llama_cpp.llama_model_get_vocab(self.llama.model)
        # llama.cpp rounds the context up (to a multiple of 256 in this version), but
        # llama-cpp-python's token record has exactly the requested size, so that is the limit.
        self.n_ctx = min(self.llama.n_ctx(), len(self.llama.input_ids))
        self.info = ModelInfo(
            path=self.path,
            name=self.header.name or self.path.stem,
            architecture=self.header.architecture or "unknown",
            file_size=self.header.file_size,
            n_ctx=self.n_ctx,
            n_ctx_train=self.header.context_length or self.n_ctx,
            n_vocab=self.llama.n_vocab(),
            chat_template=self.header.chat_template,
            n_gpu_layers=n_gpu_layers,
            backend=build.backend if n_gpu_layers != 0 else "CPU",
            gpu_offload_supported=build.gpu_offload_supported,
            offload_failed=offload_failed,
        )
        logger.info(
            "loaded %s (%s, n_ctx %d, %d threads, %s GPU layers, backend %s)",
            self.path, self.info.architecture, self.info.n_ctx, n_threads, n_gpu_layers, self.info.backend,
        )

    def _load(self, n_ctx: int, n_threads: int, n_gpu_layers: int) -> llama_cpp.Llama:
        # NOTE: Llama allocates an uninitialised (n_batch, n_vocab) score array. With
        # logits_all=False it never writes to it, so those pages are never resident; the loop
        # reads only the last token's logits straight from llama.cpp.
        try:
            return llama_cpp.Llama(
                model_path=str(self.path),
                n_ctx=n_ctx,
                n_batch=min(512, n_ctx),
                n_threads=n_threads,
                n_threads_batch=n_threads,
                n_gpu_layers=n_gpu_layers,
                # With mmap, llama.cpp's CPU backend copies the weights it repacks (Q4_K among
                # them) into a buffer of its own, and the mapped file pages stay resident too.
                # For a 1.7 GB Q4_K_M 3B model that meant a peak RSS of 3.4 GB instead of 2.4 GB
                # (llama-cpp-python 0.3.36). Reading the file instead adds about a second to loading.
                use_mmap=False,
                logits_all=False,
                verbose=False,
            )
        except (ValueError, RuntimeError, OSError) as error:
            raise ModelLoadError(f"llama.cpp could not load {self.path}: {error}") from error

    def generate(self, request: GenerationRequest) -> Generation:
        """Start a generation; iterate over the result to run it."""
        return Generation(self, request)

    def close(self) -> None:
        """Free the model and its context."""
        llama = getattr(self, "llama", None)
        if llama is not None:
            llama.close()
            self.llama = None

    def tokenize(self, text: str, *, add_bos: bool, special: bool) -> list[int]:
        """Return the token ids of ``text``; ``special`` parses control tokens such as <|im_end|>."""
        return self.llama.tokenize(text.encode("utf-8"), add_bos=add_bos, special=special)

    def token_piece(self, token_id: int) -> bytes:
        """Return the bytes a token stands for; control tokens give b""."""
        return self.llama.detokenize([token_id])

    def is_end_of_generation(self, token_id: int) -> bool:
        return bool(llama_cpp.llama_vocab_is_eog(self.vocab, token_id))

    def special_token_text(self, token_id: int) -> str:
        if token_id < 0:
            return ""
        return self.llama.detokenize([token_id], special=True).decode("utf-8", errors="replace")

    def chat_format(self) -> PromptFormat:
        """Return the chat format for this model: its own template if it has one, else RedPajama's."""
        return PromptFormat.CHAT_TEMPLATE if self.info.chat_template else PromptFormat.REDPAJAMA_CHAT

    def build_prompt(self, prompt_format: PromptFormat, text: str, instruction: str | None = None) -> Prompt:
        """Build the prompt for ``text`` (the story so far) in the given format.

        In the chat formats ``instruction`` is the writer's request and ``text`` the reply
        written so far.
        """
        if prompt_format is PromptFormat.STORY:
            return story_prompt(text)
        if prompt_format is PromptFormat.REDPAJAMA_CHAT:
            return redpajama_chat_prompt(instruction or "", text)
        if not self.info.chat_template:
            raise ValueError(f"{self.info.name} has no chat template in its GGUF metadata; use the RedPajama chat format")
        return template_chat_prompt(
            self.info.chat_template,
            instruction or "",
            text,
            bos_token=self.special_token_text(self.llama.token_bos()),
            eos_token=self.special_token_text(self.llama.token_eos()),
        )
