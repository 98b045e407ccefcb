"""The Muse warper against an independent computation of its definition."""

from __future__ import annotations

import math

import numpy as np
import pytest

from muse_desktop.sampling import MuseLogitsWarper, MuseSettings


def reference_factor(n: int, damp: float, damp_initial: float, ramp: int) -> float:
    if ramp == 0:
        return damp
    return damp_initial + min(n / ramp, 1.0) * (damp - damp_initial)


def reference_damp(scores: np.ndarray, top_k: int, factor: float) -> np.ndarray:
    """Sort, multiply the first top_k, undo the sort: slow and obviously right."""
    order = np.argsort(-scores, kind="stable")
    damped = scores.astype(np.float64).copy()
    damped[order[:top_k]] *= factor
    return damped


@pytest.mark.parametrize(
    ("damp", "damp_initial", "ramp"),
    [
        (0.9, 1.0, 32),  # the original's example
        (0.9, 1.0, 0),  # no ramp: damp from the first token
        (1.2, 0.8, 10),  # reversed ramp
        (0.7, 1.5, 5),  # damp_initial above 1
    ],
)
def test_muse_matches_reference_along_ramp(damp: float, damp_initial: float, ramp: int) -> None:
    rng = np.random.default_rng(7)
    warper = MuseLogitsWarper(top_k=3, damp=damp, damp_initial=damp_initial, damp_ramp_tokens=ramp)
    for n in range(max(ramp, 4) + 3):
        scores = rng.normal(4.0, 3.0, size=500).astype(np.float32)
        expected_factor = reference_factor(n, damp, damp_initial, ramp)
        assert warper.damp_factor() == pytest.approx(expected_factor, abs=1e-12)

        damped = warper(None, scores)

        np.testing.assert_allclose(damped, reference_damp(scores, 3, expected_factor), rtol=1e-6)


@pytest.mark.parametrize(
    ("n", "expected"),
    [(0, 1.0), (16, 0.95), (32, 0.9), (100, 0.9)],
)
def test_damp_factor_at_ramp_points(n: int, expected: float) -> None:
    warper = MuseLogitsWarper(top_k=3, damp=0.9, damp_initial=1.0, damp_ramp_tokens=32)
    assert warper.damp_factor(n) == pytest.approx(expected)


def test_muse_leaves_other_logits_and_input() -> None:
    scores = np.array([1.0, 5.0, 2.0, 9.0, 7.0, -3.0], dtype=np.float32)
    original = scores.copy()
    warper = MuseLogitsWarper(top_k=2, damp=0.5)

    damped = warper(None, scores)

    np.testing.assert_array_equal(scores, original)
    np.testing.assert_allclose(damped, [1.0, 5.0, 2.0, 4.5, 3.5, -3.0])


def test_muse_damps_each_row_of_batch() -> None:
    scores = np.array([[1.0, 4.0, 3.0], [6.0, 2.0, 5.0]])
    damped = MuseLogitsWarper(top_k=1, damp=0.5)(None, scores)
    np.testing.assert_allclose(damped, [[1.0, 2.0, 3.0], [3.0, 2.0, 5.0]])


def test_top_k_larger_than_vocabulary_damps_all() -> None:
    damped = MuseLogitsWarper(top_k=10, damp=0.5)(None, np.array([2.0, 4.0]))
    np.testing.assert_allclose(damped, [1.0, 2.0])


def test_reset_restarts_ramp() -> None:
    warper = MuseLogitsWarper(top_k=3, damp=0.5, damp_ramp_tokens=4)
    for _ in range(3):
        warper(None, np.zeros(10))
    assert warper.damp_factor() == pytest.approx(0.625)

    warper.reset()

    assert warper.damp_factor() == 1.0


def test_input_ids_new_generation_resets_ramp() -> None:
    warper = MuseLogitsWarper(top_k=3, damp=0.5, damp_ramp_tokens=4)
    scores = np.zeros(10)
    warper(np.arange(5), scores)
    warper(np.arange(6), scores)
    assert warper.token_index == 2

    warper(np.arange(20), scores)  # a longer, unrelated prompt: a new generation

    assert warper.token_index == 1


def test_plugs_into_llama_cpp_logits_processor_list() -> None:
    from llama_cpp import LogitsProcessorList

    processors = LogitsProcessorList([MuseLogitsWarper(top_k=1, damp=0.5)])
    damped = processors(np.arange(3, dtype=np.intc), np.array([1.0, 8.0, 2.0], dtype=np.float32))
    np.testing.assert_allclose(damped, [1.0, 4.0, 2.0])


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"top_k": 0}, "top_k must be an integer >= 1, got 0"),
        ({"top_k": 2.5}, "top_k must be an integer >= 1, got 2.5"),
        ({"top_k": True}, "top_k must be an integer >= 1, got True"),
        ({"top_k": 3, "damp": -0.1}, "damp must be a finite number >= 0, got -0.1"),
        ({"top_k": 3, "damp": math.nan}, "damp must be a finite number >= 0, got nan"),
        ({"top_k": 3, "damp": math.inf}, "damp must be a finite number >= 0, got inf"),
        ({"top_k": 3, "damp_initial": -math.inf}, "damp_initial must be a finite number >= 0, got -inf"),
        ({"top_k": 3, "damp_ramp_tokens": -1}, "damp_ramp_tokens must be an integer >= 0, got -1"),
        ({"top_k": 3, "damp_ramp_tokens": 1.0}, "damp_ramp_tokens must be an integer >= 0, got 1.0"),
    ],
)
def test_invalid_muse_arguments_rejected(arguments: dict, message: str) -> None:
    with pytest.raises(ValueError) as raised:
        MuseLogitsWarper(**arguments)
    assert str(raised.value) == message


def test_muse_settings_validate_like_warper() -> None:
    with pytest.raises(ValueError, match="muse top_k must be an integer >= 1, got 0"):
        MuseSettings(top_k=0)
