"""The original approach: transformers generate() on CPU with a Muse logits warper in PyTorch.

transformers dequantizes the GGUF file to float32 tensors, so the weights are the same as
llama.cpp's up to the quantization error. Benchmark-only: torch and transformers are installed
by ``make bench``, never by the app.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from benchmarks.jobs import TEMPERATURE, TOP_K, WARMUP_TOKENS, Job
from benchmarks.measure import TokenClock, generate_budget, memory_status
from muse_desktop.sampling import MuseLogitsWarper, MuseSettings


class TorchMuseWarper:
    """The Muse as a transformers logits warper: damp the ``top_k`` largest scores of each row.

    The ramp comes from ``MuseLogitsWarper.damp_factor``, so both implementations follow the
    same schedule; a new instance is needed for each generation.
    """

    def __init__(self, settings: MuseSettings) -> None:
        self.schedule = MuseLogitsWarper(
            top_k=settings.top_k,
            damp=settings.damp,
            damp_initial=settings.damp_initial,
            damp_ramp_tokens=settings.damp_ramp_tokens,
        )

    def __call__(self, input_ids: Any, scores: Any) -> Any:
        import torch

        factor = self.schedule.damp_factor()
        self.schedule.token_index += 1
        values, indices = torch.topk(scores, self.schedule.top_k, dim=-1)
        damped = scores.clone()
        damped.scatter_(-1, indices, values * factor)
        return damped


def sampler_processors(muse_settings: MuseSettings) -> Any:
    """Return temperature 0.7, the Muse and top-k 50 as one processor list, in our chain's order."""
    from transformers import LogitsProcessorList, TemperatureLogitsWarper, TopKLogitsWarper

    return LogitsProcessorList([TemperatureLogitsWarper(TEMPERATURE), TorchMuseWarper(muse_settings), TopKLogitsWarper(TOP_K)])


def run_transformers(job: Job) -> dict[str, Any]:
    """Time transformers generate() with the Muse on the job's GGUF file, on ``job.threads`` CPU threads."""
    # Everything is read from the local file; nothing may be fetched from the Hub.
    os.environ["HF_HUB_OFFLINE"] = "1"
    started = time.perf_counter()
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    torch.set_num_threads(job.threads)
    path = Path(job.model)
    tokenizer = AutoTokenizer.from_pretrained(str(path.parent), gguf_file=path.name)
    model = AutoModelForCausalLM.from_pretrained(str(path.parent), gguf_file=path.name, dtype=torch.float32)
    model.eval()
    load_seconds = time.perf_counter() - started

    summaries = []
    for tokens in (WARMUP_TOKENS, job.tokens):
        clock = TokenClock()

        def generate(story: str, seed: int, max_tokens: int) -> tuple[str, int]:
            inputs = tokenizer(story, return_tensors="pt")
            torch.manual_seed(seed)
            timed = clock.wrap(sampler_processors(MuseSettings()).__call__)
            with torch.inference_mode():
                output = model.generate(
                    **inputs,
                    max_new_tokens=max_tokens,
                    do_sample=True,
                    # The built-in temperature and top-k are off; the processor list above applies them.
                    temperature=1.0,
                    top_k=0,
                    top_p=1.0,
                    logits_processor=[timed],
                    pad_token_id=tokenizer.eos_token_id,
                )
            new_tokens = output[0, inputs["input_ids"].shape[1] :].tolist()
            if new_tokens and new_tokens[-1] == tokenizer.eos_token_id:
                new_tokens.pop()
            return tokenizer.decode(new_tokens, skip_special_tokens=True), len(new_tokens)

        generate_budget(generate, clock, job, tokens)
        summaries.append(clock.summary())
    return {
        "load_seconds": load_seconds,
        "file_bytes": path.stat().st_size,
        "backend": f"PyTorch {torch.__version__} CPU",
        "first_time_to_first_token": summaries[0]["time_to_first_token"],
        "run": summaries[1],
        "peak_rss_bytes": memory_status()["VmHWM"],
    }
