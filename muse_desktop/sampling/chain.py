"""The sampler chain: repetition penalty, temperature, Muse, top-k, top-p, min-p and a seeded draw."""

from __future__ import annotations

import math
import secrets
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from muse_desktop.sampling.muse import MuseLogitsWarper, damp_largest
from muse_desktop.sampling.settings import SamplerSettings

# Candidate selection scans column maxima of the row laid out as a (rows, columns) matrix.
# More columns than candidates give a tighter threshold. Past this many candidates a full
# argpartition is as fast.
_MAX_FAST_CANDIDATES = 256


class InvalidLogitsError(ValueError):
    """A logits row that no token can be sampled from (NaN, +inf, or no finite value)."""


@dataclass(frozen=True)
class Distribution:
    """Tokens that survive the chain and their probabilities, which add up to 1.

    When top-k or top-p is on, the most probable token comes first.
    """

    token_ids: np.ndarray
    probabilities: np.ndarray


@dataclass(frozen=True)
class SamplingTrace:
    """Effect of the Muse on one token's distribution, for display.

    ``token_ids`` are the most probable tokens after the Muse, then any that it pushed out of
    that list. The two probability arrays align with ``token_ids``; a token cut by the other
    stages has probability 0 there.
    """

    token_index: int
    damp_factor: float
    token_ids: np.ndarray
    probabilities_before: np.ndarray
    probabilities_after: np.ndarray


@dataclass(frozen=True)
class SampledToken:
    """One sampled token, with the trace when one was requested."""

    token_id: int
    damp_factor: float
    trace: SamplingTrace | None = None


