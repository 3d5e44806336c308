"""`genav train a2v`: a few adaptor steps through a frozen backbone -- genav's debug DiT, a random
tiny UNet3D and a random tiny Wan saved in their real folder layouts -- and the data it trains on."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from typer.testing import CliRunner

from genav.cli.app import app


def recipe(tmp_path: Path, settings: dict, *, model: dict | None = None, steps: int = 3) -> Path:
    data = {
        "model_type": "train-recipe", "task": "a2v", "description": "a2v test",
        "model": model or {"hidden": 16, "n_mels": 8, "layers": 2},
        "data": {"model_type": "recipe-data",
                 "synth": {"model_type": "recipe-synth", "clips": 3, "val_clips": 1, "seed": 0, "settings": settings}},
        "batch_size": 2, "steps": steps, "lr": 3e-3, "warmup_steps": 1, "ckpt_every": steps, "val_every": steps,
        "val_max_items": 2, "log_every": 1,
    }
    path = tmp_path / "recipe.json"
    path.write_text(json.dumps(data))
    return path


def train(backbone: str, tmp_path: Path, settings: dict, **kw) -> tuple[Path, dict]:
    out = tmp_path / "adaptor"
    res = CliRunner().invoke(app, ["train", "a2v", "--backbone", backbone, "--recipe", str(recipe(tmp_path, settings, **kw)),
                                   "--out", str(out), "--quiet", "--cache-dir", str(tmp_path / "cache")])
    assert res.exit_code == 0, res.output
    rows = [json.loads(x) for x in (out / "train" / "metrics.jsonl").read_text().splitlines()]
    return out, {"rows": rows, "output": res.output}


def test_train_on_debug_t2v_then_generate_with_the_folder(tmp_path):
    from genav.checkpoint import load_model_folder
    from genav.models.a2v_adaptor import A2VAdaptorConfig
    from genav.pipelines import AudioToVideoPipeline

    out, res = train("debug-t2v", tmp_path, {"fps": 8, "width": 32, "height": 32, "duration": 2.0})
    losses = [r["loss"] for r in res["rows"] if "loss" in r]
    assert len(losses) == 3 and all(torch.isfinite(torch.tensor(losses)))
    assert "8-frame windows" in res["output"]
    config, state = load_model_folder(out, A2VAdaptorConfig)
    assert config.backbone == "debug-t2v" and config.context_dim == 32 and len(config.backbone_checksum) == 16
    assert all(not k.startswith(("model.", "backbone.")) for k in state)  # the adaptor only
    assert "Audio-to-video adaptor" in (out / "MODEL_CARD.md").read_text()
    pipe = AudioToVideoPipeline.from_pretrained(out, device="cpu", dtype="float32")
    wave = torch.zeros(16000)
    wave[4000:4400] = 0.5
    video = pipe(wave, sample_rate=16000, num_steps=1, seed=0)
    assert video.frames.shape == (1, 8, 32, 32, 3) and video.metadata["model"] == "adaptor"


def test_the_backbone_stays_frozen_and_only_the_adaptor_learns(tmp_path):
    from genav.pipelines.video_backbones import load_video_backbone
    from genav.train.a2v import train_a2v
    from genav.train.recipe import load_recipe

    loaded = load_video_backbone("debug-t2v")
    before = {k: v.clone() for k, v in loaded.backbone.state_dict().items()}
    r = load_recipe(recipe(tmp_path, {"fps": 8, "width": 32, "height": 32, "duration": 2.0}, steps=2))
    run = train_a2v(r, tmp_path / "a", loaded.backbone, backbone_name="debug-t2v", checksum=loaded.checksum,
                    progress=False, cache_dir=tmp_path / "cache")
    assert run.result.step == 2 and run.window == 8
    after = loaded.backbone.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)


def test_wrong_data_for_the_backbone_is_a_clear_error(tmp_path):
    from genav.errors import ConfigError

    res = CliRunner().invoke(app, ["train", "a2v", "--backbone", "debug-t2v", "--recipe",
                                   str(recipe(tmp_path, {"fps": 10, "width": 32, "height": 32, "duration": 2.0})),
                                   "--out", str(tmp_path / "o"), "--quiet"])
    assert isinstance(res.exception, ConfigError)
    assert "10 fps" in str(res.exception) and "8 fps" in str(res.exception)


@pytest.mark.parametrize("kind,settings,window", [
    ("unet3d", {"fps": 8, "width": 32, "height": 32, "duration": 1.5}, 12),
    ("wan", {"fps": 16, "width": 32, "height": 32, "duration": 1.0}, 13),
])
def test_a_few_steps_on_tiny_diffusers_backbones(tiny_video_dirs, tmp_path, kind, settings, window):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out, res = train(str(tiny_video_dirs[kind]), tmp_path, settings, steps=2)
    losses = [r["loss"] for r in res["rows"] if "loss" in r]
    assert len(losses) == 2 and all(torch.isfinite(torch.tensor(losses)))
    assert f"{window}-frame windows" in res["output"]
    config = json.loads((out / "config.json").read_text())
    assert config["context_dim"] == 16 and Path(config["backbone"]).is_absolute()
