"""Folder-level KLD / FD / IS and the `genav eval kld|fad|is|all` commands, on small folders."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from typer.testing import CliRunner

from genav.eval.classifiers.registry import load_classifier
from genav.eval.classifiers.tagger import Tagger, TaggerConfig, save_tagger
from genav.eval.metrics.kld import kl_divergence
from genav.eval.runners.audio_metrics import collect_items, evaluate_fad, evaluate_is, evaluate_kld
from genav.eval.runners.audio_prep import prepare_audio
from genav.eval.runners.kld_variants import get_variant
from tests.eval._threads import one_torch_thread  # noqa: F401 (autouse fixture)

RATE = 16000


def _tone(freq: float, seconds: float, rate: int = RATE, channels: int = 1) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    wave = 0.3 * np.sin(2 * np.pi * freq * t) + 0.01 * np.random.default_rng(int(freq)).standard_normal(len(t))
    return np.stack([wave] * channels, axis=1).astype(np.float32)


@pytest.fixture(scope="module")
def tagger_dir(tmp_path_factory) -> Path:
    import torch

    torch.manual_seed(0)
    config = TaggerConfig(channels=(4, 8), embedding_dim=8, classes=("a", "b", "c"), min_seconds=0.25)
    return save_tagger(Tagger(config).eval(), tmp_path_factory.mktemp("tagger") / "tiny")


@pytest.fixture()
def folders(tmp_path) -> tuple[Path, Path]:
    ref, gen = tmp_path / "ref", tmp_path / "gen"
    ref.mkdir()
    gen.mkdir()
    for i, name in enumerate(["a", "b", "c"]):
        sf.write(ref / f"{name}.wav", _tone(300 + 200 * i, 0.5, channels=2), RATE)
    sf.write(gen / "a.wav", _tone(900, 0.5), RATE)
    sf.write(gen / "b.flac", _tone(2000, 0.6, rate=22050), 22050)
    sf.write(gen / "d.wav", _tone(500, 0.5), RATE)  # no reference
    return ref, gen


def test_kld_pairs_by_stem_and_reports_unpaired(folders, tagger_dir):
    ref, gen = folders
    report = evaluate_kld(ref, gen, classifier=str(tagger_dir), workers=1)
    assert report["variant"] == "panns16k-softmax" and report["classifier"] == "genav-tagger"
    assert report["comparable_to_published"] is False and report["sample_rate"] == RATE
    assert {"numpy", "torch", "librosa"} <= set(report["versions"])
    assert report["unpaired"] == {"ref_only": ["c"], "gen_only": ["d"]}
    assert report["n_pairs"] == 2 and report["n_unpaired"] == 2 and report["n_failed"] == 0
    rows = {r["name"]: r for r in report["items"]}
    assert rows["c"]["error"].startswith("unpaired") and rows["d"]["error"].startswith("unpaired")
    # the mean is the KL of the classifier outputs of the prepared pairs
    clf = load_classifier(str(tagger_dir))
    prep = get_variant("panns16k-softmax").prep

    def logits(path: Path) -> np.ndarray:
        data, rate = sf.read(path, dtype="float32", always_2d=True)
        return clf.classify(prepare_audio(data.T, rate, prep, RATE))[0]

    ref_l = np.concatenate([logits(ref / "a.wav"), logits(ref / "b.wav")])
    gen_l = np.concatenate([logits(gen / "a.wav"), logits(gen / "b.flac")])
    assert report["mean"] == pytest.approx(kl_divergence(ref_l, gen_l), rel=1e-3)  # batching moves float bits
    assert np.mean([rows["a"]["score"], rows["b"]["score"]]) == pytest.approx(report["mean"], rel=1e-5)


def test_identical_folders_give_zero_and_eps_variant_is_slightly_negative(folders, tagger_dir):
    ref, _ = folders
    assert evaluate_kld(ref, ref, classifier=str(tagger_dir), workers=1)["mean"] == 0.0
    eps = evaluate_kld(ref, ref, variant="panns-softmax-eps", classifier=str(tagger_dir), workers=1)
    assert eps["mean"] <= 0.0 and eps["variant_info"]["preparation"]["channels"] == "first"


def test_unreadable_and_ambiguous_items_fail_alone(folders, tagger_dir):
    ref, gen = folders
    (gen / "c.wav").write_bytes(b"RIFF garbage")
    sf.write(gen / "d.flac", _tone(500, 0.5), RATE)  # d.wav and d.flac: ambiguous
    report = evaluate_kld(ref, gen, classifier=str(tagger_dir), workers=2)
    rows = {r["name"]: r for r in report["items"]}
    assert rows["c"]["error"].startswith("generated:") and rows["c"]["score"] is None
    assert [i.error for i in collect_items(gen) if i.name == "d"][0].startswith("ambiguous")
    assert report["n_failed"] == 1 and report["n_pairs"] == 2 and report["mean"] is not None


def test_segmented_variant_counts_segments(tmp_path, tagger_dir):
    ref, gen = tmp_path / "r", tmp_path / "g"
    ref.mkdir()
    gen.mkdir()
    sf.write(ref / "x.wav", _tone(440, 21.0), RATE)
    sf.write(gen / "x.wav", _tone(880, 25.0), RATE)  # cut to the shorter clip: 10 + 10 + 1 s
    report = evaluate_kld(ref, gen, variant="passt-softmax-eps-seg10", classifier=str(tagger_dir), workers=1)
    assert report["items"][0]["n_segments"] == 3 and report["n_pairs"] == 3
    assert report["comparable_to_published"] is False


def test_fad_and_is(folders, tagger_dir):
    ref, gen = folders
    fad = evaluate_fad(ref, gen, classifier=str(tagger_dir), workers=1)
    assert fad["n_ref"] == 3 and fad["n_gen"] == 3 and np.isfinite(fad["value"]) and fad["value"] >= -1e-6
    assert abs(evaluate_fad(ref, ref, classifier=str(tagger_dir))["value"]) < 1e-3
    inception = evaluate_is(gen, classifier=str(tagger_dir), splits=3, workers=1)
    assert inception["n_items"] == 3 and inception["mean"] >= 1.0 - 1e-9
    assert all(r["top_class"] in ("a", "b", "c") for r in inception["items"])
    too_few = evaluate_is(gen, classifier=str(tagger_dir), splits=10)
    assert too_few["mean"] is None and "at least 10" in too_few["value_error"]


def _run(args: list[str]):
    from genav.cli.app import app

    return CliRunner().invoke(app, args)


def test_cli_kld_reports_the_unpaired_item_and_exits_nonzero(folders, tagger_dir, tmp_path):
    ref, gen = folders
    out = tmp_path / "kld.json"
    result = _run(["eval", "kld", "--ref", str(ref), "--gen", str(gen), "--classifier", str(tagger_dir),
                   "--json", str(out), "--csv", str(tmp_path / "kld.csv")])  # fmt: skip
    assert result.exit_code == 1, result.output
    assert "| name | score |" in result.output and "unpaired" in result.output
    assert "comparable to published: false" in result.output
    report = json.loads(out.read_text())
    assert report["unpaired"]["ref_only"] == ["c"] and report["variant"] == "panns16k-softmax"
    assert (tmp_path / "kld.csv").read_text().startswith("name,score")


def test_cli_all_writes_one_report(folders, tagger_dir, tmp_path):
    ref, _ = folders
    out = tmp_path / "all.json"
    result = _run(["eval", "all", "--ref", str(ref), "--gen", str(ref), "--classifier", str(tagger_dir),
                   "--json", str(out)])  # fmt: skip
    assert result.exit_code == 1, result.output  # IS needs 10 items: reported, not a crash
    report = json.loads(out.read_text())
    assert set(report) >= {"kld", "fad", "is", "av_align", "items"}
    assert report["kld"]["mean"] == 0.0 and report["av_align"] is None
    assert "AV-Align not computed" in report["av_align_note"]
    assert [r["name"] for r in report["items"]] == ["KLD (panns16k-softmax)", "FD", "IS"]


def test_cli_unknown_variant_fails_before_work(folders):
    ref, gen = folders
    result = _run(["eval", "kld", "--ref", str(ref), "--gen", str(gen), "--variant", "nope"])
    assert result.exit_code != 0


def test_all_with_generated_videos_adds_av_align(folders, tagger_dir, tmp_path):
    from genav.eval.runners.audio_metrics import evaluate_all
    from genav.media import Audio, write_video

    ref, _ = folders
    gen = tmp_path / "videos"
    gen.mkdir()
    frames = np.zeros((12, 64, 64, 3), dtype=np.uint8)
    for name in ("a", "b"):
        write_video(gen / f"{name}.mp4", frames, 24.0, audio=Audio(_tone(700, 0.5)[:, 0], RATE))
    report = evaluate_all(ref, gen, classifier=str(tagger_dir), workers=1)
    assert report["kld"]["n_pairs"] == 2  # the videos' own audio tracks
    assert report["av_align"] is not None and report["av_align"]["n_clips"] == 2
    assert report["items"][-1]["name"] == "AV-Align (reference)"
