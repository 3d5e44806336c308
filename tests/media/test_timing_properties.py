"""Property tests over generated clips: random frame-rate changes, stream offsets (audio or video
first, 0-2 s) and lossless trims at random points. In every case the muxed sound covers exactly
the picture and every sound stays where it was relative to the picture.

A few seeded cases run in the default suite (hypothesis derandomized: the same cases every run);
``-m slow`` runs many more.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from genav.media import Audio, mux_audio, probe, read_audio
from tests.media.timing_clips import (
    AAC_FRAME,
    SR,
    click_times,
    click_wav,
    combine,
    jump_video,
    kept_times,
    trim_copy,
    vfr_select,
)

RATE = 25
SECONDS = 3.0


@dataclass(frozen=True)
class Case:
    changes: tuple[tuple[float, int], ...]  # (from time, keep every k-th frame)
    first: str  # "audio" or "video": which stream starts first
    offset: float  # how much later the other one starts
    trim: float | None  # cut the file there by stream copy (mp4 edit list)
    clicks: tuple[float, ...]  # click times in the audio's own time
    suffix: str


def _times(draw, lo: float, hi: float, n: int) -> tuple[float, ...]:
    return tuple(sorted(round(draw(st.floats(lo, hi)), 3) for _ in range(n)))


@st.composite
def cases(draw) -> Case:
    cuts = _times(draw, 0.3, SECONDS - 0.3, draw(st.integers(0, 2)))
    steps = [draw(st.sampled_from([1, 2, 3, 5])) for _ in range(len(cuts) + 1)]
    changes = tuple(zip((0.0, *cuts), steps, strict=True))
    trim = draw(st.one_of(st.none(), st.floats(0.2, 1.5).map(lambda x: round(x, 3))))
    clicks = _times(draw, 0.1, SECONDS - 0.2, draw(st.integers(1, 3)))
    clicks = tuple(c for i, c in enumerate(clicks) if i == 0 or c - clicks[i - 1] > 0.15)
    suffix = ".mp4" if trim is not None else draw(st.sampled_from([".mp4", ".mkv"]))
    return Case(changes, draw(st.sampled_from(["audio", "video"])), round(draw(st.floats(0.0, 2.0)), 3),
                trim, clicks, suffix)  # fmt: skip


def _build(case: Case, work: Path) -> tuple[Path, np.ndarray, np.ndarray]:
    """The clip, its expected frame times and its clicks' times, both on the clip's own container
    clock (for a trim: the source's times less the trim point, ffmpeg's rule for ``-ss`` copies)."""
    video_offset = case.offset if case.first == "audio" else 0.0
    audio_offset = case.offset if case.first == "video" else 0.0
    select = vfr_select(case.changes) if len(case.changes) > 1 or case.changes[0][1] > 1 else None
    video = jump_video(work / f"v{case.suffix}", seconds=SECONDS, rate=RATE, select=select, size=32, gop=10)
    wav = click_wav(work / "a.wav", seconds=SECONDS, clicks=case.clicks)
    clip = combine(
        work / f"clip{case.suffix}", video, wav, video_offset=video_offset, audio_offset=audio_offset
    )
    frames = kept_times(RATE, SECONDS, case.changes) + video_offset
    clicks = np.asarray(case.clicks) + audio_offset
    if case.trim is not None:
        clip = trim_copy(clip, work / f"trim{case.suffix}", case.trim)
        frames, clicks = frames - case.trim, clicks - case.trim
    return clip, frames, clicks


def check(case: Case) -> None:
    with tempfile.TemporaryDirectory(prefix="genav-prop-") as tmp:
        work = Path(tmp)
        clip, frames, clicks = _build(case, work)
        info = probe(clip)
        zero = info.start  # the clip's container time of its timeline 0
        shown = frames[frames >= -1e-6]  # a trim shows the frames from the cut on
        assert info.n_frames == len(shown), (info.n_frames, len(shown))
        if case.trim is None:  # the timestamps the selection and the offsets made
            np.testing.assert_allclose(info.frame_times + zero, shown, atol=1e-3)
        else:  # ffmpeg's -ss copy starts the picture at its first whole frame: moved by < 1 frame
            np.testing.assert_allclose(np.diff(info.frame_times), np.diff(shown), atol=1e-3)
            interval = shown[1] - shown[0] if len(shown) > 1 else 1.0 / RATE
            assert abs(info.frame_times[0] + zero - shown[0]) < interval + 1e-3
        start = info.video_start + zero
        originals = [c - start for c in clicks]  # relative to the picture's first frame
        mark = _free_spot(originals, info.video_duration)
        new = np.zeros((1, int(round(info.video_duration * SR))), np.float32)
        new[0, int(round(mark * SR))] = 0.5  # the generated sound's own click
        out = mux_audio(clip, Audio(new, SR), work / f"out{case.suffix}", mix_original_db=0)
        got = probe(out)
        assert got.n_frames == info.n_frames
        assert got.video_duration == pytest.approx(info.video_duration, abs=1e-3)
        # the sound covers exactly the picture
        assert abs(got.audio_start - got.video_start) <= AAC_FRAME + 1e-3
        assert abs(got.audio_end - got.video_end) <= AAC_FRAME + 1e-3
        # every click stays where it was relative to the picture (clicks well inside it)
        audio = read_audio(out)
        heard = _inside(click_times(audio.samples, audio.sample_rate, level=0.1) - got.video_start, info)
        expected = sorted([mark, *_inside(np.asarray(originals), info)])
        assert len(heard) == len(expected), (heard, expected)
        np.testing.assert_allclose(heard, expected, atol=0.01)


def _inside(times: np.ndarray, info) -> list[float]:
    """Times at least 60 ms inside the picture (a click cut by an edge is not a whole click)."""
    return [float(t) for t in times if 0.06 < t < info.video_duration - 0.06]


def _free_spot(taken: list[float], span: float) -> float:
    """A time in the picture at least 0.1 s from every ``taken`` time (the picture's middle if none)."""
    for t in np.linspace(0.08, span - 0.08, 40):
        if all(abs(t - x) > 0.1 for x in taken):
            return float(t)
    return span / 2


QUICK = settings(max_examples=4, derandomize=True, deadline=None, database=None,
                 suppress_health_check=[HealthCheck.too_slow])  # fmt: skip


@QUICK
@given(cases())
def test_sound_covers_the_picture_and_stays_in_place(case):
    check(case)


@pytest.mark.slow
@settings(QUICK, max_examples=40)
@given(cases())
def test_sound_covers_the_picture_and_stays_in_place_many(case):
    check(case)
