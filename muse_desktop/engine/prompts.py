"""Prompt formats: plain story continuation, RedPajama chat, and a GGUF's own chat template."""

from __future__ import annotations

import enum
import logging
from dataclasses import dataclass

logger = logging.getLogger(__name__)

REDPAJAMA_STOP = "<human>:"


class PromptFormat(str, enum.Enum):
    """Format that turns the writer's text into the model's prompt."""

    STORY = "story"
    REDPAJAMA_CHAT = "redpajama-chat"
    CHAT_TEMPLATE = "chat-template"


@dataclass(frozen=True)
class Prompt:
    """A prompt in two parts.

    ``head`` (the chat instruction and markers) is always kept whole. ``body`` (the story so
    far) is cut from the front when the context window cannot hold it all.
    When ``head_is_markup`` is true, control tokens in the head such as <|im_start|> are parsed
    as special tokens. The writer's body text never is.
    """

    head: str
    body: str
    stop_strings: tuple[str, ...] = ()
    head_is_markup: bool = False


class PromptError(ValueError):
    """A prompt that cannot be built, such as chat without an instruction."""


def story_prompt(story: str) -> Prompt:
    """Build a prompt that continues ``story`` as plain text."""
    return Prompt(head="", body=story)


def redpajama_chat_prompt(instruction: str, answer_so_far: str = "") -> Prompt:
    """Build RedPajama-INCITE-Chat's prompt: "<human>: {instruction}\\n<bot>:" and the answer so far.

    The format and the stop string come from the model card of
    togethercomputer/RedPajama-INCITE-Chat-3B-v1.
    """
    _require_instruction(instruction)
    return Prompt(
        head=f"<human>: {instruction.strip()}\n<bot>:",
        body=answer_so_far,
        stop_strings=(REDPAJAMA_STOP,),
    )


def template_chat_prompt(
    chat_template: str, instruction: str, answer_so_far: str = "", *, bos_token: str = "", eos_token: str = ""
) -> Prompt:
    """Build a chat prompt with the Jinja chat template stored in a GGUF's metadata.

    The template is rendered in a sandbox by llama-cpp-python's Jinja2ChatFormatter, with one
    user message and the generation prompt. ``eos_token`` becomes a stop string, in case the
    model writes it as text rather than as its end-of-generation token.
    """
    from llama_cpp.llama_chat_format import Jinja2ChatFormatter

    _require_instruction(instruction)
    formatter = Jinja2ChatFormatter(template=chat_template, eos_token=eos_token, bos_token=bos_token)
    try:
        rendered = formatter(messages=[{"role": "user", "content": instruction.strip()}]).prompt
    except Exception as error:  # Jinja raises many types for a broken template.
        raise PromptError(f"the model's chat template could not be rendered: {error}") from error
    stops = (eos_token,) if eos_token else ()
    return Prompt(head=rendered, body=answer_so_far, stop_strings=stops, head_is_markup=True)


def _require_instruction(instruction: str) -> None:
    if not instruction or not instruction.strip():
        raise PromptError("chat format needs an instruction, for example: Write a story about polar bears")
