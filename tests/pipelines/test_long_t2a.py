"""Text-to-audio past one window: overlapping windows, each continuing the one before."""

from __future__ import annotations

import numpy as np
import pytest

from genav.errors import ConfigError, InputError
from genav.pipelines.settings import MAX_LONG_DURATION
from genav.pipelines.windows import held_context


def test_windows_continue_and_start_like_one_window(t2a):
    out = t2a("rain on a roof", duration=5.0, num_steps=2, seed=0, window=2.0, overlap=0.5)
    assert out.audio.shape[-1] == 5 * t2a.sample_rate and np.isfinite(out.audio).all()
    wins = out.metadata["settings"]["windows"]
    assert len(wins) == 3 and wins[0][0] == 0 and wins[-1][1] >= 5.0
    assert all(b[0] < a[1] for a, b in zip(wins, wins[1:], strict=False))  # consecutive windows overlap
    first = t2a("rain on a roof", duration=wins[0][1], num_steps=2, seed=0)
    # the second window holds the first half of the shared span to the first window's latents and
    # fades in over the rest: up to there the long sound is the first window's
    shared = round((wins[0][1] - wins[1][0]) * t2a.frame_rate)
    until = int(round(wins[1][0] * t2a.sample_rate)) + held_context(shared) * t2a.codec.hop_length
    np.testing.assert_allclose(first.audio[..., :until], out.audio[..., :until], atol=1e-6)
    fade = slice(until, int(round(wins[0][1] * t2a.sample_rate)))
    assert not np.allclose(first.audio[..., fade], out.audio[..., fade], atol=1e-4)  # the new window fades in
    assert np.abs(out.audio[..., until:]).max() > 0  # the later windows are generated, not silence


def test_longer_than_the_model_window_by_default(t2a):
    out = t2a("a bell", duration=t2a.max_duration + 2.0, num_steps=1, seed=1)
    assert out.audio.shape[-1] == round((t2a.max_duration + 2.0) * t2a.sample_rate)
    assert len(out.metadata["settings"]["windows"]) == 2
    assert out.metadata["settings"]["window"] == t2a.max_duration


def test_one_window_unchanged_by_the_window_setting(t2a):
    a = t2a(["a bell", "rain"], duration=1.5, num_steps=2, seed=3, num_outputs=2)
    b = t2a(["a bell", "rain"], duration=1.5, num_steps=2, seed=3, num_outputs=2, window=2.0)
    np.testing.assert_array_equal(a.audio, b.audio)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"window": 0.0}, "window must be in"),
        ({"window": 100.0}, "the model's maximum"),
        ({"duration": MAX_LONG_DURATION + 1}, f"maximum of {MAX_LONG_DURATION:g} s"),
        ({"duration": 3.0, "window": 1.0, "overlap": 1.0}, "overlap"),
        ({"duration": 3.0, "window": 1.0, "overlap": 0.9}, r"overlap must be in \(0, 0.5\]"),
        ({"duration": 3.0, "window": 1.0, "overlap": 0.0}, "overlap must be in"),
        ({"duration": 3.0, "window": 1.0, "overlap": -1.0}, "overlap must be in"),
        ({"overlap": float("nan")}, "overlap must be in"),
    ],
)
def test_bad_windows_are_named(t2a, kwargs, message):
    with pytest.raises(InputError, match=message):
        t2a("a bell", num_steps=1, **{"duration": 2.0, **kwargs})


def test_a_model_generation_window_is_the_default(t2a, tmp_path):
    import json

    from genav.pipelines import TextToAudioPipeline

    folder = t2a.save_pretrained(tmp_path / "m")
    config = json.loads((folder / "config.json").read_text())
    (folder / "config.json").write_text(json.dumps({**config, "generation_window": 1.0}))
    pipe = TextToAudioPipeline.from_pretrained(folder)
    assert pipe.default_window == 1.0 and t2a.default_window == t2a.max_duration
    out = pipe("rain", duration=2.5, num_steps=1, seed=0)
    assert out.metadata["settings"]["window"] == 1.0 and len(out.metadata["settings"]["windows"]) == 4
    told = pipe("rain", duration=2.5, num_steps=1, seed=0, window=t2a.max_duration)
    assert len(told.metadata["settings"]["windows"]) == 1
    (folder / "config.json").write_text(json.dumps({**config, "generation_window": t2a.max_duration + 1}))
    with pytest.raises(ConfigError, match="generation_window"):
        TextToAudioPipeline.from_pretrained(folder)


def test_held_context_is_the_first_half_of_the_shared_span():
    assert [held_context(n) for n in (1, 2, 3, 62, 63)] == [1, 1, 2, 31, 32]