class SamplerChain:
    """Turn successive logits rows of one generation into tokens.

    The Muse runs between temperature and top-k. Only the rows' largest entries can survive
    top-k, so the chain first picks a small superset of them (``top_k`` plus the Muse's
    ``top_k`` entries) and runs temperature, Muse and the later stages on that subset. The
    result is the same as running each stage on the whole row. With ``top_k = 0`` every stage
    works on the whole vocabulary, which is slower.
    """

    def __init__(self, settings: SamplerSettings) -> None:
        self.settings = settings
        self.muse: MuseLogitsWarper | None = None
        if settings.muse is not None:
            self.muse = MuseLogitsWarper(
                top_k=settings.muse.top_k,
                damp=settings.muse.damp,
                damp_initial=settings.muse.damp_initial,
                damp_ramp_tokens=settings.muse.damp_ramp_tokens,
            )
        self.seed = settings.seed if settings.seed is not None else secrets.randbits(64)
        self._rng = np.random.default_rng(self.seed)
        self._recent_tokens: deque[int] = deque(maxlen=settings.repeat_last_n)
        self._token_index = 0

    def reset(self, prompt_tokens: Iterable[int] = ()) -> None:
        """Start a new generation: restart the Muse ramp, reseed, and remember the prompt's tokens."""
        if self.muse is not None:
            self.muse.reset()
        self._rng = np.random.default_rng(self.seed)
        self._token_index = 0
        self._recent_tokens.clear()
        if self._recent_tokens.maxlen:
            self._recent_tokens.extend(list(prompt_tokens)[-self._recent_tokens.maxlen :])

    @property
    def token_index(self) -> int:
        """Index of the next generated token within the current generation."""
        return self._token_index

    def distribution(self, logits: np.ndarray, *, apply_muse: bool = True) -> Distribution:
        """Return the distribution the next draw would use, without changing any state."""
        token_ids, scaled = self._candidates(logits)
        if apply_muse and self.muse is not None:
            scaled = damp_largest(scaled, self.muse.top_k, self.muse.damp_factor())
        return self._truncate(token_ids, scaled)

    def sample(self, logits: np.ndarray, *, trace: bool = False) -> SampledToken:
        """Sample the next token from a logits row and advance the Muse ramp.

        Raises:
            InvalidLogitsError: The row contains NaN or +inf, or has no finite value.
        """
        token_ids, scaled = self._candidates(logits)
        token_index = self._token_index
        self._token_index += 1
        damp_factor = 1.0
        damped = scaled
        if self.muse is not None:
            damp_factor = self.muse.damp_factor()
            damped = self.muse(None, scaled)

        final = self._truncate(token_ids, damped)
        token_id = self._draw(final)
        if self._recent_tokens.maxlen:
            self._recent_tokens.append(token_id)

        sampling_trace = None
        if trace:
            before = self._truncate(token_ids, scaled)
            sampling_trace = _build_trace(token_index, damp_factor, before, final)
        return SampledToken(token_id=token_id, damp_factor=damp_factor, trace=sampling_trace)

    def _penalized(self, row: np.ndarray) -> np.ndarray:
        penalty = self.settings.repeat_penalty
        if penalty == 1.0 or not self._recent_tokens:
            return row
        seen = np.fromiter(set(self._recent_tokens), dtype=np.int64)
        seen = seen[(seen >= 0) & (seen < row.size)]
        penalized = row.astype(np.float32, copy=True)
        values = penalized[seen]
        penalized[seen] = np.where(values > 0, values / penalty, values * penalty)
        return penalized

    def _candidates(self, logits: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Return token ids that include every token that can survive top-k, and their scaled logits.

        Raises:
            InvalidLogitsError: The row contains NaN or +inf, or has no finite value.
        """
        row = self._penalized(_as_logits_row(logits))
        top_k = self.settings.top_k
        if top_k == 0 or top_k >= row.size:
            _check_peak(float(row.max()))
            token_ids = np.arange(row.size)
        else:
            muse_top_k = self.muse.top_k if self.muse is not None else 0
            token_ids, peak = _largest_and_peak(row, top_k + muse_top_k)
            _check_peak(peak)

        # Each NumPy call here costs several microseconds more in the generation loop than in
        # a tight loop, because a decode leaves the CPU caches full of weights, so the common
        # path keeps the calls few (docs/benchmark-findings.md).
        if self.settings.temperature > 0:
            return token_ids, np.divide(row[token_ids], self.settings.temperature, dtype=np.float64)
        return token_ids, row[token_ids].astype(np.float64)

    def _truncate(self, token_ids: np.ndarray, logits: np.ndarray) -> Distribution:
        settings = self.settings
        if settings.top_k and settings.top_p == 1.0 and settings.min_p == 0.0:
            order = np.argsort(-logits, kind="stable")[: settings.top_k]
            token_ids, logits = token_ids[order], logits[order]
            probabilities = np.exp(logits - logits[0])
            probabilities /= probabilities.sum()
            return Distribution(token_ids=token_ids, probabilities=probabilities)

        if 0 < settings.top_k < logits.size:
            kept = np.argpartition(logits, logits.size - settings.top_k)[logits.size - settings.top_k :]
            token_ids, logits = token_ids[kept], logits[kept]
        if settings.top_k or settings.top_p < 1.0:
            order = np.argsort(-logits, kind="stable")
            token_ids, logits = token_ids[order], logits[order]

        probabilities = np.exp(logits - logits.max())
        probabilities /= probabilities.sum()
        if settings.top_p < 1.0:
            cut = int(np.searchsorted(np.cumsum(probabilities), settings.top_p)) + 1
            token_ids, probabilities = token_ids[:cut], probabilities[:cut]
        if settings.min_p > 0.0:
            kept = probabilities >= settings.min_p * probabilities.max()
            token_ids, probabilities = token_ids[kept], probabilities[kept]
        return Distribution(token_ids=token_ids, probabilities=probabilities / probabilities.sum())

    def _draw(self, distribution: Distribution) -> int:
        if self.settings.temperature == 0:
            return int(distribution.token_ids[int(np.argmax(distribution.probabilities))])
        cumulative = np.cumsum(distribution.probabilities)
        index = int(np.searchsorted(cumulative, self._rng.random() * cumulative[-1], side="right"))
        return int(distribution.token_ids[min(index, cumulative.size - 1)])


def validate_logits_row(logits: np.ndarray) -> np.ndarray:
    """Return ``logits`` as a 1-D float array, or raise InvalidLogitsError if no token can be drawn from it."""
    row = _as_logits_row(logits)
    _check_peak(float(row.max()))
    return row


def _as_logits_row(logits: np.ndarray) -> np.ndarray:
    row = np.asarray(logits)
    if row.ndim != 1 or row.size == 0 or row.dtype.kind != "f":
        raise InvalidLogitsError(
            f"logits must be a non-empty 1-D float array, got shape {row.shape} and dtype {row.dtype}"
        )
    return row


def _check_peak(peak: float) -> None:
    """Raise InvalidLogitsError unless ``peak``, the row's maximum, is finite."""
    if peak != peak:
        raise InvalidLogitsError("logits row contains NaN; the model produced invalid output")
    if peak == math.inf:
        raise InvalidLogitsError("logits row contains +inf; the model produced invalid output")
    if peak == -math.inf:
        raise InvalidLogitsError("logits row has no finite value, so no token can be sampled")


def select_largest(row: np.ndarray, count: int) -> np.ndarray:
    """Return the indices of a superset of the ``count`` largest entries of ``row``, in no order."""
    return _largest_and_peak(row, count)[0]


def _largest_and_peak(row: np.ndarray, count: int) -> tuple[np.ndarray, float]:
    """Return the indices of a superset of the ``count`` largest entries of ``row``, and its maximum.

    The row is viewed as a matrix with at least four times as many columns as ``count``. At
    least ``count`` entries (the largest column maxima) are at or above the ``count``-th largest
    column maximum, so every one of the ``count`` largest entries is too. One pass of maxima
    and one comparison cost far less than a full argpartition on a large vocabulary. The
    maximum is NaN when the row contains a NaN, as NumPy's maximum propagates it.
    """
    width = row.size
    if count >= width:
        return np.arange(width), float(row.max())
    columns = 256
    while columns < 4 * count:
        columns *= 2
    if count > _MAX_FAST_CANDIDATES or width < 4 * columns:
        return np.argpartition(row, width - count)[width - count :], float(row.max())

    usable = width - width % columns
    column_maxima = row[:usable].reshape(-1, columns).max(axis=0)
    peak = float(column_maxima.max())
    if usable < width:
        tail_peak = float(row[usable:].max())
        if tail_peak != tail_peak or tail_peak > peak:
            peak = tail_peak
    threshold = np.partition(column_maxima, columns - count)[columns - count]
    return (row >= threshold).nonzero()[0], peak


def _build_trace(token_index: int, damp_factor: float, before: Distribution, after: Distribution) -> SamplingTrace:
    shown = 10
    token_ids = after.token_ids[:shown].tolist()
    already_shown = set(token_ids)
    token_ids += [token for token in before.token_ids[:shown].tolist() if token not in already_shown]
    before_lookup = dict(zip(before.token_ids.tolist(), before.probabilities.tolist()))
    after_lookup = dict(zip(after.token_ids.tolist(), after.probabilities.tolist()))
    return SamplingTrace(
        token_index=token_index,
        damp_factor=damp_factor,
        token_ids=np.array(token_ids, dtype=np.int64),
        probabilities_before=np.array([before_lookup.get(int(t), 0.0) for t in token_ids]),
        probabilities_after=np.array([after_lookup.get(int(t), 0.0) for t in token_ids]),
    )
