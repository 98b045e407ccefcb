"""The engine on the gptneox stand-in: RedPajama's architecture, tokenizer and logits width."""

from __future__ import annotations

import threading

import llama_cpp
import numpy as np
import pytest

from muse_desktop.engine import (
    FinishReason,
    GenerationRequest,
    LoadedModel,
    LoadOptions,
    PromptError,
    PromptFormat,
    PromptTooLongError,
)
from muse_desktop.engine.prompts import REDPAJAMA_STOP
from muse_desktop.sampling import SamplerSettings

STORY = "The lighthouse keeper found a letter in the sand. It was addressed to her, and"


def run(model: LoadedModel, text: str = STORY, *, seed: int = 1, max_tokens: int = 24, **request_options):
    prompt = model.build_prompt(PromptFormat.STORY, text)
    generation = model.generate(
        GenerationRequest(prompt, SamplerSettings(seed=seed), max_tokens=max_tokens, **request_options)
    )
    events = list(generation)
    return events, generation.result


def test_standin_has_redpajama_vocabulary(standin_model) -> None:
    assert standin_model.info.architecture == "gptneox"
    assert standin_model.info.n_vocab == 50_432


def test_streamed_text_matches_result(standin_model) -> None:
    events, result = run(standin_model)
    assert result.finish_reason == FinishReason.LENGTH
    assert result.generated_tokens == 24
    assert "".join(event.text for event in events) == result.text
    assert [event.index for event in events if event.token_id >= 0] == list(range(24))


def test_same_seed_same_text(standin_model) -> None:
    first = run(standin_model, seed=11)[1].text
    second = run(standin_model, seed=11)[1].text
    other = run(standin_model, seed=12)[1].text
    assert first == second
    assert first != other


def test_muse_ramp_reported_per_token(standin_model) -> None:
    events, _ = run(standin_model, max_tokens=40)
    factors = [event.damp_factor for event in events if event.token_id >= 0]
    assert factors[0] == 1.0
    assert factors[16] == pytest.approx(0.95)
    assert factors[32:] == pytest.approx([0.9] * len(factors[32:]))


def test_stop_string_spanning_tokens_ends_generation(standin_model) -> None:
    events, full = run(standin_model, seed=3, max_tokens=40)
    pieces = [event.text for event in events]
    # A stop string made of the end of one token's text and the start of the next.
    index = next(i for i in range(5, len(pieces) - 1) if len(pieces[i]) >= 2 and len(pieces[i + 1]) >= 2)
    stop = pieces[index][-2:] + pieces[index + 1][:2]
    expected = full.text[: full.text.index(stop)]

    stopped_events, stopped = run(standin_model, seed=3, max_tokens=40, stop_strings=(stop,))

    assert stopped.finish_reason == FinishReason.STOP
    assert stopped.text == expected
    assert "".join(event.text for event in stopped_events) == expected


def test_cancel_takes_effect_before_next_token(standin_model) -> None:
    prompt = standin_model.build_prompt(PromptFormat.STORY, STORY)
    generation = standin_model.generate(GenerationRequest(prompt, SamplerSettings(seed=1), max_tokens=100))
    received = []
    for event in generation:
        received.append(event)
        if len(received) == 3:
            generation.cancel()
    assert generation.result.finish_reason == FinishReason.CANCELLED
    assert generation.result.generated_tokens == 3


def test_cancel_from_another_thread(standin_model) -> None:
    prompt = standin_model.build_prompt(PromptFormat.STORY, STORY)
    generation = standin_model.generate(GenerationRequest(prompt, SamplerSettings(seed=1), max_tokens=400))
    first_token = threading.Event()

    def consume() -> None:
        for _ in generation:
            first_token.set()

    worker = threading.Thread(target=consume)
    worker.start()
    assert first_token.wait(timeout=30)
    generation.cancel()
    worker.join(timeout=30)
    assert not worker.is_alive()
    assert generation.result.finish_reason == FinishReason.CANCELLED
    assert generation.result.generated_tokens < 400


def test_decode_next_matches_llama_eval(standin_model) -> None:
    tokens = standin_model.tokenize(STORY, add_bos=False, special=False)
    llama = standin_model.llama
    rows = []
    for decode in (lambda token: llama.eval([token]), standin_model.decode_next):
        llama.reset()
        llama.eval(tokens)
        after_prompt = standin_model.last_logits().copy()
        decode(tokens[0])
        row = standin_model.last_logits().copy()
        assert llama.n_tokens == len(tokens) + 1
        assert llama.input_ids[len(tokens)] == tokens[0]
        assert not np.array_equal(row, after_prompt)
        rows.append(row)
    np.testing.assert_array_equal(rows[0], rows[1])


