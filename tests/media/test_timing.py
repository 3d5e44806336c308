"""Times from the streams' own timestamps: variable frame rates, lossless trims, stream offsets.

The inputs are the ones issue 8 lists, made with ffmpeg as users make them; each asserts the
value a user expects (durations to within one audio frame, clicks to within 10 ms).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from genav.media import Audio, iter_timed_frames, mux_audio, probe, read_audio, read_frames
from tests.media.timing_clips import (
    AAC_FRAME,
    SR,
    click_times,
    click_wav,
    combine,
    ffmpeg,
    gop_source,
    issue_vfr,
    jump_frames,
    jump_video,
    trim_copy,
)


@pytest.fixture(scope="module")
def clips(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("timing")


@pytest.fixture(scope="module")
def vfr_webm(clips) -> Path:
    """Issue input 1: 30 fps for 3 s, then every 6th frame (5 fps); 105 frames, 5.833 s."""
    return issue_vfr(clips / "vfr.webm")


@pytest.fixture(scope="module")
def trimmed(clips) -> tuple[Path, Path]:
    """Issue input 2: a 6 s mp4 (keyframes every 2 s, AAC) cut at 1.4 s without re-encoding."""
    src = gop_source(clips / "source.mp4", audio=True)
    return src, trim_copy(src, clips / "trimmed.mp4", 1.4)


@pytest.fixture(scope="module")
def late_audio(clips) -> Path:
    """Issue input 3: the audio starts 1 s after the picture; a click at container time 2.0 s is
    in sync with the square's jump at 2.0 s."""
    video = jump_video(clips / "jump.mp4", seconds=4, rate=25, jumps=[2.0])
    wav = click_wav(clips / "click.wav", seconds=3, clicks=[1.0])
    return combine(clips / "late_audio.mp4", video, wav, audio_offset=1.0)


@pytest.fixture(scope="module")
def late_video(clips) -> Path:
    """The picture starts 1 s after the audio; a click at container time 2.0 s, the jump with it."""
    video = jump_video(clips / "jump2.mp4", seconds=3, rate=25, jumps=[1.0])
    wav = click_wav(clips / "click2.wav", seconds=4, clicks=[2.0])
    return combine(clips / "late_video.mp4", video, wav, video_offset=1.0)


def _expected_vfr_times() -> np.ndarray:
    n = np.arange(180)
    return n[(n < 90) | (n % 6 == 0)] / 30


def test_vfr_span_and_frame_times(vfr_webm):
    info = probe(vfr_webm)
    assert info.n_frames == 105 and info.vfr and info.n_frames_exact
    assert info.video_duration == pytest.approx(5.8 + 1 / 30, abs=1e-3)  # not 105 / 30 = 3.5
    np.testing.assert_allclose(info.frame_times, _expected_vfr_times(), atol=5e-4)  # webm stores ms


def test_vfr_samples_the_frame_shown_at_each_time(vfr_webm):
    native = list(iter_timed_frames(vfr_webm, size=(48, 32)))
    times = np.array([t for t, _ in native])
    np.testing.assert_allclose(times, _expected_vfr_times(), atol=5e-4)
    sampled = list(iter_timed_frames(vfr_webm, fps=10, size=(48, 32)))
    assert len(sampled) == 59  # ceil(5.833 * 10): the whole picture, not 3.5 s of it
    for when, frame in sampled:
        shown = int(np.searchsorted(times, when + 1e-6, side="right")) - 1  # last frame at or before
        np.testing.assert_array_equal(frame, native[shown][1])
    window = read_frames(vfr_webm, fps=10, size=(48, 32), start=3.05, duration=0.5)
    assert len(window) == 5  # at 3.05, 3.15, 3.25, 3.35, 3.45 s the frames of 3.0, 3.0, 3.2, 3.2, 3.4 s show
    for got, index in zip(window, [90, 90, 91, 91, 92], strict=True):
        np.testing.assert_array_equal(got, native[index][1])


