"""AV-Align benchmark: a cheap smoke run by default; the 10-minute 720p memory check is slow."""

from __future__ import annotations

import pytest

from genav.bench.av_align import _measure_in_child, bench_av_align, make_long_clip


def test_bench_smoke(tmp_path):
    out = bench_av_align(n_clips=1, workers=(1,), long_minutes=None, workdir=tmp_path)
    (row,) = out["throughput"]
    assert row["workers"] == 1 and row["clips_per_s"] > 0 and row["n_failed"] == 0
    assert row["mean"] is not None and 0.0 <= row["mean"] <= 1.0
    assert list(tmp_path.iterdir()) == []  # the work folder is cleaned up


@pytest.mark.slow
def test_ten_minute_720p_clip_stays_under_500_mb(tmp_path):
    # 0.1 fps keeps Farneback cheap; memory does not depend on the frame count, the audio is full length
    clip = make_long_clip(tmp_path / "long.mp4", 10.0, fps=0.1)
    res = _measure_in_child(clip, "reference")
    assert res["frames"] == 60
    assert res["python_kib"] * 1024 / 1e6 < 500, res
