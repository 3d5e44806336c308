"""Generation settings shared by every pipeline: names, defaults and checks, in one place."""

from __future__ import annotations

import math
from typing import Any

from genav.errors import InputError

DEFAULT_DURATION = 8.0
# the longest sound a windowed (long-form) generation accepts: a bound on time, not on memory
MAX_LONG_DURATION = 600.0


# an asked-for length shorter than any sound event is a slip, not a request (a one-frame video's
# own 0.04 s still gets its sound when no duration is given)
MIN_DURATION = 0.05


def check_duration(duration: float | None, maximum: float, *, default: float | None = None) -> float:
    """A duration in [MIN_DURATION, maximum] seconds (``None`` -> ``default`` or ``maximum``)."""
    if duration is None:
        return min(default or maximum, maximum)
    duration = float(duration)
    if not math.isfinite(duration) or duration <= 0:
        raise InputError(f"duration must be more than 0 seconds, got {duration:g}")
    if duration < MIN_DURATION:
        raise InputError(f"duration {duration:g} s is below the minimum of {MIN_DURATION:g} s")
    if duration > maximum + 1e-9:
        raise InputError(f"duration {duration:g} s is above this model's maximum of {maximum:g} s")
    return duration


# old keyword / report-key names of generation settings -> the one name used everywhere now
# (the CLI keeps its short flags --steps / --cfg)
RENAMED_SETTINGS = {"steps": "num_steps", "cfg": "guidance_scale"}


def steps_and_scale(
    deprecated: dict[str, Any], where: str, num_steps: int, guidance_scale: float
) -> tuple[int, float]:
    """``(num_steps, guidance_scale)`` with the old keywords ``steps``/``cfg`` in ``deprecated``
    applied under their new names, with a DeprecationWarning. Entry points default ``num_steps``/
    ``guidance_scale`` to :func:`genav.config.keyword_default` values, so that an old name passed
    together with its new name is an error (see :func:`genav.config.renamed_kwargs`).

    Raises:
        TypeError: an unknown keyword. ConfigError: an old name given with its new name.
    """
    from genav.config import renamed_kwargs

    named = renamed_kwargs(
        deprecated, RENAMED_SETTINGS, where, num_steps=num_steps, guidance_scale=guidance_scale
    )
    return named["num_steps"], named["guidance_scale"]
