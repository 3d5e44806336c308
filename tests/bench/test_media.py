"""`genav bench media` on a short clip: both readers give every frame; memory is reported."""

from __future__ import annotations

from genav.bench.media import bench_stream_read


def test_bench_media_reports_both_readers(tmp_path):
    result = bench_stream_read(0.05, width=320, height=180, repeats=1, workdir=tmp_path)  # 3 s, 75 frames
    assert result["clip"]["frames"] == 75 and result["clip"]["variable_frame_rate"] is False
    assert (
        result["read"]["frames"] == result["read"]["expected_frames"] == 24 == result["ffmpeg_pipe"]["frames"]
    )
    # the reading process's own peak (not the measuring parent's size), decoding in-process;
    # the bounds on these sizes are machine-dependent and live in tests/benchmarks
    assert 0 < result["peak_rss_total_mb"] and result["peak_rss_children_mb"] == 0
    assert result["speed_vs_ffmpeg_pipe"] > 0 and result["decode_fps"] > 0 and result["cpu_s"] > 0
    assert 0 < result["ffmpeg_pipe"]["peak_rss_children_mb"]  # the yardstick's ffmpeg is a child
    assert result["mux_copy_s"] > 0
