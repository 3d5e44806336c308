"""genav-foley-tiny on distractor clips over still pictures: the effect alone must not sound.

Cuts and compression noise over a still picture give no loud onset at any seed tried; lighting flicker
still sounds (its model card: 17.5-32.5 loud onsets per 10 s), an expected failure until a model
learns it.
"""

import pytest

from genav.data.distractors import write_ffmpeg_distractors
from genav.pipelines import VideoToAudioPipeline
from genav.pipelines.eval_distractors import onset_counts


@pytest.fixture(scope="module")
def pipe():
    return VideoToAudioPipeline.from_pretrained("genav-foley-tiny")


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    folder = tmp_path_factory.mktemp("still-distractors")
    return {c.name: c.path for c in write_ffmpeg_distractors(folder, seconds=4.0, fps=25)}


def _counts(pipe, path, seed):
    out = pipe(path, seed=seed, num_steps=25)
    return onset_counts(out.audio[0].mean(axis=0), out.sample_rate)


@pytest.mark.parametrize("name", ["still-cuts", "still-noise"])
@pytest.mark.parametrize("seed", [0, 1])
def test_cuts_and_noise_over_a_still_picture_stay_quiet(pipe, clips, name, seed):
    counts = _counts(pipe, clips[name], seed)
    assert counts["loud_onsets_per_10s"] == 0 and counts["rms_dbfs"] < -45


@pytest.mark.xfail(strict=True, reason="genav-foley-tiny hears lighting flicker (see its MODEL_CARD.md)")
def test_flicker_over_a_still_picture_stays_quiet(pipe, clips):
    assert _counts(pipe, clips["still-flicker"], 0)["loud_onsets_per_10s"] <= 1
