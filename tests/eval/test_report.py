"""Report writer: strict JSON (NaN -> null), CSV from clips/items, atomic writes, summary rows."""

from __future__ import annotations

import csv
import json
import sys

import numpy as np
import pytest

from genav.eval.runners.report import save_report, summary_columns, summary_rows, to_jsonable, versions


def _report() -> dict:
    return {
        "metric": "av_align",
        "mean": np.float64(0.75),
        "clips": [
            {
                "name": "a",
                "score": float("nan"),
                "n_audio_peaks": np.int64(0),
                "audio_peaks": [],
                "error": None,
            },
            {"name": "b", "score": 0.75, "n_audio_peaks": 3, "audio_peaks": [0.5, 1.0], "error": None},
            {"name": "c", "score": None, "error": "cannot decode"},
        ],
    }


def test_json_is_strict_and_nan_becomes_null(tmp_path):
    path = tmp_path / "r.json"
    save_report(_report(), json_path=path)
    data = json.loads(path.read_text())  # json.loads accepts NaN; check the text too
    assert "NaN" not in path.read_text()
    assert data["clips"][0]["score"] is None
    assert data["clips"][0]["n_audio_peaks"] == 0 and isinstance(data["clips"][0]["n_audio_peaks"], int)
    assert data["mean"] == 0.75


def test_csv_rows_from_clips_or_items(tmp_path):
    save_report(_report(), csv_path=tmp_path / "c.csv")
    rows = list(csv.DictReader((tmp_path / "c.csv").open()))
    assert [r["name"] for r in rows] == ["a", "b", "c"]
    assert list(rows[0])[:3] == ["name", "score", "n_audio_peaks"]
    assert rows[0]["score"] == "" and rows[2]["error"] == "cannot decode"
    assert json.loads(rows[1]["audio_peaks"]) == [0.5, 1.0]

    save_report({"items": [{"name": "x", "kl": 1.5}]}, csv_path=tmp_path / "i.csv")
    assert (tmp_path / "i.csv").read_text().splitlines() == ["name,kl", "x,1.5"]


def test_unserialisable_report_writes_nothing(tmp_path):
    class Weird:
        def tolist(self):
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        save_report(
            {"clips": [{"name": Weird()}]}, json_path=tmp_path / "r.json", csv_path=tmp_path / "r.csv"
        )
    assert list(tmp_path.iterdir()) == []


def test_overwrites_existing_output_without_leftovers(tmp_path):
    path = tmp_path / "r.json"
    path.write_text("old")
    save_report({"mean": 1.0, "clips": []}, json_path=path)
    assert json.loads(path.read_text())["mean"] == 1.0
    assert [p.name for p in tmp_path.iterdir()] == ["r.json"]


def test_versions_lists_metric_relevant_libraries():
    v = versions()
    for key in ("genav", "python", "numpy", "opencv", "librosa"):
        assert v[key], key
    assert ("torch" in v) == ("torch" in sys.modules)


def test_summary_rows_mark_undefined_and_failed_and_end_with_mean():
    rows = summary_rows(_report())
    assert "audio_peaks" not in summary_columns(_report())
    assert [r["score"] for r in rows] == ["undefined", 0.75, "failed", 0.75]
    assert rows[-1]["name"] == "mean"


def test_to_jsonable_handles_numpy_arrays_and_inf():
    assert to_jsonable({"a": np.array([1.0, np.inf])}) == {"a": [1.0, None]}
