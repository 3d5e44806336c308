"""Sampling one window of video latents from a :class:`~genav.models.video_backbone.VideoBackbone`.

The backbone's :meth:`velocity` goes into genav's shared solvers (:mod:`genav.sampling`) with
classifier-free guidance (the prompt and its per-slot tokens against a negative prompt, or the
unconditional context) batched into one forward per step, and optionally a known prefix of latent
slots (the tail of the previous window of a long clip).
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor

from genav.errors import InputError
from genav.models.video_backbone import FrameContext, VideoBackbone, concat_contexts
from genav.sampling import METHODS, guided_velocity, plan_guidance, sample, time_grid, with_known_prefix
from genav.sampling.checks import check_guidance_scale, check_num_steps
from genav.sampling.guidance import GuidancePlan

ProgressFn = Callable[[int, int], None]


@torch.no_grad()
def sample_video_window(
    backbone: VideoBackbone,
    ctx: FrameContext,
    noise: Tensor,
    *,
    negative: FrameContext | None = None,
    num_steps: int = 25,
    guidance_scale: float = 4.5,
    method: str = "euler",
    known: Tensor | None = None,
    progress: ProgressFn | None = None,
    plan: GuidancePlan | None = None,
) -> Tensor:
    """Latents ``(B, C, S, h, w)`` float32 sampled from ``noise`` (same shape) at ``t = 0``.

    ``ctx``: the conditioning (B rows, slots for this window's S slots if any); ``negative``: the
    context of the guidance's other branch (default: unconditional, ``encode_prompt([""])``);
    ``known`` ``(B, C, K, h, w)``: latents the first K slots must end at. Raises
    :class:`InputError` for a bad step count, solver or scale. ``plan``: a guidance plan whose
    branch contexts are already stacked in ``ctx`` (``len(plan.branches) * B`` rows, branch-major;
    e.g. audio-to-video's prompt + audio / audio / neither); then ``negative`` and
    ``guidance_scale`` are not used.
    """
    check_num_steps(num_steps)
    if method not in METHODS:
        raise InputError(f"unknown solver {method!r}; choose one of {', '.join(METHODS)}")
    check_guidance_scale("guidance_scale", guidance_scale)
    b = noise.shape[0]
    if plan is not None and ctx.batch_size != len(plan.branches) * b:
        raise InputError(f"the context has {ctx.batch_size} rows for {len(plan.branches)} branches of {b}")
    if plan is None:
        plan = plan_guidance(text_scale=guidance_scale, has_video=False)
        if len(plan.branches) > 1:
            other = negative if negative is not None else backbone.encode_prompt([""] * b)
            ctx = concat_contexts([ctx, other])
    device = noise.device

    def batched(x: Tensor, t: Tensor) -> Tensor:
        return backbone.velocity(x, t, ctx).float()

    velocity = guided_velocity(batched, plan)
    if known is not None and known.shape[2]:
        velocity = with_known_prefix(velocity, known.float(), noise.float(), dim=2)
    name, shift = backbone.schedule
    grid = time_grid(num_steps, name, shift=shift, device=device)
    callback = (lambda step, total, _t, _x: progress(step, total)) if progress is not None else None
    return sample(velocity, noise.float(), times=grid, method=method, callback=callback)
