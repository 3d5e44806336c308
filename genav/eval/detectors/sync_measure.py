"""A weight-free audio-visual sync measure: the lag that best aligns motion onsets with sound onsets.

Definition (``genav eval sync``; the curves are AV-Align's own measurements, nothing is learned):

1. *Motion curve*: the Farneback flow trajectory of :mod:`genav.eval.detectors.optical_flow` (mean
   flow magnitude per frame, in px), placed at its frame times (``i / fps``, or the decoder's timestamps when the
   trajectory carries them). Its motion-change curve is the absolute first difference
   ``|F[i] - F[i-1]|``, the visual counterpart of an onset: a hit makes motion start *or stop*
   abruptly (a falling box is silent while it speeds up and loud when it stops), a steady pan or a
   rolling object does not change it.
2. *Sound curve*: librosa's default onset strength envelope at 22050 Hz (hop 512, 23.2 ms) of
   :mod:`genav.eval.detectors.onsets` (spectral flux of the log-mel spectrogram: already an onset curve).
3. Both curves are resampled to a common 100 Hz grid (linear interpolation) and compressed,
   ``log(1 + x / (0.2 max x))``, so that one loud event does not outweigh the others: the loudest
   sound is rarely the largest motion (an engine starting vs. a ball bouncing).
4. ``c(L)`` = cross-correlation of the mean-removed curves, motion(t) against sound(t + L), summed
   over the samples where both exist and divided by the norms of the *whole* curves, for every
   lag ``L`` in ``[-max_lag_s, +max_lag_s]`` at 10 ms steps. Dividing by the whole norms (not the
   overlap's) makes large lags, where little overlaps, count less; a per-lag Pearson correlation
   found spurious peaks at the edges (tuned on the synthetic test split and the real-recording
   clips of ``scripts/make_sync_clips.py``). **offset_s** = the lag of
   the highest ``c`` (refined by a parabola through its neighbours); ``offset_s > 0`` means the
   audio is late. **confidence** = how far that peak stands above the other lags, in standard
   deviations of ``c`` ((c_max - mean c) / std c).
5. **score** (higher = more in sync) = ``c`` at zero lag within a tolerance of one frame (or 40 ms
   when frames are shorter), minus the mean of ``c`` over all lags, divided by the standard
   deviation of ``c``: a z-score of "in sync now" against "in sync at some other lag". Unrelated
   audio scores near 0, audio that matches the picture at zero lag scores high, the same audio
   shifted scores low. ``abs(offset_s)`` is a weight-free DeSync (seconds).

A clip without any motion or any sound change has flat curves: the correlation is undefined and the
clip's ``score``/``offset_s`` are ``None`` (reported, counted, left out of the means), as AV-Align
does for A = V = 0.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from genav.errors import InputError
from genav.eval.detectors.onsets import HOP_LENGTH, SAMPLE_RATE, load_audio, onset_envelope
from genav.eval.detectors.optical_flow import FlowTrajectory, flow_trajectory

logger = logging.getLogger(__name__)

__all__ = ["SyncSettings", "SyncResult", "sync_offset", "score_sync", "motion_changes", "lag_correlation"]

GRID_HZ = 100.0


@dataclass(frozen=True)
class SyncSettings:
    """The measure's constants (recorded in every report)."""

    max_lag_s: float = 2.0
    grid_hz: float = GRID_HZ
    compression: float = 0.2
    min_overlap_s: float = 1.0
    zero_tolerance_s: float = 0.040

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)

    def check(self) -> SyncSettings:
        if not (self.max_lag_s > 0 and math.isfinite(self.max_lag_s)):
            raise InputError(f"max lag must be a positive number of seconds, got {self.max_lag_s}")
        return self


