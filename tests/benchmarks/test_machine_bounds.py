"""Machine-dependent bounds (time, memory), checked on the numbers `genav bench ...` reports.

They depend on the machine (its speed, load, allocator), so they are not in the default suite:
run them with `python -m pytest -m bench` on a quiet machine. The default suite checks that each
benchmark runs and reports these numbers.
"""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.bench


def test_help_starts_within_a_second() -> None:
    from genav.cli.bench_startup import bench_startup  # `genav bench startup`

    result = bench_startup(repeats=3)
    assert result["torch_imported"] is False
    assert result["help_wall_s_median"] < 1.0, result


def test_media_read_and_mux_bounds(tmp_path) -> None:
    from genav.bench.media import bench_stream_read  # `genav bench media`

    result = bench_stream_read(8 / 60, width=320, height=180, repeats=1, workdir=tmp_path)  # an 8 s clip
    assert result["mux_copy_s"] < 2.0, f"muxing an 8 s clip took {result['mux_copy_s']:.2f} s"
    assert result["peak_rss_total_mb"] < 500 and result["ffmpeg_pipe"]["peak_rss_children_mb"] < 500, result


def test_attention_peaks_match_the_working_set() -> None:
    from genav.bench.attention import MIB, bench_attention, memory_growth  # `genav bench attention`

    fast = {"memory_budget_bytes": 300 * MIB, "repeats": 1, "time_budget_s": 0.1, "isolate": False}
    rows = bench_attention((512, 1024, 4096), backends=["chunked", "math"], **fast)
    for r in rows:
        if r["status"] == "ok":
            # the measurement matches the analytic working set (so it sees what it should) ...
            assert 0.6 * r["expected_mib"] <= r["peak_mib"] <= 1.25 * r["expected_mib"] + 4, r
    growth = memory_growth(rows)
    assert growth["chunked"] <= 1.1  # ... and chunked grows at most linearly
    assert growth["math"] >= 1.7  # while the measurement does see quadratic growth
