"""Dataset runs: discovery, per-clip failures, the report, the CLI, plots and the process pool."""

from __future__ import annotations

import csv
import json
import os

import numpy as np
import pytest
from typer.testing import CliRunner

from genav.cli.app import app
from genav.data.synth.calibration import click_track, jolt_frames, write_jolt_video, write_wav
from genav.errors import DataError
from genav.eval.runners.av_align_dataset import evaluate_av_align, resolve_clips
from genav.eval.runners.pool import map_ordered

EVENTS = [0.48, 1.20]  # 1.6 s clips keep the folder run cheap


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    """good1 (aligned), good2 (late 40 ms), still (static + silence), broken.mp4 (not a video),
    orphan.wav (no video), trackless.mp4 (no wav, no audio track)."""
    d = tmp_path_factory.mktemp("av_folder")
    for name, shift in (("good1", 0.0), ("good2", 0.04)):
        write_jolt_video(d / f"{name}.mp4", jolt_frames(EVENTS, duration=1.6))
        write_wav(d / f"{name}.wav", click_track([t + shift for t in EVENTS], duration=1.6))
    write_jolt_video(d / "still.mp4", jolt_frames(EVENTS, duration=1.6, static=True))
    write_wav(d / "still.wav", np.zeros(int(1.6 * 22050)))
    (d / "broken.mp4").write_bytes(b"\x00" * 2048)
    write_wav(d / "orphan.wav", click_track(EVENTS, duration=1.6))
    write_jolt_video(d / "trackless.mp4", jolt_frames(EVENTS, duration=0.4))
    (d / "notes.txt").write_text("ignored")
    return d


def test_resolve_folder_order_and_pairs(folder):
    clips = {c.name: c for c in resolve_clips([folder])}
    assert list(clips) == ["broken", "good1", "good2", "orphan", "still", "trackless"]
    assert clips["good1"].audio.name == "good1.wav"
    assert clips["trackless"].audio is None  # falls back to the video's own track
    assert clips["orphan"].video is None and "no video" in clips["orphan"].error


def test_resolve_manifests_and_errors(folder, tmp_path):
    jsonl = tmp_path / "m.jsonl"
    jsonl.write_text(
        json.dumps({"file": str(folder / "good1.mp4"), "audio": str(folder / "good1.wav")})
        + "\n\n"
        + json.dumps({"file": str(folder / "good2.mp4"), "name": "second"})
        + "\n"
    )
    clips = resolve_clips([jsonl])
    assert [c.name for c in clips] == ["good1", "second"]
    assert clips[0].audio == folder / "good1.wav" and clips[1].audio is None
    rel = folder / "m.csv"
    rel.write_text("file,audio\ngood1.mp4,good1.wav\n")  # relative to the manifest
    assert resolve_clips([rel])[0].video == folder / "good1.mp4"
    rel.unlink()
    # the same clip twice keeps unique names
    assert [c.name for c in resolve_clips([folder / "good1.mp4", jsonl])][:2] == [
        "good1",
        str(folder / "good1.mp4"),
    ]
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"audio": "x.wav"}\n')
    with pytest.raises(DataError, match="row 1 has no 'file'"):
        resolve_clips([bad])
    with pytest.raises(DataError, match="does not exist"):
        resolve_clips([tmp_path / "nope"])
    (tmp_path / "x.txt").write_text("x")
    with pytest.raises(DataError, match="not a video"):
        resolve_clips([tmp_path / "x.txt"])
    (tmp_path / "empty_dir").mkdir()
    with pytest.raises(DataError, match="no videos"):
        resolve_clips([tmp_path / "empty_dir"])


@pytest.fixture(scope="module")
def cli_run(folder, tmp_path_factory):
    """One CLI folder run (2 worker processes, JSON + CSV + plots), shared by the tests below."""
    out = tmp_path_factory.mktemp("av_cli")
    args = ["eval", "av-align", str(folder), "--json", str(out / "r.json"), "--csv", str(out / "r.csv")]
    result = CliRunner().invoke(app, [*args, "--plot", str(out / "plots"), "--workers", "2"])
    return {"result": result, "out": out, "args": args, "report": json.loads((out / "r.json").read_text())}