def test_trim_counts_shown_frames_not_packets(trimmed):
    import av

    src, cut = trimmed
    with av.open(str(cut)) as container:
        packets = [p for p in container.demux(video=0) if p.size]
    stored, discarded = len(packets), sum(p.is_discard for p in packets)
    assert stored == 150 and discarded == 35  # decoded from the keyframe at 0 s, hidden by the edit list
    info = probe(cut)
    assert info.n_frames == 115 and info.video_duration == pytest.approx(4.6, abs=1e-6)
    frames = read_frames(cut, size=(48, 32))
    assert len(frames) == 115
    # the first frame shown is the source's frame at 1.4 s, the last the source's last
    np.testing.assert_array_equal(frames[0], read_frames(src, size=(48, 32), start=1.4, duration=0.04)[0])
    np.testing.assert_array_equal(frames[-1], read_frames(src, size=(48, 32), start=5.96)[0])
    audio = read_audio(cut)
    assert abs(audio.duration - 4.6) <= AAC_FRAME


def test_audio_that_starts_late_stays_in_place(late_audio):
    info = probe(late_audio)
    assert info.video_start == 0.0 and info.audio_start == pytest.approx(1.0, abs=AAC_FRAME)
    audio = read_audio(late_audio)
    np.testing.assert_allclose(click_times(audio.samples, audio.sample_rate), [2.0], atol=0.01)
    frames = read_frames(late_audio)
    assert jump_frames(frames).tolist() == [50]  # the jump at 2.0 s


@pytest.mark.parametrize("clip", ["late_audio", "late_video"])
def test_mux_and_mix_keep_every_sound_in_place(clip, request, tmp_path):
    src = request.getfixturevalue(clip)
    info = probe(src)
    new = np.zeros((1, int(round(info.video_duration * SR))), np.float32)
    new[0, int(0.5 * SR)] = 0.5  # the generated sound's own click, 0.5 s into the picture
    out = mux_audio(src, Audio(new, SR), tmp_path / "out.mp4", mix_original_db=0)
    got = probe(out)
    assert got.n_frames == info.n_frames and got.video_duration == pytest.approx(
        info.video_duration, abs=1e-3
    )
    # the new sound covers exactly the picture's span
    assert (
        abs(got.audio_start - got.video_start) <= AAC_FRAME
        and abs(got.audio_end - got.video_end) <= AAC_FRAME
    )
    audio = read_audio(out)
    clicks = click_times(audio.samples, audio.sample_rate, level=0.1) - got.video_start
    # relative to the picture: the original click (at 2.0 s of the input's timeline) and the new one
    expected = sorted([2.0 - info.video_start, 0.5])
    np.testing.assert_allclose(clicks, expected, atol=0.01)


def test_mux_of_a_trimmed_clip_keeps_its_edit(trimmed, tmp_path):
    _, cut = trimmed
    out = mux_audio(cut, Audio(np.zeros((1, 10 * SR), np.float32), SR), tmp_path / "out.mp4")
    got = probe(out)
    assert got.n_frames == 115 and got.video_duration == pytest.approx(4.6, abs=1e-6)
    assert abs(read_audio(out).duration - 4.6) <= AAC_FRAME  # not 6.0 s of packets, no frozen frames


def test_one_frame_clip(tmp_path):
    clip = ffmpeg("-f", "lavfi", "-i", "testsrc=size=64x64:rate=25", "-frames:v", "1", "-c:v", "libx264",
                  "-pix_fmt", "yuv420p", out=tmp_path / "one.mp4")  # fmt: skip
    info = probe(clip)
    assert info.n_frames == 1 and info.video_duration == pytest.approx(0.04)
    assert len(read_frames(clip, fps=10, size=(32, 32))) == 1  # the frame shown at 0 s
    out = mux_audio(clip, Audio(np.zeros((1, SR), np.float32), SR), tmp_path / "out.mp4")
    assert abs(read_audio(out).duration - 0.04) <= AAC_FRAME
