"""Text-to-video training data: clips of the synthetic world's text-to-video subset, in memory.

Each clip (4 s at 10 fps by default) is kept as uint8 frames with its caption (naming the
object's class and colour) and its event frames. A training item is (clip, window start, timed):
a window of ``window`` frames cut at that start, captioned either by the prompt alone or -- for
the other half of the items -- by a *timed caption*: the prompt plus the event phrase in
the slots of the event frames only (e.g. "the ball hits the floor" in the slot of each bounce).
With ``event_windows`` = p, a share p of each clip's timed items sits on windows that hold an
event frame (spread evenly over them): with one-frame windows only about one frame in ten is an
event frame, too rare for image pretraining to learn what the event phrase looks like.
Items are enumerated, not drawn, so a batch is a pure function of its indices (the trainer's
reproducibility rule). Text embeddings of every caption and phrase are computed once.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor

from genav.checkpoint import cached_tensors
from genav.data.synth.timed import event_phrase, subject_caption, t2v_clips, t2v_settings
from genav.models.video_backbone import FrameContext

log = logging.getLogger(__name__)

CAPTIONS_VERSION = 2  # part of the cache key: cached clips hold their captions

@dataclass
class T2VClips:
    """Clips in memory: ``frames`` ``(N, T, H, W, 3)`` uint8 and, per clip, caption, phrase and
    event frames."""

    frames: Tensor
    captions: list[str]
    phrases: list[str]
    events: list[tuple[int, ...]]
    fps: float

    def __len__(self) -> int:
        return int(self.frames.shape[0])


def make_clips(count: int, *, first_seed: int, settings: dict[str, Any]) -> T2VClips:
    """Generate ``count`` text-to-video clips from ``first_seed`` on (see :func:`t2v_clips`)."""
    world = t2v_settings(**settings)
    pairs = t2v_clips(count, first_seed=first_seed, settings=world)
    rng = np.random.default_rng(first_seed)
    return T2VClips(
        frames=torch.from_numpy(np.stack([c.frames for c, _ in pairs])),
        captions=[subject_caption(s, rng) for _, s in pairs],
        phrases=[event_phrase(s) for _, s in pairs],
        events=[s.frames for _, s in pairs],
        fps=float(world.fps),
    )


def cached_clips(count: int, *, first_seed: int, settings: dict[str, Any], cache: Path | None) -> T2VClips:
    """:func:`make_clips`, stored in (and read back from) a safetensors file under ``cache``
    whose name hashes the arguments."""
    parts = [count, first_seed, settings, CAPTIONS_VERSION]
    key = hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:16]
    path = None if cache is None else Path(cache) / f"t2v-clips-{key}.safetensors"

    def build() -> tuple[dict[str, Tensor], dict[str, Any]]:
        clips = make_clips(count, first_seed=first_seed, settings=settings)
        return {"frames": clips.frames}, {"captions": clips.captions, "phrases": clips.phrases,
                                          "events": clips.events, "fps": clips.fps}

    tensors, meta = cached_tensors(path, build)
    return T2VClips(tensors["frames"], meta["captions"], meta["phrases"], [tuple(e) for e in meta["events"]],
                    meta["fps"])


class TextTable:
    """Frozen text embeddings of a fixed set of strings: ``tokens (L, D)`` and ``pooled (D,)``."""

    def __init__(self, text_encoder: Any, strings: Sequence[str]) -> None:
        self.rows: dict[str, tuple[Tensor, Tensor]] = {}
        for s in sorted(set(strings)):
            emb = text_encoder.encode([s])
            keep = int(emb.mask[0].sum())
            self.rows[s] = (emb.tokens[0, :keep].float().cpu(), emb.pooled[0].float().cpu())

    def stack(self, strings: Sequence[str]) -> tuple[Tensor, Tensor, Tensor]:
        """``tokens (B, L, D)`` zero-padded, ``mask (B, L)``, ``pooled (B, D)``."""
        rows = [self.rows[s] for s in strings]
        length = max(r[0].shape[0] for r in rows)
        tokens = torch.zeros(len(rows), length, rows[0][0].shape[-1])
        mask = torch.zeros(len(rows), length, dtype=torch.bool)
        for i, (tok, _) in enumerate(rows):
            tokens[i, : tok.shape[0]] = tok
            mask[i, : tok.shape[0]] = True
        return tokens, mask, torch.stack([r[1] for r in rows])


class T2VTrainSet:
    """Items ``(clip, window start, timed)`` over :class:`T2VClips`; :meth:`collate` makes a batch
    ``{"frames": (B, window, H, W, 3) uint8, "context": FrameContext, "timed": (B,) bool}``.
    ``event_windows`` (0 to 1): the share of each clip's timed items placed on windows holding an
    event frame (the rest spread over all windows)."""

    def __init__(self, clips: T2VClips, text: TextTable, *, window: int, stride: int = 1,
                 event_windows: float = 0.0) -> None:
        if not 0.0 <= event_windows <= 1.0:
            raise ValueError(f"event_windows must be within 0 to 1, got {event_windows:g}")
        self.clips, self.text, self.window = clips, text, window
        self.starts = list(range(0, clips.frames.shape[1] - window + 1, stride))
        self.event_items = int(round(event_windows * len(self.starts)))
        self.event_starts = [[s for s in self.starts if any(s <= f < s + window for f in events)]
                             for events in clips.events]

    def __len__(self) -> int:
        return len(self.clips) * len(self.starts) * 2

    def item(self, index: int) -> tuple[int, int, bool]:
        clip, rest = divmod(index, len(self.starts) * 2)
        start, timed = divmod(rest, 2)
        if timed:
            return clip, self._timed_start(clip, start), True
        return clip, self.starts[start], False

    def _timed_start(self, clip: int, j: int) -> int:
        n, k, events = len(self.starts), self.event_items, self.event_starts[clip]
        if not events or k == 0:
            return self.starts[j]
        if j < k:
            return events[j * len(events) // k]
        return self.starts[(j - k) * n // (n - k)]

    def collate(self, indices: Sequence[int]) -> dict[str, Any]:
        items = [self.item(int(i)) for i in indices]
        frames = torch.stack([self.clips.frames[c, s : s + self.window] for c, s, _ in items])
        tokens, mask, pooled = self.text.stack([self.clips.captions[c] for c, _, _ in items])
        slots = [[f - s for f in self.clips.events[c] if s <= f < s + self.window] if timed else []
                 for c, s, timed in items]
        phrase_tok, phrase_mask, _ = self.text.stack([self.clips.phrases[c] for c, _, _ in items])
        b, k = len(items), phrase_tok.shape[1]
        slot_tokens = torch.zeros(b, self.window, k, phrase_tok.shape[-1])
        slot_mask = torch.zeros(b, self.window, k, dtype=torch.bool)
        for row, frames_in in enumerate(slots):
            for f in frames_in:
                slot_tokens[row, f], slot_mask[row, f] = phrase_tok[row], phrase_mask[row]
        times = torch.arange(self.window, dtype=torch.float32) / self.clips.fps
        ctx = FrameContext(tokens, mask, slot_tokens, slot_mask, times, pooled)
        return {"frames": frames, "context": ctx, "timed": torch.tensor([t for _, _, t in items])}


def drop_conditions(ctx: FrameContext, timed: Tensor, *, p_text: float, p_global: float,
                    generator: torch.Generator) -> FrameContext:
    """Training dropout for classifier-free guidance: with probability ``p_text`` a row loses all
    text (the unconditional branch); a timed row not dropped loses its global prompt with
    probability ``p_global`` (its slot tokens alone must then carry the timing)."""
    b = ctx.batch_size
    u = torch.rand(b, generator=generator, device=generator.device).to(ctx.tokens.device)
    drop_all = u < p_text
    drop_global = drop_all | (timed.to(u.device) & (u >= p_text) & (u < p_text + p_global))
    mask = _ones_like_mask(ctx.mask, ctx.tokens.shape[:2], u.device) & ~drop_global[:, None]
    slot_mask = None
    if ctx.slot_tokens is not None:
        slot_mask = _ones_like_mask(ctx.slot_mask, ctx.slot_tokens.shape[:3], u.device) & ~drop_all[:, None, None]
    return FrameContext(ctx.tokens, mask, ctx.slot_tokens, slot_mask, ctx.slot_times, ctx.pooled)


def _ones_like_mask(mask: Tensor | None, shape: tuple[int, ...], device: torch.device) -> Tensor:
    return torch.ones(shape, dtype=torch.bool, device=device) if mask is None else mask.to(device, torch.bool)
