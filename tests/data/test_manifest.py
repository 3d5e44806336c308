"""Manifest validation: every bad-row case names its row; skipping reports the rows."""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from genav.data import ManifestDataset, read_manifest, read_manifest_rows
from genav.errors import DataError


@pytest.fixture()
def folder(tmp_path: Path) -> Path:
    sf.write(tmp_path / "a.wav", np.zeros(8000, np.float32), 16000)
    sf.write(tmp_path / "b.wav", np.zeros(16000, np.float32), 16000)
    return tmp_path


def _jsonl(folder: Path, lines: list[str]) -> Path:
    path = folder / "m.jsonl"
    path.write_text("\n".join(lines) + "\n")
    return path


GOOD = json.dumps({"file": "a.wav", "caption": "ok"})
BAD_LINES = {
    "missing file": (json.dumps({"file": "nope.wav", "caption": "x"}), "file not found"),
    "malformed JSON": ('{"file": "a.wav", "caption": ', "not valid JSON"),
    "no file key": (json.dumps({"caption": "no file"}), "missing 'file'"),
    "negative start": (json.dumps({"file": "a.wav", "start": -1}), "start must be"),
    "inverted window": (
        json.dumps({"file": "a.wav", "start": 0.5, "end": 0.2}),
        "end (0.2) must be after start (0.5)",
    ),
    "not a number": (json.dumps({"file": "a.wav", "end": "soon"}), "end must be a number"),
    "bad events": (json.dumps({"file": "a.wav", "events": {"time": 1}}), "events must be a list"),
}


@pytest.mark.parametrize("case", list(BAD_LINES))
def test_each_bad_row_names_its_row(folder, case):
    line, reason = BAD_LINES[case]
    path = _jsonl(folder, [GOOD, "", GOOD, line])  # a blank line still counts: the bad row is line 4
    with pytest.raises(DataError, match=rf"m\.jsonl row 4: .*{re.escape(reason)}") as info:
        read_manifest(path)
    assert "\n" not in str(info.value)


def test_skip_bad_rows_records_them_with_one_warning(folder, caplog):
    lines = [GOOD] + [line for line, _ in BAD_LINES.values()] + [json.dumps({"file": "b.wav"})]
    path = _jsonl(folder, lines)
    with caplog.at_level(logging.WARNING, logger="genav.data.manifest"):
        ds = ManifestDataset(path, sample_rate=16000, skip_bad_rows=True)
    assert len(ds) == 2
    assert [row for row, _ in ds.bad_rows] == list(range(2, 2 + len(BAD_LINES)))
    assert [r for r in caplog.records if r.levelno == logging.WARNING and "bad row" in r.getMessage()] != []
    assert len([r for r in caplog.records if r.levelno >= logging.WARNING]) == 1
    assert ds[1]["audio"].shape == (1, 16000)


def test_all_rows_bad_is_an_error(folder):
    path = _jsonl(folder, [BAD_LINES["no file key"][0]])
    with pytest.raises(DataError, match="no usable rows"):
        read_manifest(path, skip_bad_rows=True)


def test_csv_rows_are_numbered_from_the_first_record(folder):
    path = folder / "m.csv"
    path.write_text("file,caption,start,end\na.wav,one,,\nb.wav,two,0.8,0.3\n")
    with pytest.raises(DataError, match=r"m\.csv row 2: end \(0\.3\) must be after start \(0\.8\)"):
        read_manifest(path)
    rows, bad = read_manifest(path, skip_bad_rows=True)
    assert [r.row for r in rows] == [1] and bad[0][0] == 2


def test_csv_without_file_column(folder):
    path = folder / "m.csv"
    path.write_text("path,caption\na.wav,x\n")
    with pytest.raises(DataError, match=r"row 0 \(the header\): no 'file' column"):
        read_manifest(path)
    with pytest.raises(DataError, match="no 'file' column"):
        read_manifest(path, skip_bad_rows=True)  # not a row problem: nothing can be read


def test_csv_fields_events_split_and_extra_keys(folder):
    path = folder / "m.csv"
    events = json.dumps([{"time": 0.25, "type": "door"}]).replace('"', '""')
    path.write_text(
        f'file,caption,split,label,events,source\na.wav,"a, quoted caption",train,door,"{events}",me\n'
        "b.wav,other,val,,,\n"
    )
    rows, _ = read_manifest(path, split="train")
    (row,) = rows
    assert row.caption == "a, quoted caption" and row.label == "door" and row.split == "train"
    assert row.events == [{"time": 0.25, "type": "door"}] and row.data["source"] == "me"
    with pytest.raises(DataError, match="no usable rows of split 'test'"):
        read_manifest(path, split="test")


def test_root_and_absolute_paths(folder, tmp_path_factory):
    elsewhere = tmp_path_factory.mktemp("manifests") / "m.jsonl"
    elsewhere.write_text(
        json.dumps({"file": "a.wav"}) + "\n" + json.dumps({"file": str(folder / "b.wav")}) + "\n"
    )
    with pytest.raises(DataError, match="row 1: file not found"):
        read_manifest(elsewhere)
    rows, _ = read_manifest(elsewhere, root=folder)
    assert [r.file for r in rows] == [folder / "a.wav", folder / "b.wav"]


def test_unknown_format_and_missing_manifest(folder):
    (folder / "m.txt").write_text("a.wav\n")
    with pytest.raises(DataError, match=r"must be \.jsonl or \.csv"):
        read_manifest(folder / "m.txt")
    with pytest.raises(DataError, match="manifest not found"):
        read_manifest(folder / "none.jsonl")


def test_read_manifest_rows_gives_raw_rows(folder):
    path = _jsonl(folder, [GOOD, "", json.dumps({"caption": "no file is fine here"})])
    assert read_manifest_rows(path) == [(1, json.loads(GOOD)), (3, {"caption": "no file is fine here"})]
    bad = _jsonl(folder, [GOOD, "[1, 2]"])
    with pytest.raises(DataError, match="row 2: a row must be a JSON object"):
        read_manifest_rows(bad)
