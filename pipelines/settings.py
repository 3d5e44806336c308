"""Generation settings shared by every pipeline: names, defaults and checks, in one place."""

from __future__ import annotations

import math

from genav.errors import InputError

DEFAULT_DURATION = 8.0


def check_duration(duration: float | None, maximum: float, *, default: float | None = None) -> float:
    """A duration in (0, maximum] seconds (``None`` -> ``default`` or ``maximum``)."""
    if duration is None:
        return min(default or maximum, maximum)
    duration = float(duration)
    if not math.isfinite(duration) or duration <= 0:
        raise InputError(f"duration must be more than 0 seconds, got {duration:g}")
    if duration > maximum + 1e-9:
        raise InputError(f"duration {duration:g} s is above this model's maximum of {maximum:g} s")
    return duration
