"""The tagger trained through the generic trainer: augmentation, loss, a short run that learns."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from genav.errors import ConfigError
from genav.eval.classifiers.tagger import Tagger, TaggerConfig, load_tagger
from genav.train.recipe import Recipe
from genav.train.tagger import (
    SILENCE_DB,
    TaggerLoss,
    TaggerOptions,
    TaggerTrainSet,
    class_weights,
    random_crops,
    spec_augment,
)
from genav.train.trainer import Trainer, make_accelerator

TINY = TaggerConfig(channels=(4, 8), embedding_dim=8, classes=("low", "high"), min_seconds=0.25)


def test_crops_place_short_clips_in_silence_and_are_seeded():
    mels = [torch.zeros(5, 4), torch.zeros(30, 4)]
    gen = torch.Generator().manual_seed(0)
    out = random_crops(mels, 10, (0.0, 0.0), gen)
    assert out.shape == (2, 10, 4)
    assert int((out[0] == SILENCE_DB).all(dim=1).sum()) == 5  # 5 frames of clip, 5 of silence
    assert (out[1] == 0).all()
    again = random_crops(mels, 10, (-6.0, 6.0), torch.Generator().manual_seed(3))
    assert torch.equal(again, random_crops(mels, 10, (-6.0, 6.0), torch.Generator().manual_seed(3)))


def test_spec_augment_masks_with_the_row_minimum():
    mel = torch.arange(2 * 20 * 16, dtype=torch.float32).reshape(2, 20, 16)
    out = spec_augment(mel, 8, 10, torch.Generator().manual_seed(1))
    changed = out != mel
    assert changed.any()
    assert torch.all(
        out[changed.nonzero(as_tuple=True)]
        == torch.stack([mel[0].min(), mel[1].min()])[changed.nonzero()[:, 0]]
    )


def test_class_weights_favour_rare_classes():
    w = class_weights([0, 0, 0, 0, 1], 3, 0.5)
    assert w[1] > w[0] and abs(float(w.mean()) - 1.0) < 1e-6


def test_options_are_strict():
    with pytest.raises(ConfigError):
        TaggerOptions(label_smoothing=1.5)
    with pytest.raises(ConfigError, match="unknown"):
        TaggerOptions.from_dict({"mixup": 0.2})


def _tones(n: int, rate: int = 16000) -> tuple[list[np.ndarray], list[int]]:
    rng = np.random.default_rng(0)
    waves, labels = [], []
    for _ in range(n):
        for k, freq in enumerate((300.0, 4000.0)):
            t = np.arange(int(rate * rng.uniform(0.3, 0.6))) / rate
            waves.append((0.3 * np.sin(2 * np.pi * freq * rng.uniform(0.9, 1.1) * t)).astype(np.float32))
            labels.append(k)
    return waves, labels


def test_the_generic_trainer_learns_two_tones(tmp_path):
    from genav.eval.metrics.label_scores import accuracy_table
    from genav.train.tagger_data import tagger_logits
    from genav.train.tagger_run import clip_logmels

    torch.manual_seed(0)
    model = Tagger(TINY)
    waves, labels = _tones(12)
    data = TaggerTrainSet(clip_logmels(model, waves[:16]), labels[:16])
    frames = 1 + int(0.25 * 16000) // TINY.hop
    loss = TaggerLoss(frames, class_weights(labels[:16], 2, 0.5), TaggerOptions())
    recipe = Recipe(task="tagger", batch_size=8, steps=60, lr=1e-2, warmup_steps=5, ckpt_every=30, val_every=1000,
                    val_samples=0, ema_decay=0.9)  # fmt: skip
    trainer = Trainer(model, recipe, loss_fn=loss, train_set=data, run_dir=tmp_path,
                      accelerator=make_accelerator("no", "cpu"), progress=False)  # fmt: skip
    result = trainer.fit()
    assert result.step == 60
    table = accuracy_table(tagger_logits(trainer.averaged_model(), waves[16:]), [TINY.classes[k] for k in labels[16:]],
                           TINY.classes)  # fmt: skip
    assert table["top1"] >= 0.75 and set(table["per_label"]) == {"low", "high"}


def test_train_command_writes_a_strict_model_folder_with_card(tmp_path):
    import soundfile as sf
    from typer.testing import CliRunner

    from genav.cli.app import app

    data = tmp_path / "sfx"
    data.mkdir()
    rows = []
    for i in range(6):
        for label, freq in (("low hum", 300.0), ("high whistle", 3000.0)):
            name = f"{label.split()[0]}{i}.wav"
            t = np.arange(4000) / 16000
            sf.write(data / name, (0.3 * np.sin(2 * np.pi * freq * t)).astype(np.float32), 16000)
            rows.append({"file": name, "label": label, "licence": "CC0-1.0", "source": "test",
                         "split": "test" if i == 5 else "train", "group": f"{label}{i}"})  # fmt: skip
    (data / "manifest.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    recipe = {
        "task": "tagger", "model": {"channels": [4, 8], "embedding_dim": 8},
        "data": {"manifests": ["sfx/manifest.jsonl"], "split": "train", "val_manifests": ["sfx/manifest.jsonl"],
                 "val_split": "test", "crop_seconds": 0.25},
        "batch_size": 4, "steps": 4, "warmup_steps": 1, "ckpt_every": 2, "val_samples": 0,
        "options": {"synth_per_type": 0, "synth_test_per_type": 0, "codec_augment": False},
    }  # fmt: skip
    (tmp_path / "r.json").write_text(json.dumps(recipe))
    out = tmp_path / "tagger"
    args = [
        "train",
        "tagger",
        "--recipe",
        str(tmp_path / "r.json"),
        "--out",
        str(out),
        "--quiet",
        "--threads",
        "1",
    ]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "held-out top-1" in result.output and f"wrote {out}" in result.output
    model = load_tagger(out)
    assert model.config.classes == ("high whistle", "low hum")
    card = (out / "MODEL_CARD.md").read_text()
    assert "Held-out accuracy" in card and "CC0-1.0 — test" in card and "--recipe" in card
    assert json.loads((out / "train" / "held_out.json").read_text())["recorded"]["n"] == 2
    again = CliRunner().invoke(app, args)
    assert again.exit_code != 0  # no overwrite without --overwrite
