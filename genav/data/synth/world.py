"""The shared state of one clip while it is planned: timing grid, layout, event bookkeeping."""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np

from genav.data.synth.settings import SynthSettings


@dataclasses.dataclass(frozen=True)
class Event:
    """One ground-truth event.

    ``time`` is in seconds and always falls on a frame (``frame / fps``): the frame on which the
    contact is shown and the sound starts. ``on_screen``: its cause is visible; ``audible``: it
    makes a sound (a silent distractor is on screen and not audible; an off-screen sound is audible
    and not on screen). ``strength`` in 0..1 is the relative speed of the motion, which also sets
    the loudness.
    """

    time: float
    frame: int
    type: str
    on_screen: bool
    audible: bool
    object: str
    material: str | None = None
    size: str | None = None
    strength: float = 1.0
    source: int = 0

    def to_dict(self) -> dict[str, Any]:
        out = dataclasses.asdict(self)
        out["time"] = round(self.time, 6)
        out["strength"] = round(self.strength, 4)
        return out


SIZES: dict[str, float] = {"small": 0.75, "medium": 1.0, "large": 1.35}


class World:
    """Timing and layout of one clip, and the event frames taken so far."""

    def __init__(self, settings: SynthSettings) -> None:
        self.settings = settings
        self.fps = settings.fps
        self.sr = settings.sample_rate
        self.n_frames = settings.n_frames
        self.n_samples = settings.n_samples
        self.width, self.height = settings.width, settings.height
        self.scale = min(self.width, self.height) / 64.0
        # Objects stand on the contact line, well below the wall/floor edge: a static edge next
        # to the contact point drags Farneback's flow estimate towards zero.
        self.horizon_y = 0.7 * self.height
        self.floor_y = 0.84 * self.height
        self.ink: tuple[float, float, float] = (25.0, 25.0, 25.0)
        self.ink_width = max(1.0, self.scale)
        # Two events closer than this merge into one flow peak or one onset.
        self.gap = max(4, math.ceil(0.25 * self.fps))
        # Keep events away from the ends: the first and last frames can never be flow peaks, and
        # onsets right at the start are unreliable.
        self.first = max(3, math.ceil(0.3 * self.fps))
        self.last = self.n_frames - 3
        self.taken: list[tuple[int, int, int]] = []  # (frame, ramp, tail) of other sources' events

    def fits(self, frames: list[int], ramp: int = 0, tail: int = 0) -> bool:
        """True when every frame is in the usable range, at least ``gap`` from every taken frame,
        and its busy span (``ramp`` frames of approach before, ``tail`` frames of settling after)
        does not overlap another source's: a rising approach on top of another source's decaying
        tail sums to a flat flow trajectory, where noise makes spurious peaks."""
        if not frames:
            return False
        if min(frames) < self.first or max(frames) > self.last:
            return False
        for f in frames:
            for g, g_ramp, g_tail in self.taken:
                if abs(f - g) < self.gap or (f - ramp < g + g_tail and g - g_ramp < f + tail):
                    return False
        return True

    def take(self, frames: list[int], ramp: int = 0, tail: int = 0) -> None:
        self.taken.extend((f, ramp, tail) for f in frames)

    def time(self, frame: int) -> float:
        return frame / self.fps

    def sample(self, frame: int) -> int:
        return int(round(frame / self.fps * self.sr))

    def random_frames(
        self, rng: np.random.Generator, n: int, min_step: int, max_step: int, min_first: int | None = None
    ) -> list[int]:
        """``n`` increasing frames with steps in ``min_step..max_step`` and a random start."""
        steps = rng.integers(min_step, max_step + 1, size=max(n - 1, 0))
        span = int(steps.sum())
        lo = self.first if min_first is None else max(self.first, min_first)
        hi = self.last - span
        if hi < lo:
            return []
        start = int(rng.integers(lo, hi + 1))
        return [start, *(start + np.cumsum(steps)).astype(int).tolist()]
