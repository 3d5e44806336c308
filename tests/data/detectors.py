"""Small re-implementations of AV-Align's two peak detectors, for ground-truth checks.

These follow ../shared/EVALUATION.md (the evaluators' real implementation lives in genav.eval;
tests of the data area do not depend on it).
"""

from __future__ import annotations

import cv2
import librosa
import numpy as np


def flow_trajectory(frames: np.ndarray) -> np.ndarray:
    """Mean Farneback flow magnitude per frame, (T,): F[0] = m(f0, f1), F[i] = m(f[i-1], f[i])."""
    grey = [cv2.cvtColor(np.ascontiguousarray(f), cv2.COLOR_RGB2GRAY) for f in frames]
    values = []
    for a, b in zip(grey[:-1], grey[1:], strict=False):
        flow = cv2.calcOpticalFlowFarneback(a, b, None, 0.5, 3, 15, 3, 5, 1.2, 0)
        values.append(float(np.mean(np.sqrt(flow[..., 0] ** 2 + flow[..., 1] ** 2))))
    return np.asarray([values[0], *values])


def flow_peaks(frames: np.ndarray, fps: float, threshold: float = 0.1) -> list[float]:
    """Times (s) of strict local maxima of the flow trajectory that reach ``threshold``."""
    f = flow_trajectory(frames)
    return [i / fps for i in range(1, len(f) - 1) if f[i - 1] < f[i] > f[i + 1] and f[i] >= threshold]


def onset_times(audio: np.ndarray, sample_rate: int) -> list[float]:
    """librosa onsets with all defaults at 22050 Hz mono, in seconds."""
    y = librosa.resample(np.asarray(audio, np.float32), orig_sr=sample_rate, target_sr=22050)
    frames = librosa.onset.onset_detect(y=y, sr=22050)
    return (frames * 512 / 22050).tolist()


def match(detected: list[float], truth: list[float], tolerance: float) -> tuple[int, int, int]:
    """Greedy one-to-one matching in time order: (true positives, false positives, false negatives)."""
    used = [False] * len(truth)
    tp = 0
    for d in sorted(detected):
        for j, t in enumerate(truth):
            if not used[j] and abs(d - t) <= tolerance + 1e-9:
                used[j] = True
                tp += 1
                break
    return tp, len(detected) - tp, len(truth) - tp


def f1(tp: int, fp: int, fn: int) -> float:
    return 2 * tp / max(2 * tp + fp + fn, 1)
