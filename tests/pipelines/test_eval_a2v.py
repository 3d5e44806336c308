"""`genav eval a2v` / `genav bench a2v` end to end on debug-a2v (random weights: the report's shape and
its controls, not its quality)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from genav.pipelines.eval_a2v import delayed
from tests.cli.test_generate import genav


def test_delay_keeps_length_and_moves_the_sound():
    wave = np.zeros(100, np.float32)
    wave[10] = 1.0
    out = delayed(wave, 0.5, 40)
    assert out.shape == (100,) and out[30] == 1.0 and out.sum() == 1.0


def test_eval_report_true_clips_are_in_sync_and_plots(tmp_path):
    report_path = tmp_path / "r.json"
    proc = genav("eval", "a2v", "--model", "debug-a2v", "--n", "2", "--steps", "1", "--seconds", "1.5",
                 "--out", str(report_path), "--plots", str(tmp_path / "plots"), "--n-plots", "1")
    assert proc.returncode == 0, proc.stderr
    r = json.loads(report_path.read_text())
    for protocol in ("reference", "genav"):
        scores = r[f"av_align_{protocol}"]
        assert scores["true_pairs"] == 1.0  # the synthetic world's own clips: every onset has its motion
        assert set(scores) >= {"generated", "shuffled_audio", "shifted_audio", "no_audio_control", "ratio_to_true"}
    assert r["event_f1"]["true_clips"]["f1"] == 1.0 and r["lag"]["true_mean_abs_s"] == 0.0
    assert set(r["event_f1"]) >= {"audio", "shifted", "audio_prompt", "control", "shuffled_truth"}
    assert 0 <= r["shift_test"]["passed"] <= 1 and r["detector_on_true_clips"]["both"] >= 0.5
    assert r["shift_test"]["true_clips_delayed_passed"] == 1.0  # the lag measure sees a true 0.5 s delay
    assert (tmp_path / "plots" / "clip-00.png").stat().st_size > 10_000


@pytest.mark.slow  # a fresh process
def test_bench_reports_seconds_per_generated_second():
    from genav.bench.video import bench_a2v

    result = bench_a2v("debug-a2v", seconds=1.0, num_steps=1)
    assert result["frames"] == 8 and result["s_per_video_s"] > 0 and result["peak_rss_mib"] > 50
