"""Audio side of AV-Align: identical to librosa's defaults, including the blocked long-signal paths."""

from __future__ import annotations

import librosa
import numpy as np
import pytest
import soundfile as sf

import genav.eval.detectors.onsets as onsets
from genav.data.synth.calibration import click_track
from genav.errors import MediaError


def _signal(seconds: float = 12.0) -> np.ndarray:
    rng = np.random.default_rng(3)
    wave = click_track(np.arange(0.3, seconds - 0.2, 0.37).tolist(), duration=seconds, amplitude=0.3, seed=1)
    return wave + 0.003 * rng.standard_normal(wave.size).astype(np.float32)


def test_detect_audio_peaks_equals_librosa_onset_detect():
    wave = _signal()
    expected = librosa.onset.onset_detect(y=wave, sr=22050, units="time")
    got = onsets.detect_audio_peaks(wave, 22050)
    assert len(got) > 20
    np.testing.assert_array_equal(got, expected)


def test_blocked_envelope_is_bitwise_librosa():
    wave = _signal()
    whole = librosa.onset.onset_strength(y=wave, sr=22050)
    blocked = onsets.onset_envelope(wave, 22050, chunk_samples=1000)  # forces the blocked path
    assert blocked.shape == whole.shape
    np.testing.assert_array_equal(blocked, whole)


@pytest.mark.parametrize("n", [100, 1500, 2048, 2600, 3000, 22050 * 3 + 17])
def test_onset_strength_and_picking_are_librosas_at_every_length(n):
    # short signals take the pad-both-ends path, longer ones the pre/main/post framing
    wave = (0.2 * np.random.default_rng(n).standard_normal(n)).astype(np.float32)
    wave[n // 3 : n // 3 + 200] *= 8
    expected = librosa.onset.onset_strength(y=wave, sr=22050)
    envelope = onsets.onset_envelope(wave, 22050)
    np.testing.assert_array_equal(envelope, expected)
    np.testing.assert_array_equal(
        onsets.onset_frames(envelope), librosa.onset.onset_detect(onset_envelope=expected, sr=22050)
    )


def test_silence_has_no_onsets():
    assert onsets.detect_audio_peaks(np.zeros(22050 * 2, dtype=np.float32)).size == 0


@pytest.mark.parametrize(
    ("rate", "channels", "subtype", "suffix"),
    [
        (44100, 2, "FLOAT", ".wav"),
        (48000, 1, "PCM_16", ".wav"),
        (22050, 3, "PCM_24", ".flac"),
        (16000, 1, None, ".ogg"),
    ],
)
def test_load_audio_matches_librosa_load(tmp_path, rate, channels, subtype, suffix):
    rng = np.random.default_rng(0)
    samples = (0.1 * rng.standard_normal((rate * 2, channels))).astype(np.float32)
    path = tmp_path / f"a{suffix}"
    sf.write(path, samples, rate, subtype=subtype)
    expected, _ = librosa.load(path, sr=22050, mono=True)
    streamed = onsets.load_audio(path)  # block-wise channel mean + one resampling, librosa not used
    assert streamed.dtype == np.float32
    np.testing.assert_array_equal(streamed, expected)


def test_load_audio_errors(tmp_path):
    with pytest.raises(MediaError, match="not found"):
        onsets.load_audio(tmp_path / "missing.wav")
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"not a wav file at all")
    with pytest.raises(MediaError):
        onsets.load_audio(bad)


def test_own_track_matches_media_read_audio(tmp_path):
    from genav.media import Audio, read_audio, write_video

    rng = np.random.default_rng(1)
    stereo = (0.1 * rng.standard_normal((2, 48000))).astype(np.float32)
    frames = np.zeros((10, 32, 32, 3), dtype=np.uint8)
    video = write_video(tmp_path / "v.mp4", frames, 10, audio=Audio(stereo, 48000))
    expected = read_audio(video, sample_rate=22050, mono=True).samples[0]
    np.testing.assert_array_equal(onsets.load_audio(video), expected)
