from __future__ import annotations

import numpy as np
import pytest

from genav.errors import InputError, MediaError
from genav.media import Audio, probe, read_audio, resample, write_audio
from tests.media.media_helpers import peak_freq, rms, sine

SR = 44100


@pytest.fixture(scope="module")
def stereo() -> Audio:
    """2 s: 440 Hz left, 1 kHz right, and a burst at 0.5 s on both to check alignment."""
    left, right = sine(440, 2.0, SR, 0.4), sine(1000, 2.0, SR, 0.2)
    burst = sine(3000, 0.05, SR, 0.5)
    start = SR // 2
    left[start : start + len(burst)] += burst
    right[start : start + len(burst)] += burst
    return Audio(np.stack([left, right]), SR)


def test_audio_basics():
    audio = Audio(np.zeros(16000, dtype=np.float64), 16000)
    assert audio.samples.shape == (1, 16000) and audio.samples.dtype == np.float32
    assert (audio.channels, audio.n_samples, audio.duration) == (1, 16000, 1.0)
    mixed = Audio(np.stack([np.ones(4), np.zeros(4)]), 8).to_mono()
    assert mixed.samples.shape == (1, 4) and np.allclose(mixed.samples, 0.5)
    with pytest.raises(InputError):
        Audio(np.zeros((1, 2, 3)), 16000)
    assert Audio(np.zeros(8), 16000.0).sample_rate == 16000  # a whole float rate is fine


@pytest.mark.parametrize(
    ("samples", "rate", "message"),
    [
        (np.zeros((16000, 2)), 16000, r"reads as \(samples, channels\).*samples\.T"),  # stereo, transposed
        (np.zeros(8), float("nan"), "whole number of Hz"),
        (np.zeros(8), 44100.5, "whole number of Hz"),
        (np.zeros(8), 0, "whole number of Hz"),
        (np.zeros(8), "16000", "whole number of Hz"),
        (np.zeros(8), True, "whole number of Hz"),
    ],
)
def test_audio_arrays_that_cannot_be_right_are_named(samples, rate, message):
    with pytest.raises(InputError, match=message):
        Audio(samples, rate)


@pytest.mark.parametrize("ext", ["wav", "flac", "ogg", "mp3", "m4a"])
def test_round_trip(tmp_path, stereo, ext):
    path = write_audio(tmp_path / f"x.{ext}", stereo)
    back = read_audio(path)
    assert back.sample_rate == SR and back.channels == 2
    lossless = ext in ("wav", "flac")
    # lossy codecs: encoder delay and padding are trimmed by the decoder (mp3 LAME tag, mp4 edit list)
    assert abs(back.n_samples - stereo.n_samples) <= (0 if lossless else 1024)
    n = min(back.n_samples, stereo.n_samples)
    if lossless:
        np.testing.assert_allclose(back.samples[:, :n], stereo.samples[:, :n], atol=1 / 2**15 + 1e-6)
    for ch, freq in ((0, 440), (1, 1000)):
        steady = back.samples[ch, SR : 2 * SR - 2048]
        assert abs(peak_freq(steady, SR) - freq) < 2
        ref = stereo.samples[ch, SR : 2 * SR - 2048]
        assert abs(20 * np.log10(rms(steady) / rms(ref))) < 0.5
    onset = int(np.argmax(np.abs(back.samples[1]) > 0.45))  # the burst, above the 0.2 sine
    assert abs(onset - SR // 2) <= 32, f"{ext} shifted by {onset - SR // 2} samples"


def test_read_window_mono_and_rate(tmp_path, stereo):
    path = write_audio(tmp_path / "x.wav", stereo, subtype="FLOAT")
    part = read_audio(path, start=0.5, duration=1.0)
    np.testing.assert_array_equal(part.samples, stereo.samples[:, SR // 2 : SR // 2 + SR])
    mono = read_audio(path, mono=True)
    np.testing.assert_allclose(mono.samples[0], stereo.samples.mean(axis=0), atol=1e-7)
    at16 = read_audio(path, sample_rate=16000, mono=True)
    np.testing.assert_array_equal(at16.samples, resample(mono.samples, SR, 16000))
    assert at16.sample_rate == 16000


def test_read_video_audio_track(clip_av):
    audio = read_audio(clip_av, sample_rate=16000, start=2.0, duration=3.0)
    assert audio.sample_rate == 16000 and audio.samples.shape == (1, 48000)
    assert abs(peak_freq(audio.samples[0], 16000) - 440) < 2
    assert abs(rms(audio.samples[0]) - 0.125 / np.sqrt(2)) < 0.01  # lavfi sine is 1/8 full scale


def test_read_mp3_window(audio_mp3):
    audio = read_audio(audio_mp3, start=1.0, duration=1.5)
    assert audio.n_samples == int(1.5 * 44100)
    assert probe(audio_mp3).has_audio and not probe(audio_mp3).has_video


def test_max_duration_refuses_before_reading(tmp_path, stereo):
    path = write_audio(tmp_path / "x.flac", stereo)
    with pytest.raises(MediaError, match="max_duration"):
        read_audio(path, max_duration=1.0)
    assert read_audio(path, duration=1.0, max_duration=1.0).n_samples == SR
    assert read_audio(path, max_duration=None).n_samples == stereo.n_samples


def test_bad_windows(tmp_path, stereo):
    path = write_audio(tmp_path / "x.wav", stereo)
    with pytest.raises(MediaError, match="past the end"):
        read_audio(path, start=5.0)
    with pytest.raises(InputError):
        read_audio(path, duration=0.0)
    with pytest.raises(InputError):
        read_audio(path, start=-1.0)


def test_write_unknown_format(tmp_path, stereo):
    with pytest.raises(MediaError, match="unknown format"):
        write_audio(tmp_path / "x.xyz", stereo)
    assert list(tmp_path.iterdir()) == []


# --- resampling -------------------------------------------------------------------------------


@pytest.mark.parametrize(("orig", "target"), [(44100, 16000), (16000, 48000)])
def test_resample_keeps_frequency_and_level(orig, target):
    x = sine(1000, 1.0, orig, 0.5)
    y = resample(x, orig, target)
    assert y.shape == (target,) and y.dtype == np.float32
    steady = y[target // 10 : -target // 10]  # away from the filter's edge effects
    assert abs(peak_freq(steady, target) - 1000) < 1.5
    assert abs(rms(steady) - 0.5 / np.sqrt(2)) < 0.005


@pytest.mark.parametrize("n", [1, 7, 100, 12345, 44101])
def test_resample_equals_librosa_soxr_hq(n):
    import librosa

    x = np.random.default_rng(n).standard_normal((2, n)).astype(np.float32)
    for orig, target in ((44100, 16000), (16000, 48000), (48000, 22050)):
        expected = librosa.resample(x, orig_sr=orig, target_sr=target, res_type="soxr_hq")
        np.testing.assert_array_equal(resample(x, orig, target), expected)
    x64 = x[0].astype(np.float64)
    expected = librosa.resample(x64, orig_sr=44100, target_sr=16000, res_type="soxr_hq")
    got = resample(x64, 44100, 16000)
    assert got.dtype == np.float64
    np.testing.assert_array_equal(got, expected)


def test_resample_batched_and_identity():
    x = np.random.default_rng(0).standard_normal((2, 3, 1000)).astype(np.float32)
    y = resample(x, 32000, 16000)
    assert y.shape == (2, 3, 500)
    np.testing.assert_array_equal(y[1, 2], resample(x[1, 2], 32000, 16000))
    assert resample(x, 16000, 16000) is x
