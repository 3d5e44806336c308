"""What the audio MM-DiT is conditioned on, as one batch-shaped dataclass.

A :class:`Conditioning` holds frozen-encoder outputs (text tokens, pooled text), the video
features (from the model's own video encoder, computed once per sample and reused at every
solver step), the audio validity mask, the target duration, and per-row flags that drop text or
video (classifier-free guidance training and the unconditional guidance branches). A dropped
or absent condition is replaced by a learned null token inside the model, so ``drop_text=True``
and ``text_tokens=None`` give the same velocity.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor


@dataclass
class VideoTokens:
    """Video features at two rates (the fields of ``genav.encoders.VideoFeatures``).

    semantic ``(B, T_sem, D_sem)`` at ``semantic_fps``; sync ``(B, T_sync, D_sync)`` at
    ``sync_fps``; masks ``(B, T_*)`` bool, True = a real frame.
    """

    semantic: Tensor
    semantic_mask: Tensor
    semantic_fps: float
    sync: Tensor
    sync_mask: Tensor
    sync_fps: float

    @classmethod
    def from_features(cls, features: Any) -> VideoTokens:
        """Copy the fields of any object with the ``VideoFeatures`` attributes."""
        return cls(**{f.name: getattr(features, f.name) for f in dataclasses.fields(cls)})


@dataclass
class Conditioning:
    """Per-row conditions for ``AudioMMDiT.forward``; every tensor has batch size B.

    Attributes:
        duration: ``(B,)`` seconds of audio each row should have.
        text_tokens: ``(B, L, text_dim)`` or None (no text: null text for every row).
        text_mask: ``(B, L)`` bool, True = a real token; None = all real.
        text_pooled: ``(B, text_dim)``; None = the null pooled embedding.
        video: the video features, or None (text-to-audio).
        audio_mask: ``(B, T)`` bool, True = a real latent frame; None = all real.
        drop_text: ``(B,)`` bool, rows whose text is replaced by the null text.
        drop_video: ``(B,)`` bool, rows whose video is replaced by the null video.
    """

    duration: Tensor
    text_tokens: Tensor | None = None
    text_mask: Tensor | None = None
    text_pooled: Tensor | None = None
    video: VideoTokens | None = None
    audio_mask: Tensor | None = None
    drop_text: Tensor | None = None
    drop_video: Tensor | None = None

    @property
    def batch_size(self) -> int:
        return int(self.duration.shape[0])

    def to(self, device: torch.device | str, dtype: torch.dtype | None = None) -> Conditioning:
        """Move tensors to ``device``; floating tensors also to ``dtype`` when given."""

        def move(t: Any) -> Any:
            if isinstance(t, Tensor):
                return t.to(device, dtype) if (dtype is not None and t.is_floating_point()) else t.to(device)
            if isinstance(t, VideoTokens):
                return VideoTokens(**{f.name: move(getattr(t, f.name)) for f in dataclasses.fields(t)})
            return t

        return Conditioning(**{f.name: move(getattr(self, f.name)) for f in dataclasses.fields(self)})

    def with_flags(self, *, drop_text: bool | Tensor | None = None, drop_video: bool | Tensor | None = None) -> Conditioning:
        """A copy with drop flags set (a bool applies to every row)."""
        b, dev = self.batch_size, self.duration.device

        def flag(value: bool | Tensor | None, current: Tensor | None) -> Tensor | None:
            if value is None:
                return current
            if isinstance(value, Tensor):
                return value.to(dev, torch.bool)
            return torch.full((b,), bool(value), dtype=torch.bool, device=dev)

        return dataclasses.replace(
            self, drop_text=flag(drop_text, self.drop_text), drop_video=flag(drop_video, self.drop_video)
        )


def _pad_to(x: Tensor, length: int, value: float | bool = 0) -> Tensor:
    """Pad dim 1 of ``x`` ``(B, L, ...)`` to ``length``."""
    extra = length - x.shape[1]
    if extra <= 0:
        return x
    pad = [0, 0] * (x.dim() - 2) + [0, extra]
    return F.pad(x, pad, value=value)


def _row_flags(flags: Tensor | None, absent: bool, batch: int, device: torch.device) -> Tensor:
    """Drop flags ``(B,)``: the given ones, or all True when the condition is absent."""
    if absent:
        return torch.ones(batch, dtype=torch.bool, device=device)
    return flags.to(torch.bool) if flags is not None else torch.zeros(batch, dtype=torch.bool, device=device)


def concat_conditionings(conds: list[Conditioning]) -> Conditioning:
    """Stack conditionings along the batch (e.g. guidance branches), padding text and video.

    A part missing in some inputs becomes masked padding with the matching drop flag set, so
    each row keeps its meaning: a row without text still sees the null text.
    """
    sizes = [c.batch_size for c in conds]
    dev = conds[0].duration.device
    out = Conditioning(duration=torch.cat([c.duration for c in conds]))
    with_text = [c for c in conds if c.text_tokens is not None]
    if with_text:
        length = max(c.text_tokens.shape[1] for c in with_text)
        ref = with_text[0].text_tokens
        toks, masks, pooled = [], [], []
        for c, b in zip(conds, sizes, strict=True):
            if c.text_tokens is None:
                toks.append(ref.new_zeros(b, length, ref.shape[-1]))
                masks.append(torch.zeros(b, length, dtype=torch.bool, device=dev))
            else:
                toks.append(_pad_to(c.text_tokens, length))
                mask = c.text_mask if c.text_mask is not None else torch.ones(c.text_tokens.shape[:2], dtype=torch.bool, device=dev)
                masks.append(_pad_to(mask, length, False))
            pooled.append(c.text_pooled if c.text_pooled is not None else ref.new_zeros(b, ref.shape[-1]))
        out.text_tokens, out.text_mask, out.text_pooled = torch.cat(toks), torch.cat(masks), torch.cat(pooled)
    out.drop_text = torch.cat([_row_flags(c.drop_text, c.text_tokens is None, b, dev) for c, b in zip(conds, sizes, strict=True)])
    out.video = _concat_video([c.video for c in conds], sizes)
    out.drop_video = torch.cat([_row_flags(c.drop_video, c.video is None, b, dev) for c, b in zip(conds, sizes, strict=True)])
    audio_masks = [c.audio_mask for c in conds]
    if any(m is not None for m in audio_masks):
        length = max(m.shape[1] for m in audio_masks if m is not None)
        out.audio_mask = torch.cat(
            [_pad_to(m, length, False) if m is not None else torch.ones(b, length, dtype=torch.bool, device=dev)
             for m, b in zip(audio_masks, sizes, strict=True)]
        )
    return out


def _concat_video(videos: list[VideoTokens | None], sizes: list[int]) -> VideoTokens | None:
    present = [v for v in videos if v is not None]
    if not present:
        return None
    ref = present[0]
    n_sem = max(v.semantic.shape[1] for v in present)
    n_sync = max(v.sync.shape[1] for v in present)
    parts: dict[str, list[Tensor]] = {"semantic": [], "semantic_mask": [], "sync": [], "sync_mask": []}
    for v, b in zip(videos, sizes, strict=True):
        for name, n in (("semantic", n_sem), ("sync", n_sync)):
            feat = getattr(ref, name)
            if v is None:
                parts[name].append(feat.new_zeros(b, n, feat.shape[-1]))
                parts[name + "_mask"].append(torch.zeros(b, n, dtype=torch.bool, device=feat.device))
            else:
                parts[name].append(_pad_to(getattr(v, name), n))
                parts[name + "_mask"].append(_pad_to(getattr(v, name + "_mask"), n, False))
    return VideoTokens(
        semantic=torch.cat(parts["semantic"]),
        semantic_mask=torch.cat(parts["semantic_mask"]),
        semantic_fps=ref.semantic_fps,
        sync=torch.cat(parts["sync"]),
        sync_mask=torch.cat(parts["sync_mask"]),
        sync_fps=ref.sync_fps,
    )
