"""The genav tagger: label mapping, strict save/load, the shipped model (training: tests/train/test_tagger.py)."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from genav.errors import CheckpointError
from genav.eval.classifiers.tagger import Tagger, TaggerConfig, load_tagger, save_tagger
from genav.eval.classifiers.tagger_labels import ALL_CLASSES, COARSE_CLASSES, classes_present, coarse_class
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


def test_shipped_tagger_loads_as_the_default_classifier():
    from genav.eval.classifiers.registry import load_classifier
    from genav.registry import CHECKPOINTS_DIR

    folder = CHECKPOINTS_DIR / "genav-tagger"
    # a committed file: missing is a failure, not a skip
    assert (folder / "model.safetensors").is_file(), f"{folder}/model.safetensors is missing"
    clf = load_classifier()
    assert clf.info.name == "genav-tagger" and clf.info.family == "genav-tagger"
    assert (folder / "model.safetensors").stat().st_size < 20 * 2**20
    assert "Held-out accuracy" in (folder / "MODEL_CARD.md").read_text()
    logits, emb = clf.classify([np.zeros(8000, dtype=np.float32), np.ones(16000, dtype=np.float32) * 0.1])
    assert logits.shape == (2, len(clf.model.config.classes)) and emb.shape == (2, clf.info.embedding_dim)
    assert np.isfinite(logits).all()
