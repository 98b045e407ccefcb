"""Validated sampler settings, shared by the engine, the command line and the app."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import Any

from muse_desktop.sampling.validation import check_float, check_int

MAX_SEED = 2**64 - 1


@dataclass(frozen=True)
class MuseSettings:
    """Parameters of the Muse stage; see ``MuseLogitsWarper`` for their meaning.

    The defaults are the original's example on RedPajama-INCITE-Chat-3B-v1.
    """

    top_k: int = 3
    damp: float = 0.9
    damp_initial: float = 1.0
    damp_ramp_tokens: int = 32

    def __post_init__(self) -> None:
        check_int("muse top_k", self.top_k, minimum=1)
        check_float("damp", self.damp, minimum=0.0)
        check_float("damp_initial", self.damp_initial, minimum=0.0)
        check_int("damp_ramp_tokens", self.damp_ramp_tokens, minimum=0)


@dataclass(frozen=True)
class SamplerSettings:
    """Parameters of the whole sampler chain, with the value that disables each stage.

    The chain runs in this order: repetition penalty on the raw logits, temperature, Muse,
    top-k, top-p, min-p, then a draw from a NumPy generator seeded with ``seed``.

    Attributes:
        temperature: Divisor of the logits; 0 means greedy (the most probable token after
            every other stage is taken).
        top_k: Number of most probable tokens kept; 0 keeps the whole vocabulary.
        top_p: Smallest set of tokens whose probabilities add up to at least this; 1 disables.
        min_p: Tokens below this fraction of the top token's probability are dropped; 0 disables.
        repeat_penalty: Divides positive and multiplies negative logits of recently seen
            tokens, as llama.cpp does; 1 disables.
        repeat_last_n: Number of recent tokens the penalty looks at; 0 disables.
        muse: Muse parameters, or None for plain sampling.
        seed: Seed of the random generator; None draws a fresh seed for each generation.
    """

    temperature: float = 0.7
    top_k: int = 50
    top_p: float = 1.0
    min_p: float = 0.0
    repeat_penalty: float = 1.0
    repeat_last_n: int = 64
    muse: MuseSettings | None = field(default_factory=MuseSettings)
    seed: int | None = None

    def __post_init__(self) -> None:
        check_float("temperature", self.temperature, minimum=0.0)
        check_int("top_k", self.top_k, minimum=0)
        check_float("top_p", self.top_p, minimum=0.0, maximum=1.0, exclusive_minimum=True)
        check_float("min_p", self.min_p, minimum=0.0, maximum=1.0)
        check_float("repeat_penalty", self.repeat_penalty, minimum=0.0, exclusive_minimum=True)
        check_int("repeat_last_n", self.repeat_last_n, minimum=0)
        if self.muse is not None and not isinstance(self.muse, MuseSettings):
            raise ValueError(f"muse must be MuseSettings or None, got {self.muse!r}")
        if self.seed is not None:
            check_int("seed", self.seed, minimum=0, maximum=MAX_SEED)

    def with_changes(self, **changes: Any) -> SamplerSettings:
        """Return a copy with the given fields replaced and validated again."""
        return replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """Return the settings as plain JSON-ready values."""
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> SamplerSettings:
        """Build settings from ``to_dict`` output, rejecting unknown keys."""
        values = dict(values)
        muse_values = values.pop("muse", None)
        unknown = set(values) - {name for name in cls.__dataclass_fields__ if name != "muse"}
        if unknown:
            raise ValueError(f"unknown sampler settings: {', '.join(sorted(unknown))}")
        muse = None
        if muse_values is not None:
            if not isinstance(muse_values, dict):
                raise ValueError(f"muse settings must be a mapping or null, got {muse_values!r}")
            unknown_muse = set(muse_values) - set(MuseSettings.__dataclass_fields__)
            if unknown_muse:
                raise ValueError(f"unknown Muse settings: {', '.join(sorted(unknown_muse))}")
            muse = MuseSettings(**muse_values)
        return cls(muse=muse, **values)
