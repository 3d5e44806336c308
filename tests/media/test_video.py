from __future__ import annotations

import types

import numpy as np
import pytest

from genav.errors import InputError, MediaError
from genav.media import Audio, iter_frames, probe, read_audio, read_frames, write_video
from tests.media.media_helpers import peak_freq, sine


def smooth_frames(n: int, height: int, width: int) -> np.ndarray:
    """(n, H, W, 3) uint8 gradients that move with the frame index (codec-friendly, distinct)."""
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    frames = []
    for i in range(n):
        r = 127.5 + 90 * np.sin(np.pi * (x / width + i / n))
        g = 127.5 + 90 * np.cos(np.pi * (y / height + 2 * i / n))
        b = np.full_like(x, 40 + 170 * i / max(n - 1, 1))
        frames.append(np.stack([r, g, b], axis=-1))
    return np.stack(frames).round().astype(np.uint8)


@pytest.mark.parametrize("fps", [8.0, 25.0, 30000 / 1001, 12.5])
def test_write_read_exact_count_and_fps(tmp_path, fps):
    frames = smooth_frames(37, 48, 64)
    path = write_video(tmp_path / "v.mp4", frames, fps)
    info = probe(path)
    assert info.n_frames == 37 and info.n_frames_exact
    assert info.fps == pytest.approx(fps, abs=1e-9)
    assert (info.width, info.height, info.video_codec, info.has_audio) == (64, 48, "h264", False)
    back = read_frames(path)
    assert back.shape == frames.shape and back.dtype == np.uint8
    assert np.abs(back.astype(int) - frames).mean() < 3.0  # crf 18 + yuv420p on smooth content
    # each decoded frame is closest to its own source frame: no drops, repeats or reordering
    dist = np.abs(back[:, None].astype(int) - frames[None]).mean(axis=(2, 3, 4))
    assert (dist.argmin(axis=1) == np.arange(37)).all()


def test_write_streams_generators_and_floats(tmp_path):
    frames = smooth_frames(10, 48, 64)
    gen = (f.astype(np.float32) / 255.0 for f in frames)
    path = write_video(tmp_path / "g.mp4", gen, 10)
    back = read_frames(path)
    assert back.shape == (10, 48, 64, 3) and np.abs(back.astype(int) - frames).mean() < 3.0


def test_odd_size_is_padded(tmp_path):
    frames = smooth_frames(5, 47, 63)
    info = probe(write_video(tmp_path / "odd.mp4", frames, 5))
    assert (info.width, info.height, info.n_frames) == (64, 48, 5)
    back = read_frames(info.path).astype(int)
    assert np.abs(back[:, :47, :63] - frames).mean() < 3.0
    assert np.abs(back[:, 47, :63] - frames[:, 46]).mean() < 3.0  # padding repeats the edge


def test_iter_frames_is_a_lazy_stream(clip_av):
    frames = iter_frames(clip_av, fps=8, size=(32, 24))
    assert isinstance(frames, types.GeneratorType)
    first = next(frames)
    assert first.shape == (24, 32, 3) and first.dtype == np.uint8
    frames.close()  # stops ffmpeg; nothing else is read


def test_iter_frames_lower_fps_and_size(clip_av):
    frames = list(iter_frames(clip_av, fps=5, size=(64, 48)))
    assert len(frames) == 40  # 8 s at 5 fps
    assert all(f.shape == (48, 64, 3) for f in frames)
    full = read_frames(clip_av, size=(64, 48))
    assert full.shape == (200, 48, 64, 3)
    # the fps filter picks source frames: frame k at 5 fps is source frame 5k at 25 fps
    assert np.abs(frames[3].astype(int) - full[15]).mean() < 1.0


def test_window(clip_av):
    part = read_frames(clip_av, start=2.0, duration=3.0, size=(32, 24))
    full = read_frames(clip_av, size=(32, 24))
    assert part.shape[0] == 75
    assert np.abs(part[0].astype(int) - full[50]).mean() < 1.0
    assert read_frames(clip_av, fps=4, start=6.0).shape == (8, 240, 320, 3)


def test_read_frames_refuses_huge(clip_av):
    with pytest.raises(MediaError, match="max_bytes"):
        read_frames(clip_av, max_bytes=10 * 320 * 240 * 3)


def test_write_video_with_audio(tmp_path):
    sr = 48000
    audio = Audio(sine(440, 5.0, sr), sr)  # longer than the 2 s video: cut
    path = write_video(tmp_path / "av.mp4", smooth_frames(16, 32, 32), 8, audio=audio)
    info = probe(path)
    assert info.has_audio and info.audio_codec == "aac" and info.n_frames == 16
    back = read_audio(path)
    assert abs(back.n_samples - 2 * sr) <= 1024
    assert abs(peak_freq(back.samples[0, : sr], sr) - 440) < 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["av.mp4"]  # no temp files left


def test_bad_frames_leave_nothing(tmp_path):
    good = smooth_frames(3, 16, 16)

    def frames():
        yield from good
        yield np.zeros((8, 8, 3), np.uint8)

    with pytest.raises(InputError, match="frame 3"):
        write_video(tmp_path / "x.mp4", frames(), 8)
    with pytest.raises(InputError, match="no frames"):
        write_video(tmp_path / "x.mp4", [], 8)
    with pytest.raises(InputError, match=r"\(H, W, 3\)"):
        write_video(tmp_path / "x.mp4", np.zeros((2, 16, 16), np.uint8), 8)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(("suffix", "codec"), [(".mkv", "h264"), (".mov", "h264"), (".webm", "vp9")])
def test_each_container_gets_a_codec_it_holds(tmp_path, suffix, codec):
    ramp = np.linspace(0, 255, 16)  # smooth pictures: yuv420p halves the colour resolution
    frames = np.stack([np.stack(np.broadcast_arrays(ramp[None, :], ramp[:, None], np.full((16, 16), 20.0 * t)), -1)
                       for t in range(6)]).astype(np.uint8)  # fmt: skip
    out = write_video(tmp_path / f"v{suffix}", frames, 12.0, audio=Audio(sine(440, 0.5, 16000), 16000))
    info = probe(out)
    assert info.video_codec == codec and info.n_frames == 6 and info.has_audio
    assert np.abs(read_frames(out).astype(int) - frames).mean() < 6


def test_unknown_container_is_refused_before_anything_is_made(tmp_path):
    with pytest.raises(MediaError, match=r"unknown container '.avi' \(choose one of .mp4"):
        write_video(tmp_path / "new" / "sub" / "v.avi", np.zeros((2, 8, 8, 3), np.uint8), 10.0)
    assert not (tmp_path / "new").exists()
