"""More sources: a slammed door, a flashing light that beeps, a walker, an engine with a wheel;
plus the silent distractor, off-screen sounds and background textures."""

from __future__ import annotations

import dataclasses

import numpy as np

from genav.data.synth import motion, sounds
from genav.data.synth.actors import Actor
from genav.data.synth.canvas import Canvas, shade
from genav.data.synth.world import Event, World


class DoorActor(Actor):
    """An open door swings shut, accelerating into the slam; the frame shakes and settles."""

    kind = "door"
    max_events = 1

    def choose(self, rng: np.random.Generator) -> None:
        self.material = str(rng.choice(["wood", "wood", "metal"]))
        self.object = "door"
        self.size = "large"
        self.door_w = rng.uniform(13, 16) * self.s
        self.door_h = min(rng.uniform(24, 30) * self.s, 0.7 * self.world.floor_y)
        self.color = shade(sounds.MATERIALS[self.material].color, rng.uniform(0.8, 1.1))
        self.closing = int(rng.integers(3, 6))
        self.ramp, self.tail = self.closing - 1, 2
        self.openness = rng.uniform(0.5, 0.8)
        self.hinge_left = bool(rng.random() < 0.5)

    def propose(self, rng: np.random.Generator, n: int) -> list[int]:
        w = self.world
        return w.random_frames(rng, 1, 1, 1, min_first=self.closing + 1)

    def setup(self, rng: np.random.Generator) -> None:
        w, k, n = self.world, self.frames[0], self.closing
        j = np.arange(w.n_frames) - (k - n)
        closure = np.clip(j / n, 0.0, 1.0) ** 2
        self.width = self.door_w * (1.0 - self.openness * (1.0 - closure))
        step = self.door_w * self.openness * (2 * n - 1) / n**2
        self.strengths = [min(1.0, step / (7.0 * self.s))]
        self.shake = motion.settle(w.n_frames, k, 0.8 * self.s)

    def draw(self, canvas: Canvas, i: int) -> None:
        w, s = self.world, self.s
        x0 = self.center - self.door_w / 2 + self.shake[i]
        top = w.floor_y - self.door_h
        canvas.rect(x0 - 1.5 * s, top - 1.5 * s, x0 + self.door_w + 1.5 * s, w.floor_y, (70, 60, 55))
        canvas.rect(x0, top, x0 + self.door_w, w.floor_y, (25, 22, 22))
        width = self.width[i]
        left = x0 if self.hinge_left else x0 + self.door_w - width
        canvas.rect(left, top, left + width, w.floor_y, self.color, outline=True)
        canvas.rect(
            left + 0.2 * width,
            top + 3 * s,
            left + 0.8 * width,
            top + 0.45 * self.door_h,
            shade(self.color, 0.8),
        )
        knob = left + 0.82 * width if self.hinge_left else left + 0.18 * width
        canvas.disc(knob, top + 0.55 * self.door_h, 1.2 * s, (220, 200, 90))

    def sound(self, rng: np.random.Generator, out: np.ndarray) -> None:
        sounds.add_at(
            out,
            self.world.sample(self.frames[0]),
            0.85 * sounds.door_slam(rng, self.world.sr, self.material, self.strengths[0]),
        )


LIGHTS: dict[str, tuple[float, float, float]] = {
    "red": (255, 60, 40),
    "green": (70, 240, 90),
    "yellow": (255, 230, 60),
    "blue": (90, 150, 255),
    "white": (250, 250, 250),
}