@dataclass
class SyncResult:
    """Sync of one clip (see the module docstring for each field's definition).

    offset_s: best lag in seconds (audio late > 0), ``None`` when undefined or failed.
    score: zero-lag z-score (higher = more in sync). confidence: peak z-score. peak_corr: c at the
    best lag. lags/correlation: (K,) seconds and c(L); motion/sound: (G,) compressed curves on the
    100 Hz grid, kept only when asked (plots).
    """

    name: str
    offset_s: float | None = None
    score: float | None = None
    confidence: float | None = None
    peak_corr: float | None = None
    zero_corr: float | None = None
    fps: float | None = None
    frames: int | None = None
    error: str | None = None
    video: str | None = None
    audio: str | None = None
    lags: np.ndarray | None = field(default=None, repr=False)
    correlation: np.ndarray | None = field(default=None, repr=False)
    motion: np.ndarray | None = field(default=None, repr=False)
    sound: np.ndarray | None = field(default=None, repr=False)

    def row(self) -> dict[str, Any]:
        """The report row (JSON-ready; curves left out)."""
        keys = ("name", "offset_s", "score", "confidence", "peak_corr", "zero_corr", "fps", "frames", "error")
        out = {k: getattr(self, k) for k in keys}
        for k in ("offset_s", "score", "confidence", "peak_corr", "zero_corr"):
            out[k] = None if out[k] is None else round(float(out[k]), 6)
        out["abs_offset_s"] = None if self.offset_s is None else round(abs(float(self.offset_s)), 6)
        out.update(video=self.video, audio=self.audio)
        return out


def motion_changes(values: np.ndarray) -> np.ndarray:
    """(T,) flow trajectory -> (T,) motion changes ``|F[i] - F[i-1]|`` (0 at i = 0)."""
    f = np.asarray(values, dtype=np.float64).reshape(-1)
    return np.concatenate([[0.0], np.abs(np.diff(f))]) if f.size else f


def _frame_times(traj: FlowTrajectory) -> np.ndarray:
    times = getattr(traj, "times", None)  # decoder timestamps when the trajectory carries them
    if times is not None and len(times) == traj.frames:
        return np.asarray(times, dtype=np.float64)
    return np.arange(traj.frames, dtype=np.float64) / float(traj.fps)


def _compress(curve: np.ndarray, settings: SyncSettings) -> np.ndarray:
    """``log(1 + x / (compression * max x))`` of a non-negative curve (zeros stay zeros)."""
    x = np.maximum(np.asarray(curve, dtype=np.float64), 0.0)
    top = float(x.max()) if x.size else 0.0
    return np.log1p(x / (settings.compression * top)) if top > 0 else x


def lag_correlation(
    motion: np.ndarray, sound: np.ndarray, max_lag: int, min_overlap: int
) -> tuple[np.ndarray, np.ndarray]:
    """Normalised cross-correlation of ``motion[t]`` and ``sound[t + L]`` for L in [-max_lag, max_lag].

    motion, sound: (G,) curves on one grid (samples). Both are mean-removed; each lag sums the
    overlapping products and divides by the norms of the whole curves, so c is in [-1, 1] and
    shrinks with the overlap. Returns (lags (K,), c (K,)); c is NaN where the overlap is shorter
    than ``min_overlap`` samples, and everywhere when either curve is constant.
    """
    lags = np.arange(-max_lag, max_lag + 1)
    out = np.full(lags.shape, np.nan)
    a, b = motion - motion.mean(), sound - sound.mean()
    denom = math.sqrt(float(a @ a) * float(b @ b))
    if denom <= 1e-12:
        return lags, out
    for k, lag in enumerate(lags):
        lo, hi = max(0, -lag), min(len(a), len(b) - lag)
        if hi - lo >= min_overlap:
            out[k] = float(a[lo:hi] @ b[lo + lag : hi + lag]) / denom
    return lags, out


def _refine(c: np.ndarray, k: int) -> float:
    """Sub-sample peak position by a parabola through c[k-1], c[k], c[k+1]."""
    if 0 < k < len(c) - 1 and np.isfinite(c[k - 1 : k + 2]).all():
        left, mid, right = c[k - 1], c[k], c[k + 1]
        denom = left - 2 * mid + right
        if denom < 0:
            return k + 0.5 * (left - right) / denom
    return float(k)


