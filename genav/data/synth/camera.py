"""Silent picture changes: scene cuts, camera pans and shakes, lighting flicker, sensor noise.

Real footage moves and changes for many reasons that make no sound. These effects act on the
rendered frames only (the sound is untouched), so a model trained with them learns that only
causal motion of objects makes sound. Each effect is recorded as a silent on-screen event (type
``cut``, ``pan``, ``shake`` or ``flicker``), so evaluations know where the distractors are. The
effects draw from their own random stream: with every probability at 0 a clip is bit for bit the
clip made without this module.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from genav.data.synth.motion import knocks
from genav.data.synth.world import Event, World


@dataclasses.dataclass
class CameraPlan:
    """Per-frame effects of one clip: ``shift`` (T, 2) px, ``gain`` (T,) brightness factor, cut
    frames (the shot changes from that frame on), noise std in grey levels (drawn from
    ``noise_seed``), the silent events, and ``offset`` (T,) grey levels added after the gain (None:
    none)."""

    shift: np.ndarray
    gain: np.ndarray
    cuts: list[int]
    noise: float
    events: list[Event]
    noise_seed: int = 0
    offset: np.ndarray | None = None

    @property
    def active(self) -> bool:
        lit = np.any(self.gain != 1.0) or (self.offset is not None and np.any(self.offset))
        return bool(self.cuts or self.noise or np.any(self.shift) or lit)


def _silent(world: World, frame: int, kind: str) -> Event:
    return Event(world.time(frame), frame, kind, on_screen=True, audible=False, object="camera", source=20)


def _pan(world: World, rng: np.random.Generator, plan: CameraPlan) -> None:
    """A steady pan over a random span (no burst: flat flow), or a sudden shake that settles."""
    n, s = world.n_frames, world.scale
    if rng.random() < 0.5:
        a = int(rng.integers(0, n - 2))
        b = int(rng.integers(a + 2, n + 1))
        travel = rng.uniform(0.08, 0.25) * world.width  # the whole pan moves the view by at most a quarter
        speed = travel / (b - a) * rng.choice([-1.0, 1.0], 2) * np.array([1.0, 0.3])
        steps = np.zeros((n, 2))
        steps[a:b] = speed
        plan.shift += np.cumsum(steps, axis=0)
        plan.events.append(_silent(world, a, "pan"))
    else:
        frame = int(rng.integers(1, n - 1))
        amp = rng.uniform(2.0, 5.0) * s
        plan.shift[:, 0] += knocks(n, [frame], [amp * rng.choice([-1.0, 1.0])])
        plan.shift[:, 1] += knocks(n, [frame], [0.5 * amp * rng.choice([-1.0, 1.0])])
        plan.events.append(_silent(world, frame, "shake"))


def _flicker(world: World, rng: np.random.Generator, plan: CameraPlan) -> None:
    """Lights that dip or flash for a frame or two, or a steady strobe-like flicker."""
    n = world.n_frames
    if rng.random() < 0.5:
        for frame in rng.choice(np.arange(1, n), size=min(n - 1, int(rng.integers(1, 4))), replace=False):
            frame = int(frame)
            plan.gain[frame : frame + int(rng.integers(1, 3))] *= rng.choice(
                [rng.uniform(0.5, 0.8), rng.uniform(1.2, 1.5)]
            )
            plan.events.append(_silent(world, frame, "flicker"))
    else:
        hz = rng.uniform(1.0, 6.0)
        t = np.arange(n) / world.fps
        plan.gain *= 1.0 + rng.uniform(0.1, 0.3) * np.sign(
            np.sin(2 * np.pi * hz * t + rng.uniform(0, 2 * np.pi))
        )
        plan.events.append(_silent(world, 0, "flicker"))
    if world.settings.flicker_brightness > 0 and rng.random() < 0.5:
        _brightness_swing(world, rng, plan, world.settings.flicker_brightness * 255.0)


def _brightness_swing(world: World, rng: np.random.Generator, plan: CameraPlan, most: float) -> None:
    """Lights that swing smoothly up and down by up to ``most`` grey levels and flash for a frame or
    two, added to every channel before the picture is clipped to 0..255 (as ffmpeg's ``eq``
    brightness, which clips highlights and shadows: no gain and offset of the whole picture undoes it)."""
    n = world.n_frames
    t = np.arange(n) / world.fps
    swing = rng.uniform(0.3, 1.0) * most * np.sin(2 * np.pi * rng.uniform(1.0, 6.0) * t + rng.uniform(0, 2 * np.pi))
    for frame in rng.choice(np.arange(1, n), size=min(n - 1, int(rng.integers(0, 4))), replace=False):
        frame = int(frame)
        swing[frame : frame + int(rng.integers(1, 3))] += rng.choice([-1.0, 1.0]) * rng.uniform(0.5, 1.2) * most
        plan.events.append(_silent(world, frame, "flicker"))
    plan.offset = swing if plan.offset is None else plan.offset + swing
    plan.events.append(_silent(world, 0, "flicker"))


def plan_camera(world: World, seed: int, salt: int) -> CameraPlan:
    """The effects of clip ``seed`` per the settings' ``p_cut``, ``p_pan``, ``p_flicker``, ``p_noise``."""
    st = world.settings
    rng = np.random.default_rng([salt, int(seed), 200])
    n = world.n_frames
    plan = CameraPlan(np.zeros((n, 2)), np.ones(n), [], 0.0, [])
    if rng.random() < st.p_cut:
        k = int(rng.integers(1, 3))
        plan.cuts = sorted(int(f) for f in rng.choice(np.arange(2, n - 1), size=min(k, n - 3), replace=False))
        plan.events += [_silent(world, f, "cut") for f in plan.cuts]
    if rng.random() < st.p_pan:
        _pan(world, rng, plan)
    if rng.random() < st.p_flicker:
        _flicker(world, rng, plan)
    if rng.random() < st.p_noise:
        plan.noise = float(rng.uniform(2.0, 8.0))
    plan.noise_seed = int(rng.integers(2**31))
    return plan


def _shot(frame: np.ndarray, shot: int) -> np.ndarray:
    """Shot ``shot`` after ``shot`` cuts: every other shot mirrored, channels rotated, darker or lighter."""
    if shot == 0:
        return frame
    out = frame[:, ::-1] if shot % 2 else frame
    out = np.roll(out, shot, axis=2)
    return out * (0.75 if shot % 2 else 1.2)


def apply_camera(frames: np.ndarray, plan: CameraPlan) -> np.ndarray:
    """``frames`` (T, H, W, 3) uint8 -> the same frames through the plan's effects (uint8)."""
    if not plan.active:
        return frames
    import cv2

    rng = np.random.default_rng(plan.noise_seed)
    out = np.empty_like(frames)
    h, w = frames.shape[1:3]
    for i, frame in enumerate(frames):
        img = frame.astype(np.float32)
        dx, dy = plan.shift[i]
        if dx or dy:
            m = np.float32([[1, 0, dx], [0, 1, dy]])
            img = cv2.warpAffine(img, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        img = _shot(img, sum(1 for c in plan.cuts if i >= c)) * plan.gain[i]
        if plan.offset is not None:
            img = img + plan.offset[i]
        if plan.noise:
            img = img + rng.normal(0.0, plan.noise, img.shape)
        out[i] = np.clip(img + 0.5, 0, 255).astype(np.uint8)
    return out
