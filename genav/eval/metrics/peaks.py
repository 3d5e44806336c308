"""Local maxima with height and prominence, as ``scipy.signal.find_peaks`` finds them, in numpy.

AV-Align's ``genav`` protocol needs only this from scipy.signal, whose import costs ~1.4 s of CPU
per process. Same definitions as SciPy (tested equal on random and plateau-rich trajectories):

- a peak is a sample, or the middle of a flat run (rounded down), whose neighbours on both sides
  are lower; the first and last samples never are;
- prominence (``wlen=None``): the peak's height minus the higher of the two lowest points between
  it and the nearest strictly higher sample on each side (or the array's end).
"""

from __future__ import annotations

import numpy as np

__all__ = ["local_maxima", "prominences", "find_peaks"]


def local_maxima(x: np.ndarray) -> np.ndarray:
    """Indices (K,) of the local maxima of x (T,), flat runs at their middle (SciPy's rule)."""
    x = np.asarray(x, dtype=np.float64)
    if x.size < 3:
        return np.zeros(0, dtype=np.int64)
    # collapse runs of equal values; a run is a peak when both neighbouring runs are lower
    starts = np.flatnonzero(np.concatenate(([True], x[1:] != x[:-1])))
    ends = np.concatenate((starts[1:], [x.size])) - 1
    values = x[starts]
    inner = np.arange(1, len(starts) - 1)
    is_peak = (values[inner - 1] < values[inner]) & (values[inner + 1] < values[inner])
    peak_runs = inner[is_peak]
    return ((starts[peak_runs] + ends[peak_runs]) // 2).astype(np.int64)


def prominences(x: np.ndarray, peaks: np.ndarray) -> np.ndarray:
    """Prominence (K,) float64 of each peak index in x (T,) (SciPy's definition, whole signal)."""
    x = np.asarray(x, dtype=np.float64)
    out = np.empty(len(peaks), dtype=np.float64)
    for k, p in enumerate(np.asarray(peaks, dtype=np.int64).tolist()):
        higher_left = np.flatnonzero(x[:p] > x[p])
        higher_right = np.flatnonzero(x[p + 1 :] > x[p])
        lo = higher_left[-1] + 1 if higher_left.size else 0
        hi = p + 1 + higher_right[0] if higher_right.size else x.size
        out[k] = x[p] - max(x[lo : p + 1].min(), x[p:hi].min())
    return out


def find_peaks(x: np.ndarray, *, height: float, prominence: float) -> tuple[np.ndarray, np.ndarray]:
    """Peaks of x (T,) at least ``height`` high and ``prominence`` prominent: indices (K,) int64 and
    their prominences (K,), as ``scipy.signal.find_peaks(x, height=..., prominence=...)``."""
    x = np.asarray(x, dtype=np.float64)
    peaks = local_maxima(x)
    peaks = peaks[x[peaks] >= height]
    prom = prominences(x, peaks)
    keep = prom >= prominence
    return peaks[keep], prom[keep]
