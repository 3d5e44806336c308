"""The ffmpeg distractor clips: the still variants change only by their effect, and every run is the same."""

import numpy as np
import pytest

from genav.data.distractors import write_ffmpeg_distractors
from genav.media import read_frames


def _frames(path) -> np.ndarray:
    return read_frames(path).astype(np.int16)


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    folder = tmp_path_factory.mktemp("distractors")
    return {c.name: c.path for c in write_ffmpeg_distractors(folder, seconds=1.5, fps=10)}


def test_each_effect_comes_animated_and_still(clips):
    effects = ["cuts", "pan", "shake", "flicker", "noise"]
    assert list(clips) == [f"ff-{e}" for e in effects] + [f"still-{e}" for e in effects]


def test_still_cuts_hold_one_picture_between_cuts_where_the_animated_sources_move(clips):
    still, animated = _frames(clips["still-cuts"]), _frames(clips["ff-cuts"])
    change_still = np.abs(np.diff(still, axis=0)).mean(axis=(1, 2, 3))
    change_animated = np.abs(np.diff(animated, axis=0)).mean(axis=(1, 2, 3))
    assert (change_still > 20).sum() == 2  # the two cuts
    assert np.median(change_still) < 1.0 < np.median(change_animated)


def test_the_clips_are_the_same_on_every_run(clips, tmp_path):
    again = {c.name: c.path for c in write_ffmpeg_distractors(tmp_path, seconds=1.5, fps=10)}
    for name in ("ff-noise", "still-noise"):  # seeded life source and noise filter
        np.testing.assert_array_equal(_frames(clips[name]), _frames(again[name]))
