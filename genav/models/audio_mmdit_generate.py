"""Generating audio latents with an :class:`AudioMMDiT`: guidance branches + an ODE solver.

The guidance branches of :mod:`genav.sampling.guidance` map onto conditionings as follows
(``T+`` the prompt, ``T-`` the negative prompt or the null text, ``V`` the video):
``full = (T+, V)``, ``video = (T-, V)``, ``null = (T-, no video)``. The needed branches are stacked
along the batch and evaluated in one forward per solver step.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import torch
from torch import Tensor

from genav.config import keyword_default, renamed_kwargs
from genav.models.audio_mmdit import AudioMMDiT
from genav.models.conditioning import Conditioning, VideoTokens, concat_conditionings
from genav.sampling import ProgressCallback, guided_velocity, plan_guidance, sample, with_known_prefix


def make_conditioning(
    duration: Tensor | float | list[float],
    *,
    text: Any = None,
    video: VideoTokens | None = None,
    frame_rate: float,
    batch: int | None = None,
    device: torch.device | str = "cpu",
) -> Conditioning:
    """A :class:`Conditioning` from parts.

    ``text``: an object with ``tokens (B, L, D)``, ``mask (B, L)``, ``pooled (B, D)`` (a
    ``genav.encoders.TextEmbedding``) or None. ``duration``: seconds, one per row or one for all.
    The audio mask marks the ``ceil(duration * frame_rate)`` valid frames of each row.
    """
    if batch is None:
        batch = len(text) if text is not None else (video.semantic.shape[0] if video is not None else 1)
    dur = torch.as_tensor(duration, dtype=torch.float32, device=device).reshape(-1)
    if dur.numel() == 1:
        dur = dur.expand(batch).clone()
    frames = torch.ceil(dur * frame_rate - 1e-6).long()
    mask = torch.arange(int(frames.max()), device=device)[None] < frames[:, None]
    cond = Conditioning(duration=dur, video=video, audio_mask=mask)
    if text is not None:
        cond.text_tokens, cond.text_mask, cond.text_pooled = text.tokens, text.mask, text.pooled
    return cond.to(device)


_RENAMED = {"steps": "num_steps", "text_scale": "guidance_scale", "video_scale": "video_guidance_scale"}


def _renamed(deprecated: dict[str, Any], where: str, **current: Any) -> dict[str, Any]:
    """The current values with deprecated keyword names (``steps``, ``text_scale``,
    ``video_scale``) applied, warning once per use. Raises TypeError for unknown keywords."""
    return renamed_kwargs(deprecated, _RENAMED, where, **current)


def guidance_conditioning(
    cond: Conditioning,
    *,
    negative: Any = None,
    guidance_scale: float = keyword_default(4.5),
    video_guidance_scale: float | None = keyword_default(None),
    **deprecated: Any,
) -> tuple[Conditioning, Any]:
    """The stacked branch conditioning and the :class:`~genav.sampling.GuidancePlan` for ``cond``.

    ``negative``: a text embedding (``tokens``/``mask``/``pooled``) of the negative prompt, or None.
    ``guidance_scale``: the CFG scale of the prompt (and of the video unless
    ``video_guidance_scale`` is given). Old names ``text_scale``/``video_scale`` warn.
    """
    scales = _renamed(
        deprecated, "guidance_conditioning", guidance_scale=guidance_scale, video_guidance_scale=video_guidance_scale
    )
    plan = plan_guidance(
        text_scale=scales["guidance_scale"],
        video_scale=scales["video_guidance_scale"],
        has_video=cond.video is not None,
        text_differs=cond.text_tokens is not None or negative is not None,
    )
    if negative is None:
        neg = cond.with_flags(drop_text=True)
    else:
        neg = dataclasses.replace(
            cond,
            text_tokens=negative.tokens,
            text_mask=negative.mask,
            text_pooled=negative.pooled,
        ).with_flags(drop_text=False)
    branches = {"full": cond, "video": neg, "null": neg.with_flags(drop_video=True)}
    stacked = concat_conditionings([branches[b] for b in plan.branches])
    return stacked, plan


@torch.no_grad()
def generate_latents(
    model: AudioMMDiT,
    cond: Conditioning,
    *,
    negative: Any = None,
    num_steps: int = keyword_default(25),
    method: str = "euler",
    schedule: str = "linear",
    shift: float = 3.0,
    guidance_scale: float = keyword_default(4.5),
    video_guidance_scale: float | None = keyword_default(None),
    generator: torch.Generator | None = None,
    noise: Tensor | None = None,
    known: Tensor | None = None,
    callback: ProgressCallback | None = None,
    cache_conditions: bool = True,
    **deprecated: Any,
) -> Tensor:
    """Sample latents ``(B, latent_dim, T)`` (float32) for ``cond`` (T from ``cond.audio_mask``).

    Padded frames (beyond each row's duration) are zeroed. ``noise`` overrides the initial noise
    (``(B, latent_dim, T)``); otherwise it is drawn from ``generator`` on the model's device.
    ``known`` ``(B, latent_dim, K)``, ``K <= T``: latents the first K frames end at exactly, seen
    by the model as context for the rest (long clips in overlapping windows; see
    :func:`genav.sampling.with_known_prefix`). ``cache_conditions``: project the text and video
    conditions of the guidance branches once (:meth:`AudioMMDiT.prepare_conditions`) and reuse them
    at every step; False recomputes them in every forward (the same numbers; for benchmarks).
    ``guidance_scale`` scales the prompt's guidance and, unless ``video_guidance_scale`` is given,
    the video's. The old names ``steps``/``text_scale``/``video_scale`` still work, with a
    DeprecationWarning.

    Source: rectified flow (Liu et al., 2022, "Flow Straight and Fast"); classifier-free guidance
    (Ho & Salimans, 2022) with separate text and video scales (:mod:`genav.sampling.guidance`).
    """
    settings = _renamed(
        deprecated,
        "generate_latents",
        num_steps=num_steps,
        guidance_scale=guidance_scale,
        video_guidance_scale=video_guidance_scale,
    )
    param = next(model.parameters())
    device, dtype = param.device, param.dtype
    cond = cond.to(device)
    if cond.audio_mask is None:
        frames = math.ceil(float(cond.duration.max()) * model.config.audio_frame_rate - 1e-6)
        cond.audio_mask = torch.ones(cond.batch_size, frames, dtype=torch.bool, device=device)
    shape = (cond.batch_size, model.config.latent_dim, cond.audio_mask.shape[1])
    if noise is None:
        noise = torch.randn(shape, generator=generator, device=device, dtype=torch.float32)
    stacked, plan = guidance_conditioning(
        cond,
        negative=negative,
        guidance_scale=settings["guidance_scale"],
        video_guidance_scale=settings["video_guidance_scale"],
    )
    stacked = stacked.to(device, dtype)
    # the condition projections of every branch, once for the whole generation (not per step)
    prepared = (
        model.prepare_conditions(stacked, stacked.batch_size, shape[2], device) if cache_conditions else None
    )

    def batched(x: Tensor, t: Tensor) -> Tensor:
        return model(x.to(dtype), t, stacked, prepared=prepared).float()

    noise = noise.to(device, torch.float32)
    velocity = guided_velocity(batched, plan)
    if known is not None:
        velocity = with_known_prefix(velocity, known, noise)
    out = sample(
        velocity, noise, steps=settings["num_steps"], method=method, schedule=schedule, shift=shift, callback=callback
    )
    return out * cond.audio_mask[:, None, :].to(out.dtype)
