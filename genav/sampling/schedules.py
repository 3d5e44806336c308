"""Time grids for rectified-flow sampling.

Convention (shared with the models' training loss): ``x_t = (1 - t) * noise + t * data``, so
``t = 0`` is pure noise, ``t = 1`` is data, and the velocity is ``dx/dt = data - noise``.
Sampling integrates from ``t = 0`` to ``t = 1``.
"""

from __future__ import annotations

import torch
from torch import Tensor

SCHEDULES = ("linear", "shifted")


def time_grid(
    steps: int,
    schedule: str = "linear",
    *,
    shift: float = 3.0,
    device: torch.device | None = None,
) -> Tensor:
    """Increasing times ``(steps + 1,)`` from 0 (noise) to 1 (data), float64.

    ``linear``: uniform. ``shifted``: the SD3 time shift applied to the noise level
    ``sigma = 1 - t``: ``sigma' = shift * sigma / (1 + (shift - 1) * sigma)``; ``shift > 1``
    spends more steps at high noise, where coarse structure is decided.
    """
    if steps < 1:
        raise ValueError(f"steps must be at least 1, got {steps}")
    t = torch.linspace(0.0, 1.0, steps + 1, dtype=torch.float64, device=device)
    if schedule == "linear":
        return t
    if schedule == "shifted":
        if shift <= 0:
            raise ValueError(f"shift must be positive, got {shift}")
        sigma = 1.0 - t
        sigma = shift * sigma / (1.0 + (shift - 1.0) * sigma)
        return 1.0 - sigma
    raise ValueError(f"unknown schedule {schedule!r}; choose one of {', '.join(SCHEDULES)}")
