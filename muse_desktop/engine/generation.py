"""The token loop: evaluate, read the last token's logits, sample with the Muse chain, feed back."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import llama_cpp
import numpy as np

from muse_desktop.engine.prompts import Prompt, PromptError
from muse_desktop.engine.text_stream import TextStream
from muse_desktop.sampling import SamplerChain, SamplerSettings, SamplingTrace

if TYPE_CHECKING:
    from muse_desktop.engine.model import LoadedModel

logger = logging.getLogger(__name__)


class PromptTooLongError(ValueError):
    """The part of the prompt that is never cut (the chat instruction) does not fit the context."""


class FinishReason:
    """Reason a generation ended."""

    STOP = "stop"  # a stop string appeared
    EOS = "eos"  # the model produced its end-of-generation token
    LENGTH = "length"  # max_tokens were generated
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class GenerationRequest:
    """One generation.

    Attributes:
        prompt: What to continue.
        settings: Sampler chain settings.
        max_tokens: Maximum number of tokens to generate, at least 1.
        stop_strings: Stop strings besides the prompt's own.
        trace: Record the Muse's effect on each token for display (costs a little time).
    """

    prompt: Prompt
    settings: SamplerSettings = field(default_factory=SamplerSettings)
    max_tokens: int = 256
    stop_strings: tuple[str, ...] = ()
    trace: bool = False

    def __post_init__(self) -> None:
        if isinstance(self.max_tokens, bool) or not isinstance(self.max_tokens, int) or self.max_tokens < 1:
            raise ValueError(f"max_tokens must be an integer >= 1, got {self.max_tokens!r}")


@dataclass(frozen=True)
class TokenEvent:
    """One generated token and the text it releases (empty while a character or stop string is incomplete)."""

    index: int
    token_id: int
    text: str
    damp_factor: float
    trace: SamplingTrace | None = None


@dataclass(frozen=True)
class GenerationResult:
    """Summary of a finished generation."""

    finish_reason: str
    text: str
    prompt_tokens: int
    reused_prompt_tokens: int
    dropped_prompt_tokens: int
    generated_tokens: int
    time_to_first_token: float
    tokens_per_second: float
    seed: int
    context_shifts: int


@dataclass
class _LoopState:
    prompt_done: float
    generated: list[int] = field(default_factory=list)
    pieces: list[str] = field(default_factory=list)
    finish_reason: str = FinishReason.LENGTH
    first_token_at: float | None = None
    context_shifts: int = 0


class Generation:
    """An iterator over TokenEvents; ``result`` contains the summary once iteration ends.

    ``cancel()`` may be called from any thread and takes effect before the next token.
    """

    def __init__(self, model: LoadedModel, request: GenerationRequest) -> None:
        self._model = model
        self._request = request
        self._cancel = threading.Event()
        self.chain = SamplerChain(request.settings)
        self.result: GenerationResult | None = None
        self._events = self._run()

    def __iter__(self) -> Iterator[TokenEvent]:
        return self._events

    def __next__(self) -> TokenEvent:
        return next(self._events)

    def cancel(self) -> None:
        self._cancel.set()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def run_to_end(self) -> GenerationResult:
        """Consume every event and return the result."""
        for _ in self._events:
            pass
        assert self.result is not None
        return self.result

    def _run(self) -> Iterator[TokenEvent]:
        started = time.perf_counter()
        head_tokens, body_tokens, dropped = self._fit_prompt()
        tokens = head_tokens + body_tokens
        reused = self._evaluate(tokens)
        self.chain.reset(tokens)

        loop = _LoopState(prompt_done=time.perf_counter())
        stream = TextStream(self._request.prompt.stop_strings + self._request.stop_strings)
        yield from self._generate_tokens(head_tokens, body_tokens, stream, loop)

        tail = stream.finish()
        if tail:
            loop.pieces.append(tail)
            yield TokenEvent(len(loop.generated), -1, tail, self.chain.muse.damp_factor() if self.chain.muse else 1.0)

        finished = time.perf_counter()
        decode_seconds = finished - loop.prompt_done
        self.result = GenerationResult(
            finish_reason=loop.finish_reason,
            text="".join(loop.pieces),
            prompt_tokens=len(tokens),
            reused_prompt_tokens=reused,
            dropped_prompt_tokens=dropped,
            generated_tokens=len(loop.generated),
            time_to_first_token=(loop.first_token_at or finished) - started,
            tokens_per_second=len(loop.generated) / decode_seconds if decode_seconds > 0 and loop.generated else 0.0,
            seed=self.chain.seed,
            context_shifts=loop.context_shifts,
        )
        logger.debug("generation finished: %s", self.result)

    def _generate_tokens(
        self, head_tokens: list[int], body_tokens: list[int], stream: TextStream, loop: _LoopState
    ) -> Iterator[TokenEvent]:
        model, request = self._model, self._request
        for index in range(request.max_tokens):
            if self._cancel.is_set():
                loop.finish_reason = FinishReason.CANCELLED
                return
            sampled = self.chain.sample(model.last_logits(), trace=request.trace)
            if loop.first_token_at is None:
                loop.first_token_at = time.perf_counter()
            if model.is_end_of_generation(sampled.token_id):
                loop.finish_reason = FinishReason.EOS
                return

            loop.generated.append(sampled.token_id)
            text = stream.push(model.token_piece(sampled.token_id))
            loop.pieces.append(text)
            yield TokenEvent(index, sampled.token_id, text, sampled.damp_factor, sampled.trace)
            if stream.stopped_by is not None:
                loop.finish_reason = FinishReason.STOP
                return
            if self._cancel.is_set():
                loop.finish_reason = FinishReason.CANCELLED
                return
            if index == request.max_tokens - 1:
                return  # finish_reason stays LENGTH; the last token need not be evaluated

            if model.llama.n_tokens >= model.n_ctx:
                self._shift_context(head_tokens, body_tokens + loop.generated)
                loop.context_shifts += 1
            else:
                model.decode_next(sampled.token_id)

    def _fit_prompt(self) -> tuple[list[int], list[int], int]:
        """Tokenize the prompt and cut the story from the front until it fits; return the cut count too."""
        head_tokens, body_tokens = self._prompt_tokens()
        budget = self._prompt_budget(len(head_tokens))
        dropped = max(0, len(head_tokens) + len(body_tokens) - budget)
        if dropped:
            logger.info(
                "prompt of %d tokens exceeds the window; keeping the last %d tokens of the story",
                len(head_tokens) + len(body_tokens), len(body_tokens) - dropped,
            )
            body_tokens = body_tokens[dropped:]
        return head_tokens, body_tokens, dropped

    def _prompt_tokens(self) -> tuple[list[int], list[int]]:
        prompt, model = self._request.prompt, self._model
        bos_text = model.special_token_text(model.llama.token_bos())
        head_has_bos = bool(bos_text) and prompt.head.startswith(bos_text) and prompt.head_is_markup
        head_tokens = model.tokenize(prompt.head, add_bos=not head_has_bos, special=prompt.head_is_markup)
        body_tokens = model.tokenize_story(prompt.body) if prompt.body else []
        if not head_tokens and not body_tokens:
            # Models without a BOS token (GPT-NeoX) get their end-of-text token as a start.
            start = model.llama.token_bos()
            if start < 0:
                raise PromptError("the story is empty; write a first sentence to continue")
            head_tokens = [start]
        return head_tokens, body_tokens

    def _prompt_budget(self, head_length: int) -> int:
        """Return how many prompt tokens fit while leaving room to generate."""
        n_ctx = self._model.n_ctx
        reserve = max(1, min(self._request.max_tokens, n_ctx // 4))
        budget = n_ctx - reserve
        if head_length >= budget:
            raise PromptTooLongError(
                f"the instruction takes {head_length} tokens but the context window of {n_ctx} tokens "
                f"leaves room for only {budget - 1}; shorten the instruction or raise n_ctx"
            )
        return budget

    def _evaluate(self, tokens: list[int]) -> int:
        """Bring the KV cache to ``tokens``, reusing the longest cached prefix; return the tokens reused."""
        llama = self._model.llama
        cached = llama.input_ids[: llama.n_tokens]
        limit = min(len(cached), len(tokens))
        mismatch = np.flatnonzero(cached[:limit] != np.asarray(tokens[:limit], dtype=cached.dtype))
        common = int(mismatch[0]) if mismatch.size else limit
        # The last prompt token is evaluated again when everything is cached: its logits are needed.
        common = min(common, len(tokens) - 1)
        if common < llama.n_tokens and llama_cpp.llama_model_is_recurrent(llama.model):
            common = 0  # a recurrent state cannot be rewound to a shorter prefix
            llama.reset()
        llama.n_tokens = common
        llama.eval(tokens[common:])
        return common

    def _shift_context(self, head_tokens: list[int], story_tokens: list[int]) -> None:
        """Drop the oldest quarter of the story from the window and evaluate what is kept."""
        n_ctx = self._model.n_ctx
        keep = max(1, n_ctx - max(1, n_ctx // 4) - len(head_tokens))
        tokens = head_tokens + story_tokens[-keep:]
        logger.info("context window full at %d tokens; keeping the instruction and the last %d story tokens", n_ctx, keep)
        self._evaluate(tokens)
