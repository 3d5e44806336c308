"""Pure AV-Align pieces: matching, score, video peak rules, the genav protocol's repairs."""

from __future__ import annotations

import numpy as np
import pytest

from genav.errors import BackendUnavailableError, InputError
from genav.eval.detectors.av_align_clip import check_protocol, detect_video_peaks_genav, score_clip
from genav.eval.detectors.optical_flow import FlowTrajectory, detect_video_peaks
from genav.eval.metrics.av_align import av_align_score, iou_score, match_greedy, match_optimal


def test_window_is_strict_open_interval():
    # fps 4 -> window 0.25 s, all values exact in binary floating point
    assert av_align_score([1.25], [1.0], fps=4) == 0.0
    assert av_align_score([0.75], [1.0], fps=4) == 0.0
    assert av_align_score([1.2490234375], [1.0], fps=4) == 1.0
    assert av_align_score([0.7509765625], [1.0], fps=4) == 1.0


def test_each_video_peak_is_used_once():
    # two onsets near one video peak: one match, I / (A + V - I) = 1 / (2 + 1 - 1)
    assert match_greedy([0.99, 1.01], [1.0], 0.04) == [(0, 0)]
    assert av_align_score([0.99, 1.01], [1.0], fps=25) == 0.5


def test_greedy_takes_first_unused_not_nearest():
    # a = 1.0 lies in the windows of 0.97 and 1.0; the reference takes the first (0.97)
    assert match_greedy([1.0], [0.97, 1.0], 0.04) == [(0, 0)]
    assert match_optimal([1.0], [0.97, 1.0], 0.04) == [(0, 1)]
    # greedy order is by ascending audio time whatever the input order
    assert match_greedy([1.0, 0.98], [0.97, 1.0], 0.04) == [(0, 0), (1, 1)]


def test_score_edge_cases():
    assert av_align_score([], [], fps=25) is None  # undefined, not ZeroDivisionError
    assert av_align_score([1.0], [], fps=25) == 0.0
    assert av_align_score([], [1.0], fps=25) == 0.0
    assert iou_score(5, 5, 5) == 1.0 and iou_score(15, 5, 2) == pytest.approx(2 / 18)


def test_greedy_reaches_the_maximum_count():
    """Sorted peaks + symmetric window: greedy first-unused is already a maximum matching."""
    rng = np.random.default_rng(0)
    for trial in range(600):
        on_grid = trial % 2 == 0  # frame/hop grids produce exact boundary cases
        n_a, n_v = rng.integers(0, 9, size=2)
        a = rng.integers(0, 40, n_a) / 25 if on_grid else rng.random(n_a) * 1.5
        v = rng.integers(0, 40, n_v) / 25 if on_grid else rng.random(n_v) * 1.5
        w = 1 / 25 if on_grid else 0.01 + 0.2 * rng.random()
        greedy, optimal = match_greedy(a, v, w), match_optimal(a, v, w)
        assert len(greedy) == len(optimal), (a, v, w)
        assert len({vi for _, vi in optimal}) == len(optimal)  # one-to-one
        a_s, v_s = np.sort(a), np.sort(v)
        assert all(v_s[vi] - w < a_s[ai] < v_s[vi] + w for ai, vi in optimal)


def test_optimal_matching_minimises_offsets():
    a, v = [1.00, 1.05], [0.98, 1.04]
    pairs = match_optimal(a, v, 0.08)
    assert pairs == [(0, 0), (1, 1)]
    assert match_optimal([], [1.0], 0.04) == [] and match_optimal([1.0], [], 0.04) == []


def test_reference_video_peaks_rules():
    f = np.array([0.5, 0.5, 0.2, 0.3, 0.1, 0.1, 0.0999, 0.2, 0.2, 0.1, 0.05, 0.1, 0.9])
    # index 3: 0.2 < 0.3 > 0.1 -> peak; index 5: 0.1 == 0.1 (not strict); 7-8: plateau, no strict peak;
    # index 0/last: never; index 11 rises into the last value
    assert detect_video_peaks(f).tolist() == [3]
    assert detect_video_peaks(np.array([0.0, 0.1, 0.0])).tolist() == [1]  # F >= 0.1 counts
    assert detect_video_peaks(np.array([0.0, 0.0999, 0.0])).tolist() == []
    assert detect_video_peaks(np.array([1.0, 2.0])).tolist() == []


def test_genav_ignores_float_noise_on_flat_trajectories():
    rng = np.random.default_rng(0)
    flat = 2.0 + 1e-4 * rng.standard_normal(200)  # a square moving at constant speed
    assert len(detect_video_peaks(flat)) > 30  # the reference's spurious peaks
    assert len(detect_video_peaks_genav(flat, 256, 256)) == 0
    bursts = flat.copy()
    bursts[[50, 120]] += 0.5  # real jolts on top of the steady motion survive
    assert detect_video_peaks_genav(bursts, 256, 256).tolist() == [50, 120]


def test_genav_threshold_scales_with_resolution():
    base = np.zeros(50)
    base[[10, 30]] = [0.15, 0.6]
    assert detect_video_peaks_genav(base, 256, 256).tolist() == [10, 30]
    # the same motion at 4x the resolution is 4x the pixels: same peaks under genav
    assert detect_video_peaks_genav(4 * base, 1024, 1024).tolist() == [10, 30]
    # 0.15 px on a 1024x1024 frame is a tiny motion: a reference peak, not a genav one
    assert detect_video_peaks(base).tolist() == [10, 30]
    assert detect_video_peaks_genav(base, 1024, 1024).tolist() == [30]


def _clip(fps: float, event_times: list[float]) -> FlowTrajectory:
    values = np.zeros(int(4 * fps))
    for t in event_times:
        values[round(t * fps)] = 1.0
    return FlowTrajectory(values=values, fps=fps, frames=len(values), width=256, height=256)


def test_genav_window_does_not_depend_on_fps():
    # onsets 30 ms after the motion: inside +-40 ms, outside the reference's one frame at 60 fps
    events = [1.0, 2.0, 3.0]  # on the frame grid of every fps below
    onsets = [t + 0.03 for t in events]
    for fps in (25.0, 30.0, 60.0):
        traj = _clip(fps, events)
        ref = av_align_score(onsets, (np.flatnonzero(traj.values) / fps).tolist(), fps)
        gen = match_optimal(onsets, (np.flatnonzero(traj.values) / fps).tolist(), max(0.04, 1 / fps))
        assert len(gen) == 3, fps
        assert ref == (1.0 if fps < 33 else 0.0), fps
    # the window score_clip reports
    assert score_clip(_clip(60.0, events), np.zeros(22050), protocol="genav").window_s == 0.04
    assert score_clip(_clip(60.0, events), np.zeros(22050)).window_s == pytest.approx(1 / 60)
    assert score_clip(_clip(10.0, events), np.zeros(22050), protocol="genav").window_s == pytest.approx(0.1)


def test_protocol_checks(monkeypatch):
    with pytest.raises(InputError, match="unknown AV-Align protocol"):
        check_protocol("nope")
    import cv2

    monkeypatch.setattr(cv2, "__version__", "4.12.0")
    with pytest.raises(BackendUnavailableError, match="OpenCV >= 4.13"):
        check_protocol("reference")
    assert check_protocol("genav") == "genav"
