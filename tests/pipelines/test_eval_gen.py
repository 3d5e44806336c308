"""`genav eval t2a` and `genav eval distractors` end to end on debug models and tiny data."""

from __future__ import annotations

import json

import numpy as np
import pytest
import soundfile as sf
from typer.testing import CliRunner

from genav.cli.app import app
from genav.errors import OutputExistsError
from genav.eval.classifiers.tagger import Tagger, TaggerConfig, save_tagger
from genav.pipelines import TextToAudioPipeline
from genav.pipelines.eval_distractors import onset_counts
from genav.pipelines.eval_t2a import select_rows, t2a_markdown


def test_select_rows_spreads_over_labels():
    rows = [{"label": lab, "i": i} for i, lab in enumerate("aaabbc")]
    assert [r["label"] for r in select_rows(rows, 4)] == ["a", "b", "c", "a"]
    assert len(select_rows(rows, None)) == 6


def test_onset_counts_hear_clicks_not_silence():
    sr = 16000
    clicks = np.zeros(4 * sr, dtype=np.float32)
    for t in (0.5, 1.5, 2.5, 3.5):
        clicks[int(t * sr) : int(t * sr) + 400] = np.random.default_rng(0).normal(0, 0.3, 400)
    out = onset_counts(clicks, sr)
    assert out["onsets_per_10s"] == pytest.approx(10.0, abs=2.6) and out["loud_onsets_per_10s"] >= 7.5
    quiet = onset_counts(clicks * 1e-3, sr)
    assert quiet["loud_onsets_per_10s"] == 0 and quiet["rms_dbfs"] < -60
    assert onset_counts(np.zeros(sr, dtype=np.float32), sr)["onsets_per_10s"] == 0


@pytest.fixture()
def tiny_set(tmp_path):
    rows = []
    for i in range(4):
        for label, freq in (("low hum", 200.0), ("high whistle", 3000.0)):
            name = f"{label.split()[0]}{i}.wav"
            t = np.arange(8000) / 16000
            sf.write(tmp_path / name, (0.3 * np.sin(2 * np.pi * freq * t)).astype(np.float32), 16000)
            caps = [f"A {label}, take {i}.", f"Some {label}, take {i}.", f"The {label} sound."]
            rows.append({"file": name, "label": label, "captions": caps, "caption": caps[0], "split": "test"})
    (tmp_path / "manifest.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    save_tagger(Tagger(TaggerConfig(channels=(4, 8), embedding_dim=8, classes=("high whistle", "low hum"))),
                tmp_path / "tagger")  # fmt: skip
    return tmp_path


def test_eval_t2a_writes_json_and_markdown(tiny_set, monkeypatch):
    monkeypatch.setenv("GENAV_PROGRESS", "0")
    out = tiny_set / "report"
    args = ["eval", "t2a", "--model", "debug-foley", "--manifest", str(tiny_set / "manifest.jsonl"), "--n", "3",
            "--durations", "1,2", "--steps", "2", "--classifier", str(tiny_set / "tagger"), "--out", str(out),
            "--keep-audio"]  # fmt: skip
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    report = json.loads((out / "report.json").read_text())
    assert report["n_clips"] == 3 and set(report["generated"]) == {"1", "2"}
    assert all(item["prompt"].startswith("A ") for item in report["items"])  # the held-out template
    assert report["ceiling"]["n"] == 3 and 0.0 <= report["generated"]["2"]["top3"] <= 1.0
    assert "real test clips (ceiling)" in (out / "report.md").read_text()
    assert len(list((out / "audio" / "2s").glob("*.wav"))) == 3
    again = CliRunner().invoke(app, args)
    assert again.exit_code != 0 and isinstance(again.exception, OutputExistsError)


def test_eval_t2a_in_windows_records_them(tiny_set, monkeypatch):
    monkeypatch.setenv("GENAV_PROGRESS", "0")
    calls = []
    real = TextToAudioPipeline.__call__

    def spy(self, *args, **kwargs):
        out = real(self, *args, **kwargs)
        calls.append(len(out.metadata["settings"]["windows"]))
        return out

    monkeypatch.setattr(TextToAudioPipeline, "__call__", spy)
    args = ["eval", "t2a", "--model", "debug-foley", "--manifest", str(tiny_set / "manifest.jsonl"), "--n", "2",
            "--durations", "2.5", "--steps", "1", "--window", "1", "--classifier", str(tiny_set / "tagger"),
            "--json"]  # fmt: skip
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["window"] == 1.0 and calls == [4]  # 2.5 s: 1 s windows sharing 0.25 s
    assert "windows of 1 s" in t2a_markdown(json.loads(result.output))


