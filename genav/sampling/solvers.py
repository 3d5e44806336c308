"""ODE solvers over a velocity function: Euler, Heun (2nd order), midpoint (2nd order).

A velocity function is ``velocity_fn(x, t) -> v`` with ``x`` ``(B, ...)`` and ``t`` ``(B,)``
(float32 times in [0, 1]); it returns ``dx/dt`` with the shape of ``x``. Solvers never look
inside: models, conditioning and guidance are closed over by the caller.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor

from genav.sampling.schedules import time_grid

VelocityFn = Callable[[Tensor, Tensor], Tensor]
ProgressCallback = Callable[[int, int, float, Tensor], None]
METHODS = ("euler", "heun", "midpoint")
EVALS_PER_STEP = {"euler": 1, "heun": 2, "midpoint": 2}


def _times_like(x: Tensor, t: float) -> Tensor:
    return torch.full((x.shape[0],), t, dtype=torch.float32, device=x.device)


def _step(velocity_fn: VelocityFn, x: Tensor, t0: float, t1: float, method: str) -> Tensor:
    h = t1 - t0
    v0 = velocity_fn(x, _times_like(x, t0))
    if method == "euler":
        return x + h * v0
    if method == "heun":
        x_pred = x + h * v0
        v1 = velocity_fn(x_pred, _times_like(x, t1))
        return x + h * 0.5 * (v0 + v1)
    if method == "midpoint":
        x_mid = x + 0.5 * h * v0
        return x + h * velocity_fn(x_mid, _times_like(x, t0 + 0.5 * h))
    raise ValueError(f"unknown solver {method!r}; choose one of {', '.join(METHODS)}")


@torch.no_grad()
def sample(
    velocity_fn: VelocityFn,
    x_init: Tensor,
    *,
    steps: int = 25,
    method: str = "euler",
    schedule: str = "linear",
    shift: float = 3.0,
    times: Tensor | None = None,
    callback: ProgressCallback | None = None,
) -> Tensor:
    """Integrate ``dx/dt = velocity_fn(x, t)`` from ``times[0]`` to ``times[-1]``.

    ``x_init`` ``(B, ...)``: the noise at ``t = 0``. ``times`` overrides the grid made from
    ``steps``/``schedule``/``shift`` (e.g. to start from a partially noised input). ``callback``
    is called after each step as ``callback(step, total_steps, t, x)`` (step counts from 1).
    Returns ``x`` at the last time, with ``x_init``'s shape and dtype.
    """
    if method not in METHODS:
        raise ValueError(f"unknown solver {method!r}; choose one of {', '.join(METHODS)}")
    grid = times if times is not None else time_grid(steps, schedule, shift=shift)
    grid_list = [float(t) for t in grid]
    total = len(grid_list) - 1
    x = x_init
    for i in range(total):
        x = _step(velocity_fn, x, grid_list[i], grid_list[i + 1], method)
        if callback is not None:
            callback(i + 1, total, grid_list[i + 1], x)
    return x
