"""Sound sources with a visible cause: objects that fall, bounce, slide or roll, and drums.

An actor owns a lane of the frame, picks its event frames (``plan``), draws itself on each frame
(``draw``) and mixes its sound (``sound``). Motion comes from :mod:`motion` profiles, so the
optical-flow peak of every event falls on its frame.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from genav.data.synth import motion, sounds
from genav.data.synth.canvas import Canvas, shade
from genav.data.synth.world import SIZES, Event, World


class Actor:
    """Base class. Subclasses set ``kind`` and implement ``propose``, ``setup``, ``draw``, ``sound``."""

    kind: ClassVar[str] = ""
    on_screen: ClassVar[bool] = True
    audible: ClassVar[bool] = True
    max_events: ClassVar[int] = 4
    # Frames of visible motion before (approach) and after (settling) each event; see World.fits.
    ramp: int = 0
    tail: int = 0

    def __init__(
        self, world: World, rng: np.random.Generator, lane: tuple[float, float], source: int
    ) -> None:
        self.world = world
        self.lane = lane
        self.source = source
        self.s = world.scale
        self.frames: list[int] = []
        self.strengths: list[float] = []
        self.object = ""
        self.material: str | None = None
        self.size: str | None = None
        self.choose(rng)

    # -- to override ------------------------------------------------------------------------
    def choose(self, rng: np.random.Generator) -> None:
        """Pick what the actor is (object, material, size, colours)."""

    def propose(self, rng: np.random.Generator, n: int) -> list[int]:
        """Candidate event frames for ``n`` events (may return fewer, or [] when impossible)."""
        w = self.world
        return w.random_frames(rng, n, w.gap, w.gap + int(0.8 * w.fps))

    def setup(self, rng: np.random.Generator) -> None:
        """Compute the per-frame tracks once ``self.frames`` is fixed."""

    def draw(self, canvas: Canvas, i: int) -> None:
        """Draw frame ``i``."""

    def sound(self, rng: np.random.Generator, out: np.ndarray) -> None:
        """Mix this actor's sound into ``out`` (n_samples,)."""

    # -- shared ------------------------------------------------------------------------------
    def voice(self, frames: list[int], rng: np.random.Generator) -> None:
        """Take another source's event ``frames`` (a dubbed clip's voice: heard, never drawn)."""
        self.frames = list(frames)
        self.setup(rng)

    def plan(self, rng: np.random.Generator, n: int) -> bool:
        """Find event frames that keep the gap to all others; False when none fit."""
        n = max(1, min(n, self.max_events))
        for attempt in range(48):
            want = max(1, n - attempt // 12)
            frames = self.propose(rng, want)
            if frames and self.world.fits(frames, self.ramp, self.tail):
                self.frames = frames
                self.world.take(frames, self.ramp, self.tail)
                self.setup(rng)
                return True
        return False

    @property
    def center(self) -> float:
        return 0.5 * (self.lane[0] + self.lane[1])

    def events(self) -> list[Event]:
        strengths = self.strengths or [1.0] * len(self.frames)
        return [
            Event(
                time=self.world.time(k),
                frame=k,
                type=self.kind,
                on_screen=self.on_screen,
                audible=self.audible,
                object=self.object,
                material=self.material,
                size=self.size,
                strength=float(np.clip(st, 0.0, 1.0)),
                source=self.source,
            )
            for k, st in zip(self.frames, strengths, strict=True)
        ]


# Drop-able objects: name -> (materials, (width, height) of a medium one at 64 px)
OBJECTS: dict[str, tuple[tuple[str, ...], tuple[float, float]]] = {
    "ball": (("rubber", "plastic", "glass", "metal"), (9.0, 9.0)),
    "box": (("wood", "cardboard", "metal", "plastic"), (11.0, 9.0)),
    "bottle": (("glass", "plastic"), (5.0, 12.0)),
    "can": (("metal",), (6.0, 9.0)),
    "plate": (("glass", "metal", "plastic"), (13.0, 3.0)),
    "rock": (("stone",), (10.0, 7.0)),
    "block": (("wood", "stone"), (9.0, 9.0)),
}


def draw_object(
    canvas: Canvas,
    name: str,
    cx: float,
    bottom: float,
    w: float,
    h: float,
    color: tuple[float, float, float],
    angle: float = 0.0,
) -> None:
    """Draw object ``name`` standing on ``bottom`` (y of its lowest point), centred at ``cx``."""
    dark = shade(color, 0.7)
    if name in ("ball", "rock"):
        canvas.ellipse(cx, bottom - h / 2, w / 2, h / 2, color, outline=True)
        # a marker that turns with the object, so rolling is visible
        r = 0.55 * min(w, h) / 2
        canvas.disc(cx + r * np.cos(angle), bottom - h / 2 + r * np.sin(angle), max(1.0, 0.18 * w), dark)
    elif name == "bottle":
        canvas.rect(cx - w / 5, bottom - h, cx + w / 5, bottom - 0.7 * h, dark, outline=True)
        canvas.rect(cx - w / 2, bottom - 0.7 * h, cx + w / 2, bottom, color, outline=True)
    elif name == "plate":
        canvas.ellipse(cx, bottom - h / 2, w / 2, h / 2, color, outline=True)
    else:
        canvas.rect(cx - w / 2, bottom - h, cx + w / 2, bottom, color, outline=True)
        canvas.rect(cx - w / 2 + 0.2 * w, bottom - 0.8 * h, cx + w / 2 - 0.2 * w, bottom - 0.2 * h, dark)


class ImpactActor(Actor):
    """One or two objects dropped onto the floor: each lands (the event) and stays."""

    kind = "impact"
    max_events = 2

    def choose(self, rng: np.random.Generator) -> None:
        self.object = str(rng.choice(list(OBJECTS)))
        materials, dims = OBJECTS[self.object]
        self.material = str(rng.choice(materials))
        self.size = str(rng.choice(list(SIZES)))
        k = SIZES[self.size] * self.s
        self.dims = (dims[0] * k, dims[1] * k)
        base = sounds.MATERIALS[self.material].color
        self.color = shade(base, rng.uniform(0.85, 1.15))
        self.fall = int(rng.integers(3, 6))
        self.ramp, self.tail = self.fall - 1, 1

    def propose(self, rng: np.random.Generator, n: int) -> list[int]:
        w = self.world
        return w.random_frames(rng, n, w.gap, w.gap + int(0.8 * w.fps), min_first=self.fall + 1)

    def setup(self, rng: np.random.Generator) -> None:
        w, n = self.world, len(self.frames)
        width = (self.lane[1] - self.lane[0]) / n
        self.xs = [self.lane[0] + width * (j + 0.5) + rng.uniform(-0.15, 0.15) * width for j in range(n)]
        room = w.floor_y - self.dims[1] - 2.0
        self.tracks = []
        for k in self.frames:
            step = rng.uniform(2.8, 5.0) * self.s
            d = self.fall
            height = min(step * d * d / (2 * d - 1), room)
            self.tracks.append(
                motion.strike_track(
                    w.n_frames, [k], [height], up_share=0.5, first_descent=d, rise_after=False
                )
            )
            self.strengths.append(height * (2 * d - 1) / (d * d) / (5.0 * self.s))

    def draw(self, canvas: Canvas, i: int) -> None:
        for x, track in zip(self.xs, self.tracks, strict=True):
            draw_object(canvas, self.object, x, self.world.floor_y - track[i], *self.dims, self.color)

    def sound(self, rng: np.random.Generator, out: np.ndarray) -> None:
        for k, st in zip(self.frames, self.strengths, strict=True):
            sounds.add_at(
                out,
                self.world.sample(k),
                0.8 * sounds.impact(rng, self.world.sr, self.material, SIZES[self.size], st),
            )


BALLS: dict[str, tuple[str, float, tuple[float, float, float]]] = {  # name -> (material, radius, colour)
    "rubber ball": ("rubber", 4.5, (200, 50, 60)),
    "basketball": ("rubber", 6.0, (220, 110, 40)),
    "tennis ball": ("rubber", 3.5, (200, 225, 60)),
    "ping-pong ball": ("plastic", 3.0, (245, 245, 240)),
    "plastic ball": ("plastic", 5.0, (60, 120, 220)),
}


class BounceActor(Actor):
    """A ball dropped from rest that bounces with shrinking intervals and then lies still."""

    kind = "bounce"
    max_events = 4

    def choose(self, rng: np.random.Generator) -> None:
        self.object = str(rng.choice(list(BALLS)))
        self.material, radius, self.color = BALLS[self.object]
        self.r = radius * self.s
        self.size = "small" if radius < 4 else "large" if radius > 5.5 else "medium"
        self.restitution = rng.uniform(0.6, 0.8)

    def propose(self, rng: np.random.Generator, n: int) -> list[int]:
        w = self.world
        interval = int(rng.integers(w.gap + 2, w.gap + 3 + int(0.4 * w.fps)))
        intervals = []
        for _ in range(n - 1):
            intervals.append(interval)
            interval = min(interval - 2, int(round(self.restitution * interval)))
            if interval < w.gap:
                break
        self.intervals = intervals
        self.first_fall = int(np.ceil(0.6 * (intervals[0] if intervals else w.gap + 2)))
        self.ramp, self.tail = self.first_fall - 1, 1
        span = int(sum(intervals))
        lo, hi = max(w.first, self.first_fall + 1), w.last - span
        if hi < lo:
            return []
        start = int(rng.integers(lo, hi + 1))
        return [start, *(start + np.cumsum(intervals)).astype(int).tolist()]

    def setup(self, rng: np.random.Generator) -> None:
        w, d0 = self.world, self.first_fall
        step = rng.uniform(3.5, 5.0) * self.s
        g = step / (d0 - 0.5)
        g = min(g, 2 * (w.floor_y - 2 * self.r - 3.0) / d0**2)
        heights = [g * d0**2 / 2] + [g * iv**2 / 8 for iv in self.intervals]
        speeds = [g * d0] + [g * iv / 2 for iv in self.intervals]
        self.track = motion.strike_track(
            w.n_frames, self.frames, heights, up_share=0.5, first_descent=d0, rise_after=False
        )
        self.strengths = [v / (5.5 * self.s) for v in speeds]
        # a slow constant drift while airborne, so the ball travels a little
        drift = rng.uniform(-0.3, 0.3) * self.s
        frames = np.arange(w.n_frames)
        airborne = np.clip(frames, self.frames[0] - d0, self.frames[-1]) - (self.frames[0] - d0)
        room = 0.5 * (self.lane[1] - self.lane[0]) - self.r - 1
        self.x = self.center + np.clip(drift * (airborne - airborne[-1] / 2), -room, room)

    def draw(self, canvas: Canvas, i: int) -> None:
        bottom = self.world.floor_y - self.track[i]
        canvas.disc(self.x[i], bottom - self.r, self.r, self.color, outline=True)
        canvas.disc(self.x[i] - 0.35 * self.r, bottom - 1.35 * self.r, 0.3 * self.r, shade(self.color, 1.3))

    def sound(self, rng: np.random.Generator, out: np.ndarray) -> None:
        size = self.r / (4.5 * self.s)
        for k, st in zip(self.frames, self.strengths, strict=True):
            sounds.add_at(
                out, self.world.sample(k), 0.8 * sounds.impact(rng, self.world.sr, self.material, size, st)
            )


class DrumActor(Actor):
    """A drum struck by a stick: the stick accelerates down into each hit and rebounds slowly."""

    kind = "drum"
    max_events = 4

    def choose(self, rng: np.random.Generator) -> None:
        self.object = str(rng.choice(list(sounds.DRUMS)))
        self.material = "skin"
        big = {"bass drum": 1.3, "tom": 1.0, "snare drum": 0.9, "bongo": 0.7}[self.object]
        self.size = "large" if big > 1.1 else "small" if big < 0.8 else "medium"
        self.drum_w, self.drum_h = 16 * big * self.s, 9 * big * self.s
        self.color = tuple(float(c) for c in rng.uniform(60, 220, 3))
        self.first_fall = int(rng.integers(2, 4))
        self.ramp, self.tail = 3, 3

    def propose(self, rng: np.random.Generator, n: int) -> list[int]:
        w = self.world
        return w.random_frames(rng, n, w.gap, w.gap + int(0.6 * w.fps), min_first=self.first_fall + 1)

    def setup(self, rng: np.random.Generator) -> None:
        w = self.world
        speeds = rng.uniform(2.5, 4.5, len(self.frames)) * self.s
        downs = [float(self.first_fall)] + [
            min((b - a) / 3.0, 3.0) for a, b in zip(self.frames, self.frames[1:], strict=False)
        ]
        heights = [min(v * d / 2, 16 * self.s) for v, d in zip(speeds, downs, strict=True)]
        self.track = motion.strike_track(
            w.n_frames,
            self.frames,
            heights,
            up_share=2 / 3,
            first_descent=self.first_fall,
            rise_after=True,
            max_descent=3.0,
        )
        self.strengths = [h * 2 / d / (4.5 * self.s) for h, d in zip(heights, downs, strict=True)]
        self.shake = motion.knocks(w.n_frames, self.frames, [0.8 * self.s * st for st in self.strengths])

    def draw(self, canvas: Canvas, i: int) -> None:
        top = self.world.floor_y - self.drum_h + self.shake[i]
        cx, half = self.center, self.drum_w / 2
        canvas.rect(cx - half, top, cx + half, self.world.floor_y, self.color, outline=True)
        canvas.ellipse(cx, top, half, 1.5 * self.s, (230, 225, 210), outline=True)
        # a mallet: a dark head on a thick handle, moving straight up and down
        s, tip, x = self.s, top - self.track[i], cx + 0.2 * half
        canvas.rect(x - 1.5 * s, tip - 15 * s, x + 1.5 * s, tip - 3 * s, (120, 80, 40), outline=True)
        canvas.rect(x - 3.5 * s, tip - 4.5 * s, x + 3.5 * s, tip, (150, 40, 40), outline=True)

    def sound(self, rng: np.random.Generator, out: np.ndarray) -> None:
        size = {"large": 1.2, "medium": 1.0, "small": 0.85}[self.size]
        for k, st in zip(self.frames, self.strengths, strict=True):
            sounds.add_at(
                out, self.world.sample(k), 0.8 * sounds.drum(rng, self.world.sr, self.object, size, st)
            )


SLIDERS: dict[str, tuple[tuple[str, ...], tuple[float, float], str]] = {  # name -> (materials, dims, shape)
    "crate": (("wood",), (11.0, 9.0), "box"),
    "box": (("cardboard",), (10.0, 8.0), "box"),
    "toolbox": (("metal",), (11.0, 7.0), "box"),
    "stone block": (("stone",), (9.0, 8.0), "box"),
    "plastic bin": (("plastic",), (10.0, 9.0), "box"),
}
ROLLERS: dict[str, tuple[tuple[str, ...], tuple[float, float], str]] = {
    "ball": (("rubber", "plastic"), (9.0, 9.0), "ball"),
    "barrel": (("wood", "metal"), (10.0, 10.0), "ball"),
    "tyre": (("rubber",), (11.0, 11.0), "ball"),
}


class SlideActor(Actor):
    """An object shoved along the floor (a jump in speed on the event frame, then a geometric
    slow-down: a linear one is nearly constant-speed motion, which makes spurious flow peaks);
    its scraping noise follows its speed. A second shove sends it back."""

    kind = "slide"
    max_events = 2
    catalogue = SLIDERS

    def choose(self, rng: np.random.Generator) -> None:
        self.object = str(rng.choice(list(self.catalogue)))
        materials, dims, self.shape = self.catalogue[self.object]
        self.material = str(rng.choice(materials))
        self.size = "medium"
        self.dims = (dims[0] * self.s, dims[1] * self.s)
        self.color = shade(sounds.MATERIALS[self.material].color, rng.uniform(0.85, 1.15))
        self.keep = rng.uniform(0.65, 0.8)
        travel = (self.lane[1] - self.lane[0]) - self.dims[0] - 3 * self.s
        # distance = v0 * (1 + 0.4 / (1 - keep)): keep it inside the lane
        self.v0 = min(rng.uniform(3.0, 5.0) * self.s, travel / (1 + 0.4 / (1 - self.keep)))
        self.glide = int(np.ceil(np.log(0.1 / self.v0) / np.log(self.keep))) + 1  # frames until < 0.05 px
        self.tail = max(1, int(np.ceil(np.log(1.5 * self.s / self.v0) / np.log(self.keep))))  # until < 0.6 px

    def propose(self, rng: np.random.Generator, n: int) -> list[int]:
        w = self.world
        return w.random_frames(rng, n, self.glide + 2, self.glide + 2 + int(0.5 * w.fps))

    def setup(self, rng: np.random.Generator) -> None:
        w = self.world
        speed = np.zeros(w.n_frames)
        direction = np.zeros(w.n_frames)
        sign = 1.0 if rng.random() < 0.5 else -1.0
        for j, k in enumerate(self.frames):
            v0 = self.v0 * (1.0 if j == 0 else rng.uniform(0.8, 1.0))
            part = motion.kick_speeds(w.n_frames, k, v0, self.keep)
            direction[part > 0] = sign * (1 if j % 2 == 0 else -1)
            speed += part
        self.speed = speed
        half = self.dims[0] / 2 + 1.5 * self.s
        start = self.lane[0] + half if sign > 0 else self.lane[1] - half
        self.x = start + np.cumsum(speed * direction)
        self.angle = (self.x - self.x[0]) / max(self.dims[0] / 2, 1.0)
        self.strengths = [float(speed[k]) / (5.0 * self.s) for k in self.frames]

    def draw(self, canvas: Canvas, i: int) -> None:
        draw_object(
            canvas,
            self.shape if self.shape == "ball" else "box",
            self.x[i],
            self.world.floor_y,
            *self.dims,
            self.color,
            self.angle[i],
        )  # outlined by draw_object

    def sound(self, rng: np.random.Generator, out: np.ndarray) -> None:
        w = self.world
        level = sounds.follow(self.speed / (5.0 * self.s), w.fps, w.sr, w.n_samples)
        for k in self.frames:  # no ramp before the shove: the noise starts on the event
            level[w.sample(k - 1) : w.sample(k)] = 0.0
        out += 0.35 * sounds.friction(rng, w.sr, self.material, level, rolling=self.shape == "ball")
        for k, st in zip(self.frames, self.strengths, strict=True):
            sounds.add_at(out, w.sample(k), 0.6 * sounds.impact(rng, w.sr, self.material, 0.8, st))


class RollActor(SlideActor):
    """A ball, barrel or tyre pushed so that it rolls; its rumble follows its speed."""

    kind = "roll"
    catalogue = ROLLERS
