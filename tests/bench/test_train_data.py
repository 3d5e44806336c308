"""`genav bench train-data`: memory of training does not grow with the manifest, workers help."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from genav.bench.train import _summary, write_synthetic_manifest


def test_synthetic_manifest_is_written_once_and_summarised(tmp_path: Path) -> None:
    path = write_synthetic_manifest(tmp_path, 30, files=4)
    rows = [json.loads(x) for x in path.read_text().splitlines()]
    assert len(rows) == 30 and len({r["id"] for r in rows}) == 30 and len(rows[5]["captions"]) == 3
    stamp = path.stat().st_mtime_ns
    assert write_synthetic_manifest(tmp_path, 30, files=4) == path and path.stat().st_mtime_ns == stamp
    runs = [
        {"manifest_rows": 30, "workers": 0, "python_kib": 2048, "children_kib": 0, "steps_per_second": 1.0},
        {"manifest_rows": 30, "workers": 0, "python_kib": 1024, "children_kib": 0, "steps_per_second": 2.0},
    ]
    assert _summary(runs) == [
        {
            "manifest_rows": 30,
            "workers": 0,
            "runs": 2,
            "peak_rss_mib": 2.0,
            "worker_rss_mib": 0.0,
            "steps_per_second": 2.0,
        }
    ]


@pytest.mark.slow
def test_peak_memory_does_not_grow_with_the_manifest(tmp_path: Path) -> None:
    from genav.bench.train import bench_train_data

    res = bench_train_data((200, 4000), workers=(0, 2), steps=24, batch_size=8, repeats=2, folder=tmp_path)
    by = {(r["manifest_rows"], r["workers"]): r for r in res["summary"]}
    for w in (0, 2):
        assert by[(4000, w)]["peak_rss_mib"] <= 1.5 * by[(200, w)]["peak_rss_mib"]
    assert by[(4000, 2)]["worker_rss_mib"] > 0  # the workers did the reading
    # no speed bound: on a quiet 2-core machine 2 workers slow the debug model's fast steps (README)
