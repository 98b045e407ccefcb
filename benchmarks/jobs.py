"""The description of one measurement, passed from the runner to a worker process as JSON."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

# Measurements a worker can run; each is described in benchmarks/report.py's method notes.
MUSE_LOOP = "muse-loop"
PLAIN_LOOP = "plain-loop"
LLAMA_COMPLETION = "llama-completion"
TRANSFORMERS = "transformers"
CONTINUATION = "continuation"
LONG_GENERATION = "long-generation"
BUILD_REDPAJAMA_SHAPE = "build-redpajama-shape"

KINDS = (MUSE_LOOP, PLAIN_LOOP, LLAMA_COMPLETION, TRANSFORMERS, CONTINUATION, LONG_GENERATION, BUILD_REDPAJAMA_SHAPE)

# Settings shared by every pipeline, matching SamplerSettings' defaults (top_p, min_p and the
# repetition penalty are off there too).
TEMPERATURE = 0.7
TOP_K = 50
# Tokens of the unmeasured generation that each worker runs after loading, so that the measured
# one starts with the model's pages and llama.cpp's buffers in memory.
WARMUP_TOKENS = 4


@dataclass(frozen=True)
class Job:
    """One measurement on one model, run in its own process so peak memory is its own."""

    kind: str
    model: str
    prompt: str = ""
    tokens: int = 128
    threads: int = 2
    n_ctx: int = 2048
    n_gpu_layers: int = 0
    seed: int = 1234
    story_lengths: tuple[int, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown benchmark job {self.kind!r}; expected one of {', '.join(KINDS)}")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Job:
        values = dict(data)
        values["story_lengths"] = tuple(values.get("story_lengths", ()))
        return cls(**values)
