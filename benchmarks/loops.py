"""Measurements on llama.cpp: our generation loop with and without the Muse, and create_completion."""

from __future__ import annotations

import logging
import time
from dataclasses import replace
from typing import Any

import llama_cpp

from benchmarks.jobs import TEMPERATURE, TOP_K, WARMUP_TOKENS, Job
from benchmarks.measure import MEBIBYTE, TokenClock, generate_budget, memory_status
from muse_desktop.engine import GenerationRequest, LoadedModel, LoadOptions, PromptFormat
from muse_desktop.sampling import MuseSettings, SamplerSettings

logger = logging.getLogger(__name__)


def load_model(job: Job) -> tuple[LoadedModel, float]:
    """Load the job's model with its context, threads and GPU layers; return it and the seconds taken."""
    started = time.perf_counter()
    model = LoadedModel(job.model, LoadOptions(n_ctx=job.n_ctx, n_threads=job.threads, n_gpu_layers=job.n_gpu_layers))
    return model, time.perf_counter() - started


def sampler_settings(job: Job, *, muse: bool) -> SamplerSettings:
    """Return the chain's settings: temperature 0.7 and top-k 50, with the default Muse or none."""
    return SamplerSettings(temperature=TEMPERATURE, top_k=TOP_K, muse=MuseSettings() if muse else None, seed=job.seed)


def kv_cache_bytes(model: LoadedModel) -> int:
    """Return the size of the model's KV cache for its whole context, in bytes.

    NOTE: an estimate from the model's dimensions. It assumes llama.cpp's default float16 K and V
    and a head size of n_embd / n_head, which holds for SmolLM2 and GPT-NeoX.
    """
    handle = model.llama.model
    n_layer = llama_cpp.llama_model_n_layer(handle)
    head_size = llama_cpp.llama_model_n_embd(handle) // llama_cpp.llama_model_n_head(handle)
    n_head_kv = llama_cpp.llama_model_n_head_kv(handle)
    return 2 * model.info.n_ctx * n_layer * n_head_kv * head_size * 2


def model_facts(model: LoadedModel, load_seconds: float) -> dict[str, Any]:
    """Return what the report needs to know about a loaded model."""
    return {
        "load_seconds": load_seconds,
        "file_bytes": model.info.file_size,
        "kv_cache_bytes": kv_cache_bytes(model),
        "n_vocab": model.info.n_vocab,
        "n_ctx": model.info.n_ctx,
        "backend": model.info.backend,
        "n_gpu_layers": model.info.n_gpu_layers,
    }


def run_engine_loop(job: Job, *, muse: bool) -> dict[str, Any]:
    """Time our loop: a warm-up generation after loading, then the measured tokens.

    Both start from the prompt with an empty KV cache. The measured tokens may take several
    generations (see ``generate_budget``).
    """
    model, load_seconds = load_model(job)
    settings = sampler_settings(job, muse=muse)
    summaries = []
    for tokens in (WARMUP_TOKENS, job.tokens):
        model.llama.reset()
        clock = TokenClock()

        def generate(story: str, seed: int, max_tokens: int) -> tuple[str, int]:
            request = GenerationRequest(
                model.build_prompt(PromptFormat.STORY, story), replace(settings, seed=seed), max_tokens=max_tokens
            )
            generation = model.generate(request)
            generation.chain.sample = clock.wrap(generation.chain.sample)
            result = generation.run_to_end()
            return result.text, result.generated_tokens

        generate_budget(generate, clock, job, tokens)
        summaries.append(clock.summary())
    return round_result(model, load_seconds, summaries)


def round_result(model: LoadedModel, load_seconds: float, summaries: list[dict[str, Any]]) -> dict[str, Any]:
    """Return one round's result from the warm-up and measured generations' summaries."""
    warmup, measured = summaries
    return {
        **model_facts(model, load_seconds),
        "first_time_to_first_token": warmup["time_to_first_token"],
        "run": measured,
        "peak_rss_bytes": memory_status()["VmHWM"],
    }


def run_llama_completion(job: Job) -> dict[str, Any]:
    """Time llama-cpp-python's create_completion, which samples inside llama.cpp, on the same settings."""
    model, load_seconds = load_model(job)
    llama = model.llama
    library_sample = llama.sample
    summaries = []
    for tokens in (WARMUP_TOKENS, job.tokens):
        llama.reset()
        clock = TokenClock()
        llama.sample = clock.wrap(library_sample)

        def generate(story: str, seed: int, max_tokens: int) -> tuple[str, int]:
            completion = llama.create_completion(
                story,
                max_tokens=max_tokens,
                temperature=TEMPERATURE,
                top_k=TOP_K,
                top_p=1.0,
                min_p=0.0,
                typical_p=1.0,
                repeat_penalty=1.0,
                seed=seed,
            )
            return completion["choices"][0]["text"], completion["usage"]["completion_tokens"]

        generate_budget(generate, clock, job, tokens)
        summaries.append(clock.summary())
    return round_result(model, load_seconds, summaries)