def test_folder_run_reports_every_problem(cli_run):
    report = cli_run["report"]
    rows = {r["name"]: r for r in report["clips"]}
    assert [r["name"] for r in report["clips"]] == sorted(rows)  # deterministic order
    assert rows["good1"]["score"] == 1.0 and rows["good2"]["score"] == 0.0
    assert rows["good1"]["n_audio_peaks"] == 2 and rows["good1"]["video_peaks"] == EVENTS
    assert rows["still"]["score"] is None and rows["still"]["error"] is None
    assert "broken.mp4" in rows["broken"]["error"]
    assert "no video" in rows["orphan"]["error"]
    assert "no audio track" in rows["trackless"]["error"]
    assert report["failed"] == ["broken", "orphan", "trackless"] and report["n_failed"] == 3
    assert report["undefined"] == ["still"] and report["n_undefined"] == 1
    assert report["mean"] == 0.5 and report["n_scored"] == 2
    assert report["metric"] == "av_align" and report["protocol"] == "reference"
    assert report["versions"]["opencv"]


def test_cli_folder_run_exits_nonzero_with_summary(cli_run):
    result, out = cli_run["result"], cli_run["out"]
    assert result.exit_code == 1, result.output
    assert "| good1 | 1 |" in result.output and "| still | undefined |" in result.output
    assert "mean 0.5000 over 2 of 6 clips" in result.output
    assert "1 undefined" in result.output
    assert "3 failed (left out of the mean): broken, orphan, trackless" in result.output
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("genav: error: 3 of 6 clips failed (first: broken: "), last
    assert len(list(csv.DictReader((out / "r.csv").open()))) == 6
    plots = out / "plots"
    assert sorted(p.name for p in plots.iterdir()) == ["good1.png", "good2.png", "still.png"]
    assert (plots / "good1.png").read_bytes()[:4] == b"\x89PNG"
    again = CliRunner().invoke(app, cli_run["args"])  # outputs exist, no --overwrite: refuse before work
    assert again.exit_code != 0 and "exists" in str(again.exception) + again.output


def test_api_run_in_process_matches_pool_run(folder, cli_run):
    report = evaluate_av_align([folder], workers=1)
    assert report["clips"] == [
        {k: v for k, v in r.items() if k != "plot"} for r in cli_run["report"]["clips"]
    ]


def test_cli_exit_zero_when_nothing_failed_even_with_undefined(folder, tmp_path):
    manifest = tmp_path / "m.csv"
    manifest.write_text(
        f"file,audio\n{folder}/good1.mp4,{folder}/good1.wav\n{folder}/still.mp4,{folder}/still.wav\n"
    )
    ok = CliRunner().invoke(app, ["eval", "av-align", str(manifest), "--protocol", "genav", "--workers", "1"])
    assert ok.exit_code == 0, ok.output
    assert "AV-Align (genav): mean 1.0000 over 1 of 2 clips" in ok.output and "1 undefined" in ok.output
    bad = CliRunner().invoke(app, ["eval", "av-align", str(folder), "--protocol", "other"])
    assert bad.exit_code != 0 and "unknown AV-Align protocol" in str(bad.exception)


def _square(x: int) -> int:
    if x == 3:
        raise ValueError("three")
    if x == 5:
        os._exit(1)  # a worker that dies
    return x * x


def test_pool_keeps_order_and_survives_errors_and_dead_workers():
    got = map_ordered(_square, [0, 1, 2, 3, 4], workers=2, on_error=lambda x, e: f"err {type(e).__name__}")
    assert got == [0, 1, 4, "err ValueError", 16]
    died = map_ordered(_square, [1, 5], workers=2, on_error=lambda x, e: "dead")
    assert died[1] == "dead"
    assert map_ordered(_square, [2, 3], workers=1, on_error=lambda x, e: None) == [4, None]
    with pytest.raises(ValueError):
        map_ordered(_square, [3], workers=1)
