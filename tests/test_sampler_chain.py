"""The sampler chain: stage order, each stage's off value, seeded draws and bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from muse_desktop.sampling import (
    InvalidLogitsError,
    MuseSettings,
    SamplerChain,
    SamplerSettings,
    select_largest,
)


def reference_distribution(logits: np.ndarray, config: SamplerSettings, token_index: int = 0) -> dict[int, float]:
    """The chain's definition on the whole row, stage by stage, with plain Python sorting."""
    values = logits.astype(np.float64).copy()
    if config.temperature > 0:
        values = values / config.temperature
    if config.muse is not None:
        muse = config.muse
        ratio = 1.0 if muse.damp_ramp_tokens == 0 else min(token_index / muse.damp_ramp_tokens, 1.0)
        factor = muse.damp_initial + ratio * (muse.damp - muse.damp_initial)
        for token in sorted(range(values.size), key=lambda t: -values[t])[: muse.top_k]:
            values[token] *= factor
    ranked = sorted(range(values.size), key=lambda t: -values[t])
    if config.top_k:
        ranked = ranked[: config.top_k]
    weights = np.exp(np.array([values[t] for t in ranked]) - max(values[t] for t in ranked))
    probabilities = weights / weights.sum()
    if config.top_p < 1.0:
        cumulative, cut = 0.0, 0
        while cut < len(ranked):
            cumulative += probabilities[cut]
            cut += 1
            if cumulative >= config.top_p:
                break
        ranked, probabilities = ranked[:cut], probabilities[:cut]
    if config.min_p > 0:
        kept = [i for i, p in enumerate(probabilities) if p >= config.min_p * probabilities.max()]
        ranked, probabilities = [ranked[i] for i in kept], probabilities[kept]
    probabilities = probabilities / probabilities.sum()
    return dict(zip(ranked, probabilities.tolist()))


def as_mapping(config: SamplerSettings, logits: np.ndarray) -> dict[int, float]:
    distribution = SamplerChain(config).distribution(logits)
    return dict(zip(distribution.token_ids.tolist(), distribution.probabilities.tolist()))


CHAIN_CASES = [
    SamplerSettings(),
    SamplerSettings(muse=None),
    SamplerSettings(top_k=0),
    SamplerSettings(top_k=5, muse=MuseSettings(top_k=3, damp=0.5, damp_ramp_tokens=0)),
    SamplerSettings(top_k=40, top_p=0.8, min_p=0.05, muse=MuseSettings(damp=0.7, damp_ramp_tokens=0)),
    SamplerSettings(temperature=1.5, top_k=0, top_p=0.9),
    SamplerSettings(top_k=1000, muse=MuseSettings(top_k=8, damp=1.3, damp_initial=1.3, damp_ramp_tokens=0)),
]


@pytest.mark.parametrize("config", CHAIN_CASES)
@pytest.mark.parametrize("vocab_size", [300, 50_432])
def test_chain_matches_reference(config: SamplerSettings, vocab_size: int) -> None:
    logits = np.random.default_rng(vocab_size).normal(2.0, 3.0, size=vocab_size).astype(np.float32)
    expected = reference_distribution(logits, config)
    actual = as_mapping(config, logits)
    assert set(actual) == set(expected)
    for token, probability in expected.items():
        assert actual[token] == pytest.approx(probability, rel=1e-6, abs=1e-12)


def test_muse_pushes_down_top_token() -> None:
    logits = np.array([10.0, 9.0, 8.0, 7.0, 1.0], dtype=np.float32)
    plain = as_mapping(SamplerSettings(temperature=1.0, muse=None), logits)
    muse = as_mapping(SamplerSettings(temperature=1.0, muse=MuseSettings(top_k=1, damp=0.8, damp_ramp_tokens=0)), logits)
    assert muse[0] < plain[0]
    assert muse[3] > plain[3]


def test_sampling_frequencies_match_probabilities() -> None:
    # With 40,000 draws the standard error of each frequency is at most 0.0025, so 0.012 is
    # about five standard errors. The fixed seed makes the test deterministic.
    logits = np.array([3.0, 2.5, 2.0, 1.0, 0.5, 0.0, -1.0, -4.0], dtype=np.float32)
    config = SamplerSettings(temperature=0.8, top_k=6, muse=MuseSettings(top_k=2, damp=0.8, damp_ramp_tokens=0), seed=123)
    chain = SamplerChain(config)
    chain.reset()
    expected = as_mapping(config, logits)

    draws = np.array([chain.sample(logits).token_id for _ in range(40_000)])

    counts = np.bincount(draws, minlength=logits.size) / draws.size
    for token in range(logits.size):
        assert counts[token] == pytest.approx(expected.get(token, 0.0), abs=0.012), f"token {token}"


def test_temperature_zero_is_greedy_after_muse() -> None:
    # The Muse runs before the draw, so it can change which token is the most likely.
    logits = np.array([10.0, 9.95, 9.9, 9.5], dtype=np.float32)
    greedy_plain = SamplerChain(SamplerSettings(temperature=0.0, muse=None))
    greedy_muse = SamplerChain(SamplerSettings(temperature=0.0, muse=MuseSettings(top_k=3, damp=0.9, damp_ramp_tokens=0)))
    assert greedy_plain.sample(logits).token_id == 0
    assert greedy_muse.sample(logits).token_id == 3


def test_same_seed_same_tokens() -> None:
    logits = np.random.default_rng(1).normal(size=1000).astype(np.float32)
    config = SamplerSettings(temperature=1.0, seed=42)
    first, second = SamplerChain(config), SamplerChain(config)
    assert [first.sample(logits).token_id for _ in range(50)] == [second.sample(logits).token_id for _ in range(50)]