class FlashActor(Actor):
    """An alarm lamp on a spring: on each beep it switches on, jumps up, fades and settles.

    A change of brightness alone is a weak and erratic cause of optical flow, so the lamp head
    also jolts (a knock that settles), which puts the flow peak on the beep's frame.
    """

    kind = "flash"
    max_events = 3

    def choose(self, rng: np.random.Generator) -> None:
        self.light = str(rng.choice(list(LIGHTS)))
        self.object = f"{self.light} light"
        self.material = None
        self.size = "medium"
        self.beep_freq = float(rng.choice([660.0, 880.0, 1000.0, 1250.0, 1500.0, 2000.0]))
        self.beep_len = rng.uniform(0.08, 0.2)
        self.tail = 3
        self.bulb_y = rng.uniform(0.35, 0.5) * self.world.height

    def propose(self, rng: np.random.Generator, n: int) -> list[int]:
        w = self.world
        least = max(w.gap, int(np.ceil(1.5 * self.beep_len * w.fps)))
        return w.random_frames(rng, n, least, least + int(0.6 * w.fps))

    def setup(self, rng: np.random.Generator) -> None:
        self.strengths = rng.uniform(0.65, 1.0, len(self.frames)).tolist()
        self.level = motion.brightness(self.world.n_frames, self.frames, self.strengths)
        self.jump = motion.knocks(
            self.world.n_frames, self.frames, [-4.0 * self.s * st for st in self.strengths]
        )

    def draw(self, canvas: Canvas, i: int) -> None:
        s, x, y = self.s, self.center, self.bulb_y + self.jump[i]
        canvas.rect(x - 1.0 * s, y, x + 1.0 * s, self.world.floor_y, (90, 90, 95), outline=True)
        canvas.rect(x - 4 * s, self.world.floor_y - 2 * s, x + 4 * s, self.world.floor_y, (70, 70, 75))
        on = np.asarray(LIGHTS[self.light], np.float32)
        off = 0.2 * on + 45
        b = float(self.level[i])
        # a black rim: the bulb is brighter than its surround at every level, so its grey only
        # ever changes in one direction during a fade (no flicker of contrast against the wall)
        canvas.disc(x, y, 6.5 * s, (12.0, 12.0, 12.0), outline=True)
        canvas.disc(x, y, 5.0 * s, tuple((off + b * (on - off)).tolist()))

    def sound(self, rng: np.random.Generator, out: np.ndarray) -> None:
        for k, st in zip(self.frames, self.strengths, strict=True):
            sounds.add_at(
                out,
                self.world.sample(k),
                sounds.beep(rng, self.world.sr, self.beep_freq, self.beep_len, 0.6 * st),
            )


class WalkerActor(Actor):
    """A figure that lurches forward into each footfall; the legs swap on the footfall frame."""

    kind = "footsteps"
    max_events = 6

    def choose(self, rng: np.random.Generator) -> None:
        self.material = str(rng.choice(list(sounds.SURFACES)))
        self.object = "person"
        self.size = "medium"
        self.clothes = tuple(float(c) for c in rng.uniform(40, 230, 3))
        self.tail = 1

    def propose(self, rng: np.random.Generator, n: int) -> list[int]:
        # the step period is drawn per proposal, so that short clips can fall back to short steps
        w = self.world
        self.period = int(rng.integers(max(w.gap, int(0.35 * w.fps)), max(w.gap, int(0.6 * w.fps)) + 1))
        self.ramp = self.period
        return w.random_frames(rng, n, self.period, self.period, min_first=self.period)

    def voice(self, frames: list[int], rng: np.random.Generator) -> None:
        steps = np.diff(frames)
        self.period = int(steps.min()) if steps.size else max(self.world.gap, int(0.35 * self.world.fps))
        super().voice(frames, rng)

    def setup(self, rng: np.random.Generator) -> None:
        w, n = self.world, len(self.frames)
        travel = (self.lane[1] - self.lane[0]) - 8 * self.s
        step_len = min(travel / n, 7 * self.s)
        power = max(2.0, self.period / 3.0)
        # mean speed over a step is about v_min + (v_max - v_min) / (power + 1)
        v_max = float(np.clip(step_len * (power + 1) / self.period, 1.6 * self.s, 5.0 * self.s))
        speed = motion.lurch_speeds(w.n_frames, self.frames, 0.05 * v_max, v_max, power)
        direction = 1.0 if rng.random() < 0.5 else -1.0
        start = self.lane[0] + 4 * self.s if direction > 0 else self.lane[1] - 4 * self.s
        self.x = start + direction * np.cumsum(speed)
        self.direction = direction
        self.pose = np.zeros(w.n_frames, dtype=int)
        for j, k in enumerate(self.frames):
            self.pose[k:] = 1 + j % 2
        self.strengths = (rng.uniform(0.7, 1.0, n) * min(1.0, v_max / (4 * self.s))).tolist()

    def draw(self, canvas: Canvas, i: int) -> None:
        s, x, foot = self.s, self.x[i], self.world.floor_y
        hip = foot - 8 * s
        spread = 0.0 if self.pose[i] == 0 else (3.0 if self.pose[i] == 1 else -3.0) * s
        canvas.segment(x, hip, x + spread, foot - 1 * s, 2.2 * s, shade(self.clothes, 0.6), outline=True)
        canvas.segment(x, hip, x - spread, foot - 1 * s, 2.2 * s, shade(self.clothes, 0.5), outline=True)
        canvas.rect(x - 2.2 * s, hip - 9 * s, x + 2.2 * s, hip + 0.5 * s, self.clothes, outline=True)
        canvas.disc(x + 0.5 * s * self.direction, hip - 11.5 * s, 2.6 * s, (235, 195, 160), outline=True)

    def sound(self, rng: np.random.Generator, out: np.ndarray) -> None:
        for k, st in zip(self.frames, self.strengths, strict=True):
            sounds.add_at(
                out, self.world.sample(k), 0.8 * sounds.footstep(rng, self.world.sr, self.material, st)
            )


