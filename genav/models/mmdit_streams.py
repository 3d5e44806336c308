"""The condition streams of the audio MM-DiT: text and video tokens with absent/dropped rows.

Two formulations, chosen by ``AudioMMDiTConfig.null_conditions``:

- ``embeddings`` (MMAudio-style, the default since config version 2): every stream has a fixed
  length for a given clip length -- ``text_length`` text tokens; as many semantic and sync tokens
  as the clip has video frames at those rates -- and a dropped or absent condition, a padded text
  position or a missing video frame is *substituted* by a learned null embedding at that
  position. No token is ever invalid, so a batch whose audio is not padded calls attention with
  ``mask=None`` (on CUDA, SDPA's flash kernel and xformers become eligible).
- ``token`` (config version 1, e.g. the committed ``genav-foley-tiny``): each stream starts with
  one learned null token that is the only valid token of a dropped or absent condition; real
  tokens are masked out, so every call carries a key mask. Kept so that old checkpoints load
  and compute exactly what they were trained with.

Reference: MMAudio (Cheng et al., 2025), ``empty_string_feat`` / ``empty_clip_feat`` /
``empty_sync_feat`` substituted for missing conditions.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from einops import repeat
from torch import Tensor

from genav.errors import InputError

log = logging.getLogger(__name__)

NULL_MODES = ("embeddings", "token")
_warned_truncation: list[bool] = []


@dataclass
class Stream:
    """Tokens ``(B, N, C)``, their key mask ``(B, N)`` bool (None: all valid), RoPE segments and
    an optional ``bias`` ``(B, N)`` added to the attention scores of these keys (None: 0)."""

    tokens: Tensor
    mask: Tensor | None
    segments: list[tuple[int, float | None]]
    bias: Tensor | None = None


def phase_bias(
    model: Any, video: Any, lengths: tuple[int, int], batch: int, device: torch.device
) -> Tensor | None:
    """Key bias ``(B, lengths[0] + lengths[1])`` for a video stream whose sync tokens come at
    ``P`` times the model's sync rate (read in phases, :mod:`genav.models.sync_phases`):
    ``-log P`` on each sync token, so the ``P`` tokens of one model frame together weigh what one
    token did in training (the proportional attention of Bolya et al., "Token Merging", ICLR
    2023, here for split rather than merged tokens); None at the model's own rate."""
    phases = float(video.sync_fps) / float(model.config.video.sync_fps)
    if phases <= 1.0 + 1e-6:
        return None
    bias = torch.zeros(batch, sum(lengths), device=device)
    bias[:, lengths[0] :] = -math.log(phases)
    return bias


def flags(value: Tensor | None, batch: int, device: torch.device) -> Tensor:
    """Per-row drop flags ``(B,)`` bool; None means no row is dropped."""
    if value is None:
        return torch.zeros(batch, dtype=torch.bool, device=device)
    return value.to(device=device, dtype=torch.bool)


def text_stream(model: Any, cond: Any, batch: int, device: torch.device) -> tuple[Stream, Tensor]:
    """The text stream and the pooled text ``(B, C)`` (the null pooled vector where dropped)."""
    null_pooled = repeat(model.null_pooled, "1 c -> b c", b=batch)
    dtype = null_pooled.dtype
    if model.config.null_conditions == "token":
        return _text_token(model, cond, batch, device, null_pooled)
    length = model.config.text_length
    null = repeat(model.null_text, "1 n c -> b n c", b=batch)
    if cond.text_tokens is None:
        return Stream(null, None, [(length, None)]), null_pooled
    drop = flags(cond.drop_text, batch, device)
    tokens = cond.text_tokens
    mask = cond.text_mask if cond.text_mask is not None else torch.ones(tokens.shape[:2], dtype=torch.bool)
    mask = mask.to(device, torch.bool)
    if tokens.shape[1] > length:
        if bool(mask[:, length:].any()) and not _warned_truncation:
            _warned_truncation.append(True)
            log.warning("prompts longer than the model's %d text tokens are truncated", length)
        tokens, mask = tokens[:, :length], mask[:, :length]
    projected = model.text_in(tokens.to(device, dtype))
    extra = length - projected.shape[1]
    projected = F.pad(projected, (0, 0, 0, extra))
    keep = F.pad(mask, (0, extra), value=False) & ~drop[:, None]
    out = torch.where(keep[..., None], projected, null)
    pooled = null_pooled
    if cond.text_pooled is not None:
        pooled = torch.where(drop[:, None], null_pooled, model.pooled_in(cond.text_pooled.to(device, dtype)))
    return Stream(out, None, [(length, None)]), pooled


