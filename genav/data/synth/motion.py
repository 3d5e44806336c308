"""Per-frame motion profiles whose optical-flow magnitude peaks exactly on event frames.

AV-Align finds video peaks as strict local maxima (>= 0.1 px) of the mean Farneback flow between
consecutive frames. Every profile here is built so that the per-frame displacement rises
monotonically into an event frame and falls monotonically after it: accelerate into the contact,
then a smaller rebound that decays. Constant-speed motion is avoided (it gives a flat trajectory
whose float noise makes spurious peaks). All times are in frames, so the shape holds at any fps.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def _descend(tau: np.ndarray, t_down: float, height: float) -> np.ndarray:
    """Height while falling from rest at ``height`` to 0 over ``t_down`` frames (accelerating)."""
    u = np.clip(tau / t_down, 0.0, 1.0)
    return height * (1.0 - u**2)


def _ascend(tau: np.ndarray, t_up: float, height: float) -> np.ndarray:
    """Height while rising from 0 to rest at ``height`` over ``t_up`` frames (decelerating)."""
    u = np.clip(tau / t_up, 0.0, 1.0)
    return height * (1.0 - (1.0 - u) ** 2)


def strike_track(
    n_frames: int,
    hits: Sequence[int],
    heights: Sequence[float],
    *,
    up_share: float,
    first_descent: float,
    rise_after: bool,
    max_descent: float | None = None,
) -> np.ndarray:
    """Height above the contact point per frame for something that strikes at ``hits``.

    Between two hits the mover rises (decelerating) for ``up_share`` of the interval and falls
    (accelerating) for the rest, to the apex ``heights[i + 1]``; with ``max_descent`` the fall
    takes at most that many frames (the rise at most proportionally more) and the mover rests at
    the apex in between: long, slow phases give a flat flow trajectory whose noise makes spurious
    peaks. Before the first hit it falls from rest at ``heights[0]`` over ``first_descent``
    frames. After the last hit it stays at the contact (``rise_after=False``, a ball that stops)
    or rises back to ``heights[-1]`` and rests there (``rise_after=True``, a drum stick).
    Returns (n_frames,) float heights.
    """
    frames = np.arange(n_frames, dtype=np.float64)
    out = np.zeros(n_frames)
    first = hits[0]
    before = frames <= first
    out[before] = _descend(frames[before] - (first - first_descent), first_descent, heights[0])
    up_per_down = up_share / max(1.0 - up_share, 1e-6)
    for i in range(len(hits) - 1):
        k0, k1 = hits[i], hits[i + 1]
        span = (frames > k0) & (frames <= k1)
        t_down = (k1 - k0) * (1.0 - up_share)
        if max_descent is not None:
            t_down = min(t_down, max_descent)
        t_up = min((k1 - k0) * up_share, t_down * up_per_down)
        tau = frames[span] - k0
        apex = heights[i + 1]
        rising = _ascend(tau, t_up, apex)
        falling = _descend(tau - (k1 - k0 - t_down), t_down, apex)
        out[span] = np.where(tau <= t_up, rising, falling)
    after = frames > hits[-1]
    if rise_after:
        out[after] = _ascend(frames[after] - hits[-1], first_descent * up_per_down, heights[-1])
    return out


def settle(n_frames: int, frame: int, amplitude: float, keep: float = 0.55) -> np.ndarray:
    """A knock: the offset jumps to ``amplitude`` at ``frame`` and returns to 0 geometrically.

    Per-frame steps are amplitude, (1 - keep) * amplitude, ... : strictly decreasing after the
    event. Returns (n_frames,) offsets.
    """
    out = np.zeros(n_frames)
    j = np.arange(n_frames - frame)
    value = amplitude * keep**j
    value[np.abs(value) < 0.02] = 0.0
    out[frame:] = value
    return out


def knocks(
    n_frames: int, frames: Sequence[int], amplitudes: Sequence[float], keep: float = 0.55
) -> np.ndarray:
    """Sum of :func:`settle` offsets for several events, (n_frames,)."""
    out = np.zeros(n_frames)
    for k, a in zip(frames, amplitudes, strict=True):
        out += settle(n_frames, k, a, keep)
    return out


def kick_speeds(n_frames: int, frame: int, v0: float, keep: float) -> np.ndarray:
    """Per-frame speed of a shoved object: ``v0`` on the kick frame, 0.4 of it on the next, then
    ``keep`` of the previous speed per frame (cut below 0.05 px). Returns (n_frames,) speeds >= 0."""
    out = np.zeros(n_frames)
    if frame >= n_frames:
        return out
    j = np.arange(n_frames - frame - 1)
    tail = 0.4 * v0 * keep**j
    tail[tail < 0.05] = 0.0
    out[frame] = v0
    out[frame + 1 :] = tail
    return out


def surge_speeds(
    n_frames: int, frames: Sequence[int], peaks: Sequence[float], idle: float, keep: float = 0.6
) -> np.ndarray:
    """Speed of a motor: 0 before ``frames[0]``, a jump to ``peaks[i]`` at each frame, then an
    exponential return to ``idle``. Returns (n_frames,) speeds."""
    out = np.zeros(n_frames)
    for k, peak in zip(frames, peaks, strict=True):
        j = np.arange(n_frames - k)
        out[k:] = idle + (peak - idle) * keep**j
    return out


def lurch_speeds(
    n_frames: int, steps: Sequence[int], v_min: float, v_max: float, power: float = 2.0
) -> np.ndarray:
    """Forward speed of a walker: within each step it speeds up as ``u ** power`` and lands at
    ``v_max`` on the footfall frame, then drops back to ``v_min``. A higher power keeps the slow
    part of long steps (high fps) slower, under the flow-peak threshold. 0 before the first
    step's swing and after the last footfall. Returns (n_frames,) speeds."""
    out = np.zeros(n_frames)
    period = steps[1] - steps[0] if len(steps) > 1 else 4
    starts = [steps[0] - period, *steps[:-1]]
    for k0, k1 in zip(starts, steps, strict=True):
        j = np.arange(max(k0 + 1, 0), min(k1 + 1, n_frames))
        u = (j - k0) / (k1 - k0)
        out[j] = v_min + (v_max - v_min) * u**power
    return out


def brightness(
    n_frames: int, frames: Sequence[int], levels: Sequence[float], keep: float = 0.3
) -> np.ndarray:
    """A light switched on to ``levels[i]`` at ``frames[i]`` that keeps ``keep`` of its level per
    frame. A fast, frame-based fade gives steps that shrink by a clear factor each frame, so the
    fade never makes a flow peak of its own. Returns (n_frames,) levels in 0..1."""
    out = np.zeros(n_frames)
    for k, level in zip(frames, levels, strict=True):
        j = np.arange(n_frames - k)
        out[k:] = np.maximum(out[k:], level * keep**j)
    out[out < 0.02] = 0.0
    return out
