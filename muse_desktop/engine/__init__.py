"""The llama.cpp engine: loading GGUF models and the token-by-token generation loop. No Qt here."""

from muse_desktop.engine.backend import BuildInfo, build_info
from muse_desktop.engine.generation import (
    FinishReason,
    Generation,
    GenerationRequest,
    GenerationResult,
    PromptTooLongError,
    TokenEvent,
)
from muse_desktop.engine.model import LoadedModel, LoadOptions, ModelInfo, ModelLoadError
from muse_desktop.engine.prompts import Prompt, PromptError, PromptFormat
from muse_desktop.engine.text_stream import TextStream

__all__ = [
    "BuildInfo",
    "FinishReason",
    "Generation",
    "GenerationRequest",
    "GenerationResult",
    "LoadOptions",
    "LoadedModel",
    "ModelInfo",
    "ModelLoadError",
    "Prompt",
    "PromptError",
    "PromptFormat",
    "PromptTooLongError",
    "TextStream",
    "TokenEvent",
    "build_info",
]