def _text_token(
    model: Any, cond: Any, batch: int, device: torch.device, null_pooled: Tensor
) -> tuple[Stream, Tensor]:
    null_tok = repeat(model.null_text, "1 n c -> b n c", b=batch)
    if cond.text_tokens is None:
        return Stream(
            null_tok, torch.ones(batch, 1, dtype=torch.bool, device=device), [(1, None)]
        ), null_pooled
    drop = flags(cond.drop_text, batch, device)
    tokens = model.text_in(cond.text_tokens.to(device, null_tok.dtype))
    mask = cond.text_mask if cond.text_mask is not None else torch.ones(tokens.shape[:2], dtype=torch.bool)
    mask = mask.to(device, torch.bool) & ~drop[:, None]
    pooled = null_pooled
    if cond.text_pooled is not None:
        pooled = torch.where(
            drop[:, None], null_pooled, model.pooled_in(cond.text_pooled.to(device, null_tok.dtype))
        )
    stream = Stream(
        torch.cat([null_tok, tokens], 1), torch.cat([drop[:, None], mask], 1), [(1 + tokens.shape[1], None)]
    )
    return stream, pooled


@dataclass
class PreparedConditions:
    """Everything :meth:`AudioMMDiT.forward` computes from the conditioning alone, not from the
    latents or the time: the projected text/video streams, the pooled-text and duration parts of
    the global condition, the sync added to each audio frame, RoPE angles and the joint key mask.

    Built once per generation by :meth:`AudioMMDiT.prepare_conditions` (for the stacked guidance
    branches) and reused at every solver step: the condition projections are not recomputed.
    ``batch``/``frames``: the latents ``(B, latent_dim, frames)`` it was built for.
    """

    batch: int
    frames: int
    text: Stream
    video: Stream | None
    pooled: Tensor  # (B, C)
    duration: Tensor  # (B, C), the duration embedding
    sync_add: Tensor | None  # (B, frames, C) or None
    audio_mask: Tensor | None  # (B, frames) bool, None = no padding
    angles: list[Any]  # per stream: audio, (video), text
    mask: Tensor | None  # (B, sum N) joint key mask


@dataclass
class AlignedSync:
    """Projected sync tokens ``(B, T_sync, C)``, which of them are kept ``(B, T_sync)`` and their fps."""

    tokens: Tensor
    keep: Tensor
    fps: float


