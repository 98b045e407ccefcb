"""The models benchmarked: the embedded SmolLM2, gptneox stand-ins built here, and the real RedPajama file."""

from __future__ import annotations

import logging
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import llama_cpp

from muse_desktop.models.embedded import embedded_model_path
from muse_desktop.models.gguf_file import read_gguf_header

logger = logging.getLogger(__name__)

REPOSITORY_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CACHE_DIR = Path.home() / ".cache" / "muse-desktop" / "bench"
STANDIN_FILE = "gptneox-standin-2x64-f32.gguf"
REDPAJAMA_SHAPE_FILE = "redpajama-incite-chat-3b-shape-random-Q4_K_M.gguf"

EMBEDDED = "embedded"
STANDIN = "standin"
REDPAJAMA_SHAPE = "redpajama-shape"
REDPAJAMA = "redpajama"
MODEL_KEYS = (EMBEDDED, STANDIN, REDPAJAMA_SHAPE, REDPAJAMA)


@dataclass(frozen=True)
class BenchModel:
    """A model file and how the report names it."""

    key: str
    label: str
    path: Path
    # transformers 5.x loads llama-architecture GGUF files but not gptneox ones.
    transformers_supported: bool


def standin_module():
    """Import tests/standin_models.py, the builder of gptneox models with the real GPT-NeoX vocabulary."""
    tests_dir = str(REPOSITORY_ROOT / "tests")
    if tests_dir not in sys.path:
        sys.path.insert(0, tests_dir)
    import standin_models

    return standin_models


def embedded_model() -> BenchModel:
    return BenchModel(EMBEDDED, "SmolLM2-135M-Instruct Q4_1 (embedded)", embedded_model_path(), True)


def standin_model(cache_dir: Path) -> BenchModel:
    """Return the small gptneox stand-in (2 layers, width 64, float32), building it on first use."""
    path = cache_dir / STANDIN_FILE
    if not path.is_file():
        cache_dir.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".partial")
        standin_module().build_gptneox_model(partial, seed=0)
        os.replace(partial, path)
    return BenchModel(STANDIN, "gptneox stand-in, 2 layers, width 64, f32", path, False)


def redpajama_shape_path(cache_dir: Path) -> Path:
    return cache_dir / REDPAJAMA_SHAPE_FILE


def redpajama_shape_model(cache_dir: Path) -> BenchModel:
    return BenchModel(
        REDPAJAMA_SHAPE, "RedPajama-INCITE-Chat-3B shape, random weights, Q4_K_M", redpajama_shape_path(cache_dir), False
    )


def redpajama_model(path: Path) -> BenchModel:
    """Return the real RedPajama-INCITE-Chat-3B file, after checking that it is a gptneox GGUF."""
    header = read_gguf_header(path)
    if header.architecture != "gptneox":
        raise ValueError(f"{path} is a {header.architecture} model, not RedPajama-INCITE (gptneox); pass the right file")
    return BenchModel(REDPAJAMA, f"RedPajama-INCITE-Chat-3B ({path.name})", path, False)


def build_redpajama_shape(cache_dir: Path, threads: int) -> Path:
    """Build the RedPajama-shaped model: float16 random weights, then llama.cpp's Q4_K_M quantizer.

    Holds about 5.6 GB of float16 weights in memory while writing, and needs as much free disk
    for the intermediate file, which is deleted once the quantized file is in place.
    """
    target = redpajama_shape_path(cache_dir)
    if target.is_file():
        return target
    cache_dir.mkdir(parents=True, exist_ok=True)
    f16_path = cache_dir / "redpajama-shape-f16.partial.gguf"
    quantized_partial = cache_dir / "redpajama-shape-Q4_K_M.partial.gguf"
    standin = standin_module()
    try:
        started = time.perf_counter()
        standin.build_gptneox_model(f16_path, standin.REDPAJAMA_3B_SHAPE, seed=0, name="redpajama-shape", float_type="f16")
        logger.info("wrote %s in %.0f s", f16_path, time.perf_counter() - started)

        params = llama_cpp.llama_model_quantize_default_params()
        params.ftype = llama_cpp.LLAMA_FTYPE_MOSTLY_Q4_K_M
        params.nthread = threads
        started = time.perf_counter()
        status = llama_cpp.llama_model_quantize(str(f16_path).encode(), str(quantized_partial).encode(), params)
        if status != 0:
            raise RuntimeError(f"llama.cpp could not quantize {f16_path} to Q4_K_M (status {status})")
        logger.info("quantized to Q4_K_M in %.0f s", time.perf_counter() - started)
        os.replace(quantized_partial, target)
    finally:
        f16_path.unlink(missing_ok=True)
        quantized_partial.unlink(missing_ok=True)
    return target
