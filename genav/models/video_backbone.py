"""The text-to-video backbone interface: per-frame context in, velocity (or a loss) out.

Every text-to-video model genav drives -- its own tiny pixel-space DiT and diffusers' UNet3D
(ModelScope/ZeroScope) and Wan 2.1 transformers -- implements :class:`VideoBackbone`, so that
pipelines, samplers and the audio-to-video adaptor never look inside a model:

- ``encode_prompt(prompts) -> FrameContext``: global tokens in the backbone's context space;
- ``slots_for(num_frames) -> SlotLayout``: the latent time slots (1 frame each for pixel and
  UNet3D models, 4 frames for Wan's temporally compressed latents) and their times in seconds;
- ``training_loss(video, ctx, generator)``: the backbone's own objective (flow, epsilon or v),
  differentiable with respect to ``ctx`` so an adaptor can be trained through a frozen backbone;
- ``velocity(x_t, t, ctx)``: the rectified-flow velocity in genav's convention
  (``x_t = (1 - t) noise + t data``) for the shared samplers of :mod:`genav.sampling`;
- ``encode`` / ``decode``: frames <-> latents (a VAE, or a scaling for pixel models).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import torch
import torch.nn.functional as F
from torch import Tensor

from genav.errors import InputError


@dataclass
class FrameContext:
    """What a video backbone's cross-attention sees, batch-major.

    Attributes:
        tokens: global context ``(B, Lg, D)`` in the backbone's context space (e.g. prompt token
            states), seen by every frame.
        mask: ``(B, Lg)`` bool, True = a real token; None = all real.
        slot_tokens: optional per-slot context ``(B, S, K, D)``: slot ``s`` is seen only by the
            frames of latent slot ``s`` (see :meth:`VideoBackbone.slots_for`).
        slot_mask: ``(B, S, K)`` bool; None = all real. A slot with no real token adds nothing.
        slot_times: ``(S,)`` float seconds: the time each slot stands for, from the start of
            the clip (frame ``i`` is at ``i / fps``; a multi-frame slot at the mean of its frames).
        pooled: optional ``(B, D)`` pooled prompt embedding (models with global conditioning).
    """

    tokens: Tensor
    mask: Tensor | None = None
    slot_tokens: Tensor | None = None
    slot_mask: Tensor | None = None
    slot_times: Tensor | None = None
    pooled: Tensor | None = None

    def __post_init__(self) -> None:
        if self.tokens.ndim != 3:
            raise InputError(f"FrameContext.tokens must be (B, Lg, D), got {tuple(self.tokens.shape)}")
        if self.slot_tokens is not None:
            b, _, d = self.tokens.shape
            st = self.slot_tokens
            if st.ndim != 4 or st.shape[0] != b or st.shape[-1] != d:
                raise InputError(f"FrameContext.slot_tokens must be (B={b}, S, K, D={d}), got {tuple(st.shape)}")
            if self.slot_times is not None and self.slot_times.shape != (st.shape[1],):
                raise InputError(
                    f"FrameContext.slot_times must be ({st.shape[1]},) seconds, got {tuple(self.slot_times.shape)}"
                )

    @property
    def batch_size(self) -> int:
        return int(self.tokens.shape[0])

    @property
    def num_slots(self) -> int:
        return 0 if self.slot_tokens is None else int(self.slot_tokens.shape[1])

    def to(self, device: torch.device | str | None = None, dtype: torch.dtype | None = None) -> FrameContext:
        """Tensors moved to ``device``; floating ones (not ``slot_times``) also to ``dtype``."""

        def move(name: str, t: Any) -> Any:
            if not isinstance(t, Tensor):
                return t
            cast = dtype if (dtype is not None and t.is_floating_point() and name != "slot_times") else None
            return t.to(device=device, dtype=cast)

        return FrameContext(**{f.name: move(f.name, getattr(self, f.name)) for f in dataclasses.fields(self)})

    def repeat(self, n: int) -> FrameContext:
        """Each row repeated ``n`` times (row-major: ``r0, r0, ..., r1, ...``)."""

        def rep(name: str, t: Any) -> Any:
            return t.repeat_interleave(n, 0) if isinstance(t, Tensor) and name != "slot_times" else t

        return FrameContext(**{f.name: rep(f.name, getattr(self, f.name)) for f in dataclasses.fields(self)})

    def slots(self, start: int, end: int) -> FrameContext:
        """The context of slots ``[start, end)`` (a window of a longer clip); global parts are kept
        and slot times stay absolute."""
        if self.slot_tokens is None:
            return self
        if not 0 <= start < end <= self.num_slots:
            raise InputError(f"slot window [{start}, {end}) is outside the context's {self.num_slots} slots")
        return dataclasses.replace(
            self,
            slot_tokens=self.slot_tokens[:, start:end],
            slot_mask=None if self.slot_mask is None else self.slot_mask[:, start:end],
            slot_times=None if self.slot_times is None else self.slot_times[start:end],
        )


@dataclass(frozen=True)
class SlotLayout:
    """The latent time slots of a clip: slot ``s`` covers pixel frames ``frames[s] = (first, end)``.

    ``times`` ``(S,)`` seconds: the mean time of each slot's frames (frame ``i`` at ``i / fps``).
    """

    frames: tuple[tuple[int, int], ...]
    fps: float

    @property
    def count(self) -> int:
        return len(self.frames)

    @property
    def num_frames(self) -> int:
        return self.frames[-1][1] if self.frames else 0

    @property
    def times(self) -> Tensor:
        return torch.tensor([(a + b - 1) / 2.0 / self.fps for a, b in self.frames], dtype=torch.float32)

    def slot_of_frame(self, frame: int) -> int:
        """The slot that holds pixel frame ``frame``."""
        for s, (a, b) in enumerate(self.frames):
            if a <= frame < b:
                return s
        raise InputError(f"frame {frame} is outside the layout's {self.num_frames} frames")


def frame_slots(num_frames: int, fps: float, *, first: int = 1, stride: int = 1) -> SlotLayout:
    """Slots of a latent whose first slot holds ``first`` frames and each later one ``stride``
    (pixel models and UNet3D: 1 and 1; Wan's causal VAE: 1 and 4)."""
    if num_frames < 1:
        raise InputError(f"a video needs at least one frame, got {num_frames}")
    frames = [(0, min(first, num_frames))]
    while frames[-1][1] < num_frames:
        start = frames[-1][1]
        frames.append((start, min(start + stride, num_frames)))
    return SlotLayout(tuple(frames), float(fps))


def concat_contexts(contexts: list[FrameContext]) -> FrameContext:
    """Stack contexts along the batch (guidance branches), padding ``Lg`` and ``K`` with masked tokens.

    All contexts with slots must have the same slot count; a context without slots gets empty
    (fully masked) slots when another has them.
    """
    ref = next((c for c in contexts if c.slot_tokens is not None), None)
    lg = max(c.tokens.shape[1] for c in contexts)
    tokens = torch.cat([_pad(c.tokens, lg, 1) for c in contexts])
    mask = torch.cat([_pad(_mask_of(c.mask, c.tokens.shape[:2], c.tokens.device), lg, 1) for c in contexts])
    pooled = None
    if any(c.pooled is not None for c in contexts):
        pooled = torch.cat([c.pooled if c.pooled is not None else c.tokens.new_zeros(c.batch_size, c.tokens.shape[-1])
                            for c in contexts])
    if ref is None:
        return FrameContext(tokens, mask, pooled=pooled)
    s = ref.num_slots
    k = max(c.slot_tokens.shape[2] for c in contexts if c.slot_tokens is not None)
    st, sm = [], []
    for c in contexts:
        if c.slot_tokens is None:
            st.append(c.tokens.new_zeros(c.batch_size, s, k, c.tokens.shape[-1]))
            sm.append(torch.zeros(c.batch_size, s, k, dtype=torch.bool, device=c.tokens.device))
            continue
        if c.num_slots != s:
            raise InputError(f"cannot stack contexts with {c.num_slots} and {s} slots")
        st.append(_pad(c.slot_tokens, k, 2))
        sm.append(_pad(_mask_of(c.slot_mask, c.slot_tokens.shape[:3], c.tokens.device), k, 2))
    return FrameContext(tokens, mask, torch.cat(st), torch.cat(sm), ref.slot_times, pooled)


def _mask_of(mask: Tensor | None, shape: tuple[int, ...], device: torch.device) -> Tensor:
    return torch.ones(shape, dtype=torch.bool, device=device) if mask is None else mask.to(device, torch.bool)


def _pad(x: Tensor, length: int, dim: int) -> Tensor:
    extra = length - x.shape[dim]
    if extra <= 0:
        return x
    pad = [0, 0] * (x.ndim - dim - 1) + [0, extra]
    return F.pad(x, pad, value=False if x.dtype == torch.bool else 0.0)


@runtime_checkable
class VideoBackbone(Protocol):
    """A text-to-video model with per-frame context (see the module docstring).

    Attributes: ``name``; ``fps`` (frames per second it was trained at); ``context_dim`` (D of
    :class:`FrameContext` tokens); ``max_frames`` (frames one window generates);
    ``frame_size`` ``(H, W)`` its default size; ``schedule`` ``(name, shift)`` of the time grid
    its sampling should use (see :func:`genav.sampling.time_grid`).
    """

    name: str
    fps: float
    context_dim: int
    max_frames: int
    frame_size: tuple[int, int]
    schedule: tuple[str, float]

    def encode_prompt(self, prompts: list[str]) -> FrameContext:
        """Prompts (B strings; ``""`` = unconditional) -> global context ``(B, Lg, D)``."""
        ...

    def slots_for(self, num_frames: int) -> SlotLayout:
        """The latent time slots of a ``num_frames``-frame clip at :attr:`fps`."""
        ...

    def latent_shape(self, num_frames: int, height: int, width: int) -> tuple[int, int, int, int]:
        """``(C, S, h, w)`` of the latents of a clip (S = number of slots)."""
        ...

    def encode(self, video: Tensor) -> Tensor:
        """Frames ``(B, T, H, W, 3)`` uint8 -> latents ``(B, C, S, h, w)``."""
        ...

    def decode(self, latents: Tensor) -> Tensor:
        """Latents ``(B, C, S, h, w)`` -> frames ``(B, T, H, W, 3)`` uint8."""
        ...

    def velocity(self, x_t: Tensor, t: Tensor, ctx: FrameContext) -> Tensor:
        """Velocity ``(B, C, S, h, w)`` at latents ``x_t`` and times ``t`` ``(B,)`` in [0, 1]."""
        ...

    def training_loss(self, video: Tensor, ctx: FrameContext, generator: torch.Generator) -> Tensor:
        """The backbone's own training loss (a scalar) on frames ``(B, T, H, W, 3)`` uint8."""
        ...


def timed_slot_tokens(
    backbone: VideoBackbone, events: list[list[tuple[float, str]]], layout: SlotLayout
) -> tuple[Tensor, Tensor]:
    """Slot tokens of *timed captions*: phrase ``p`` at time ``s`` goes into the slot that holds
    frame ``round(s * fps)``, and only there.

    ``events``: per batch row, ``(seconds, phrase)`` pairs. Phrases are encoded by
    ``backbone.encode_prompt`` (real tokens only); two phrases in one slot are concatenated.
    Returns ``slot_tokens (B, S, K, D)`` and ``slot_mask (B, S, K)``. Raises :class:`InputError`
    for a time outside the clip or an empty phrase.
    """
    phrases = sorted({p for row in events for _, p in row})
    if any(not p.strip() for p in phrases):
        raise InputError("a timed prompt has an empty phrase")
    table: dict[str, Tensor] = {}
    if phrases:
        emb = backbone.encode_prompt(phrases)
        mask = emb.mask if emb.mask is not None else torch.ones(emb.tokens.shape[:2], dtype=torch.bool)
        table = {p: emb.tokens[i][mask[i].to(emb.tokens.device)] for i, p in enumerate(phrases)}
    per_slot: list[dict[int, list[Tensor]]] = []
    duration = layout.num_frames / layout.fps
    for row in events:
        slots: dict[int, list[Tensor]] = {}
        for seconds, phrase in row:
            if not math.isfinite(float(seconds)):
                raise InputError(f"timed prompt {phrase!r} has no time (got {seconds}): give its seconds from the start")
            frame = int(round(float(seconds) * layout.fps))
            if not 0 <= frame < layout.num_frames:
                raise InputError(f"timed prompt at {seconds:g} s is outside the clip (0 to {duration:g} s)")
            slots.setdefault(layout.slot_of_frame(frame), []).append(table[phrase])
        per_slot.append(slots)
    k = max([sum(t.shape[0] for t in parts) for row in per_slot for parts in row.values()] + [1])
    d = backbone.context_dim
    device = next(iter(table.values())).device if table else torch.device("cpu")
    tokens = torch.zeros(len(events), layout.count, k, d, device=device)
    mask = torch.zeros(len(events), layout.count, k, dtype=torch.bool, device=device)
    for b, row in enumerate(per_slot):
        for s, parts in row.items():
            joined = torch.cat(parts)
            tokens[b, s, : joined.shape[0]] = joined.float()
            mask[b, s, : joined.shape[0]] = True
    return tokens, mask