def video_stream(
    model: Any, cond: Any, batch: int, audio_valid: Tensor, device: torch.device
) -> tuple[Stream | None, AlignedSync | None]:
    """The video stream (None for a model without video in ``embeddings`` mode) and the sync
    tokens for ``sync_to_audio`` (None when no row has video).

    ``audio_valid``: ``(B,)`` valid audio frames per row. In ``embeddings`` mode the stream holds
    the tokens of the longest row's duration (null where a row has no video, or its video ends);
    tokens past a row's own duration are padding, masked out only when such rows exist.
    """
    video = cond.video
    if video is not None and not model.has_video:
        raise InputError("this model was built without video input (text-to-audio only)")
    if model.config.null_conditions == "token":
        return _video_token(model, cond, batch, device)
    if not model.has_video:
        return None, None
    vc = model.config.video
    n_frames = (audio_valid.float() / model.config.audio_frame_rate * vc.fps).round().clamp(min=1)
    # the video's own rates: a picture read in phases has more sync tokens than the config's rate
    rates = (vc.semantic_fps, vc.sync_fps) if video is None else (video.semantic_fps, video.sync_fps)
    counts = [_tokens_at(n_frames, vc.fps, rate) for rate in rates]
    nulls = (model.null_semantic, model.null_sync)
    if video is None:
        parts = [(null.expand(batch, int(n.max()), -1), None) for null, n in zip(nulls, counts, strict=True)]
        aligned = None
    else:
        keep = ~flags(cond.drop_video, batch, device)[:, None]
        sem = (
            model.semantic_in(video.semantic.to(device, nulls[0].dtype)),
            video.semantic_mask.to(device) & keep,
        )
        sync = (model.sync_in(video.sync.to(device, nulls[1].dtype)), video.sync_mask.to(device) & keep)
        parts = [sem, sync]
        aligned = AlignedSync(sync[0], sync[1], float(video.sync_fps))
    tokens, pad = [], []
    for (feats, kept), null, n in zip(parts, nulls, counts, strict=True):
        length = max(feats.shape[1], int(n.max()))
        if kept is not None:
            extra = length - feats.shape[1]
            feats = torch.where(
                F.pad(kept, (0, extra), value=False)[..., None], F.pad(feats, (0, 0, 0, extra)), null
            )
        tokens.append(feats)
        pad.append(torch.arange(length, device=device)[None] < n[:, None].to(device))
    mask = torch.cat(pad, 1)
    lengths = (tokens[0].shape[1], tokens[1].shape[1])
    segments = [(lengths[0], float(rates[0])), (lengths[1], float(rates[1]))]
    bias = None if video is None else phase_bias(model, video, lengths, batch, device)
    return Stream(torch.cat(tokens, 1), None if bool(mask.all()) else mask, segments, bias), aligned


def _tokens_at(n_frames: Tensor, fps: float, rate: float) -> Tensor:
    """Tokens at ``rate`` covering ``n_frames (B,)`` frames at ``fps`` (as ``num_frames_at``), long."""
    return torch.ceil(n_frames * rate / fps - 1e-6).clamp(min=1).long()


def _video_token(
    model: Any, cond: Any, batch: int, device: torch.device
) -> tuple[Stream, AlignedSync | None]:
    null_tok = repeat(model.null_video, "1 n c -> b n c", b=batch)
    video = cond.video
    if video is None:
        return Stream(null_tok, torch.ones(batch, 1, dtype=torch.bool, device=device), [(1, None)]), None
    drop = flags(cond.drop_video, batch, device)
    sem = model.semantic_in(video.semantic.to(null_tok.dtype))
    sync = model.sync_in(video.sync.to(null_tok.dtype))
    keep = ~drop[:, None]
    sync_keep = video.sync_mask.to(device) & keep
    mask = torch.cat([drop[:, None], video.semantic_mask.to(device) & keep, sync_keep], 1)
    segments = [(1, None), (sem.shape[1], float(video.semantic_fps)), (sync.shape[1], float(video.sync_fps))]
    bias = phase_bias(model, video, (1 + sem.shape[1], sync.shape[1]), batch, device)
    stream = Stream(torch.cat([null_tok, sem, sync], 1), mask, segments, bias)
    return stream, AlignedSync(sync, sync_keep, float(video.sync_fps))


def joint_mask(streams: list[Stream]) -> Tensor | None:
    """The key mask over concatenated streams: None when every token is valid and none has a
    bias; else bool ``(B, sum N)``, or with a bias float ``(B, 1, 1, sum N)`` (``-inf`` = masked)."""
    if all(s.mask is None and s.bias is None for s in streams):
        return None
    ones = [torch.ones(s.tokens.shape[:2], dtype=torch.bool, device=s.tokens.device) for s in streams]
    valid = torch.cat([s.mask if s.mask is not None else one for s, one in zip(streams, ones, strict=True)], 1)
    if all(s.bias is None for s in streams):
        return valid
    batch, dtype = valid.shape[0], streams[0].tokens.dtype  # SDPA wants the scores' dtype
    bias = torch.cat(
        [
            s.bias.to(dtype).expand(batch, -1)
            if s.bias is not None
            else valid.new_zeros(batch, s.tokens.shape[1], dtype=dtype)
            for s in streams
        ],
        1,
    )
    return bias.masked_fill(~valid, float("-inf"))[:, None, None, :]