class EngineActor(Actor):
    """A machine that starts (a jolt, the wheel spins up, the hum begins) and revs; the hum's
    pitch and level follow the wheel's speed, which returns to idle after each rev."""

    kind = "engine"
    max_events = 3

    def choose(self, rng: np.random.Generator) -> None:
        self.object = str(rng.choice(["engine", "motor", "generator"]))
        self.material = "metal"
        self.size = "large"
        self.radius = 6.0 * self.s
        self.color = tuple(float(c) for c in rng.uniform(50, 200, 3))
        self.f_idle = rng.uniform(45.0, 90.0)
        self.tail = 4

    def setup(self, rng: np.random.Generator) -> None:
        w = self.world
        idle = 0.35 * self.s / self.radius
        peaks = rng.uniform(3.0, 5.0, len(self.frames)) * self.s / self.radius
        self.spin = motion.surge_speeds(w.n_frames, self.frames, peaks, idle)
        self.angle = np.cumsum(self.spin) + rng.uniform(0, 2 * np.pi)
        self.norm = (self.spin - idle) / (5.0 * self.s / self.radius - idle)
        self.strengths = [float(self.norm[k]) for k in self.frames]
        self.shake = motion.knocks(w.n_frames, self.frames, [-0.9 * self.s] * len(self.frames))

    def draw(self, canvas: Canvas, i: int) -> None:
        s, cx, floor = self.s, self.center, self.world.floor_y
        top = floor - 2 * self.radius - 8 * s + self.shake[i]
        canvas.rect(cx - 9 * s, top, cx + 9 * s, top + 9 * s, self.color, outline=True)
        canvas.rect(cx + 6 * s, top - 4 * s, cx + 8 * s, top, (60, 60, 60))
        wy = floor - self.radius
        canvas.disc(cx, wy, self.radius, (35, 35, 38), outline=True)
        for j in range(3):
            a = self.angle[i] + 2 * np.pi * j / 3
            canvas.segment(
                cx,
                wy,
                cx + 0.85 * self.radius * np.cos(a),
                wy + 0.85 * self.radius * np.sin(a),
                1.4 * s,
                (190, 190, 195),
            )
        a = self.angle[i]
        canvas.disc(
            cx + 0.6 * self.radius * np.cos(a), wy + 0.6 * self.radius * np.sin(a), 1.2 * s, (230, 60, 50)
        )

    def sound(self, rng: np.random.Generator, out: np.ndarray) -> None:
        w = self.world
        norm = sounds.follow(self.norm, w.fps, w.sr, w.n_samples)
        running = np.zeros(w.n_samples)
        running[w.sample(self.frames[0]) :] = 1.0
        for k in self.frames:  # hold the old speed until the event, then jump
            a, b = w.sample(k - 1), w.sample(k)
            norm[a:b] = norm[a - 1] if a > 0 else 0.0
        f0 = self.f_idle * (1.0 + 1.3 * np.clip(norm, 0, None))
        out += running * sounds.hum(rng, w.sr, f0, 0.18 + 0.3 * np.clip(norm, 0, 1))
        for k, st in zip(self.frames, self.strengths, strict=True):
            sounds.add_at(out, w.sample(k), 0.5 * sounds.impact(rng, w.sr, "metal", 1.6, max(st, 0.6)))


class DistractorActor(Actor):
    """Silent motion: something in the air is knocked sideways and settles, with no sound."""

    kind = "distractor"
    audible = False
    max_events = 2

    def choose(self, rng: np.random.Generator) -> None:
        self.object = str(rng.choice(["balloon", "flag", "kite"]))
        self.material = None
        self.size = "medium"
        self.color = tuple(float(c) for c in rng.uniform(60, 240, 3))
        self.y = rng.uniform(0.15, 0.4) * self.world.height
        self.x0 = rng.uniform(0.2, 0.8) * self.world.width
        self.tail = 3

    def setup(self, rng: np.random.Generator) -> None:
        amps = rng.uniform(2.5, 4.5, len(self.frames)) * self.s * rng.choice([-1.0, 1.0], len(self.frames))
        self.offset = motion.knocks(self.world.n_frames, self.frames, amps.tolist())
        self.strengths = (np.abs(amps) / (4.5 * self.s)).tolist()

    def draw(self, canvas: Canvas, i: int) -> None:
        s, x, y = self.s, self.x0 + self.offset[i], self.y
        if self.object == "balloon":
            canvas.segment(x, y + 5 * s, self.x0, y + 14 * s, 0.8 * s, (200, 200, 200))
            canvas.ellipse(x, y, 4.0 * s, 5.0 * s, self.color, outline=True)
        elif self.object == "flag":
            canvas.rect(self.x0 - 0.6 * s, y - 3 * s, self.x0 + 0.6 * s, y + 14 * s, (110, 100, 90))
            canvas.rect(x + 0.6 * s, y - 3 * s, x + 9 * s, y + 3 * s, self.color, outline=True)
        else:
            canvas.rect(x - 4 * s, y - 4 * s, x + 4 * s, y + 4 * s, self.color, outline=True)
            canvas.segment(x, y + 4 * s, x - 2 * s, y + 12 * s, 0.8 * s, (220, 220, 220))