def test_reset_replays_same_tokens() -> None:
    logits = np.random.default_rng(2).normal(size=1000).astype(np.float32)
    chain = SamplerChain(SamplerSettings(temperature=1.0, seed=5))
    chain.reset()
    first = [chain.sample(logits).token_id for _ in range(40)]
    chain.reset()
    assert [chain.sample(logits).token_id for _ in range(40)] == first


def test_unset_seed_is_recorded() -> None:
    chain = SamplerChain(SamplerSettings(seed=None))
    assert 0 <= chain.seed < 2**64


def test_ramp_advances_once_per_sample() -> None:
    chain = SamplerChain(SamplerSettings(muse=MuseSettings(damp=0.5, damp_initial=1.0, damp_ramp_tokens=4)))
    logits = np.zeros(100, dtype=np.float32)
    factors = [chain.sample(logits).damp_factor for _ in range(6)]
    assert factors == pytest.approx([1.0, 0.875, 0.75, 0.625, 0.5, 0.5])


def test_repetition_penalty_lowers_recent_tokens() -> None:
    logits = np.array([2.0, 2.0, -1.0, -1.0], dtype=np.float32)
    chain = SamplerChain(SamplerSettings(temperature=1.0, top_k=0, muse=None, repeat_penalty=2.0))
    chain.reset(prompt_tokens=[0, 2])
    distribution = dict(zip(*(array.tolist() for array in (chain.distribution(logits).token_ids, chain.distribution(logits).probabilities))))
    assert distribution[0] < distribution[1]
    assert distribution[2] < distribution[3]


def test_distribution_does_not_change_logits() -> None:
    logits = np.random.default_rng(3).normal(size=2000).astype(np.float32)
    original = logits.copy()
    chain = SamplerChain(SamplerSettings(repeat_penalty=1.3, seed=1))
    chain.reset(prompt_tokens=range(64))
    chain.sample(logits)
    np.testing.assert_array_equal(logits, original)


def test_trace_shows_probabilities_before_and_after() -> None:
    logits = np.array([6.0, 5.0, 4.0, 3.0, 2.0], dtype=np.float32)
    chain = SamplerChain(SamplerSettings(temperature=1.0, muse=MuseSettings(top_k=1, damp=0.5, damp_ramp_tokens=0), seed=1))
    trace = chain.sample(logits, trace=True).trace
    assert trace is not None
    assert trace.damp_factor == 0.5
    before = dict(zip(trace.token_ids.tolist(), trace.probabilities_before.tolist()))
    after = dict(zip(trace.token_ids.tolist(), trace.probabilities_after.tolist()))
    assert after[0] < before[0]
    assert after[1] > before[1]
    assert sum(before.values()) == pytest.approx(1.0)
    assert sum(after.values()) == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (np.array([1.0, np.nan, 2.0], dtype=np.float32), "contains NaN"),
        (np.array([1.0, np.inf], dtype=np.float32), r"contains \+inf"),
        (np.full(4, -np.inf, dtype=np.float32), "no finite value"),
        (np.zeros((2, 3), dtype=np.float32), "1-D float array"),
        (np.arange(4), "1-D float array"),
        (np.array([], dtype=np.float32), "non-empty"),
    ],
)
def test_invalid_logits_rejected(row: np.ndarray, message: str) -> None:
    with pytest.raises(InvalidLogitsError, match=message):
        SamplerChain(SamplerSettings()).sample(row)


def test_negative_infinity_entries_allowed() -> None:
    logits = np.array([-np.inf, 1.0, -np.inf, 0.5], dtype=np.float32)
    tokens = {SamplerChain(SamplerSettings(seed=s, temperature=1.0)).sample(logits).token_id for s in range(30)}
    assert tokens <= {1, 3}


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"temperature": -0.1}, "temperature must be a finite number >= 0, got -0.1"),
        ({"temperature": math.nan}, "temperature must be a finite number >= 0, got nan"),
        ({"top_k": -1}, "top_k must be an integer >= 0, got -1"),
        ({"top_k": 2.5}, "top_k must be an integer >= 0, got 2.5"),
        ({"top_p": 0.0}, r"top_p must be a finite number in \(0, 1\], got 0.0"),
        ({"top_p": 1.5}, r"top_p must be a finite number in \(0, 1\], got 1.5"),
        ({"min_p": -0.5}, r"min_p must be a finite number in \[0, 1\], got -0.5"),
        ({"repeat_penalty": 0.0}, "repeat_penalty must be a finite number > 0, got 0.0"),
        ({"seed": -1}, "seed must be an integer in"),
        ({"seed": 2**64}, "seed must be an integer in"),
    ],
)
def test_invalid_settings_rejected(changes: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        SamplerSettings().with_changes(**changes)


def test_settings_round_trip_through_dict() -> None:
    config = SamplerSettings(temperature=0.9, seed=7, muse=MuseSettings(top_k=4))
    assert SamplerSettings.from_dict(config.to_dict()) == config
    assert SamplerSettings.from_dict(SamplerSettings(muse=None).to_dict()).muse is None


def test_settings_from_dict_rejects_unknown_keys() -> None:
    with pytest.raises(ValueError, match="unknown sampler settings: warmth"):
        SamplerSettings.from_dict({"warmth": 3})


@settings(max_examples=200, deadline=None)
@given(
    row=arrays(np.float32, st.integers(1, 3000), elements=st.floats(-50, 50, width=32)),
    count=st.integers(1, 80),
)
def test_select_largest_contains_top_entries(row: np.ndarray, count: int) -> None:
    selected = select_largest(row, count)
    kth_largest = np.sort(row)[::-1][min(count, row.size) - 1]
    assert np.all(np.isin(np.flatnonzero(row > kth_largest), selected))
    assert np.count_nonzero(row[selected] >= kth_largest) >= min(count, row.size)
