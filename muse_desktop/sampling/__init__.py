"""Sampling in NumPy: the Muse warper and the sampler chain around it. No llama.cpp or Qt here."""

from muse_desktop.sampling.chain import (
    Distribution,
    InvalidLogitsError,
    SampledToken,
    SamplerChain,
    SamplingTrace,
    select_largest,
    validate_logits_row,
)
from muse_desktop.sampling.muse import MuseLogitsWarper, damp_largest
from muse_desktop.sampling.settings import MuseSettings, SamplerSettings

__all__ = [
    "Distribution",
    "InvalidLogitsError",
    "MuseLogitsWarper",
    "MuseSettings",
    "SampledToken",
    "SamplerChain",
    "SamplerSettings",
    "SamplingTrace",
    "damp_largest",
    "select_largest",
    "validate_logits_row",
]