STORY_PARAGRAPHS = (
    "The lighthouse keeper found a letter in the sand. It was addressed to her, in her mother's "
    "hand, and dated the winter before she was born.",
    "She read it twice by the lamp, then folded it into her coat and climbed the stairs to watch "
    "the boats come home through the fog.",
    "In the morning the harbour master asked about the light, which had burned green all night, "
    "and she told him the glass had cracked in the cold.",
    "Nobody in the village believed her, but nobody said so, because the keeper had never lied "
    "to anyone about anything that mattered.",
)


def story_of_length(model: LoadedModel, tokens: int) -> str:
    """Return a story of at least ``tokens`` tokens, built by repeating numbered paragraphs."""
    parts: list[str] = []
    chapter = 0
    while len(model.tokenize("\n\n".join(parts), add_bos=True, special=False)) < tokens:
        chapter += 1
        parts.extend(f"{chapter}.{number} {text}" for number, text in enumerate(STORY_PARAGRAPHS, start=1))
    return "\n\n".join(parts)


def run_continuation(job: Job) -> dict[str, Any]:
    """Time the first token when the story's prefix is already in the KV cache, per story length.

    For each length the story is generated from once with an empty cache (cold), then again
    with the generated text appended, as a writer pressing "continue" would (warm).
    """
    model, load_seconds = load_model(job)
    settings = sampler_settings(job, muse=True)
    rows = []
    for length in job.story_lengths:
        story = story_of_length(model, length)
        model.llama.reset()
        cold_clock, cold = _timed_generation(model, story, settings, job.tokens)
        warm_clock, warm = _timed_generation(model, story + cold.text, settings, job.tokens)
        warm_summary = warm_clock.summary()
        rows.append({
            "story_tokens": warm.prompt_tokens,
            "reused_tokens": warm.reused_prompt_tokens,
            "cold_time_to_first_token": cold_clock.summary()["time_to_first_token"],
            "warm_time_to_first_token": warm_summary["time_to_first_token"],
            "token_seconds": warm_summary["token_seconds"],
        })
    return {**model_facts(model, load_seconds), "rows": rows}


def _timed_generation(model: LoadedModel, story: str, settings: SamplerSettings, tokens: int) -> tuple[TokenClock, Any]:
    clock = TokenClock()
    generation = model.generate(GenerationRequest(model.build_prompt(PromptFormat.STORY, story), settings, max_tokens=tokens))
    generation.chain.sample = clock.wrap(generation.chain.sample)
    return clock, generation.run_to_end()


def run_long_generation(job: Job) -> dict[str, Any]:
    """Generate ``job.tokens`` tokens with the Muse on and record resident memory along the way.

    A generation that ends early (end-of-text token) is continued with its own text appended,
    as a writer would, until the budget is spent. Resident memory is read once a tenth of the
    tokens are out, when the caches have warmed up, and again at the end.
    """
    model, load_seconds = load_model(job)
    settings = sampler_settings(job, muse=True)
    story = job.prompt
    produced = generations = shifts = 0
    checkpoint = max(1, job.tokens // 10)
    rss_at_checkpoint = None
    while produced < job.tokens:
        generation = model.generate(
            GenerationRequest(model.build_prompt(PromptFormat.STORY, story), settings, max_tokens=job.tokens - produced)
        )
        for event in generation:
            if event.token_id >= 0:
                produced += 1
            if rss_at_checkpoint is None and produced >= checkpoint:
                rss_at_checkpoint = memory_status()["VmRSS"]
        result = generation.result
        generations += 1
        shifts += result.context_shifts
        story += result.text
        if result.generated_tokens == 0:
            logger.warning("generation %d produced no token; stopping the long run at %d tokens", generations, produced)
            break

    status = memory_status()
    return {
        **model_facts(model, load_seconds),
        "generated_tokens": produced,
        "generations": generations,
        "context_shifts": shifts,
        "rss_at_checkpoint_bytes": rss_at_checkpoint or status["VmRSS"],
        "rss_at_end_bytes": status["VmRSS"],
        "peak_rss_bytes": status["VmHWM"],
        "growth_mib": (status["VmRSS"] - (rss_at_checkpoint or status["VmRSS"])) / MEBIBYTE,
    }
