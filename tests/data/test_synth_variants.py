"""Synthetic-world variants: silent picture changes, silent clips, textured walls, mixed frame rates."""

from __future__ import annotations

import numpy as np

from genav.data.synth import SynthSettings, generate_clip
from genav.data.synth.camera import plan_camera
from genav.data.synth.generate import _SALT
from genav.data.synth.world import World

BASE = SynthSettings(duration=3.0, fps=12, p_texture=0.0)
EFFECTS = {"p_cut": 1.0, "p_pan": 1.0, "p_flicker": 1.0, "p_noise": 1.0, "p_textured": 1.0}


def test_picture_changes_leave_the_sound_and_the_sound_events_alone():
    plain = generate_clip(4, BASE)
    changed = generate_clip(4, BASE.replace(**EFFECTS))
    np.testing.assert_array_equal(plain.audio, changed.audio)
    assert plain.caption == changed.caption
    assert [e for e in changed.events if e.audible] == [e for e in plain.events if e.audible]
    silent = [e for e in changed.events if e.object == "camera"]
    assert {e.type for e in silent} >= {"cut"} and all(e.on_screen and not e.audible for e in silent)
    assert np.abs(plain.frames.astype(int) - changed.frames.astype(int)).mean() > 5


def test_a_cut_changes_the_whole_picture_at_once():
    clip = generate_clip(2, BASE.replace(p_cut=1.0))
    cut = next(e.frame for e in clip.events if e.type == "cut")
    diffs = np.abs(np.diff(clip.frames.astype(np.float32), axis=0)).mean(axis=(1, 2, 3))
    assert int(np.argmax(diffs)) + 1 in {e.frame for e in clip.events if e.type == "cut"}
    assert diffs[cut - 1] > 5 * np.median(diffs)


def test_pans_move_the_view_by_at_most_a_quarter():
    world = World(BASE.replace(p_pan=1.0))
    for seed in range(20):
        shift = plan_camera(world, seed, 1).shift
        assert (
            np.abs(shift[:, 0]).max() <= 0.25 * world.width + 1e-6
            or np.abs(shift[:, 0]).max() < 6 * world.scale
        )


def test_silent_clips_have_no_sound_and_say_so():
    clip = generate_clip(7, BASE.replace(p_silent=1.0, **EFFECTS))
    assert not np.any(clip.audio)
    assert not any(e.audible for e in clip.events)
    assert clip.caption.rstrip(".").lower() in {
        "silence",
        "a silent scene, no sound",
        "nothing makes a sound",
    }


def test_frame_rates_are_drawn_per_clip():
    st = BASE.replace(fps_choices=(8, 15, 24, 30))
    rates = set()
    for seed in range(8):
        clip = generate_clip(seed, st)
        assert clip.fps in st.fps_choices and len(clip.frames) == round(st.duration * clip.fps)
        assert all(abs(e.time - e.frame / clip.fps) < 1e-9 for e in clip.events)
        rates.add(clip.fps)
    assert len(rates) >= 3


def test_dubbed_clips_keep_picture_and_timing_but_sound_and_say_another_kind():
    from genav.data.synth.writer import manifest_row
    from genav.eval.detectors.onsets import detect_audio_peaks
    from genav.eval.metrics.event_f1 import event_f1, pooled_f1

    alike = ({"impact", "bounce"}, {"slide", "roll"})
    scores, plain_scores, kinds = [], [], set()
    for seed in range(10):
        plain = generate_clip(seed, BASE.replace(sample_rate=22050))
        dubbed = generate_clip(seed, BASE.replace(sample_rate=22050, p_dub=1.0))
        np.testing.assert_array_equal(plain.frames, dubbed.frames)
        assert dubbed.events == plain.events and not plain.voices
        seen = {e.source: e.type for e in plain.events if e.audible}
        assert set(dubbed.voices) == set(seen)
        for source, heard in dubbed.voices.items():
            assert heard != seen[source] and not any({heard, seen[source]} <= pair for pair in alike)
        kinds |= set(dubbed.voices.values())
        assert dubbed.caption != plain.caption and not np.allclose(dubbed.audio, plain.audio)
        truth = dubbed.event_times(audible=True)
        scores.append(event_f1(detect_audio_peaks(dubbed.audio, dubbed.sample_rate), truth))
        plain_scores.append(event_f1(detect_audio_peaks(plain.audio, plain.sample_rate), truth))
        row = manifest_row(dubbed, "train", silent=False)
        assert row["label"] in dubbed.voices.values() and row["voices"]
        assert "voices" not in manifest_row(plain, "train", silent=False)
    # the voices sound on the source's events about as the source itself did
    assert pooled_f1(scores)["f1"] >= 0.9 and pooled_f1(plain_scores)["f1"] >= 0.9
    assert len(kinds) >= 4


def test_a_brightness_swing_clips_the_picture_and_is_a_silent_flicker():
    swung = BASE.replace(p_flicker=1.0, flicker_brightness=0.4)
    plain_flicker = BASE.replace(p_flicker=1.0)
    clipped, seen = 0.0, 0
    for seed in range(8):
        clip = generate_clip(seed, swung)
        plain = generate_clip(seed, BASE)
        np.testing.assert_array_equal(clip.audio, plain.audio)
        world = World(swung)
        offset = plan_camera(world, seed, _SALT).offset
        if offset is None:  # half of the flickering clips swing
            np.testing.assert_array_equal(clip.frames, generate_clip(seed, plain_flicker).frames)
            continue
        seen += 1
        assert np.abs(offset).max() > 0.1 * 255 and any(e.type == "flicker" and not e.audible for e in clip.events)
        clipped = max(clipped, float(((clip.frames == 0) | (clip.frames == 255)).mean()))
    assert seen >= 2 and clipped > 0.01