def score_sync(
    traj: FlowTrajectory,
    wave: np.ndarray,
    *,
    name: str = "clip",
    settings: SyncSettings | None = None,
    keep_curves: bool = False,
) -> SyncResult:
    """The sync measure from a decoded clip (the module docstring defines each step).

    Args:
        traj: the clip's :class:`FlowTrajectory` (T,) in pixels per frame, with its fps and times.
        wave: (N,) mono float32 wave at 22050 Hz whose sample 0 is at the clip's time 0.
        name: the result's name. settings: grid, lag range, compression, tolerance (default
            :class:`SyncSettings`). keep_curves: keep the lags, c(L) and both curves (plots).

    Returns:
        :class:`SyncResult`: ``offset_s`` (seconds, audio late > 0), ``score`` and ``confidence``
        (z-scores), ``peak_corr``/``zero_corr``; the values are None when undefined (no motion
        change or no sound change: not an error).

    Raises:
        InputError: settings out of range.

    Source: genav's own weight-free measure (cross-correlation of onset curves), built on AV-Align's
    measurements (Yariv et al., 2024: Farneback flow, librosa onset strength); ``abs(offset_s)`` plays
    the role of DeSync (Synchformer, Iashin et al. 2024) without weights.
    """
    settings = (settings or SyncSettings()).check()
    env = onset_envelope(wave, SAMPLE_RATE)
    duration = max(_frame_times(traj)[-1] + 1.0 / traj.fps, len(wave) / SAMPLE_RATE)
    grid = np.arange(0.0, duration, 1.0 / settings.grid_hz)
    motion_t = _frame_times(traj)
    motion_raw = np.interp(grid, motion_t, motion_changes(traj.values), left=np.nan, right=np.nan)
    sound_t = np.arange(len(env)) * HOP_LENGTH / float(SAMPLE_RATE)
    sound_raw = np.interp(grid, sound_t, env, left=np.nan, right=np.nan)
    motion = _compress(np.nan_to_num(motion_raw), settings)
    sound = _compress(np.nan_to_num(sound_raw), settings)
    motion = (
        motion[: np.flatnonzero(np.isfinite(motion_raw))[-1] + 1]
        if np.isfinite(motion_raw).any()
        else motion[:0]
    )
    sound = (
        sound[: np.flatnonzero(np.isfinite(sound_raw))[-1] + 1] if np.isfinite(sound_raw).any() else sound[:0]
    )
    result = SyncResult(name=name, fps=traj.fps, frames=traj.frames)
    max_lag = int(round(settings.max_lag_s * settings.grid_hz))
    lags, c = lag_correlation(motion, sound, max_lag, int(round(settings.min_overlap_s * settings.grid_hz)))
    if keep_curves:
        result.lags, result.correlation = lags / settings.grid_hz, c
        result.motion, result.sound = motion, sound
    finite = np.isfinite(c)
    if finite.sum() < 3:
        return result  # no motion change or no sound change: undefined
    mean, std = float(np.nanmean(c)), float(np.nanstd(c))
    k = int(np.nanargmax(c))
    result.offset_s = float(_refine(np.nan_to_num(c, nan=-np.inf), k) - max_lag) / settings.grid_hz
    result.peak_corr = float(c[k])
    tol = int(round(max(settings.zero_tolerance_s, 1.0 / traj.fps) * settings.grid_hz))
    near_zero = c[max_lag - tol : max_lag + tol + 1]
    result.zero_corr = float(np.nanmax(near_zero)) if np.isfinite(near_zero).any() else None
    if std > 1e-12:
        result.confidence = (result.peak_corr - mean) / std
        if result.zero_corr is not None:
            result.score = (result.zero_corr - mean) / std
    return result


def sync_offset(
    video: str | Path,
    audio: str | Path | None = None,
    *,
    name: str | None = None,
    settings: SyncSettings | None = None,
    keep_curves: bool = False,
) -> SyncResult:
    """The sync measure of one clip: motion changes of ``video`` against onsets of its audio.

    Args:
        video: a video file OpenCV decodes.
        audio: a separate audio file; None: the video's own track (at 22050 Hz mono, on the file's
            timeline).
        name: the result's name (default: the video's stem). settings: see :func:`score_sync`.
        keep_curves: keep the curves on the result (plots).

    Returns:
        :class:`SyncResult` (see :func:`score_sync`) with ``video``/``audio`` set.

    Raises:
        MediaError: a missing or unreadable video or audio, or fewer than two frames.
        InputError: settings out of range.

    Source: as :func:`score_sync`.
    """
    video = Path(video)
    wave = load_audio(audio if audio is not None else video, sample_rate=SAMPLE_RATE)  # cheap: fail first
    traj = flow_trajectory(video)
    result = score_sync(
        traj, wave, name=name if name is not None else video.stem, settings=settings, keep_curves=keep_curves
    )
    result.video = str(video)
    result.audio = str(audio) if audio is not None else None
    return result
