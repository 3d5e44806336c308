"""Audio-to-video training data: clips of the synthetic world with their sound, in memory.

The clips are those of the text-to-video world (:mod:`genav.data.synth.timed`: one visible source
whose events -- bounces, impacts, flashes, slams, shoves -- make the sound), kept as uint8 frames,
mono audio, a caption naming class and colour, and the exact event times. A training item is
(clip, window start): ``window`` frames from that start and the sound under them with half an
adaptor window of context on each side (zeros beyond the clip), so every slot's audio window
is complete; slot times are shifted by that margin. Items are enumerated, so a batch is a pure
function of its indices (the trainer's reproducibility rule).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor

from genav.checkpoint import cached_tensors
from genav.data.synth.timed import subject_caption, t2v_clips, t2v_settings
from genav.errors import ConfigError, InputError
from genav.models.video_backbone import FrameContext, SlotLayout

CLIPS_VERSION = 1  # part of the cache key


@dataclass
class A2VClips:
    """``frames`` ``(N, T, H, W, 3)`` uint8, ``audio`` ``(N, samples)`` float32 mono at
    ``sample_rate``, per clip a caption, the event times (s) and the shown ``(class, colour)``;
    ``fps`` of the frames."""

    frames: Tensor
    audio: Tensor
    captions: list[str]
    events: list[tuple[float, ...]]
    fps: float
    sample_rate: int
    subjects: list[tuple[str, str]]

    def __len__(self) -> int:
        return int(self.frames.shape[0])


def make_a2v_clips(count: int, *, first_seed: int, settings: dict[str, Any]) -> A2VClips:
    """``count`` clips of the text-to-video world from ``first_seed`` on, with their sound."""
    world = t2v_settings(**settings)
    pairs = t2v_clips(count, first_seed=first_seed, settings=world)
    rng = np.random.default_rng(first_seed)
    return A2VClips(
        frames=torch.from_numpy(np.stack([c.frames for c, _ in pairs])),
        audio=torch.from_numpy(np.stack([c.audio.astype(np.float32) for c, _ in pairs])),
        captions=[subject_caption(s, rng) for _, s in pairs],
        events=[tuple(float(t) for t in s.times) for _, s in pairs],
        fps=float(world.fps),
        sample_rate=int(world.sample_rate),
        subjects=[(s.cls, s.colour) for _, s in pairs],
    )


def cached_a2v_clips(count: int, *, first_seed: int, settings: dict[str, Any], cache: Path | None) -> A2VClips:
    """:func:`make_a2v_clips`, kept in a safetensors file under ``cache`` named by a hash of the arguments."""
    key = hashlib.sha256(json.dumps([count, first_seed, settings, CLIPS_VERSION], sort_keys=True).encode()).hexdigest()
    path = None if cache is None else Path(cache) / f"a2v-clips-{key[:16]}.safetensors"

    def build() -> tuple[dict[str, Tensor], dict[str, Any]]:
        clips = make_a2v_clips(count, first_seed=first_seed, settings=settings)
        return {"frames": clips.frames, "audio": clips.audio}, {
            "captions": clips.captions, "events": clips.events, "fps": clips.fps, "sample_rate": clips.sample_rate,
            "subjects": clips.subjects}  # fmt: skip

    tensors, meta = cached_tensors(path, build)
    return A2VClips(tensors["frames"], tensors["audio"], meta["captions"], [tuple(e) for e in meta["events"]],
                    meta["fps"], meta["sample_rate"], [tuple(x) for x in meta["subjects"]])


def fit_window(backbone: Any, limit: int) -> int:
    """The longest frame count ``<= min(limit, backbone.max_frames)`` the backbone accepts
    (Wan takes only ``1 + 4k`` frames)."""
    for n in range(min(limit, int(backbone.max_frames)), 0, -1):
        try:
            backbone.slots_for(n)
            return n
        except InputError:
            continue
    raise ConfigError(f"{backbone.name} accepts no frame count up to {limit}")


class PromptTable:
    """Frozen backbone contexts of a fixed set of prompts (``""`` = no prompt), encoded once."""

    def __init__(self, backbone: Any, prompts: Sequence[str], *, batch: int = 32) -> None:
        self.rows: dict[str, tuple[Tensor, Tensor, Tensor | None]] = {}
        unique = sorted(set(prompts) | {""})
        for i in range(0, len(unique), batch):
            part = unique[i : i + batch]
            ctx = backbone.encode_prompt(part)
            mask = ctx.mask if ctx.mask is not None else torch.ones(ctx.tokens.shape[:2], dtype=torch.bool)
            for j, p in enumerate(part):
                pooled = None if ctx.pooled is None else ctx.pooled[j].float().cpu()
                self.rows[p] = (ctx.tokens[j].float().cpu(), mask[j].cpu(), pooled)

    def context(self, prompts: Sequence[str]) -> FrameContext:
        """Global context ``(B, L, D)`` of ``prompts`` (padded with masked tokens)."""
        rows = [self.rows[p] for p in prompts]
        length = max(r[0].shape[0] for r in rows)
        tokens = torch.zeros(len(rows), length, rows[0][0].shape[-1])
        mask = torch.zeros(len(rows), length, dtype=torch.bool)
        for i, (tok, m, _) in enumerate(rows):
            tokens[i, : tok.shape[0]], mask[i, : tok.shape[0]] = tok, m
        pooled = None if rows[0][2] is None else torch.stack([r[2] for r in rows])
        return FrameContext(tokens, mask, pooled=pooled)


class A2VTrainSet:
    """Items ``(clip, window start)``; :meth:`collate` gives ``{"frames": (B, window, H, W, 3) uint8,
    "audio": (B, n) float32, "slot_times": (S,) s into that audio, "captions": [B str]}``."""

    def __init__(self, clips: A2VClips, layout: SlotLayout, *, margin_s: float, stride: int = 1) -> None:
        self.clips, self.layout = clips, layout
        self.window = layout.num_frames
        self.margin = int(round(margin_s * clips.sample_rate))
        self.starts = list(range(0, clips.frames.shape[1] - self.window + 1, stride))
        if not self.starts:
            raise ConfigError(f"clips of {clips.frames.shape[1]} frames are shorter than the {self.window}-frame window")

    def __len__(self) -> int:
        return len(self.clips) * len(self.starts)

    def item(self, index: int) -> tuple[int, int]:
        clip, start = divmod(int(index), len(self.starts))
        return clip, self.starts[start]

    def collate(self, indices: Sequence[int]) -> dict[str, Any]:
        sr, fps = self.clips.sample_rate, self.clips.fps
        span = int(round(self.window / fps * sr)) + 2 * self.margin
        padded = torch.nn.functional.pad(self.clips.audio, (self.margin, span))
        items = [self.item(i) for i in indices]
        audio = torch.stack([padded[c, int(round(s / fps * sr)) :][:span] for c, s in items])
        return {
            "frames": torch.stack([self.clips.frames[c, s : s + self.window] for c, s in items]),
            "audio": audio,
            "slot_times": self.layout.times + self.margin / sr,
            "captions": [self.clips.captions[c] for c, _ in items],
        }
