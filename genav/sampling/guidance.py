"""Classifier-free guidance over velocity functions, with separate text and video scales.

Three conditionings ("branches") are enough for every case. With ``T+`` the prompt (or the null
text when there is none), ``T-`` the negative prompt (or the null text) and ``V`` the video:

- ``full``  = (T+, V)
- ``video`` = (T-, V)
- ``null``  = (T-, no video)

and the guided velocity is ``v = v_null + s_v (v_video - v_null) + s_t (v_full - v_video)``:
``s_v`` scales what the video adds, ``s_t`` what the prompt adds on top of the video (steering
away from the negative prompt). When the scales are equal, or there is no video, or the prompt
equals the negative side, ``v_video`` cancels or coincides and two branches suffice
(``v_null + s (v_full - v_null)``, plain CFG); with scale 1 only ``full`` is evaluated.
:func:`plan_guidance` picks the fewest branches; :func:`guided_velocity` evaluates them in one
batched call (the caller stacks the branch conditionings along the batch in ``plan.branches``
order), :func:`guided_velocity_separate` one call per branch.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import torch
from torch import Tensor

from genav.sampling.solvers import VelocityFn

BRANCH_NAMES = ("full", "video", "null")


@dataclass(frozen=True)
class GuidancePlan:
    """Which branches to evaluate and how to combine them.

    ``branches`` is a prefix-ordered subset of ``("full", "video", "null")``; ``scale`` is the
    single CFG scale used when two branches suffice.
    """

    branches: tuple[str, ...]
    text_scale: float
    video_scale: float
    scale: float

    def combine(self, v: Mapping[str, Tensor]) -> Tensor:
        """Guided velocity from the branch velocities (each shaped like ``x``)."""
        if self.branches == ("full",):
            return v["full"]
        if self.branches == ("full", "null"):
            return v["null"] + self.scale * (v["full"] - v["null"])
        return (
            v["null"]
            + self.video_scale * (v["video"] - v["null"])
            + self.text_scale * (v["full"] - v["video"])
        )


def plan_guidance(
    *,
    text_scale: float,
    video_scale: float | None = None,
    has_video: bool,
    text_differs: bool = True,
) -> GuidancePlan:
    """The cheapest branch set for these scales.

    ``video_scale`` defaults to ``text_scale`` (one CFG scale). ``text_differs`` is False when
    the prompt side equals the negative side (no prompt and no negative prompt): then text has
    nothing to guide.

    Source: classifier-free guidance, Ho & Salimans (2022); separate scales per condition as in
    MMAudio (Cheng et al., 2025) and InstructPix2Pix (Brooks et al., 2023).
    """
    s_t = float(text_scale)
    s_v = float(text_scale if video_scale is None else video_scale)
    if has_video and text_differs and s_t != s_v:
        return GuidancePlan(("full", "video", "null"), s_t, s_v, s_t)
    if has_video and not text_differs:
        scale = s_v
    elif text_differs:
        scale = s_t
    else:
        return GuidancePlan(("full",), s_t, s_v, 1.0)
    branches = ("full",) if scale == 1.0 else ("full", "null")
    return GuidancePlan(branches, s_t, s_v, scale)


def guided_velocity(batched_fn: VelocityFn, plan: GuidancePlan) -> VelocityFn:
    """Wrap ``batched_fn`` (conditioned on the branches stacked along the batch) into ``v(x, t)``.

    ``batched_fn`` receives ``x`` and ``t`` repeated ``len(plan.branches)`` times along the batch
    (branch-major: rows ``[k*B:(k+1)*B]`` are branch ``k``) and returns velocities in that order.
    """
    n = len(plan.branches)

    def velocity(x: Tensor, t: Tensor) -> Tensor:
        if n == 1:
            return batched_fn(x, t)
        v = batched_fn(torch.cat([x] * n), torch.cat([t] * n))
        return plan.combine(dict(zip(plan.branches, v.chunk(n), strict=True)))

    return velocity


def guided_velocity_separate(branch_fns: Mapping[str, VelocityFn], plan: GuidancePlan) -> VelocityFn:
    """Like :func:`guided_velocity`, one call per branch (lower peak memory)."""
    missing = [b for b in plan.branches if b not in branch_fns]
    if missing:
        raise ValueError(f"no velocity function for guidance branches {missing}")

    def velocity(x: Tensor, t: Tensor) -> Tensor:
        return plan.combine({b: branch_fns[b](x, t) for b in plan.branches})

    return velocity


def cfg(cond_fn: VelocityFn, uncond_fn: VelocityFn, scale: float) -> Callable[[Tensor, Tensor], Tensor]:
    """Plain CFG from two velocity functions: ``v_u + scale * (v_c - v_u)``.

    ``uncond_fn`` is conditioned on the negative prompt when there is one.
    """
    plan = GuidancePlan(("full", "null"), scale, scale, scale)
    return guided_velocity_separate({"full": cond_fn, "null": uncond_fn}, plan)
