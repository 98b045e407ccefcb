"""Checks for sampler parameters.

Each check raises ValueError naming the parameter, the allowed range and the value given,
so that the command line and the app can show the message as it is.
"""

from __future__ import annotations

import math
import numbers


def check_float(
    name: str,
    value: object,
    *,
    minimum: float | None = None,
    maximum: float | None = None,
    exclusive_minimum: bool = False,
) -> float:
    """Return ``value`` as a float after checking that it is a finite number in range."""
    allowed = "a finite number" + _describe_range(minimum, maximum, exclusive_minimum)
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"{name} must be {allowed}, got {value!r}")
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"{name} must be {allowed}, got {number}")
    too_low = minimum is not None and (
        number <= minimum if exclusive_minimum else number < minimum
    )
    too_high = maximum is not None and number > maximum
    if too_low or too_high:
        raise ValueError(f"{name} must be {allowed}, got {number}")
    return number


def check_int(
    name: str, value: object, *, minimum: int | None = None, maximum: int | None = None
) -> int:
    """Return ``value`` as an int after checking that it is an integer in range.

    Floats are rejected even when integral (3.0), because a fractional top_k or token count
    is almost always a mistake in the caller.
    """
    allowed = "an integer" + _describe_range(minimum, maximum, False)
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(f"{name} must be {allowed}, got {value!r}")
    number = int(value)
    if (minimum is not None and number < minimum) or (maximum is not None and number > maximum):
        raise ValueError(f"{name} must be {allowed}, got {number}")
    return number


def _describe_range(minimum: float | None, maximum: float | None, exclusive_minimum: bool) -> str:
    if minimum is not None and maximum is not None:
        opening = "(" if exclusive_minimum else "["
        return f" in {opening}{minimum:g}, {maximum:g}]"
    if minimum is not None:
        return f" {'>' if exclusive_minimum else '>='} {minimum:g}"
    if maximum is not None:
        return f" <= {maximum:g}"
    return ""
