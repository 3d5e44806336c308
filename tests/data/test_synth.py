"""The synthetic world: determinism, settings, events, captions, every event type."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from genav.data.synth import EVENT_TYPES, TEXTURES, SynthSettings, generate_clip
from genav.data.synth.captions import TEMPLATES
from genav.errors import ConfigError, InputError


def test_same_seed_same_clip_and_other_seed_differs():
    settings = SynthSettings(p_texture=1.0, difficulty=0.5)
    a, b = generate_clip(11, settings), generate_clip(11, settings)
    assert np.array_equal(a.frames, b.frames) and np.array_equal(a.audio, b.audio)
    assert a.caption == b.caption and a.events == b.events
    c = generate_clip(12, settings)
    assert not np.array_equal(a.audio, c.audio)


def test_shapes_types_and_ranges():
    st = SynthSettings(duration=3.0, fps=12, width=96, height=64, sample_rate=22050)
    clip = generate_clip(3, st)
    assert clip.frames.shape == (36, 64, 96, 3) and clip.frames.dtype == np.uint8
    assert clip.audio.shape == (3 * 22050,) and clip.audio.dtype == np.float32
    assert np.isfinite(clip.audio).all() and np.abs(clip.audio).max() <= 0.95 + 1e-6
    assert clip.sample_rate == 22050 and clip.fps == 12 and clip.duration == pytest.approx(3.0)


@pytest.mark.parametrize("seed", range(8))
def test_events_are_on_frames_sorted_and_apart(seed):
    st = SynthSettings()
    clip = generate_clip(seed, st)
    lo, hi = st.n_events
    visible = [e for e in clip.events if e.on_screen]
    assert 1 <= len(visible) <= hi
    frames = [e.frame for e in clip.events]
    assert frames == sorted(frames)
    assert all(abs(e.time - e.frame / st.fps) < 1e-9 for e in clip.events)
    assert all(0 < e.frame < st.n_frames - 1 for e in clip.events)
    gaps = np.diff(frames)
    assert (gaps >= 4).all(), f"events closer than the minimum gap: {frames}"
    assert all(0.0 <= e.strength <= 1.0 for e in clip.events)
    assert all(e.on_screen and e.audible for e in clip.events)  # difficulty 0: every sound is seen


@pytest.mark.parametrize("kind", EVENT_TYPES)
def test_every_event_type_alone(kind):
    st = SynthSettings(event_types=(kind,), max_sources=1, p_texture=0.0)
    for seed in range(3):
        clip = generate_clip(seed, st)
        assert clip.events and {e.type for e in clip.events} == {kind}
        assert clip.caption.endswith(".") and len(clip.caption) > 10
        # the source moves at its events: the frames around each event differ
        k = clip.events[0].frame
        assert not np.array_equal(clip.frames[k - 1], clip.frames[k])
        assert np.abs(clip.audio[int(clip.events[0].time * clip.sample_rate) :]).max() > 0.05


def test_motion_is_still_between_events_and_silence_before_the_first():
    st = SynthSettings(event_types=("impact",), max_sources=1, p_texture=0.0, n_events=(1, 1))
    clip = generate_clip(5, st)
    (event,) = clip.events
    assert np.array_equal(clip.frames[0], clip.frames[1])  # held still before the drop
    assert np.array_equal(clip.frames[-1], clip.frames[event.frame + 1])  # at rest after landing
    onset = int(round(event.time * clip.sample_rate))
    assert np.abs(clip.audio[:onset]).max() == 0.0
    assert np.abs(clip.audio[onset : onset + 200]).max() > 0.05


def test_loudness_follows_speed():
    """Across drops of one object kind, louder impacts come with faster motion."""
    st = SynthSettings(event_types=("impact",), max_sources=1, p_texture=0.0, n_events=(1, 1))
    strengths, peaks = [], []
    for seed in range(12):
        clip = generate_clip(seed, st)
        (event,) = clip.events
        onset = int(round(event.time * clip.sample_rate))
        strengths.append(event.strength)
        peaks.append(np.abs(clip.audio[onset : onset + 4000]).max())
    assert np.corrcoef(strengths, peaks)[0, 1] > 0.5


def test_difficulty_adds_silent_motion_and_offscreen_sound():
    st = SynthSettings(difficulty=1.0)
    silent = offscreen = 0
    for seed in range(6):
        clip = generate_clip(seed, st)
        silent += any(e.on_screen and not e.audible for e in clip.events)
        offscreen += any(e.audible and not e.on_screen for e in clip.events)
        for e in clip.events:
            if not e.on_screen:
                assert (
                    "off-screen" in clip.caption or "out of view" in clip.caption or "unseen" in clip.caption
                )
    assert silent >= 4 and offscreen >= 4


def test_offscreen_texture_is_named_in_the_caption_only():
    st = SynthSettings(p_texture=1.0, p_offscreen=1.0)
    clip = generate_clip(2, st)
    (texture,) = clip.textures
    assert texture["type"] in TEXTURES and texture["on_screen"] is False
    words = {"rain": "rain", "wind": "wind", "crowd": ("crowd", "people")}[texture["type"]]
    assert any(w in clip.caption.lower() for w in ((words,) if isinstance(words, str) else words))
    drawn = generate_clip(2, st.replace(p_offscreen=0.0))
    assert drawn.textures[0]["on_screen"] is True


def test_three_phrasings_per_type():
    for key in (*EVENT_TYPES, *(f"tex:{t}" for t in TEXTURES), *(f"offtex:{t}" for t in TEXTURES)):
        assert len(set(TEMPLATES[key])) >= 3, key
    captions = {
        generate_clip(s, SynthSettings(event_types=("door",), max_sources=1, p_texture=0.0)).caption
        for s in range(12)
    }
    assert len(captions) >= 3


@pytest.mark.parametrize(
    "changes",
    [
        {"fps": 31},
        {"fps": 7},
        {"fps_choices": (7, 12)},
        {"p_cut": 1.5},
        {"p_silent": -0.1},
        {"width": 63},
        {"sample_rate": 4000},
        {"n_events": (3, 2)},
        {"difficulty": 1.5},
        {"event_types": ("laser",)},
        {"textures": ("snow",)},
        {"duration": 0.5},
    ],
)
def test_bad_settings_are_config_errors(changes):
    with pytest.raises(ConfigError):
        SynthSettings(**changes)


def test_settings_round_trip_and_bad_seed():
    st = SynthSettings(fps=12, n_events=(1, 3), event_types=("drum", "door"))
    assert SynthSettings.from_dict(st.to_dict()) == st
    with pytest.raises(InputError):
        generate_clip(-1, st)


def test_importing_the_generator_does_not_import_torch():
    code = "import sys, genav.data.synth; assert 'torch' not in sys.modules"
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0
