"""Video faster than the model's frame rate, read in phases (shift-and-stitch along time).

A model whose video encoder runs at ``f`` fps (genav-foley-tiny: 10) sees a 25 fps clip once
every ``1 / f`` s, so an impact between two samples is heard up to ``1 / f`` late. Here the clip
is sampled once at ``P * f`` fps and split into ``P`` sequences at ``f`` fps whose frames start
``1 / (P f)`` apart: each is an ordinary input of the model, only shifted in time. Each phase is
encoded on its own and the sync tokens are interleaved into one sequence at ``P * f`` fps (token
``k P + p`` is phase ``p``'s token ``k``, at its own frame's time), so the model places an event
within ``1 / (P f)`` s. The semantic tokens are phase 0's: those of a plain read.

Source: shift-and-stitch for dense prediction (Long, Shelhamer & Darrell, "Fully Convolutional
Networks for Semantic Segmentation", CVPR 2015, sec. 3.2), applied here along time.
"""

from __future__ import annotations

import math
from typing import Any

import torch

from genav.errors import ConfigError, InputError
from genav.models.conditioning import VideoTokens

# more phases than this put more sync tokens in attention than the model ever saw in training,
# which costs more than the finer timing gives (genav-foley-tiny at 25 fps, see the README)
MAX_SYNC_PHASES = 4


def auto_sync_phases(native_fps: float | None, video_config: Any) -> int:
    """Phases for a picture at ``native_fps`` read by an encoder with ``video_config``
    (``fps``, ``sync_fps``): about one phase per native frame in each model frame, at most
    :data:`MAX_SYNC_PHASES`; 1 (a plain read) when the rate is unknown, not above the model's,
    or the encoder's sync rate differs from its frame rate (phases need one sync token per frame)."""
    if not native_fps or not _one_sync_token_per_frame(video_config):
        return 1
    return int(min(MAX_SYNC_PHASES, max(1, math.ceil(native_fps / float(video_config.fps) - 0.25))))


def _one_sync_token_per_frame(video_config: Any) -> bool:
    """Phases need an encoder whose sync rate is its frame rate (one sync token per frame)."""
    return float(video_config.sync_fps) == float(video_config.fps)


# asked for explicitly (auto stops at MAX_SYNC_PHASES): 24 reads 240 fps footage at 10 fps; far more
# phases re-read the clip for nothing
MAX_ASKED_SYNC_PHASES = 32


def check_sync_phases(phases: int, video_config: Any) -> int:
    """``phases`` (1..MAX_ASKED_SYNC_PHASES) after checking it against the encoder; raises InputError."""
    if isinstance(phases, bool) or not isinstance(phases, int) or not 1 <= phases <= MAX_ASKED_SYNC_PHASES:
        raise InputError(f"sync_phases must be an integer from 1 to {MAX_ASKED_SYNC_PHASES}, got {phases!r}")
    if phases > 1 and not _one_sync_token_per_frame(video_config):
        raise InputError(
            f"sync_phases > 1 needs a video encoder whose sync rate equals its frame rate "
            f"(this one: {video_config.sync_fps:g} vs {video_config.fps:g} fps)"
        )
    return phases


def read_phases(fps: float, video_config: Any) -> int:
    """Phases of training clips decoded at ``fps`` for an encoder with ``video_config``: 1 at its
    own rate, ``P`` when ``fps`` is ``P`` (2..:data:`MAX_SYNC_PHASES`) times it (clips read in
    phases, as at inference); raises ConfigError for any other rate (the encoder would read the
    frames as if at its own rate, stretching time)."""
    own = float(video_config.fps)
    phases = round(float(fps) / own)
    if abs(phases * own - float(fps)) > 1e-6 or not 1 <= phases <= MAX_SYNC_PHASES:
        raise ConfigError(
            f"video at {fps:g} fps for an encoder at {own:g} fps: use its rate or 2 to "
            f"{MAX_SYNC_PHASES} times it (read in phases)"
        )
    if phases > 1 and not _one_sync_token_per_frame(video_config):
        raise ConfigError(
            f"video at {fps:g} fps is read in phases, which needs an encoder whose sync rate equals "
            f"its frame rate (this one: {float(video_config.sync_fps):g} vs {own:g} fps)"
        )
    return phases


def interleave(parts: list[torch.Tensor], count: int, phases: int) -> torch.Tensor:
    """``parts[p]`` ``(B, T_p, ...)`` (phase ``p``'s per-frame values) -> ``(B, count, ...)`` whose
    frame ``k * phases + p`` is ``parts[p][:, k]``."""
    first = parts[0]
    out = first.new_zeros(first.shape[0], count, *first.shape[2:])
    for p, part in enumerate(parts):
        out[:, p::phases] = part
    return out


def interleave_phases(encoded: list[VideoTokens], count: int, phases: int) -> VideoTokens:
    """One :class:`VideoTokens` from the tokens of ``phases`` shifted reads (``encoded[p]`` read
    frames ``p, p + phases, ...`` of ``count``; fewer reads when ``count < phases``): phase 0's
    semantic tokens and the sync tokens ``(B, count, D_sync)`` interleaved at ``phases * sync_fps``."""
    first = encoded[0]
    sync = interleave([t.sync for t in encoded], count, phases)
    sync_mask = interleave([t.sync_mask for t in encoded], count, phases)
    return VideoTokens(
        first.semantic, first.semantic_mask, first.semantic_fps, sync, sync_mask, first.sync_fps * phases
    )


def phased_video_tokens(model: Any, frames: torch.Tensor, phases: int) -> VideoTokens:
    """Video tokens of ``frames`` ``(B, T, H, W, 3)`` uint8 sampled at ``phases * fps``.

    Returns phase 0's semantic tokens and the interleaved sync tokens ``(B, T, D_sync)`` at
    ``phases * sync_fps`` (``model.encode_video`` of the frames itself when ``phases`` is 1).
    """
    if phases == 1:
        return model.encode_video(frames)
    count = frames.shape[1]
    reads = [model.encode_video(frames[:, p::phases]) for p in range(min(phases, count))]
    return interleave_phases(reads, count, phases)
