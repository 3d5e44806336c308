"""Issue 8's failing inputs through the commands a user runs (`genav foley`, `genav eval av-align`).

Durations within one audio frame of the picture's span, clicks within 10 ms, AV-Align 1.0 on
in-sync variable-rate and offset clips (protocol genav).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from genav.media import probe, read_audio
from tests.cli.conftest import FAST
from tests.cli.test_generate import genav
from tests.media.test_mux import video_md5
from tests.media.timing_clips import (
    AAC_FRAME,
    click_times,
    click_wav,
    combine,
    ffmpeg,
    gop_source,
    issue_vfr,
    jump_video,
    trim_copy,
)

OPUS_FRAME = 0.02


@pytest.fixture(scope="module")
def work(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("inputs")


@pytest.fixture(scope="module")
def vfr_webm(work) -> Path:
    return issue_vfr(work / "vfr.webm")


def _sidecar(path: Path) -> dict:
    return json.loads(path.with_name(path.name + ".json").read_text())


def test_foley_on_a_variable_frame_rate_webm(vfr_webm, tmp_path):
    out = tmp_path / "out.webm"
    proc = genav("foley", str(vfr_webm), "-o", str(out), *FAST)
    assert proc.returncode == 0, proc.stderr
    assert abs(read_audio(out).duration - 5.8333) <= OPUS_FRAME  # not 105 frames / 30 fps = 3.5 s
    assert video_md5(out) == video_md5(vfr_webm)  # the picture is copied
    side = _sidecar(out)
    assert side["duration"] == pytest.approx(5.8333, abs=1e-3)
    picture = side["settings"]["picture"]
    assert picture["frames"] == 105 and picture["variable_frame_rate"] is True
    assert picture["duration"] == pytest.approx(5.8333, abs=1e-3)


def test_foley_on_a_lossless_trim(work, tmp_path):
    cut = trim_copy(gop_source(work / "long.mp4", audio=False), work / "cut.mp4", 1.4)
    out = tmp_path / "out.mp4"
    proc = genav("foley", str(cut), "-o", str(out), *FAST)
    assert proc.returncode == 0, proc.stderr
    info = probe(out)
    assert info.n_frames == 115 and info.video_duration == pytest.approx(4.6, abs=1e-6)
    assert abs(read_audio(out).duration - 4.6) <= AAC_FRAME  # not 150 packets' 6 s
    assert _sidecar(out)["duration"] == pytest.approx(4.6, abs=1e-6)


@pytest.fixture(scope="module")
def late_audio(work) -> Path:
    """The sound starts 1 s after the picture; a click at 2.0 s with the square's jump at 2.0 s."""
    video = jump_video(work / "jump.mp4", seconds=4, rate=25, jumps=[2.0], size=128)
    return combine(
        work / "late_audio.mp4", video, click_wav(work / "c.wav", seconds=3, clicks=[1.0]), audio_offset=1.0
    )


def test_mix_original_keeps_the_click_in_place(late_audio, tmp_path):
    alone = tmp_path / "alone.wav"
    assert genav("foley", str(late_audio), "-o", str(alone), *FAST).returncode == 0
    mixed = tmp_path / "mixed.mp4"
    proc = genav("foley", str(late_audio), "-o", str(mixed), "--mix-original", "0", *FAST)
    assert proc.returncode == 0, proc.stderr
    generated = read_audio(alone)
    both = read_audio(mixed, sample_rate=generated.sample_rate, mono=True).samples[0]
    n = min(both.size, generated.n_samples)
    original = both[:n] - generated.samples[0, :n]  # what the mix added: the clip's own sound
    np.testing.assert_allclose(
        click_times(original[None], generated.sample_rate, level=0.3), [2.0], atol=0.01
    )
    assert _sidecar(mixed)["mix_original_gain_db"] == 0


@pytest.mark.parametrize("protocol", ["genav", "reference"])
def test_av_align_of_an_in_sync_clip_whose_sound_starts_late(late_audio, protocol, tmp_path):
    report = tmp_path / "r.json"
    proc = genav(
        "eval", "av-align", str(late_audio), "--protocol", protocol, "--json", str(report), "--workers", "1"
    )
    assert proc.returncode == 0, proc.stdout
    clip = json.loads(report.read_text())["clips"][0]
    assert clip["score"] == 1.0 and clip["video_peaks"] == [2.0], clip
    assert clip["audio_peaks"][0] == pytest.approx(2.0, abs=0.03)


@pytest.fixture(scope="module")
def vfr_in_sync(work) -> Path:
    """30 fps for 2 s, then 10 fps: jumps and clicks at 0.6, 1.5, 2.5 and 3.4 s (on kept frames)."""
    events = [0.6, 1.5, 2.5, 3.4]
    video = jump_video(work / "vfr_sync.mkv", seconds=4, rate=30, jumps=events, size=128,
                       select="lt(t,2)+not(mod(n,3))")  # fmt: skip
    return combine(work / "vfr_sync.mkv.mkv", video, click_wav(work / "vc.wav", seconds=4, clicks=events))


def test_av_align_on_a_variable_frame_rate_clip(vfr_in_sync, tmp_path):
    report = tmp_path / "r.json"
    proc = genav(
        "eval", "av-align", str(vfr_in_sync), "--protocol", "genav", "--json", str(report), "--workers", "1"
    )
    assert proc.returncode == 0, proc.stdout
    data = json.loads(report.read_text())
    clip = data["clips"][0]
    assert clip["score"] == 1.0 and clip["vfr"] is True and clip["timing"] == "timestamps", clip
    np.testing.assert_allclose(clip["video_peaks"], [0.6, 1.5, 2.5, 3.4], atol=1e-3)
    proc = genav("eval", "av-align", str(vfr_in_sync), "--protocol", "reference", "--workers", "1")
    assert "variable frame rate" in proc.stdout  # the report says the reference's i / fps does not apply


def test_one_frame_clip_gets_a_short_sound(tmp_path):
    clip = ffmpeg("-f", "lavfi", "-i", "testsrc=size=64x64:rate=25", "-frames:v", "1", "-c:v", "libx264",
                  "-pix_fmt", "yuv420p", out=tmp_path / "one.mp4")  # fmt: skip
    out = tmp_path / "out.mp4"
    proc = genav("foley", str(clip), "-o", str(out), *FAST)
    assert proc.returncode == 0, proc.stderr
    assert abs(read_audio(out).duration - 0.04) <= AAC_FRAME
    assert _sidecar(out)["duration"] == pytest.approx(0.04)
