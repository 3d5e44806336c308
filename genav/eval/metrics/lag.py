"""Lag between a video's motion and its sound: the cross-correlation of motion energy with the
audio's onset envelope.

AV-Align counts matched peaks; it does not say by how much a video leads or trails its sound.
Here the onset-strength envelope (librosa's, as AV-Align's audio side uses) is pooled to the
video's frames (the maximum over each frame's span, so a short onset is not averaged away), both
curves are standardised, and the lag ``l`` (in frames, ``|l| <= max_lag``) maximising
``sum_i m[i] * o[i - l] / T`` (the biased estimate: a lag whose overlap is short cannot win on a
few lucky frames) is the lag: positive when the motion comes after the sound.
"""

from __future__ import annotations

import numpy as np

from genav.errors import InputError


def envelope_per_frame(envelope: np.ndarray, rate: float, fps: float, frames: int) -> np.ndarray:
    """Onset envelope ``(E,)`` sampled at ``rate`` Hz -> ``(frames,)``: for frame ``i`` (at ``i / fps``
    s) the maximum over ``[i - 0.5, i + 0.5) / fps`` (0 where the envelope has no sample)."""
    env = np.asarray(envelope, dtype=np.float64)
    times = np.arange(len(env)) / rate
    index = np.floor(times * fps + 0.5).astype(np.int64)  # nearest frame of each envelope sample
    out = np.zeros(frames, dtype=np.float64)
    keep = (index >= 0) & (index < frames)
    np.maximum.at(out, index[keep], env[keep])
    return out


def motion_lag(motion: np.ndarray, onsets: np.ndarray, fps: float, *, max_lag_s: float = 0.8) -> float | None:
    """Lag in seconds (positive: motion after sound) maximising the cross-correlation of ``motion``
    ``(T,)`` and per-frame ``onsets`` ``(T,)``; None when either curve is flat. Raises
    :class:`InputError` for curves of different lengths."""
    m = np.asarray(motion, dtype=np.float64)
    o = np.asarray(onsets, dtype=np.float64)
    if m.shape != o.shape or m.ndim != 1:
        raise InputError(f"motion and onset curves must be (T,) of the same length, got {m.shape} and {o.shape}")
    if m.std() < 1e-9 or o.std() < 1e-9:
        return None
    m, o = (m - m.mean()) / m.std(), (o - o.mean()) / o.std()
    n = len(m)
    max_lag = min(int(round(max_lag_s * fps)), n - 2)
    lags = np.arange(-max_lag, max_lag + 1)
    scores = [float(np.sum(m[max(0, k) : n + min(0, k)] * o[max(0, -k) : n - max(0, k)])) / n for k in lags]
    best = int(np.argmax(scores))  # ties: the smallest lag (argmax takes the first)
    return float(lags[best]) / fps
