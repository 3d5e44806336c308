"""Bad input gives one clear GenavError line and writes nothing."""

from __future__ import annotations

import json

import numpy as np
import pytest

from genav.errors import CheckpointError, GenavError, InputError, UnknownModelError


def one_line(exc: pytest.ExceptionInfo) -> str:
    text = str(exc.value)
    assert "\n" not in text and text
    return text


@pytest.mark.parametrize("prompt", ["", "   ", [], [""]])
def test_empty_prompt(t2a, prompt):
    with pytest.raises(InputError) as exc:
        t2a(prompt, duration=1.0, num_steps=1)
    assert "prompt" in one_line(exc)


@pytest.mark.parametrize("duration", [0, -1.0, float("nan")])
def test_duration_must_be_positive(t2a, v2a, small_video, duration):
    with pytest.raises(InputError) as exc:
        t2a("a bell", duration=duration, num_steps=1)
    assert "more than 0" in one_line(exc)
    with pytest.raises(InputError):
        v2a(small_video, duration=duration, num_steps=1)


def test_duration_above_maximum_names_it(t2a):
    from genav.pipelines.settings import MAX_LONG_DURATION

    with pytest.raises(InputError) as exc:  # longer than a window is generated in windows, up to a bound
        t2a("a bell", duration=MAX_LONG_DURATION + 0.5, num_steps=1)
    assert f"maximum of {MAX_LONG_DURATION:g} s" in one_line(exc)


def test_v2a_duration_longer_than_video(v2a, small_video):
    with pytest.raises(InputError) as exc:
        v2a(small_video, duration=30.0, num_steps=1)
    assert "longer than the video" in one_line(exc)


def test_unknown_model_lists_close_names():
    from genav.pipelines import TextToAudioPipeline, VideoToAudioPipeline

    for cls in (TextToAudioPipeline, VideoToAudioPipeline):
        with pytest.raises(UnknownModelError) as exc:
            cls.from_pretrained("debug-foly")
        assert "debug-foley" in one_line(exc)


def test_config_that_does_not_match_weights_names_keys(t2a, tmp_path):
    from genav.pipelines import TextToAudioPipeline

    folder = t2a.save_pretrained(tmp_path / "bad")
    config = json.loads((folder / "config.json").read_text())
    config["depth_audio"] = 2
    (folder / "config.json").write_text(json.dumps(config))
    with pytest.raises(CheckpointError) as exc:
        TextToAudioPipeline.from_pretrained(folder)
    assert "audio_blocks.1." in one_line(exc) and "missing keys" in str(exc.value)


def test_audio_file_given_as_video(v2a, tmp_path):
    from genav.media import Audio, write_audio

    wav = write_audio(tmp_path / "sound.wav", Audio(np.zeros((1, 8000), np.float32), 16000))
    with pytest.raises(InputError) as exc:
        v2a(wav, num_steps=1)
    assert "audio file, not a video" in one_line(exc)


@pytest.mark.parametrize("suffix", [".png", ".jpg"])
def test_still_image_given_as_video(v2a, tmp_path, suffix):
    import imageio.v3 as iio

    image = tmp_path / f"photo{suffix}"
    iio.imwrite(image, np.full((32, 32, 3), 128, np.uint8))
    with pytest.raises(InputError) as exc:
        v2a(image, num_steps=1)
    assert "is a still image" in one_line(exc) and "ffmpeg -loop 1" in one_line(exc)


def test_video_with_no_frames(v2a, tmp_path):
    with pytest.raises(InputError) as exc:
        v2a(np.zeros((0, 16, 16, 3), np.uint8), fps=8.0, num_steps=1)
    assert "no frames" in one_line(exc)
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    with pytest.raises(GenavError):
        v2a(empty, num_steps=1)


def test_array_video_needs_fps(v2a):
    with pytest.raises(InputError) as exc:
        v2a(np.zeros((8, 16, 16, 3), np.uint8), num_steps=1)
    assert "fps" in one_line(exc)


