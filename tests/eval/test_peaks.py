"""genav's find_peaks equals scipy.signal.find_peaks (height + prominence), plateaus included."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.signal import find_peaks as scipy_find_peaks

from genav.eval.metrics.peaks import find_peaks, local_maxima


def _signals():
    rng = np.random.default_rng(0)
    yield rng.random(300)
    yield np.round(rng.random(400) * 4) / 4  # many flat runs and ties
    bursts = np.zeros(200)
    bursts[[20, 21, 22, 60, 61, 120, 199]] = [1.0, 1.0, 1.0, 0.5, 0.7, 2.0, 3.0]  # plateau, step, end
    yield bursts
    yield np.abs(np.cumsum(rng.standard_normal(500)))
    yield np.full(50, 0.3)
    yield np.array([1.0, 2.0])


@pytest.mark.parametrize("k", range(6))
@pytest.mark.parametrize(("height", "prominence"), [(0.1, 0.05), (0.0, 0.0), (0.5, 0.3)])
def test_find_peaks_equals_scipy(k, height, prominence):
    x = list(_signals())[k]
    expected, props = scipy_find_peaks(x, height=height, prominence=prominence)
    got, prominences = find_peaks(x, height=height, prominence=prominence)
    np.testing.assert_array_equal(got, expected)
    np.testing.assert_array_equal(prominences, props["prominences"])


def test_plateau_peak_at_its_middle():
    x = np.array([0.0, 1.0, 1.0, 1.0, 1.0, 0.0, 2.0, 2.0, 3.0])
    assert local_maxima(x).tolist() == [2]  # (1 + 4) // 2; the run ending at the last sample is no peak
