"""Plain-words help for each sampler control, shown as tooltips."""

TEMPERATURE = (
    "Divides all logits before sampling. Lower is safer and more predictable, higher is more "
    "surprising. 0 always takes the most likely token."
)
TOP_K = "Only the K most likely tokens can be chosen. 0 turns this off."
TOP_P = (
    "Only the smallest set of likely tokens whose probabilities add up to this value can be "
    "chosen. 1 turns this off."
)
MIN_P = "Drops tokens less likely than this fraction of the most likely token. 0 turns this off."
REPEAT_PENALTY = (
    "Makes tokens from the last 64 tokens less likely, to avoid loops. 1 turns this off; "
    "values above 1.3 can make the text avoid ordinary words."
)
SEED = (
    "The random seed. The same seed, settings, model and text give the same continuation. "
    "Leave it random to get a different continuation each time."
)
MAX_TOKENS = "The most tokens one continuation may add (a token is about three quarters of a word)."
MUSE = (
    "The Muse lowers the logits of only the few most likely tokens at each step, so the story "
    "leaves the obvious path without turning into noise. Off gives plain sampling."
)
MUSE_TOP_K = (
    "How many of the most likely tokens the Muse damps. Keep it small, in single digits: "
    "damping many tokens at once is no different from plain temperature."
)
DAMP = (
    "The factor the Muse multiplies those top-k logits by. It acts like 1/temperature applied "
    "only to the top-k tokens: below 1 makes them less dominant (more creative), 1 does nothing."
)
DAMP_INITIAL = (
    "The factor on the first generated token. The Muse moves from this value to damp over the "
    "ramp. It may also be lower than damp, so the ramp runs the other way: wild first, calmer later."
)
DAMP_RAMP_TOKENS = (
    "Over how many generated tokens the factor moves from damp_initial to damp. 0 jumps straight "
    "to full creativity, which may derail the first sentence."
)
