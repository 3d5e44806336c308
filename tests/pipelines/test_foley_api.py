"""The Python API of the audio MM-DiT pipelines on ``debug-foley``."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from genav.media import probe, read_audio

STEPS = 3


def test_debug_model_is_identical_on_every_build():
    from genav.pipelines.debug import build_debug_foley

    a, b = build_debug_foley(), build_debug_foley()
    assert a.checksum == b.checksum
    for (ka, va), (kb, vb) in zip(a.model.state_dict().items(), b.model.state_dict().items(), strict=True):
        assert ka == kb and np.array_equal(va.numpy(), vb.numpy())


def test_debug_foley_is_registered():
    import genav.pipelines  # noqa: F401
    from genav.registry import list_models

    assert "debug-foley" in [e.name for e in list_models("foley")]


def test_t2a_length_seeds_and_metadata(t2a):
    out = t2a("a dog barks", duration=1.5, num_steps=STEPS, seed=7)
    assert out.audio.shape == (1, 1, round(1.5 * t2a.sample_rate))
    assert out.audio.dtype == np.float32 and np.isfinite(out.audio).all()
    assert out.duration == pytest.approx(1.5)
    assert out.seeds == [7]
    meta = out.metadata
    assert meta["model"] == "debug-foley" and meta["model_checksum"] == t2a.checksum
    assert meta["settings"]["num_steps"] == STEPS and meta["settings"]["guidance_scale"] == 4.5
    assert set(meta["timings"]) >= {"load", "encode_conditions", "sampling", "decode"}
    assert meta["genav_version"]
    json.dumps(meta)  # sidecar-ready


def test_same_seed_same_audio_different_seed_different(t2a):
    a = t2a("rain on a roof", duration=1.0, num_steps=STEPS, seed=3)
    b = t2a("rain on a roof", duration=1.0, num_steps=STEPS, seed=3)
    c = t2a("rain on a roof", duration=1.0, num_steps=STEPS, seed=4)
    assert np.array_equal(a.audio, b.audio)
    assert not np.allclose(a.audio, c.audio)


def test_num_outputs_and_seed_of_each_output(t2a):
    many = t2a("a bell", duration=1.0, num_steps=STEPS, seed=10, num_outputs=3)
    assert many.audio.shape[0] == 3 and many.seeds == [10, 11, 12]
    one = t2a("a bell", duration=1.0, num_steps=STEPS, seed=11)
    np.testing.assert_allclose(many.audio[1], one.audio[0], atol=1e-5)
    assert not np.allclose(many.audio[0], many.audio[1])


def test_prompt_list_is_prompt_major(t2a):
    out = t2a(["a bell", "a drum"], duration=0.5, num_steps=STEPS, seed=0, num_outputs=2)
    assert out.audio.shape[0] == 4 and out.seeds == [0, 1, 2, 3]
    drum = t2a("a drum", duration=0.5, num_steps=STEPS, seed=2)
    np.testing.assert_allclose(out.audio[2], drum.audio[0], atol=1e-5)


def test_generator_gives_reproducible_recorded_seeds(t2a):
    import torch

    a = t2a("wind", duration=0.5, num_steps=STEPS, generator=torch.Generator().manual_seed(5))
    again = t2a("wind", duration=0.5, num_steps=STEPS, seed=a.seeds[0])
    assert np.array_equal(a.audio, again.audio)


def test_negative_prompt_and_prompt_change_the_result(t2a):
    base = t2a("a dog barks", duration=1.0, num_steps=STEPS, seed=1)
    neg = t2a("a dog barks", duration=1.0, num_steps=STEPS, seed=1, negative_prompt="music")
    other = t2a("a car engine", duration=1.0, num_steps=STEPS, seed=1)
    assert not np.allclose(base.audio, neg.audio)
    assert not np.allclose(base.audio, other.audio)


def test_progress_callback(t2a):
    calls = []
    t2a("a bell", duration=0.5, num_steps=4, seed=0, progress=lambda i, n: calls.append((i, n)))
    assert calls == [(1, 4), (2, 4), (3, 4), (4, 4)]


def test_save_writes_atomically_and_refuses_overwrite(t2a, tmp_path):
    from genav.errors import OutputExistsError

    out = t2a("a bell", duration=0.5, num_steps=STEPS, seed=0, num_outputs=2)
    path = out.save(tmp_path / "bell.wav", index=1)
    back = read_audio(path)
    assert back.sample_rate == out.sample_rate and back.n_samples == out.num_samples
    with pytest.raises(OutputExistsError):
        out.save(path)
    out.save(path, overwrite=True)
    assert out.to_audio(1).samples.shape == (1, out.num_samples)


def test_save_pretrained_round_trip_is_identical(t2a, tmp_path):
    from genav.pipelines import TextToAudioPipeline, VideoToAudioPipeline

    folder = t2a.save_pretrained(tmp_path / "my-foley")
    assert {"config.json", "model.safetensors", "MODEL_CARD.md"} <= {p.name for p in folder.iterdir()}
    loaded = TextToAudioPipeline.from_pretrained(folder, device="cpu")
    assert loaded.model_name == "my-foley" and loaded.checksum != t2a.checksum  # file checksum
    a = t2a("a door slams", duration=1.0, num_steps=STEPS, seed=2, negative_prompt="rain")
    b = loaded("a door slams", duration=1.0, num_steps=STEPS, seed=2, negative_prompt="rain")
    assert np.array_equal(a.audio, b.audio)
    v2a = VideoToAudioPipeline.from_pretrained(folder, device="cpu")
    assert v2a.config == t2a.config


def test_embedded_checkpoint_loads_by_name(t2a, tmp_path, monkeypatch):
    from genav import registry
    from genav.pipelines import TextToAudioPipeline

    monkeypatch.setattr(registry, "_REGISTRY", dict(registry._REGISTRY))
    monkeypatch.setattr(registry, "CHECKPOINTS_DIR", tmp_path)
    t2a.save_pretrained(tmp_path / "genav-foley-test")
    pipe = TextToAudioPipeline.from_pretrained("genav-foley-test", device="cpu")
    assert pipe.model_name == "genav-foley-test"
    a = t2a("steps", duration=0.5, num_steps=STEPS, seed=0)
    b = pipe("steps", duration=0.5, num_steps=STEPS, seed=0)
    assert np.array_equal(a.audio, b.audio)


def test_v2a_file_gets_the_video_length(v2a, small_video):
    info = probe(small_video)
    out = v2a(small_video, num_steps=STEPS, seed=0)
    assert out.audio.shape == (1, 1, round(info.video_duration * v2a.sample_rate))
    assert np.isfinite(out.audio).all() and np.abs(out.audio).max() > 0
    assert out.metadata["task"] == "v2a" and len(out.metadata["settings"]["windows"]) == 1


def test_v2a_prompt_video_and_scales_matter(v2a, small_video):
    from genav.media import read_frames

    base = v2a(small_video, num_steps=STEPS, seed=0, duration=2.0)
    steered = v2a(small_video, num_steps=STEPS, seed=0, duration=2.0, prompt="glass breaking")
    split = v2a(
        small_video,
        num_steps=STEPS,
        seed=0,
        duration=2.0,
        prompt="glass breaking",
        text_guidance_scale=2.0,
        video_guidance_scale=6.0,
    )
    assert base.audio.shape[-1] == 2 * v2a.sample_rate
    assert not np.allclose(base.audio, steered.audio)
    assert not np.allclose(steered.audio, split.audio)
    # the same clip as an array at its own frame rate gives the same soundtrack length
    frames = read_frames(small_video)
    arr = v2a(frames, fps=probe(small_video).fps, num_steps=STEPS, seed=0, duration=2.0, num_outputs=2)
    assert arr.audio.shape == (2, 1, 2 * v2a.sample_rate) and arr.seeds == [0, 1]
    dark = v2a(np.zeros_like(frames), fps=probe(small_video).fps, num_steps=STEPS, seed=0, duration=2.0)
    assert not np.allclose(arr.audio[0], dark.audio[0])


def test_a_model_text_guidance_scale_is_the_prompt_default(v2a, small_video, tmp_path):
    import json

    from genav.errors import ConfigError
    from genav.pipelines import VideoToAudioPipeline

    folder = v2a.save_pretrained(tmp_path / "m")
    config = json.loads((folder / "config.json").read_text())
    (folder / "config.json").write_text(json.dumps({**config, "text_guidance_scale": 7.0}))
    pipe = VideoToAudioPipeline.from_pretrained(folder)
    run = {"num_steps": STEPS, "seed": 0, "duration": 1.0, "prompt": "glass breaking"}
    out = pipe(small_video, **run)
    settings = out.metadata["settings"]
    assert settings["text_guidance_scale"] == 7.0 and settings["video_guidance_scale"] == 4.5
    same = v2a(small_video, **run, text_guidance_scale=7.0)  # the same weights told the same scale
    np.testing.assert_allclose(out.audio, same.audio, atol=1e-6)
    told = pipe(small_video, **run, text_guidance_scale=4.5)
    assert told.metadata["settings"]["text_guidance_scale"] == 4.5 and not np.allclose(out.audio, told.audio)
    assert v2a.default_text_guidance_scale(3.0) == 3.0  # no model default: one scale for both
    (folder / "config.json").write_text(json.dumps({**config, "text_guidance_scale": -1.0}))
    with pytest.raises(ConfigError, match="text_guidance_scale must be a finite number >= 0"):
        VideoToAudioPipeline.from_pretrained(folder)


def test_to_dtype_and_back():
    from genav.pipelines import TextToAudioPipeline

    pipe = TextToAudioPipeline.from_pretrained("debug-foley", device="cpu", dtype="float32")
    ref = pipe("a bell", duration=0.5, num_steps=STEPS, seed=0)
    assert pipe.to("cpu", "bfloat16") is pipe and pipe.dtype.is_floating_point
    half = pipe("a bell", duration=0.5, num_steps=STEPS, seed=0)
    assert half.metadata["dtype"] == "bfloat16" and half.audio.dtype == np.float32
    assert half.audio.shape == ref.audio.shape and np.isfinite(half.audio).all()
    assert not np.array_equal(half.audio, ref.audio)  # the model really ran in bfloat16
    assert pipe.to(dtype="float32").model.final.proj.weight.dtype == torch.float32


def test_outputs_that_would_clip_are_scaled_and_the_gain_recorded():
    import numpy as np

    from genav.pipelines.output import limit_peaks

    audio = np.stack([np.full((1, 8), 0.5, np.float32), np.linspace(-4, 2, 8, dtype=np.float32)[None]])
    scaled, gains = limit_peaks(audio)
    assert gains[0] == 1.0 and np.array_equal(scaled[0], audio[0])  # quiet outputs untouched
    assert abs(np.abs(scaled[1]).max() - 0.98) < 1e-6 and abs(gains[1] - 0.98 / 4) < 1e-6


def test_fp16_export_halves_the_weights_and_loads_into_the_same_model(t2a, tmp_path):
    from typer.testing import CliRunner

    from genav.cli.app import app
    from genav.errors import OutputExistsError
    from genav.pipelines import TextToAudioPipeline

    folder = t2a.save_pretrained(tmp_path / "full")
    result = CliRunner().invoke(app, ["models", "export", str(folder), "-o", str(tmp_path / "half")])
    assert result.exit_code == 0, result.output
    half = tmp_path / "half"
    assert {p.name for p in half.iterdir()} == {p.name for p in folder.iterdir()}
    ratio = (half / "model.safetensors").stat().st_size / (folder / "model.safetensors").stat().st_size
    assert 0.45 < ratio < 0.6
    assert (half / "model.safetensors").stat().st_mode & 0o777 == 0o644
    loaded = TextToAudioPipeline.from_pretrained(half, device="cpu", dtype="float32")
    assert next(loaded.model.parameters()).dtype == torch.float32  # computes in its own dtype
    a = t2a("a door slams", duration=1.0, num_steps=STEPS, seed=2).audio
    b = loaded("a door slams", duration=1.0, num_steps=STEPS, seed=2).audio
    assert np.abs(a - b).max() < 0.05 * np.abs(a).max()  # fp16 rounding only
    again = CliRunner().invoke(app, ["models", "export", str(folder), "-o", str(half)])
    assert again.exit_code != 0 and isinstance(again.exception, OutputExistsError)
    assert (half / "model.safetensors").stat().st_size < (folder / "model.safetensors").stat().st_size
