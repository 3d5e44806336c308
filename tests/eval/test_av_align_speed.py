"""The fast AV-Align paths give the same numbers: the reference protocol in a process pool equals
the reference script's computation (the benchmark yardstick) clip by clip, the genav protocol's
shrunk frames leave clips up to 256x256-equivalent untouched, and `genav bench eval` measures."""

from __future__ import annotations

import numpy as np
import pytest

from genav.bench import av_align_yardstick as yardstick
from genav.bench.eval import make_eval_clips
from genav.data.synth.calibration import EVENT_TIMES, click_track, jolt_frames, write_jolt_video, write_wav
from genav.eval.detectors.av_align_clip import GENAV_REF_DIAGONAL, av_align
from genav.eval.detectors.optical_flow import flow_size, flow_trajectory
from genav.eval.runners.av_align_dataset import evaluate_av_align


@pytest.fixture(scope="module")
def world_clips(tmp_path_factory):
    """Two synthetic-world clips (pans, noise, textures) with a 44.1 kHz wav beside each."""
    folder = tmp_path_factory.mktemp("speed_clips")
    make_eval_clips(folder, 2, seconds=2.0, width=128, height=72, fps=25)
    return folder


def test_pooled_reference_equals_the_reference_scripts_computation(world_clips):
    report = evaluate_av_align([world_clips], protocol="reference", workers=2)
    assert report["n_failed"] == 0 and report["n_clips"] == 2
    for row in report["clips"]:
        video = world_clips / f"{row['name']}.mp4"
        frames, fps = yardstick._frames(video)
        audio_peaks = yardstick._audio_peaks(video.with_suffix(".wav"))
        video_peaks = yardstick._video_peaks(frames, fps)
        assert row["audio_peaks"] == [round(float(t), 6) for t in audio_peaks]
        assert row["video_peaks"] == [round(float(t), 6) for t in video_peaks]
        assert row["score"] == yardstick._score(audio_peaks, video_peaks, fps)


def test_pool_and_single_process_agree_for_genav_protocol(world_clips):
    pooled = evaluate_av_align([world_clips], protocol="genav", workers=2)
    single = evaluate_av_align([world_clips], protocol="genav", workers=1)
    assert [r["video_peaks"] for r in pooled["clips"]] == [r["video_peaks"] for r in single["clips"]]
    assert [r["score"] for r in pooled["clips"]] == [r["score"] for r in single["clips"]]
    assert pooled["mean"] is not None


def test_genav_protocol_leaves_small_frames_at_native_size(world_clips):
    video = world_clips / "clip_000.mp4"
    native = flow_trajectory(video)
    capped = flow_trajectory(video, max_diagonal=GENAV_REF_DIAGONAL)
    assert capped.flow_size is None and (capped.flow_width, capped.flow_height) == (128, 72)
    # OpenCV's own runs of one file differ in the last bits (~1e-16: buffer alignment picks SIMD paths)
    np.testing.assert_allclose(capped.values, native.values, rtol=1e-9, atol=0)


def test_flow_size_keeps_aspect_and_diagonal():
    assert flow_size(256, 256, GENAV_REF_DIAGONAL) is None
    assert flow_size(640, 360, GENAV_REF_DIAGONAL) == (316, 177)
    w, h = flow_size(1920, 1080, GENAV_REF_DIAGONAL)
    assert abs(np.hypot(w, h) - GENAV_REF_DIAGONAL) < 1.0 and abs(w / h - 16 / 9) < 0.02


def test_genav_protocol_same_peaks_at_twice_the_resolution(tmp_path):
    """The same motion at 256x256 and 512x512: flow on the 512 clip runs at 256x256 and finds the
    same peaks, so the score does not depend on the resolution."""
    events = list(EVENT_TIMES[:2])
    wav = write_wav(tmp_path / "clicks.wav", click_track(events, duration=2.0))
    small = write_jolt_video(tmp_path / "small.mp4", jolt_frames(events, duration=2.0, size=256))
    large = write_jolt_video(tmp_path / "large.mp4", jolt_frames(events, duration=2.0, size=512))
    a = av_align(small, wav, protocol="genav")
    b = av_align(large, wav, protocol="genav")
    assert flow_trajectory(large, max_diagonal=GENAV_REF_DIAGONAL).flow_size == (256, 256)
    assert b.video_peaks == a.video_peaks and len(a.video_peaks) == len(events)
    assert b.score == a.score == 1.0


@pytest.mark.slow
def test_bench_eval_runs_all_sides(tmp_path):
    from genav.bench.eval import bench_eval

    out = bench_eval(2, seconds=1.0, width=96, height=64, workdir=tmp_path)
    assert out["scores_equal"] is True
    for side in ("reference_script", "genav_reference", "genav_genav"):
        assert out[side]["wall_s"] > 0 and out[side]["cpu_s"] > 0 and out[side]["peak_rss_mb"] > 10
    assert set(out["speedup"]) == {"reference", "genav"}
