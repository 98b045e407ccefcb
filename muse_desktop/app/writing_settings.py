"""The writer's choices for a continuation: the sampler settings and the maximum length."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from muse_desktop.sampling import MuseSettings, SamplerSettings

DEFAULT_MAX_TOKENS = 256
MAX_TOKENS_LIMIT = 8192


@dataclass(frozen=True)
class WritingSettings:
    """Sampler settings plus ``max_tokens``, the most tokens one continuation may add."""

    sampler: SamplerSettings = field(default_factory=SamplerSettings)
    max_tokens: int = DEFAULT_MAX_TOKENS

    def __post_init__(self) -> None:
        if not isinstance(self.sampler, SamplerSettings):
            raise ValueError(f"sampler must be SamplerSettings, got {self.sampler!r}")
        valid = isinstance(self.max_tokens, int) and not isinstance(self.max_tokens, bool)
        if not valid or not 1 <= self.max_tokens <= MAX_TOKENS_LIMIT:
            raise ValueError(f"max_tokens must be an integer in [1, {MAX_TOKENS_LIMIT}], got {self.max_tokens!r}")

    def with_seed(self, seed: int | None) -> WritingSettings:
        return replace(self, sampler=self.sampler.with_changes(seed=seed))

    def to_dict(self) -> dict[str, Any]:
        return {"sampler": self.sampler.to_dict(), "max_tokens": self.max_tokens}

    @classmethod
    def from_dict(cls, values: Any) -> WritingSettings:
        """Build settings from ``to_dict`` output; raises ValueError naming the bad value."""
        if not isinstance(values, dict):
            raise ValueError(f"settings must be a mapping, got {values!r}")
        unknown = set(values) - {"sampler", "max_tokens"}
        if unknown:
            raise ValueError(f"unknown settings: {', '.join(sorted(unknown))}")
        sampler_values = values.get("sampler", {})
        if not isinstance(sampler_values, dict):
            raise ValueError(f"sampler settings must be a mapping, got {sampler_values!r}")
        return cls(
            sampler=SamplerSettings.from_dict(sampler_values),
            max_tokens=values.get("max_tokens", DEFAULT_MAX_TOKENS),
        )


MUSE_PRESET = WritingSettings(SamplerSettings(muse=MuseSettings(top_k=3, damp=0.9, damp_initial=1.0, damp_ramp_tokens=32)))
MUSE_NO_RAMP_PRESET = WritingSettings(SamplerSettings(muse=MuseSettings(top_k=3, damp=0.9, damp_initial=1.0, damp_ramp_tokens=0)))
PLAIN_PRESET = WritingSettings(SamplerSettings(muse=None))
