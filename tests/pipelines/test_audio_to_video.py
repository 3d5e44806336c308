"""AudioToVideoPipeline on debug-a2v: shapes, sound kept, guidance branches, long clips, bad input."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from genav.errors import InputError, UnknownModelError

SR = 16000


def hits(seconds: float = 1.0, at: tuple[float, ...] = (0.3,), sr: int = SR) -> np.ndarray:
    wave = np.zeros(int(seconds * sr), np.float32)
    for t in at:
        i = int(t * sr)
        wave[i : i + 300] = np.random.default_rng(0).normal(0, 0.4, 300)[: len(wave) - i]
    return wave


@pytest.fixture(scope="module")
def a2v():
    from genav.pipelines import AudioToVideoPipeline

    return AudioToVideoPipeline.from_pretrained("debug-a2v", device="cpu", dtype="float32")


def test_one_window_keeps_the_sound_and_records_settings(a2v):
    out = a2v(hits(), sample_rate=SR, num_steps=2, seed=3, num_outputs=2)
    assert out.frames.shape == (2, 8, 32, 32, 3) and out.frames.dtype == np.uint8  # 1 s at debug-t2v's 8 fps
    assert out.audio is not None and out.audio.sample_rate == SR and out.audio.n_samples == SR
    meta = out.metadata
    assert meta["task"] == "a2v" and meta["model"] == "debug-a2v" and meta["settings"]["backbone"] == "debug-t2v"
    assert meta["settings"]["audio_seconds"] == 1.0 and out.seeds == [3, 4]
    again = a2v(hits(), sample_rate=SR, num_steps=2, seed=3)
    assert np.abs(again.frames[0].astype(int) - out.frames[0].astype(int)).max() <= 1


def test_the_sound_changes_the_video(a2v):
    a = a2v(hits(at=(0.2,)), sample_rate=SR, num_steps=2, seed=0)
    b = a2v(hits(at=(0.7,)), sample_rate=SR, num_steps=2, seed=0)
    assert not np.array_equal(a.frames, b.frames)


def test_guidance_branches_follow_the_scales(a2v):
    rows = []
    hook = a2v.backbone.model.register_forward_hook(lambda _m, args, _o: rows.append(args[0].shape[0]))
    try:
        a2v(hits(), sample_rate=SR, num_steps=1, seed=0)  # audio only: CFG against the null tokens
        a2v(hits(), sample_rate=SR, prompt="a red ball", num_steps=1, seed=0, text_guidance_scale=5.0)
        a2v(hits(), sample_rate=SR, num_steps=1, seed=0, audio_guidance_scale=1.0)
    finally:
        hook.remove()
    assert rows == [2, 3, 1]


def test_long_sound_in_overlapping_windows_and_duration(a2v):
    out = a2v(hits(2.5, at=(0.3, 1.9)), sample_rate=SR, num_steps=1, seed=0)
    assert out.frames.shape[1] == 20
    calls = []
    hook = a2v.backbone.model.register_forward_hook(lambda _m, args, _o: calls.append(args[0].shape[2]))
    try:
        short = a2v(hits(2.5, at=(0.3, 1.9)), sample_rate=SR, num_steps=1, seed=0, duration=1.0)
        a2v(hits(2.5, at=(0.3, 1.9)), sample_rate=SR, num_steps=2, seed=0)
    finally:
        hook.remove()
    assert short.frames.shape[1] == 8 and short.metadata["duration"] == 1.0
    assert calls == [8] + [8] * 2 * 4  # windows [0,8) [4,12) [8,16) [12,20), 2 steps each


def test_inputs_paths_latents_and_output_types(a2v, tmp_path):
    from genav.media import Audio, probe, write_audio

    path = write_audio(tmp_path / "hit.wav", Audio(np.stack([hits(sr=22050)] * 2), 22050))
    from_file = a2v(path, num_steps=1, seed=0)
    from_array = a2v(np.stack([hits(sr=22050)] * 2), sample_rate=22050, num_steps=1, seed=0)
    assert np.abs(from_file.frames.astype(int) - from_array.frames.astype(int)).max() <= 1
    lat = torch.zeros(1, 3, 8, 32, 32)
    pt = a2v(hits(), sample_rate=SR, num_steps=1, latents=lat, output_type="pt", audio_guidance_scale=1.0)
    assert isinstance(pt.frames, torch.Tensor)
    out = from_file.save(tmp_path / "out.mp4")
    info = probe(out)
    assert info.n_frames == 8 and info.has_audio


@pytest.mark.parametrize("audio,kwargs,message", [
    (np.zeros(0, np.float32), {}, "empty"),
    (np.zeros(SR, np.float32), {}, "silent"),
    (hits()[:1000] + 0.3, {}, "shorter than one frame"),
    (hits(), {"sample_rate": None}, "sample_rate"),
    (np.full(SR, np.nan, np.float32), {}, "non-finite"),
    (hits(), {"duration": 0.0}, "duration"),
    (hits(), {"output_type": "gif"}, "output_type"),
    (hits(), {"duration": 5.0}, "longer than the sound"),
    (hits(), {"audio_guidance_scale": float("nan")}, "audio_guidance_scale must be a finite number"),
    (hits(), {"text_guidance_scale": -1.0}, "text_guidance_scale must be a finite number >= 0"),
    (hits(), {"num_steps": 10**6}, "at most 1000"),
])
def test_bad_input_is_one_clear_error(a2v, audio, kwargs, message):
    with pytest.raises(InputError, match=message) as exc:
        a2v(audio, **{"sample_rate": SR, "num_steps": 1, **kwargs})
    assert "\n" not in str(exc.value)


def test_too_long_names_the_limit_and_silence_can_be_allowed(a2v):
    with pytest.raises(InputError, match="maximum of 60 s"):
        a2v(np.ones(61 * 100, np.float32) * 0.1, sample_rate=100, num_steps=1)
    quiet = a2v(np.zeros(SR, np.float32), sample_rate=SR, num_steps=1, seed=0, allow_silent=True)
    assert quiet.frames.shape == (1, 8, 32, 32, 3) and quiet.metadata["settings"]["audio_peak_dbfs"] == float("-inf")


def test_wrong_model_kinds():
    from genav.pipelines import AudioToVideoPipeline

    with pytest.raises(UnknownModelError, match="t2v model, not an audio-to-video adaptor"):
        AudioToVideoPipeline.from_pretrained("debug-t2v")
    with pytest.raises(UnknownModelError, match="not a text-to-video model"):
        AudioToVideoPipeline.from_pretrained("debug-a2v", backbone="debug-foley")
