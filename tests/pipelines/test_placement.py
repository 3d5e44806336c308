"""Sound design by placement: one hit of the prompt's sound at each onset of the timing track."""

from __future__ import annotations

import numpy as np
import pytest

from genav.errors import InputError
from genav.pipelines.placement import (
    MIN_HIT,
    PRE_ROLL,
    one_hit,
    one_per_event,
    onset_times,
    place_hits,
    placed_sound,
)

SR = 16000


def _bursts(times: list[float], seconds: float, *, decay: float = 0.04, gain: list[float] | None = None,
            seed: int = 0) -> np.ndarray:  # fmt: skip
    """Decaying noise bursts starting at ``times`` (s) in silence."""
    rng = np.random.default_rng(seed)
    wave = np.zeros(int(seconds * SR), np.float32)
    for k, t in enumerate(times):
        n = min(int(0.3 * SR), len(wave) - int(t * SR))
        env = np.exp(-np.arange(n) / (decay * SR)).astype(np.float32)
        wave[int(t * SR) : int(t * SR) + n] += (gain[k] if gain else 0.5) * env * rng.standard_normal(n).astype(np.float32)
    return wave


def test_onsets_closer_than_the_gap_are_one_event():
    assert one_per_event(np.array([0.5, 0.55, 0.62, 1.0, 1.05])).tolist() == [0.5, 0.62, 1.0]
    assert one_per_event(np.array([])).tolist() == []


def test_a_hit_runs_from_the_first_onset_to_the_next_but_at_least_the_minimum():
    sound = np.concatenate([np.zeros(SR // 5, np.float32), _bursts([0.0, 0.6], 1.5)])  # onsets at 0.2, 0.8 s
    hit, lead = one_hit(sound, SR)
    assert abs(lead - PRE_ROLL * SR) <= 0.035 * SR  # the attack stays in (the detector's frame is 23 ms)
    assert MIN_HIT * SR <= len(hit) <= 0.62 * SR  # cut before the second burst
    assert abs(hit[-1]) < 1e-6  # faded out
    close = _bursts([0.0, 0.15], 1.0)  # a second onset sooner than the minimum: the hit still runs MIN_HIT
    assert len(one_hit(close, SR)[0]) >= MIN_HIT * SR
    assert one_hit(np.zeros(SR, np.float32), SR)[0].size == 0  # nothing to place


def test_copies_land_on_the_onsets_at_their_levels_and_do_not_pile_up():
    hit = np.ones(SR // 2, np.float32)
    wave = place_hits(hit, 100, np.array([0.5, 0.7, 1.5]), np.array([1.0, 0.5, 0.25]), 2 * SR, SR)
    starts = [int(t * SR) - 100 for t in (0.5, 0.7, 1.5)]
    assert wave[: starts[0]].max() == 0 and wave[starts[0] + 10] == 1.0
    assert wave[starts[1] + 10] == 0.5  # the first copy stops where the second begins: no sum
    assert wave[starts[1] - 1] < 0.1  # faded there
    assert wave[starts[2] + 10] == 0.25 and wave[starts[2] + len(hit) + 10] == 0.0
    assert place_hits(hit, 0, np.array([1.9]), np.array([1.0]), 2 * SR, SR).shape == (2 * SR,)  # cut at the end


def test_the_placed_sound_has_the_timing_tracks_onsets_and_peak():
    events = [0.4, 1.1, 1.6, 2.5]
    timing = _bursts(events, 3.0, gain=[0.8, 0.4, 0.8, 0.6], seed=1)
    sound = np.sin(2 * np.pi * 440 * np.arange(SR) / SR).astype(np.float32) * np.exp(-np.arange(SR) / 3000.0)
    wave, onsets = placed_sound(timing, sound.astype(np.float32), SR)
    assert wave.shape == timing.shape and np.abs(wave).max() == pytest.approx(np.abs(timing).max(), rel=1e-5)
    assert len(onsets) == len(events)
    found = onset_times(wave, SR)
    assert len(found) == len(events) and np.abs(found - onset_times(timing, SR)).max() <= 0.03
    silent, none = placed_sound(np.zeros(3 * SR, np.float32), sound, SR)
    assert not silent.any() and len(none) == 0


def test_the_pipeline_places_the_sound_models_one_shot(t2a, v2a, video_maker, tmp_path):
    from genav.pipelines import PlacedFoleyPipeline

    clip = video_maker(tmp_path / "c.mp4", 2.0)
    pipe = PlacedFoleyPipeline(v2a, t2a)
    out = pipe(clip, prompt="a door slams", num_steps=2, seed=3, num_outputs=2)
    timing = v2a(clip, num_steps=2, seed=3, num_outputs=2)
    assert out.audio.shape == timing.audio.shape[:1] + (1,) + timing.audio.shape[2:] and out.seeds == [3, 4]
    placement = out.metadata["placement"]
    assert placement["sound_model"] == t2a.model_name and len(placement["onsets"]) == 2
    assert out.metadata["settings"]["prompt"] == "a door slams"
    for k in range(2):
        expected, _ = placed_sound(timing.audio[k].mean(axis=0), t2a("a door slams", duration=2.0, num_steps=2,
                                                                     seed=3 + k).audio[0, 0], pipe.sample_rate)  # fmt: skip
        np.testing.assert_allclose(out.audio[k, 0], expected, atol=1e-6)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"prompt": None}, "placement needs a prompt"),
        ({"prompt": ["a", "b"]}, "one prompt"),
        ({"prompt": "a", "negative_prompt": ["x", "y"]}, "one negative prompt"),
        ({"prompt": "a", "text_guidance_scale": float("nan")}, "text_guidance_scale must be a finite number"),
        ({"prompt": "a", "num_outputs": 0}, "num_outputs"),
    ],
)
def test_bad_calls_are_refused_before_sampling(t2a, v2a, kwargs, message):
    from genav.pipelines import PlacedFoleyPipeline

    with pytest.raises(InputError, match=message):
        PlacedFoleyPipeline(v2a, t2a)(np.zeros((10, 16, 16, 3), np.uint8), fps=8.0, num_steps=1, **kwargs)
