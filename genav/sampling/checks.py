"""Checks of the sampling settings every generator takes, in one place: a bad value is a one-line
InputError before any model forward, not NaN output or a run of hours."""

from __future__ import annotations

import math
import numbers

from genav.errors import InputError

# flow-matching and diffusion samplers use 10-100 steps; far more is a slip that would run for hours
MAX_STEPS = 1000


def check_num_steps(num_steps: object, name: str = "num_steps") -> int:
    """Solver steps: an integer in ``[1, MAX_STEPS]`` (``name``: how the message calls it).

    Raises:
        InputError: not an integer, or out of range.
    """
    if isinstance(num_steps, bool) or not isinstance(num_steps, numbers.Integral):
        raise InputError(f"{name} must be a whole number, got {num_steps!r}")
    if not 1 <= num_steps <= MAX_STEPS:
        raise InputError(f"{name} must be at least 1 and at most {MAX_STEPS}, got {num_steps}")
    return int(num_steps)


def check_guidance_scale(name: str, value: object) -> float | None:
    """A classifier-free guidance scale: a finite number >= 0 (None: not given). A NaN or infinite
    scale would make every sample NaN.

    Raises:
        InputError: not a number, negative, NaN or infinite.
    """
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise InputError(f"{name} must be a number, got {value!r}")
    if not (math.isfinite(value) and value >= 0):
        raise InputError(f"{name} must be a finite number >= 0, got {value:g}")
    return float(value)


__all__ = ["MAX_STEPS", "check_guidance_scale", "check_num_steps"]
