from __future__ import annotations

import logging

import numpy as np
import pytest

from genav.errors import InputError
from genav.media import Audio, _ffmpeg, mux_audio, probe, read_audio, read_frames, write_audio
from tests.media.media_helpers import sine

SR = 48000


def video_md5(path) -> str:
    """MD5 of the video stream's packets (not decoded): equal iff the stream was copied."""
    return _ffmpeg.run(["-i", _ffmpeg.file_arg(path), "-map", "0:v:0", "-c", "copy", "-f", "md5", "-"], path)


def band_level(x: np.ndarray, sr: int, freq: float) -> float:
    spec = np.abs(np.fft.rfft(x * np.hanning(len(x)))) / len(x)
    freqs = np.fft.rfftfreq(len(x), 1 / sr)
    return float(spec[np.abs(freqs - freq) < 5].max())


def test_mux_copies_the_video_stream(tmp_path, clip_silent):
    out = tmp_path / "out.mp4"
    # how fast the copy is depends on the machine: `genav bench media` reports it (tests/benchmarks)
    mux_audio(clip_silent, Audio(sine(1000, 5.0, SR), SR), out)
    assert video_md5(out) == video_md5(clip_silent)
    np.testing.assert_array_equal(read_frames(out, size=(160, 120)), read_frames(clip_silent, size=(160, 120)))
    info = probe(out)
    assert info.has_audio and info.audio_codec == "aac" and info.n_frames == 200
    audio = read_audio(out)
    assert abs(audio.n_samples - 8 * SR) <= 1024  # one AAC frame
    # the 5 s sound is padded with silence to the 8 s video
    assert np.abs(audio.samples[:, int(5.2 * SR) :]).max() < 1e-3
    assert np.abs(audio.samples[:, SR : 4 * SR]).max() > 0.4


def test_mux_cuts_long_audio_from_a_file(tmp_path, clip_silent):
    wav = write_audio(tmp_path / "long.wav", Audio(np.stack([sine(500, 12.0, 44100)] * 2), 44100))
    out = mux_audio(clip_silent, wav, tmp_path / "out.mkv")
    audio = read_audio(out)
    assert audio.channels == 2 and audio.sample_rate == 44100
    assert abs(audio.n_samples - 8 * 44100) <= 1024
    assert probe(out).n_frames == 200


def test_mix_keeps_both_sounds(tmp_path, clip_av):
    new = Audio(sine(1000, 8.0, SR, 0.3), SR)
    replaced = read_audio(mux_audio(clip_av, new, tmp_path / "replaced.mp4"))
    mixed = read_audio(mux_audio(clip_av, new, tmp_path / "mixed.mp4", mix_original_db=6.0))
    original = read_audio(clip_av, sample_rate=SR)
    window = slice(SR, 7 * SR)
    for audio in (replaced, mixed):
        assert band_level(audio.samples[0, window], SR, 1000) > 0.05
    assert band_level(replaced.samples[0, window], SR, 440) < 1e-3
    # the clip's own 440 Hz tone is still there, 6 dB down
    ratio = band_level(mixed.samples[0, window], SR, 440) / band_level(original.samples[0, window], SR, 440)
    assert 20 * np.log10(ratio) == pytest.approx(-6.0, abs=0.5)


def test_mix_on_clip_without_audio_warns(tmp_path, clip_silent, caplog):
    with caplog.at_level(logging.WARNING, logger="genav.media"):
        out = mux_audio(clip_silent, Audio(sine(1000, 8.0, SR, 0.3), SR), tmp_path / "o.mp4", mix_original_db=10)
    assert "has no audio track" in caplog.text
    assert band_level(read_audio(out).samples[0, SR : 7 * SR], SR, 1000) > 0.05


def test_mux_in_place_and_bad_gain(tmp_path, clip_silent):
    target = tmp_path / "clip.mp4"
    target.write_bytes(clip_silent.read_bytes())
    sound = Audio(sine(700, 8.0, SR), SR)
    with pytest.raises(InputError, match="mix_original_db"):
        mux_audio(target, sound, tmp_path / "x.mp4", mix_original_db=-6)
    mux_audio(target, sound, target, overwrite=True)
    assert probe(target).has_audio and video_md5(target) == video_md5(clip_silent)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["clip.mp4"]
