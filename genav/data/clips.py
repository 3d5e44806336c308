"""Training windows over encoded clips (:mod:`genav.data.shards`), as a torch Dataset.

Every item of one optimiser step has the same length, drawn per step from a range, so a batch
needs no padding (and the model no attention mask). Windows start on a grid on which audio
latent frames and video frames both fall exactly (the least common multiple of their periods,
e.g. 80 ms for 62.5 latent frames/s and 25 fps), so sound and picture stay aligned; where that
grid would be coarser than half a second (24 or 29.97 fps), the video frame grid is used and the
audio start rounded to the nearest latent frame. A clip shorter than the step's length is
followed by silence (its encoded silent tail, then the codec's silence frame), as a short sound
effect followed by nothing is.

Randomness is a pure function of numbers: the step's length of ``(seed, step)``, an item's window
start, caption variant and text dropout of ``(seed, epoch, row)``. So each epoch sees other
windows and captions, and a resumed run, any number of DataLoader workers or processes, reads
exactly the same data.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np
import torch
from torch import Tensor

from genav.data.shards import ShardIndex, read_window
from genav.errors import ConfigError

EXACT_GRID_LIMIT = Fraction(1, 2)  # seconds
Request = tuple[int, int, int]  # (item, epoch, length in grid units)


@dataclass(frozen=True)
class CropGrid:
    """Window starts and lengths in whole ``unit`` (seconds); lengths from ``min_units`` to ``max_units``."""

    unit: Fraction
    frame_rate: Fraction
    fps: Fraction | None
    min_units: int
    max_units: int

    @classmethod
    def make(cls, frame_rate: float, fps: float | None, min_seconds: float, max_seconds: float) -> CropGrid:
        """The grid for latents at ``frame_rate`` (and video at ``fps``) and lengths in seconds."""
        if not 0 < min_seconds <= max_seconds:
            raise ConfigError(f"crop lengths need 0 < min <= max, got {min_seconds:g}..{max_seconds:g} s")
        rate = Fraction(frame_rate).limit_denominator(10_000)
        unit = 1 / rate
        if fps is not None:
            period = 1 / Fraction(fps).limit_denominator(10_000)
            lcm = Fraction(
                math.lcm(unit.numerator, period.numerator), math.gcd(unit.denominator, period.denominator)
            )
            unit = lcm if lcm <= EXACT_GRID_LIMIT else period
        lo = max(1, math.ceil(Fraction(min_seconds).limit_denominator(10_000) / unit))
        hi = max(lo, math.floor(Fraction(max_seconds).limit_denominator(10_000) / unit))
        return cls(unit, rate, None if fps is None else Fraction(fps).limit_denominator(10_000), lo, hi)

    def latent_frames(self, units: int) -> int:
        return round(units * self.unit * self.frame_rate)

    def video_frames(self, units: int) -> int:
        return round(units * self.unit * self.fps)

    def step_units(self, seed: int, step: int) -> int:
        """The window length (units) shared by every item of ``step``."""
        if self.min_units == self.max_units:
            return self.min_units
        return int(np.random.default_rng([seed, step, 0x6C656E]).integers(self.min_units, self.max_units + 1))


class ClipWindows(torch.utils.data.Dataset):
    """Windows of encoded clips: ``parts`` lists (clip folder index, its rows to use).

    ``__getitem__`` takes a request ``(item, epoch, units)`` (see :meth:`batch_requests`); items
    are dicts of tensors, :meth:`collate` stacks them. ``video``: read video inputs (a model with
    video); ``text_dropout``: probability that an item is marked ``drop_text`` (on top of the
    model's own condition dropout); ``seed``: the run's seed.
    """

    def __init__(
        self,
        parts: Sequence[tuple[ShardIndex, Sequence[int]]],
        grid: CropGrid,
        *,
        seed: int = 0,
        video: bool = True,
        text_dropout: float = 0.0,
    ) -> None:
        if not 0 <= text_dropout <= 1:
            raise ConfigError(f"text_dropout must be in [0, 1], got {text_dropout}")
        if not parts:
            raise ConfigError("no encoded clips to train on")
        self.parts = [(index, np.asarray(rows, dtype=np.int64)) for index, rows in parts]
        self.starts = np.cumsum([0] + [len(r) for _, r in self.parts])
        self.grid, self.seed = grid, int(seed)
        self.info = self.parts[0][0].info
        self.video = video and self.info.get("semantic_shape") is not None
        self.text_dropout = float(text_dropout)

    def __len__(self) -> int:
        return int(self.starts[-1])

    def locate(self, item: int) -> tuple[int, ShardIndex, int]:
        """(part number, its index, row in it) of ``item``."""
        if not 0 <= item < len(self):
            raise IndexError(item)
        part = int(np.searchsorted(self.starts, item, side="right")) - 1
        index, rows = self.parts[part]
        return part, index, int(rows[item - self.starts[part]])

    def batch_requests(self, step: int, picks: Sequence[tuple[int, int]]) -> list[Request]:
        """Requests for ``step`` from its ``(item, epoch)`` picks: all share the step's length."""
        units = self.grid.step_units(self.seed, step)
        return [(int(i), int(e), units) for i, e in picks]

    def __getitem__(self, request: Request) -> dict[str, Any]:
        item, epoch, units = request
        part, index, row = self.locate(item)
        a = index.arrays
        rng = np.random.default_rng([self.seed, epoch, part, row])
        room = int(a["valid_frames"][row]) - self.grid.latent_frames(units)
        last = math.floor(room / (self.grid.unit * self.grid.frame_rate)) if room > 0 else 0
        start = int(rng.integers(0, last + 1))
        variant = int(rng.integers(0, int(a["variants"][row])))
        drop = bool(rng.random() < self.text_dropout)
        return self._read(item, start, units, variant, drop)

    def window(self, item: int, *, units: int | None = None) -> dict[str, Any]:
        """The deterministic window of ``item`` used for validation: from its start, first caption."""
        return self._read(item, 0, units or self.grid.max_units, 0, False)

    def _read(self, item: int, start: int, units: int, variant: int, drop: bool) -> dict[str, Any]:
        _, index, row = self.locate(item)
        video = None
        if self.video and index.has_video(row):
            video = (self.grid.video_frames(start), self.grid.video_frames(units))
        out = read_window(
            index,
            row,
            start=self.grid.latent_frames(start),
            frames=self.grid.latent_frames(units),
            video=video,
            variant=variant,
        )
        out["drop_text"] = drop
        out["item"] = item
        if self.video and video is None:  # a video model, a row without video: empty frames, all masked
            out.update(self._no_video(self.grid.video_frames(units)))
        return out

    def _no_video(self, n: int) -> dict[str, Tensor]:
        info = self.info
        dtype = torch.uint8 if info["semantic_dtype"] == "uint8" else torch.float32
        return {
            "semantic": torch.zeros(n, *info["semantic_shape"], dtype=dtype),
            "motion": torch.zeros(n, info["motion_dim"]),
            "frames_mask": torch.zeros(n, dtype=torch.bool),
        }

    def collate(self, items: list[dict[str, Any]]) -> dict[str, Any]:
        """Stack items of one length into a batch: ``latents (B, C, T)``, ``duration (B,)`` s,
        ``text_tokens (B, L, D)`` + ``text_mask (B, L)``, ``text_pooled (B, D)``, ``drop_text (B,)``,
        ``has_video (B,)`` and, for a video model, ``video_semantic (B, F, ...)``, ``video_motion
        (B, F, M)``, ``frames_mask (B, F)``; ``audio_mask`` is None (no padding)."""
        latents = torch.stack([it["latents"] for it in items])
        length = max(it["tokens"].shape[0] for it in items)
        tokens = torch.zeros(len(items), length, items[0]["tokens"].shape[1])
        text_mask = torch.zeros(len(items), length, dtype=torch.bool)
        for b, it in enumerate(items):
            tokens[b, : it["tokens"].shape[0]] = it["tokens"]
            text_mask[b, : it["tokens"].shape[0]] = True
        batch: dict[str, Any] = {
            "latents": latents,
            "audio_mask": None,
            "duration": torch.full((len(items),), latents.shape[-1] / float(self.grid.frame_rate)),
            "text_tokens": tokens,
            "text_mask": text_mask,
            "text_pooled": torch.stack([it["pooled"] for it in items]),
            "drop_text": torch.tensor([it["drop_text"] for it in items]),
            "has_video": torch.tensor([bool(it.get("frames_mask", torch.zeros(1)).any()) for it in items]),
            "items": [it["item"] for it in items],
            "video_semantic": None,
            "video_motion": None,
            "frames_mask": None,
        }
        if self.video:
            batch["video_semantic"] = torch.stack([it["semantic"] for it in items])
            batch["video_motion"] = torch.stack([it["motion"] for it in items])
            batch["frames_mask"] = torch.stack([it["frames_mask"] for it in items])
        return batch


class ValidationWindows:
    """A trainer ``TrainSet`` view of :class:`ClipWindows`: fixed windows, first caption, no dropout."""

    def __init__(self, clips: ClipWindows) -> None:
        self.clips = clips

    def __len__(self) -> int:
        return len(self.clips)

    def collate(self, indices: Sequence[int]) -> dict[str, Any]:
        return self.clips.collate([self.clips.window(i) for i in indices])

    def describe(self, item: int) -> tuple[str, str]:
        """(name, first caption) of ``item``."""
        _, index, row = self.clips.locate(item)
        meta = index.row_meta(row)
        return str(meta["name"]), str(meta["captions"][0])
