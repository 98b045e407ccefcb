"""The Muse: a stateful temperature applied only to the few most likely tokens."""

from __future__ import annotations

from typing import Any

import numpy as np

from muse_desktop.sampling.validation import check_float, check_int


class MuseLogitsWarper:
    """Multiply the ``top_k`` largest logits by a damping factor that ramps over a generation.

    For the n-th generated token (n = 0, 1, 2, ...) the factor is
    ``damp_initial + min(n / damp_ramp_tokens, 1) * (damp - damp_initial)``, and ``damp`` from
    the first token when ``damp_ramp_tokens`` is 0. Every other logit is left as it was, so a
    factor below 1 acts like a temperature of ``1 / damp`` on those few tokens only. Keep
    ``top_k`` in single digits: with a large ``top_k`` the Muse becomes plain temperature.

    The factor scales logits toward zero, as in the original transformers warper: a factor
    below 1 lowers positive logits and raises negative ones. ``damp = 0`` sets the top logits
    to 0, which does not remove those tokens. The ramp may run either way, and
    ``damp_initial`` above 1 is allowed. A factor of exactly 1 leaves the logits unchanged.

    Args:
        top_k: Number of largest logits to damp, an integer >= 1.
        damp: Factor once the ramp is over, a finite number >= 0.
        damp_initial: Factor for the first generated token, a finite number >= 0.
        damp_ramp_tokens: Number of generated tokens over which the factor moves linearly from
            ``damp_initial`` to ``damp``; 0 applies ``damp`` from the first token.

    Example:
        >>> warper = MuseLogitsWarper(top_k=3, damp=0.9, damp_ramp_tokens=32)
        >>> scores = warper(input_ids, scores)  # once per generated token
    """

    def __init__(
        self,
        top_k: int,
        damp: float = 0.98,
        damp_initial: float = 1.0,
        damp_ramp_tokens: int = 0,
    ) -> None:
        self.top_k = check_int("top_k", top_k, minimum=1)
        self.damp = check_float("damp", damp, minimum=0.0)
        self.damp_initial = check_float("damp_initial", damp_initial, minimum=0.0)
        self.damp_ramp_tokens = check_int("damp_ramp_tokens", damp_ramp_tokens, minimum=0)
        self.token_index = 0
        self._previous_input_length: int | None = None

    def __repr__(self) -> str:
        return (
            f"MuseLogitsWarper(top_k={self.top_k}, damp={self.damp}, "
            f"damp_initial={self.damp_initial}, damp_ramp_tokens={self.damp_ramp_tokens})"
        )

    def reset(self) -> None:
        """Start the ramp again, for a new generation."""
        self.token_index = 0
        self._previous_input_length = None

    def damp_factor(self, token_index: int | None = None) -> float:
        """Return the factor for the given generated-token index, by default the next one."""
        index = self.token_index if token_index is None else token_index
        if self.damp_ramp_tokens == 0 or index >= self.damp_ramp_tokens:
            return self.damp
        ratio = index / self.damp_ramp_tokens
        return self.damp_initial + ratio * (self.damp - self.damp_initial)

    def __call__(self, input_ids: Any, scores: np.ndarray) -> np.ndarray:
        """Return a damped copy of ``scores`` and advance the ramp by one token.

        ``scores`` is a logits row of shape (vocab,) or a batch of shape (batch, vocab); the
        input array is not modified. ``input_ids`` may be None. When it is given (as
        transformers and llama-cpp-python's ``LogitsProcessorList`` do), a call whose input is
        not exactly one token longer than the previous call's starts a new generation and resets
        the ramp, so one warper can serve many generations.
        """
        if input_ids is not None:
            input_length = int(np.shape(input_ids)[-1])
            if self._previous_input_length is not None and input_length != self._previous_input_length + 1:
                self.token_index = 0
            self._previous_input_length = input_length

        damped = damp_largest(np.asarray(scores), self.top_k, self.damp_factor())
        self.token_index += 1
        return damped


def damp_largest(scores: np.ndarray, top_k: int, factor: float) -> np.ndarray:
    """Return a copy of ``scores`` with the ``top_k`` largest entries of each row multiplied by ``factor``.

    Among equal values at the boundary, which ones count as the largest is unspecified.
    """
    damped = np.array(scores, dtype=np.result_type(scores.dtype, np.float32), copy=True)
    if factor == 1.0 or damped.size == 0:
        return damped

    width = damped.shape[-1]
    if top_k >= width:
        damped *= factor
        return damped

    largest = np.argpartition(damped, width - top_k, axis=-1)[..., width - top_k :]
    if damped.ndim == 1:
        damped[largest] *= factor
    else:
        np.put_along_axis(damped, largest, np.take_along_axis(damped, largest, axis=-1) * factor, axis=-1)
    return damped