def test_kept_audio_is_judged_again_without_the_model(tiny_set, monkeypatch):
    from genav.errors import DataError

    monkeypatch.setenv("GENAV_PROGRESS", "0")
    first = tiny_set / "first"
    common = ["--manifest", str(tiny_set / "manifest.jsonl"), "--classifier", str(tiny_set / "tagger")]
    args = ["eval", "t2a", "--model", "debug-foley", *common, "--n", "3", "--durations", "1,2", "--steps", "2",
            "--cfg", "3", "--seed", "5", "--out", str(first), "--keep-audio"]  # fmt: skip
    assert CliRunner().invoke(app, args).exit_code == 0
    original = json.loads((first / "report.json").read_text())

    def load_no_model(*_a, **_k):
        raise AssertionError("rejudging must not load the model")

    monkeypatch.setattr("genav.pipelines.auto.AutoTextToAudioPipeline.from_pretrained", load_no_model)
    again = tiny_set / "again"
    rejudge = ["eval", "t2a", *common, "--rejudge", str(first / "audio"), "--out", str(again)]
    result = CliRunner().invoke(app, rejudge)
    assert result.exit_code == 0, result.output
    report = json.loads((again / "report.json").read_text())
    assert "Judged again from the wavs kept in" in (again / "report.md").read_text()
    # the same judge on the same wavs gives the same report, settings and peaks taken from the kept run
    for key in ("model", "model_checksum", "durations", "num_steps", "guidance_scale", "seed", "items", "ceiling"):
        assert report[key] == original[key], key
    for d in ("1", "2"):
        assert report["generated"][d]["top3"] == original["generated"][d]["top3"]
        assert report["generated"][d]["peak_before_gain"] == original["generated"][d]["peak_before_gain"]
    # another judge: its own checksum in the report
    save_tagger(Tagger(TaggerConfig(channels=(8, 8), embedding_dim=8, classes=("high whistle", "low hum"))),
                tiny_set / "tagger2")  # fmt: skip
    other = ["eval", "t2a", "--manifest", str(tiny_set / "manifest.jsonl"), "--classifier", str(tiny_set / "tagger2"),
             "--rejudge", str(first / "audio"), "--json"]  # fmt: skip
    result = CliRunner().invoke(app, other)
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["classifier"]["checksum"] != original["classifier"]["checksum"]
    # a missing wav or a folder without the index: one clear error
    next((first / "audio" / "2s").glob("*.wav")).unlink()
    result = CliRunner().invoke(app, [*rejudge[:-2], "--json"])
    assert isinstance(result.exception, DataError) and "kept wavs missing" in str(result.exception)
    result = CliRunner().invoke(app, ["eval", "t2a", *common, "--rejudge", str(tiny_set), "--json"])
    assert isinstance(result.exception, DataError) and "generation.json" in str(result.exception)
    bad = CliRunner().invoke(app, [*rejudge[:-2], "--keep-audio", "--out", str(tiny_set / "x")])
    assert bad.exit_code != 0 and "drop --keep-audio" in str(bad.exception)


def test_eval_t2a_needs_a_judge_that_knows_the_labels(tiny_set, monkeypatch):
    monkeypatch.setenv("GENAV_PROGRESS", "0")
    save_tagger(Tagger(TaggerConfig(channels=(4, 8), embedding_dim=8, classes=("x", "y"))), tiny_set / "other")
    args = ["eval", "t2a", "--model", "debug-foley", "--manifest", str(tiny_set / "manifest.jsonl"), "--n", "2",
            "--classifier", str(tiny_set / "other")]  # fmt: skip
    result = CliRunner().invoke(app, args)
    assert result.exit_code != 0


@pytest.mark.slow  # ~30 s: ten ffmpeg clips and eleven generations
def test_eval_distractors_counts_onsets_of_every_clip(tmp_path, monkeypatch):
    from genav.pipelines.eval_distractors import distractors_markdown, eval_distractors

    monkeypatch.setenv("GENAV_PROGRESS", "0")
    report = eval_distractors("debug-foley", n_synth=1, seconds=2.0, fps=12, num_steps=2, workdir=tmp_path)
    names = [r["name"] for r in report["clips"]]
    effects = ["cuts", "pan", "shake", "flicker", "noise"]
    assert names[:10] == [f"ff-{e}" for e in effects] + [f"still-{e}" for e in effects] and len(names) == 11
    assert "silent" in report["clips"][10]["description"]
    assert set(report["median_by_group"]) == {"animated", "still", "synthetic"}
    for key in ("onsets_per_10s", "loud_onsets_per_10s", "peak_before_gain"):
        assert report["median"][key] >= 0
    assert "Median onsets per 10 s" in distractors_markdown(report)
    assert not list(tmp_path.iterdir())


def test_eval_v2a_with_real_prompts_and_placement(tiny_set, monkeypatch):
    monkeypatch.setenv("GENAV_PROGRESS", "0")
    out = tiny_set / "v2a"
    args = ["eval", "v2a", "--model", "debug-foley", "--n", "2", "--fps", "10", "--seconds", "2", "--steps", "2",
            "--sfx2-prompts", "--sound-model", "debug-foley", "--manifest", str(tiny_set / "manifest.jsonl"),
            "--classifier", str(tiny_set / "tagger"), "--out", str(out)]  # fmt: skip
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    report = json.loads((out / "report.json").read_text())
    swap = report["by_fps"]["10"]["swap"]
    assert report["prompt"] == "sfx2" and report["sound_model"]["name"] == "debug-foley"
    assert swap["n"] == 2 and swap["n_ranked"] == 2 and swap["own_top1"] is None and swap["prompted_top3"] == 1.0
    assert "placed at the onsets" in (out / "report.md").read_text()
    both = CliRunner().invoke(app, [*args[:-2], "--no-caption", "--out", str(tiny_set / "x")])
    assert both.exit_code != 0 and "exclude each other" in str(both.exception)
