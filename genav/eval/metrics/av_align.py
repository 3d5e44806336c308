"""AV-Align's math (Yariv et al. 2023): match audio onsets to video peaks, score the matches.

``score = I / (A + V - I)`` with A audio peaks, V video peaks and I matched pairs (an
intersection-over-union of events). Peaks are times in seconds; a pair matches when
``v - window < a < v + window``. Two matchings: the reference's greedy one (TempoTokens
``av_align.py``) and genav's optimal one-to-one matching of nearest partners. Where the peaks come
from (optical flow, onsets) and the two protocols are in :mod:`genav.eval.detectors.av_align_clip`.

Source: Yariv et al., "Diverse and Aligned Audio-to-Video Generation via Text-to-Video Model
Adaptation" (AAAI 2024), AV-Align; the reference script of the TempoTokens repository.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["av_align_score", "iou_score", "match_greedy", "match_optimal"]


def _windows(video_times: Sequence[float], window: float | Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
    """Video times sorted ascending and each one's half-window (one value, or one per video peak)."""
    video = np.asarray(video_times, dtype=np.float64).reshape(-1)
    windows = np.broadcast_to(np.asarray(window, dtype=np.float64), video.shape)
    order = np.argsort(video, kind="stable")
    return video[order], windows[order]


def match_greedy(
    audio_times: Sequence[float], video_times: Sequence[float], window: float | Sequence[float]
) -> list[tuple[int, int]]:
    """The reference matching: audio peaks in ascending order each take the first unused video peak
    (ascending) with ``v - window < a < v + window`` (strict).

    Args:
        audio_times: (A,) audio peak times in seconds, any order.
        video_times: (V,) video peak times in seconds, any order.
        window: the half-window in seconds, one value or (V,) one per video peak (in the order given).

    Returns:
        ``(audio_idx, video_idx)`` pairs, indices into the sorted inputs, in audio order.

    Raises:
        ValueError: ``window`` is neither one value nor one per video peak.

    Source: AV-Align (Yariv et al., 2024, TempoTokens ``av_align.py``), written from its definition.
    """
    audio = sorted(float(a) for a in audio_times)
    video, windows = _windows(video_times, window)
    used = [False] * len(video)
    pairs = []
    for ai, a in enumerate(audio):
        for vi, (v, w) in enumerate(zip(video.tolist(), windows.tolist(), strict=True)):
            if not used[vi] and v - w < a < v + w:
                used[vi] = True
                pairs.append((ai, vi))
                break
    return pairs


def match_optimal(
    audio_times: Sequence[float], video_times: Sequence[float], window: float | Sequence[float]
) -> list[tuple[int, int]]:
    """Maximum one-to-one matching of pairs with ``v - window < a < v + window``, of minimum total |a - v|.

    Out-of-window pairs cost more than all in-window pairs together, so the assignment first
    maximises the number of matches, then minimises the offsets (genav's protocol).

    Args:
        audio_times: (A,) audio peak times in seconds, any order.
        video_times: (V,) video peak times in seconds, any order.
        window: the half-window in seconds, one value or (V,) one per video peak (in the order given).

    Returns:
        ``(audio_idx, video_idx)`` pairs, indices into the sorted inputs, sorted.

    Raises:
        ValueError: ``window`` is neither one value nor one per video peak.

    Source: AV-Align's window rule (Yariv et al., 2024); the assignment is the Hungarian method
    (Kuhn, 1955) as in ``scipy.optimize.linear_sum_assignment``.
    """
    from scipy.optimize import linear_sum_assignment

    audio = np.sort(np.asarray(audio_times, dtype=np.float64))
    video, windows = _windows(video_times, window)
    if audio.size == 0 or video.size == 0:
        return []
    offset = np.abs(audio[:, None] - video[None, :])
    # the reference's own comparison, so both protocols agree on boundary cases in float math
    w = windows[None, :]
    inside = (video[None, :] - w < audio[:, None]) & (audio[:, None] < video[None, :] + w)
    big = float(windows.max()) * (min(audio.size, video.size) + 1) + 1.0
    rows, cols = linear_sum_assignment(np.where(inside, offset, big))
    return sorted((int(r), int(c)) for r, c in zip(rows, cols, strict=True) if inside[r, c])


def iou_score(n_audio: int, n_video: int, n_matched: int) -> float | None:
    """``I / (A + V - I)``; ``None`` when A = V = 0 (undefined, not zero)."""
    if n_audio + n_video == 0:
        return None
    return n_matched / (n_audio + n_video - n_matched)


def av_align_score(audio_peaks: Sequence[float], video_peaks: Sequence[float], fps: float) -> float | None:
    """The reference clip score from peak times: greedy matching with a +-1/fps open window, then
    ``I / (A + V - I)``.

    Args:
        audio_peaks: (A,) audio onset times in seconds.
        video_peaks: (V,) video motion-peak times in seconds.
        fps: the video's frame rate in frames per second (> 0); the window is one frame.

    Returns:
        The score in [0, 1], or ``None`` when there are neither audio nor video peaks (undefined).

    Raises:
        ZeroDivisionError: ``fps`` is 0.

    Source: AV-Align, Yariv et al., "Diverse and Aligned Audio-to-Video Generation via Text-to-Video
    Model Adaptation" (AAAI 2024, TempoTokens).
    """
    pairs = match_greedy(audio_peaks, video_peaks, 1.0 / float(fps))
    return iou_score(len(audio_peaks), len(video_peaks), len(pairs))
