"""The genav tagger: label mapping, grouped split, strict save/load, a short training run."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from genav.eval.tagger_train import LabelledClip, TrainSettings, split_holdout, train_tagger

from genav.errors import CheckpointError, DataError
from genav.eval.tagger import Tagger, TaggerConfig, load_tagger, save_tagger
from genav.eval.tagger_labels import ALL_CLASSES, COARSE_CLASSES, classes_present, coarse_class
from tests.eval._threads import one_torch_thread  # noqa: F401 (autouse fixture)

TINY = TaggerConfig(channels=(4, 8), embedding_dim=8, classes=("low", "high"), min_seconds=0.25)


@pytest.mark.parametrize(
    ("file", "label", "expected"),
    [
        ("minetest/default_metal_footstep.1.ogg", "footstep on metal", "footsteps"),
        ("minetest/doors_steel_door_close.ogg", "steel door closing", "door"),
        ("tuxpaint/vehicles__emergency__firetruck.ogg", "firetruck", "vehicle_machine"),
        ("minetest/fire_fire.1.ogg", "fire crackling (large fire)", "fire_hiss"),
        ("tuxpaint/animals__birds__owl.ogg", "owl", "bird"),
        ("tuxpaint/animals__mammals__dogs__dog.ogg", "dog", "animal"),
        ("minetest/default_break_glass.1.ogg", "glass breaking", "glass_ice"),
        ("tuxpaint/seasonal__christmas__gift.ogg", "gift", None),
    ],
)
def test_coarse_classes(file, label, expected):
    assert coarse_class(file, label) == expected


def test_every_sfx_class_occurs(sfx_manifest):
    found = {coarse_class(r["file"], r["label"]) for r in sfx_manifest}
    assert set(COARSE_CLASSES) <= found
    assert sum(coarse_class(r["file"], r["label"]) is None for r in sfx_manifest) < 0.15 * len(sfx_manifest)


def test_classes_present_keeps_canonical_order():
    assert classes_present({"synth_drum", "bird", "footsteps"}) == ("footsteps", "bird", "synth_drum")
    assert len(set(ALL_CLASSES)) == len(ALL_CLASSES)


def _clip(name: str, label: str, group: str | None = None) -> LabelledClip:
    return LabelledClip(name, np.zeros(10, dtype=np.float32), label, group or name)


def test_split_is_stratified_grouped_and_seeded():
    clips = [_clip(f"a{i}", "a") for i in range(10)]
    clips += [_clip(f"b{i}", "b", group=f"g{i // 3}") for i in range(9)]  # groups of three variants
    train, test = split_holdout(clips, 0.2, seed=3)
    assert sorted(train + test) == list(range(len(clips)))
    assert sum(clips[i].label == "a" for i in test) == 2
    test_groups = {clips[i].group for i in test if clips[i].label == "b"}
    train_groups = {clips[i].group for i in train if clips[i].label == "b"}
    assert not test_groups & train_groups  # a group never straddles the split
    assert split_holdout(clips, 0.2, seed=3) == (train, test)


def test_tagger_shapes_and_padding():
    model = Tagger(TINY).eval()
    with torch.no_grad():
        logits, emb = model(torch.randn(3, 1000))  # shorter than min_seconds: padded
    assert logits.shape == (3, 2) and emb.shape == (3, 8)
    assert model.pad(torch.zeros(1, 100)).shape[-1] == 4000


def test_save_load_round_trip_is_strict(tmp_path):
    model = Tagger(TINY).eval()
    save_tagger(model, tmp_path / "t")
    loaded = load_tagger(tmp_path / "t")
    assert loaded.config == TINY
    wave = torch.randn(1, 5000)
    with torch.no_grad():
        torch.testing.assert_close(loaded(wave)[0], model(wave)[0])
    cfg = json.loads((tmp_path / "t" / "config.json").read_text())
    cfg["channels"] = [4, 16]
    (tmp_path / "t" / "config.json").write_text(json.dumps(cfg))
    with pytest.raises(CheckpointError, match="shape mismatch"):
        load_tagger(tmp_path / "t")


def _tone_clips(n: int, rate: int = 16000) -> list[LabelledClip]:
    rng = np.random.default_rng(0)
    clips = []
    for i in range(n):
        for label, freq in (("low", 300.0), ("high", 4000.0)):
            t = np.arange(int(rate * rng.uniform(0.3, 0.6))) / rate
            wave = (0.3 * np.sin(2 * np.pi * freq * rng.uniform(0.9, 1.1) * t)).astype(np.float32)
            clips.append(LabelledClip(f"{label}{i}", wave, label, f"{label}{i}"))
    return clips


def test_short_training_learns_two_tones():
    result = train_tagger(_tone_clips(10), TINY, TrainSettings(epochs=60, batch_size=8, crop_seconds=0.25, lr=1e-2))
    assert len(result.test_names) == 4 and len(result.train_names) == 16
    assert result.accuracy is not None and result.accuracy >= 0.75
    assert set(result.per_class) == {"low", "high"}


def test_training_refuses_unknown_classes():
    with pytest.raises(DataError, match="does not list"):
        train_tagger([_clip("x", "other"), _clip("y", "low")], TINY, TrainSettings(epochs=1))


def test_train_command_writes_a_strict_model_folder_with_card(tmp_path):
    import soundfile as sf
    from typer.testing import CliRunner

    from genav.cli.app import app

    data = tmp_path / "sfx"
    data.mkdir()
    rows = []
    for i in range(4):
        for label, freq in (("footstep on gravel", 300.0), ("bell / chime ding", 3000.0)):
            name = f"{label.split()[0]}{i}.wav"
            t = np.arange(4000) / 16000
            sf.write(data / name, (0.3 * np.sin(2 * np.pi * freq * t)).astype(np.float32), 16000)
            rows.append({"file": name, "label": label, "licence": "CC0-1.0", "source": "test"})
    rows.append({"file": "x.wav", "label": "gift", "licence": "CC0-1.0", "source": "test"})  # no class: skipped
    (data / "manifest.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    out = tmp_path / "tagger"
    args = ["train", "tagger", "--data", str(data / "manifest.jsonl"), "--out", str(out), "--epochs", "2",
            "--synth-per-type", "0", "--quiet"]  # fmt: skip
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "held-out accuracy" in result.output
    model = load_tagger(out)
    assert model.config.classes == ("footsteps", "music_bell")
    card = (out / "MODEL_CARD.md").read_text()
    assert "Held-out accuracy" in card and "CC0-1.0 — test" in card and "--epochs 2 --seed 0" in card
    assert "1 clips matched no rule" in card
    again = CliRunner().invoke(app, args)
    assert again.exit_code != 0  # no overwrite without --overwrite


def test_shipped_tagger_loads_as_the_default_classifier():
    from genav.eval.classifiers import load_classifier
    from genav.registry import CHECKPOINTS_DIR

    folder = CHECKPOINTS_DIR / "genav-tagger"
    if not (folder / "model.safetensors").exists():
        pytest.skip("checkpoints/genav-tagger not trained yet")
    clf = load_classifier()
    assert clf.info.name == "genav-tagger" and clf.info.family == "genav-tagger"
    assert (folder / "model.safetensors").stat().st_size < 20 * 2**20
    assert "Held-out accuracy" in (folder / "MODEL_CARD.md").read_text()
    logits, emb = clf.classify([np.zeros(8000, dtype=np.float32), np.ones(16000, dtype=np.float32) * 0.1])
    assert logits.shape == (2, len(clf.model.config.classes)) and emb.shape == (2, clf.info.embedding_dim)
    assert np.isfinite(logits).all()
