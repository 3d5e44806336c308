"""`genav data synth` and write_synth_dataset: files, manifest schema, determinism, resuming."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from genav.cli.app import app
from genav.data.synth import EVENT_TYPES, SynthSettings, clip_seed, write_synth_dataset
from genav.errors import DataError, InputError, OutputExistsError
from genav.media import probe, read_frames

EVENT_KEYS = {
    "time": float,
    "frame": int,
    "type": str,
    "on_screen": bool,
    "audible": bool,
    "object": str,
    "strength": float,
}
ROW_KEYS = {
    "id": str,
    "file": str,
    "audio": str,
    "files": dict,
    "caption": str,
    "split": str,
    "duration": float,
    "fps": int,
    "width": int,
    "height": int,
    "sample_rate": int,
    "seed": int,
    "events": list,
    "textures": list,
    "settings": dict,
}


def check_row(row: dict, folder: Path) -> None:
    """The manifest schema of a synthetic clip."""
    for key, kind in ROW_KEYS.items():
        assert isinstance(row.get(key), kind), (key, row.get(key))
    assert row["file"] == row["files"]["video"] == f"{row['id']}.mp4"
    assert row["audio"] == row["files"]["audio"] == f"{row['id']}.wav"
    assert set(row["files"]) <= {"video", "audio", "silent"}
    for name in row["files"].values():
        assert (folder / name).is_file()
    assert row["caption"] and row["label"] in (None, *EVENT_TYPES)
    settings = SynthSettings.from_dict(row["settings"])  # strict: unknown or missing keys fail
    assert (settings.fps, settings.sample_rate, settings.duration) == (
        row["fps"],
        row["sample_rate"],
        row["duration"],
    )
    times = [e["time"] for e in row["events"]]
    assert times == sorted(times) and all(0 < t < row["duration"] for t in times)
    for event in row["events"]:
        for key, kind in EVENT_KEYS.items():
            assert isinstance(event[key], kind), (key, event)
        assert event["type"] in (*EVENT_TYPES, "distractor", "door", "impact", "drum", "beep", "knock")
    for texture in row["textures"]:
        assert texture["type"] in ("rain", "wind", "crowd") and isinstance(texture["on_screen"], bool)


def test_cli_writes_clips_and_a_valid_manifest(tmp_path):
    out = tmp_path / "set"
    result = CliRunner().invoke(
        app,
        [
            "data",
            "synth",
            str(out),
            "--n",
            "3",
            "--seed",
            "5",
            "--split",
            "val",
            "--workers",
            "0",
            "--size",
            "96x64",
            "--fps",
            "12",
            "--difficulty",
            "1",
        ],
    )
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in (out / "manifest.jsonl").read_text().splitlines()]
    assert [r["seed"] for r in rows] == [clip_seed("val", 5, i) for i in range(3)]
    for row in rows:
        check_row(row, out)
        assert "silent" not in row["files"] and row["split"] == "val" and row["width"] == 96
    info = probe(out / rows[0]["file"])
    assert info.has_video and info.has_audio and (info.width, info.height) == (96, 64)
    assert info.n_frames == 48 and info.fps == pytest.approx(12)
    assert not list(out.glob("*.silent.mp4"))


def test_manifest_of_the_fixture_validates_and_silent_copies_are_silent(synth_dir, synth_rows):
    for row in synth_rows:
        check_row(row, synth_dir)
        silent = probe(synth_dir / row["files"]["silent"])
        assert silent.has_video and not silent.has_audio


def test_two_runs_same_wav_bytes_and_same_frames(tmp_path, synth_dir, synth_rows):
    write_synth_dataset(tmp_path / "again", 4, seed=7, split="test", workers=0, progress=False)
    for row in synth_rows:
        assert (tmp_path / "again" / row["audio"]).read_bytes() == (synth_dir / row["audio"]).read_bytes()
        assert np.array_equal(
            read_frames(tmp_path / "again" / row["file"]), read_frames(synth_dir / row["file"])
        )


def test_splits_use_disjoint_seeds():
    ranges = {
        s: {clip_seed(s, seed, i) for seed in (0, 5_000_000) for i in range(0, 4_000_000, 999_983)}
        for s in ("train", "val", "test")
    }
    assert not (ranges["train"] & ranges["val"]) and not (ranges["val"] & ranges["test"])
    with pytest.raises(InputError, match="disjoint"):
        write_synth_dataset("unused", 10, seed=10**7 - 5)
    with pytest.raises(InputError, match="unknown split"):
        write_synth_dataset("unused", 1, split="dev")


def test_existing_manifest_needs_overwrite_and_resume_needs_same_settings(tmp_path):
    out = tmp_path / "set"
    write_synth_dataset(out, 2, seed=1, workers=0, progress=False)
    with pytest.raises(OutputExistsError):
        write_synth_dataset(out, 2, seed=1, workers=0, progress=False)
    # an interrupted run (no manifest yet) resumes with the same settings, keeping the files
    (out / "manifest.jsonl").unlink()
    wav = out / "train-00000001.wav"
    before = wav.stat().st_mtime_ns
    write_synth_dataset(out, 3, seed=1, workers=0, progress=False)
    assert wav.stat().st_mtime_ns == before and (out / "train-00000003.mp4").is_file()
    (out / "manifest.jsonl").unlink()
    with pytest.raises(DataError, match="other settings"):
        write_synth_dataset(out, 3, seed=1, settings=SynthSettings(fps=12), workers=0, progress=False)
    write_synth_dataset(
        out, 2, seed=1, settings=SynthSettings(fps=12), overwrite=True, workers=0, progress=False
    )
    assert probe(out / "train-00000001.mp4").n_frames == 48


def test_cli_errors_are_one_line(tmp_path):
    import subprocess
    import sys

    proc = subprocess.run(
        [sys.executable, "-m", "genav", "data", "synth", str(tmp_path / "x"), "--n", "1", "--fps", "40"],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 1 and proc.stderr.strip().splitlines() == [
        "genav: error: SynthSettings: fps must be in 8..30, got 40"
    ]
    proc = subprocess.run(
        [sys.executable, "-m", "genav", "data", "synth", str(tmp_path / "x"), "--size", "6x4x2"],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 1 and "--size must be N or WxH" in proc.stderr


def test_parallel_workers_write_the_same_files(tmp_path, synth_dir, synth_rows):
    write_synth_dataset(tmp_path / "par", 4, seed=7, split="test", workers=2, progress=False)
    rows = [json.loads(line) for line in (tmp_path / "par" / "manifest.jsonl").read_text().splitlines()]
    assert [r["id"] for r in rows] == [r["id"] for r in synth_rows]
    for row in rows:
        assert (tmp_path / "par" / row["audio"]).read_bytes() == (synth_dir / row["audio"]).read_bytes()
