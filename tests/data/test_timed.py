"""The text-to-video world: subjects (class, colour, events), captions and event phrases."""

from __future__ import annotations

import numpy as np

from genav.data.synth import generate_clip
from genav.data.synth.timed import (
    CLASSES,
    COLOURS,
    describe,
    event_phrase,
    subject_caption,
    t2v_clips,
    t2v_settings,
)


def test_clips_have_one_subject_with_class_colour_and_event_times():
    pairs = t2v_clips(5, first_seed=0)
    assert [c.seed for c, _ in pairs] == sorted({c.seed for c, _ in pairs})
    for clip, s in pairs:
        assert s.cls in CLASSES and s.colour in COLOURS
        assert list(s.frames) == [e.frame for e in clip.events]
        assert np.allclose(s.times, [f / clip.fps for f in s.frames])
    again = t2v_clips(5, first_seed=0)
    assert all(np.array_equal(a.frames, b.frames) for (a, _), (b, _) in zip(pairs, again, strict=True))


def test_caption_names_colour_and_object_and_phrase_names_the_event():
    rng = np.random.default_rng(0)
    for _, s in t2v_clips(8, first_seed=100):
        caption = subject_caption(s, rng)
        assert s.colour in caption.split() and s.noun in caption
        phrase = event_phrase(s)
        assert s.noun in phrase and s.colour not in phrase


def test_clips_outside_the_world_have_no_subject():
    two_sources = t2v_settings(max_sources=2, n_events=(4, 5))
    found = [describe(generate_clip(seed, two_sources)) for seed in range(8)]
    assert any(f is None for f in found)  # two sources: not a one-subject clip
    drums = [describe(generate_clip(seed, t2v_settings(event_types=("drum",)))) for seed in range(2)]
    assert drums == [None, None]  # random colours are not recorded: left out