def test_bad_settings(t2a):
    with pytest.raises(InputError):
        t2a("a bell", duration=0.5, num_steps=0)
    with pytest.raises(InputError):
        t2a("a bell", duration=0.5, num_steps=1, method="rk4")
    with pytest.raises(InputError):
        t2a("a bell", duration=0.5, num_steps=1, num_outputs=0)


API_CASES = [
    (dict(prompt=123), "a prompt must be a string or a list of strings, got int"),
    (dict(prompt=["a dog", 5]), "each prompt must be a string, got int"),
    (dict(num_steps=2.5), "num_steps must be a whole number"),
    (dict(num_steps=10**6), "at most 1000"),  # would run for hours
    (dict(seed=2**70), "seed must be a whole number from 0"),
    (dict(seed="a"), "seed must be a whole number from 0"),
    (dict(guidance_scale=float("nan")), "guidance_scale must be a finite number >= 0"),  # NaN audio before
    (dict(guidance_scale=float("inf")), "guidance_scale must be a finite number >= 0"),
    (dict(guidance_scale=-1.0), "guidance_scale must be a finite number >= 0"),
    (dict(generator=5, seed=None), "generator must be a torch.Generator"),
    (dict(num_outputs=2.5), "num_outputs must be a whole number from 1 to 1000"),
    (dict(num_outputs=0), "num_outputs must be a whole number from 1 to 1000"),
]


@pytest.mark.parametrize(("override", "message"), API_CASES)
def test_api_settings_are_checked_before_sampling(t2a, v2a, override, message):
    call = {"prompt": "a dog barks", "duration": 1.0, "num_steps": 2, "seed": 0, **override}
    with pytest.raises(InputError, match=message):
        t2a(**call)
    video = np.zeros((10, 16, 16, 3), np.uint8)
    prompt = call.pop("prompt")
    call.pop("duration")
    with pytest.raises(InputError, match=message):
        v2a(video, fps=8.0, prompt=prompt, **call)


def test_nan_video_guidance_is_refused(v2a):
    with pytest.raises(InputError, match="video_guidance_scale must be a finite number"):
        v2a(np.zeros((10, 16, 16, 3), np.uint8), fps=8.0, num_steps=2, video_guidance_scale=float("nan"))


@pytest.mark.parametrize("fps", [0.0, -1.0, float("nan"), float("inf"), 1e6])
def test_video_array_frame_rate_is_checked(v2a, fps):
    with pytest.raises(InputError, match="frame rate of a video array must be > 0 and at most 1000"):
        v2a(np.zeros((20, 16, 16, 3), np.uint8), fps=fps, num_steps=2)


def test_output_index_and_sync_phases_are_checked(t2a, v2a, tmp_path):
    out = t2a("a dog barks", duration=0.5, num_steps=1, seed=0)
    for index in (1.5, True, 1, -2):
        with pytest.raises(InputError, match="output index .* out of range"):
            out.save(tmp_path / "x.wav", index=index)
    assert not (tmp_path / "x.wav").exists()
    with pytest.raises(InputError, match="sync_phases must be an integer from 1 to 32"):
        v2a(np.zeros((10, 16, 16, 3), np.uint8), fps=8.0, num_steps=1, sync_phases=10**6)


@pytest.mark.parametrize(
    ("video", "message"),
    [
        (np.full((10, 16, 16, 3), 200.0, np.float32), r"float video frames must be in \[0, 1\], got values from 200"),
        (np.full((10, 16, 16, 3), -0.5, np.float32), r"\[-1, 1\]: pass \(frames \+ 1\) / 2"),
        (np.full((10, 16, 16, 3), np.nan, np.float32), "float video frames must be in"),
        (np.zeros((10, 16, 16, 3), np.int16), "uint8 or float in"),
    ],
)
def test_video_array_values_are_checked(v2a, video, message):
    with pytest.raises(InputError, match=message):
        v2a(video, fps=8.0, num_steps=1)


def test_float_frames_in_range_are_taken(v2a):
    video = np.linspace(0.0, 1.0, 10 * 16 * 16 * 3, dtype=np.float32).reshape(10, 16, 16, 3)
    assert np.isfinite(v2a(video, fps=8.0, num_steps=1, seed=0).audio).all()
