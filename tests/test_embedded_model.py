"""The embedded SmolLM2 model writes real stories, reproducibly, and the Muse changes them."""

from __future__ import annotations

from muse_desktop.engine import FinishReason, GenerationRequest, PromptFormat
from muse_desktop.sampling import SamplerSettings

OPENING = "The lighthouse keeper found a letter in the sand. It was addressed to her, and"


def write(model, settings: SamplerSettings, max_tokens: int = 120) -> str:
    prompt = model.build_prompt(PromptFormat.STORY, OPENING)
    result = model.generate(GenerationRequest(prompt, settings, max_tokens=max_tokens)).run_to_end()
    assert result.finish_reason in (FinishReason.LENGTH, FinishReason.EOS)
    return result.text


def test_seeded_story_has_sixty_words(embedded_model) -> None:
    story = write(embedded_model, SamplerSettings(seed=2024))
    assert len(story.split()) >= 60, story


def test_same_seed_same_story(embedded_model) -> None:
    assert write(embedded_model, SamplerSettings(seed=7)) == write(embedded_model, SamplerSettings(seed=7))


def test_muse_on_and_off_differ(embedded_model) -> None:
    with_muse = write(embedded_model, SamplerSettings(seed=7))
    without_muse = write(embedded_model, SamplerSettings(seed=7, muse=None))
    assert with_muse != without_muse


def test_chat_template_prompt(embedded_model) -> None:
    prompt = embedded_model.build_prompt(embedded_model.chat_format(), "", instruction="Write a story about polar bears")
    assert prompt.head.startswith("<|im_start|>")
    assert prompt.head.endswith("<|im_start|>assistant\n")
    result = embedded_model.generate(GenerationRequest(prompt, SamplerSettings(seed=3), max_tokens=60)).run_to_end()
    assert result.generated_tokens > 10
    assert "<|im_start|>" not in result.text