OFFSCREEN_KINDS = ("door", "impact", "drum", "beep", "knock")


class OffscreenActor(Actor):
    """Sounds whose source is not in the picture (named only in the caption)."""

    kind = "offscreen"
    on_screen = False
    max_events = 2

    def choose(self, rng: np.random.Generator) -> None:
        self.sound_kind = str(rng.choice(OFFSCREEN_KINDS))
        self.size = "medium"
        self.material = {
            "door": "wood",
            "impact": str(rng.choice(["metal", "glass", "wood"])),
            "drum": "skin",
            "beep": None,
            "knock": "wood",
        }[self.sound_kind]
        self.object = {"door": "door", "impact": "object", "drum": "tom", "beep": "alarm", "knock": "door"}[
            self.sound_kind
        ]

    def events(self) -> list[Event]:
        return [dataclasses.replace(e, type=self.sound_kind) for e in super().events()]

    def setup(self, rng: np.random.Generator) -> None:
        self.strengths = rng.uniform(0.6, 1.0, len(self.frames)).tolist()

    def sound(self, rng: np.random.Generator, out: np.ndarray) -> None:
        sr = self.world.sr
        for k, st in zip(self.frames, self.strengths, strict=True):
            if self.sound_kind == "door":
                snd = sounds.door_slam(rng, sr, "wood", st)
            elif self.sound_kind == "drum":
                snd = sounds.drum(rng, sr, "tom", 1.0, st)
            elif self.sound_kind == "beep":
                snd = sounds.beep(rng, sr, 1000.0, 0.15, 0.6 * st)
            elif self.sound_kind == "knock":
                snd = sounds.impact(rng, sr, "wood", 1.5, st)
            else:
                snd = sounds.impact(rng, sr, self.material, 1.0, st)
            sounds.add_at(out, self.world.sample(k), 0.7 * snd)


class Texture:
    """A continuous background sound; drawn (static, or a slow sway) when on screen."""

    def __init__(self, world: World, rng: np.random.Generator, kind: str, on_screen: bool) -> None:
        self.world, self.kind, self.on_screen = world, kind, on_screen
        self.level = rng.uniform(0.004, 0.008) * (2.0 if kind == "wind" else 1.0)
        self.seed = int(rng.integers(2**31))
        self.phase = rng.uniform(0, 2 * np.pi)

    def draw(self, canvas: Canvas, i: int) -> None:
        if not self.on_screen:
            return
        w, s = self.world, self.world.scale
        if self.kind == "rain":
            rng = np.random.default_rng(self.seed)  # the same streaks on every frame: no motion
            for x, y in rng.uniform(0, 1, (int(30 * s * s), 2)):
                x, y = x * w.width, y * w.floor_y * 0.9
                canvas.segment(x, y, x - 1.5 * s, y + 5 * s, 0.7 * s, (170, 190, 220), alpha=0.45)
        elif self.kind == "wind":
            sway = 0.5 * s * np.sin(2 * np.pi * 0.25 * i / w.fps + self.phase)
            x = 0.08 * w.width
            canvas.rect(x - 1.2 * s, w.floor_y - 18 * s, x + 1.2 * s, w.floor_y, (90, 60, 35))
            canvas.ellipse(x + sway, w.floor_y - 22 * s, 6 * s, 7 * s, (50, 120, 50))
        else:
            rng = np.random.default_rng(self.seed)
            for x in np.linspace(0, w.width, int(10 * s) + 1):
                color = tuple(float(c) for c in rng.uniform(30, 90, 3))
                canvas.disc(x, w.height - 5 * s, 2.4 * s, color)
                canvas.rect(x - 3 * s, w.height - 3 * s, x + 3 * s, w.height, color)

    def sound(self, rng: np.random.Generator, out: np.ndarray) -> None:
        out += self.level * sounds.texture(rng, self.world.sr, self.kind, len(out))
