"""The motion/onset lag of `genav eval a2v`: pooling an onset envelope to frames, cross-correlation lag."""

from __future__ import annotations

import numpy as np
import pytest

from genav.errors import InputError
from genav.eval.metrics.lag import envelope_per_frame, motion_lag


def test_envelope_is_pooled_to_the_nearest_frame_by_maximum():
    env = np.zeros(100)
    env[43] = 2.0  # 43 / 43.07 Hz = 0.998 s -> frame 10 at 10 fps
    env[44] = 1.0
    out = envelope_per_frame(env, 22050 / 512, 10.0, 16)
    assert out.shape == (16,) and out[10] == 2.0 and out.sum() == 2.0


@pytest.mark.parametrize("shift", [-3, 0, 2, 5])
def test_lag_finds_a_known_delay(shift):
    rng = np.random.default_rng(0)
    onsets = np.zeros(40)
    onsets[[5, 12, 21, 30]] = 1.0
    motion = np.roll(onsets, shift) + 0.05 * rng.random(40)
    assert motion_lag(motion, onsets, 10.0) == pytest.approx(shift / 10.0)


def test_flat_curves_have_no_lag_and_lengths_must_match():
    assert motion_lag(np.ones(10), np.arange(10.0), 10.0) is None
    with pytest.raises(InputError, match="same length"):
        motion_lag(np.ones(10), np.ones(11), 10.0)