def test_token_pieces_and_end_tokens_cached(standin_model) -> None:
    token = standin_model.tokenize(" lighthouse", add_bos=False, special=False)[0]
    assert standin_model.token_piece(token) == standin_model.llama.detokenize([token])
    assert standin_model.token_piece(token) is standin_model.token_piece(token)
    end_of_text = standin_model.llama.token_eos()
    assert standin_model.is_end_of_generation(end_of_text)
    assert not standin_model.is_end_of_generation(token)


@pytest.mark.parametrize("flash_attention", [False, True])
def test_flash_attention_option_reaches_llama(standin_model_path, flash_attention: bool) -> None:
    model = LoadedModel(standin_model_path, LoadOptions(n_ctx=256, n_threads=2, flash_attention=flash_attention))
    try:
        expected = llama_cpp.LLAMA_FLASH_ATTN_TYPE_ENABLED if flash_attention else llama_cpp.LLAMA_FLASH_ATTN_TYPE_DISABLED
        assert model.llama.context_params.flash_attn_type == expected
        assert run(model, max_tokens=4)[1].generated_tokens == 4
    finally:
        model.close()


def test_continuation_reuses_cached_prefix(standin_model) -> None:
    _, first = run(standin_model, STORY, max_tokens=16)
    _, second = run(standin_model, STORY + first.text, max_tokens=4)
    story_tokens = len(standin_model.tokenize(STORY, add_bos=False, special=False))
    assert second.reused_prompt_tokens >= story_tokens
    assert second.reused_prompt_tokens < second.prompt_tokens


@pytest.mark.parametrize("follow_up", ["prefix", "same", "shorter-different"])
def test_reuse_matches_fresh_model(standin_model, standin_model_path, follow_up: str) -> None:
    run(standin_model, STORY + " The letter said: come home.", max_tokens=8)
    text = {
        "prefix": STORY,
        "same": STORY + " The letter said: come home.",
        "shorter-different": "A storm came",
    }[follow_up]

    _, reused = run(standin_model, text, seed=9)

    fresh = LoadedModel(standin_model_path, LoadOptions(n_ctx=512, n_threads=2))
    try:
        _, expected = run(fresh, text, seed=9)
    finally:
        fresh.close()
    assert reused.text == expected.text


def test_story_longer_than_context_keeps_going(standin_model_path) -> None:
    model = LoadedModel(standin_model_path, LoadOptions(n_ctx=64, n_threads=2))
    try:
        long_story = " ".join(f"Day {day}: the sea was grey." for day in range(60))
        _, result = run(model, long_story, max_tokens=120)
    finally:
        model.close()
    assert result.finish_reason == FinishReason.LENGTH
    assert result.generated_tokens == 120
    assert result.dropped_prompt_tokens > 0
    assert result.context_shifts >= 1


def test_chat_keeps_instruction_when_story_overflows(standin_model_path) -> None:
    model = LoadedModel(standin_model_path, LoadOptions(n_ctx=64, n_threads=2))
    try:
        prompt = model.build_prompt(PromptFormat.REDPAJAMA_CHAT, "once " * 200, instruction="Write about bears")
        generation = model.generate(GenerationRequest(prompt, SamplerSettings(seed=1), max_tokens=20))
        result = generation.run_to_end()
        cached = model.llama.detokenize(list(model.llama.input_ids[: model.llama.n_tokens])).decode("utf-8", "replace")
    finally:
        model.close()
    assert result.dropped_prompt_tokens > 0
    assert cached.startswith("<human>: Write about bears\n<bot>:")


def test_instruction_too_long_for_context_rejected(standin_model_path) -> None:
    model = LoadedModel(standin_model_path, LoadOptions(n_ctx=32, n_threads=2))
    try:
        prompt = model.build_prompt(PromptFormat.REDPAJAMA_CHAT, "", instruction="bears " * 100)
        with pytest.raises(PromptTooLongError, match="shorten the instruction or raise n_ctx"):
            model.generate(GenerationRequest(prompt, SamplerSettings(seed=1), max_tokens=8)).run_to_end()
    finally:
        model.close()


def test_redpajama_chat_format(standin_model) -> None:
    assert standin_model.chat_format() is PromptFormat.REDPAJAMA_CHAT
    prompt = standin_model.build_prompt(PromptFormat.REDPAJAMA_CHAT, "", instruction="Write a story about polar bears")
    assert prompt.head == "<human>: Write a story about polar bears\n<bot>:"
    assert prompt.stop_strings == (REDPAJAMA_STOP,)


def test_chat_without_instruction_rejected(standin_model) -> None:
    with pytest.raises(PromptError, match="needs an instruction"):
        standin_model.build_prompt(PromptFormat.REDPAJAMA_CHAT, "", instruction="  ")


def test_empty_story_starts_from_end_of_text(standin_model) -> None:
    _, result = run(standin_model, "", max_tokens=5)
    assert result.generated_tokens == 5
    assert result.prompt_tokens == 1
