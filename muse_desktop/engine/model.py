"""Loading a GGUF model with llama-cpp-python."""

from __future__ import annotations

import ctypes
import logging
import os
from dataclasses import dataclass
from pathlib import Path

import llama_cpp
import numpy as np

from muse_desktop.engine.backend import build_info
from muse_desktop.engine.generation import Generation, GenerationRequest
from muse_desktop.engine.prompts import Prompt, PromptFormat, redpajama_chat_prompt, story_prompt, template_chat_prompt
from muse_desktop.engine.story_tokens import StoryTokenizer
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
        flash_attention: Use llama.cpp's flash attention kernel. Off by default, because on 2
            CPU threads it made a RedPajama-sized model (head size 80) about twice as slow per
            token at 1,900 tokens of context, while SmolLM2 gained about 5% on short stories
            only (docs/benchmark-findings.md). GPU backends were not measured.
    """

    n_ctx: int | None = None
    n_threads: int | None = None
    n_gpu_layers: int | None = None
    flash_attention: bool = False


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
        self._pieces: dict[int, bytes] = {}
        self._story_tokenizer = StoryTokenizer(self._tokenize_plain, self.token_piece)
        self._end_tokens: dict[int, bool] = {}
        self._next_batch = _OneTokenBatch()
        # The NumPy view of llama.cpp's logits buffer and the buffer address it was built for.
        self._logits_address = 0
        self._logits_row: np.ndarray | None = None
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
            "loaded %s (%s, n_ctx %d, %d threads, %s GPU layers, backend %s, flash attention %s)",
            self.path, self.info.architecture, self.info.n_ctx, n_threads, n_gpu_layers, self.info.backend,
            "on" if options.flash_attention else "off",
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
                flash_attn=self.options.flash_attention,
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
        batch = getattr(self, "_next_batch", None)
        if batch is not None:
            batch.free()
            self._next_batch = None
        self._logits_address = 0
        self._logits_row = None

    # The generation loop calls decode_next, last_logits, token_piece and is_end_of_generation
    # once per token. They call llama.cpp directly or return cached values, because right after
    # a decode the CPU caches contain weights instead of interpreter code, and every Python layer
    # then costs microseconds (docs/benchmark-findings.md).

    def decode_next(self, token_id: int) -> None:
        """Evaluate one token after those in the KV cache, as ``llama.eval([token_id])`` does.

        Unlike ``Llama.eval`` it does not first remove cache entries past ``llama.n_tokens``, so it
        is only for appending right after an evaluation, as the generation loop does.
        """
        llama = self.llama
        position = llama.n_tokens
        status = llama_cpp.llama_decode(llama.ctx, self._next_batch.set(token_id, position))
        if status != 0:
            raise RuntimeError(f"llama_decode returned {status} for token {token_id} at position {position}")
        llama.input_ids[position] = token_id
        llama.n_tokens = position + 1

    def last_logits(self) -> np.ndarray:
        """Return the last evaluated token's logits as a view of llama.cpp's buffer, valid until the next decode."""
        pointer = llama_cpp.llama_get_logits_ith(self.llama.ctx, -1)
        if not pointer:
            raise RuntimeError("llama.cpp returned no logits for the last token")
        address = ctypes.addressof(pointer.contents)
        if address != self._logits_address:
            row_type = ctypes.c_float * self.info.n_vocab
            self._logits_row = np.frombuffer(row_type.from_address(address), dtype=np.float32)
            self._logits_address = address
        return self._logits_row

    def tokenize(self, text: str, *, add_bos: bool, special: bool) -> list[int]:
        """Return the token ids of ``text``; ``special`` parses control tokens such as <|im_end|>."""
        return self.llama.tokenize(text.encode("utf-8"), add_bos=add_bos, special=special)

    def tokenize_story(self, text: str) -> list[int]:
        """Tokenize story text like ``tokenize(text, add_bos=False, special=False)``.

        When ``text`` starts with the previous call's text, as it does each time a writer
        continues, only its end is tokenized again (see ``StoryTokenizer``).
        """
        return self._story_tokenizer.tokenize(text.encode("utf-8"))

    def _tokenize_plain(self, text: bytes) -> list[int]:
        return self.llama.tokenize(text, add_bos=False, special=False)

    def token_piece(self, token_id: int) -> bytes:
        """Return the bytes a token stands for; control tokens give b""."""
        piece = self._pieces.get(token_id)
        if piece is None:
            piece = self._pieces[token_id] = self.llama.detokenize([token_id])
        return piece

    def is_end_of_generation(self, token_id: int) -> bool:
        ends = self._end_tokens.get(token_id)
        if ends is None:
            ends = self._end_tokens[token_id] = bool(llama_cpp.llama_vocab_is_eog(self.vocab, token_id))
        return ends

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


class _OneTokenBatch:
    """A llama.cpp batch of one token in sequence 0 with its logits requested, reused for every token."""

    def __init__(self) -> None:
        self.batch = llama_cpp.llama_batch_init(1, 0, 1)
        self.batch.n_tokens = 1
        self.batch.n_seq_id[0] = 1
        self.batch.seq_id[0][0] = 0
        self.batch.logits[0] = 1
        self._token = self.batch.token
        self._pos = self.batch.pos

    def set(self, token_id: int, position: int) -> llama_cpp.llama_batch:
        self._token[0] = token_id
        self._pos[0] = position
        return self.batch

    def free(self) -> None:
        if self.batch is not None:
            llama_cpp.llama_batch_free(self.batch)
            self.batch = None
