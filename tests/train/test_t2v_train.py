"""`train_t2v` through the generic trainer: a model folder that loads, and a resumed run that
ends where an uninterrupted one does."""

from __future__ import annotations

import json

import pytest
import torch

from genav.checkpoint import load_safetensors
from genav.pipelines.video_backbones import load_t2v_folder
from genav.train.recipe import Recipe
from genav.train.t2v import train_t2v

TINY = {
    "model_type": "train-recipe",
    "version": 1,
    "task": "t2v",
    "model": {
        "model_type": "t2v-dit",
        "version": 1,
        "frame_size": 32,
        "patch": 8,
        "fps": 8.0,
        "max_frames": 4,
        "hidden": 16,
        "depth": 1,
        "heads": 2,
        "mlp_ratio": 2.0,
        "text_dim": 16,
        "text_encoder": {"model_type": "text-encoder", "version": 1, "kind": "hash", "dim": 16},
    },
    "data": {
        "model_type": "recipe-data",
        "version": 1,
        "synth": {
            "model_type": "recipe-synth",
            "version": 1,
            "clips": 2,
            "val_clips": 1,
            "seed": 5,
            "settings": {"duration": 1.5, "fps": 8, "width": 32, "height": 32},
        },
    },
    "batch_size": 2,
    "steps": 4,
    "warmup_steps": 1,
    "ckpt_every": 2,
    "val_every": 4,
    "val_samples": 0,
    "log_every": 1,
    "seed": 0,
}


def _recipe(tmp_path) -> Recipe:
    from genav.train.recipe import load_recipe

    path = tmp_path / "r.json"
    path.write_text(json.dumps(TINY))
    return load_recipe(path)


@pytest.mark.slow  # ~10 s on the shared 2-core CPU: three short runs
def test_trains_resumes_and_writes_a_loadable_folder(tmp_path):
    recipe = _recipe(tmp_path)
    cache = tmp_path / "cache"
    whole = train_t2v(recipe, tmp_path / "whole", cache_dir=cache, progress=False)
    assert whole.result.step == 4 and whole.result.val_loss is not None
    assert whole.result.val_loss < whole.result.initial_val_loss  # it learns something in 4 steps

    part = train_t2v(recipe, tmp_path / "part", cache_dir=cache, stop_after=2, progress=False)
    assert part.result.step == 2 and not (tmp_path / "part" / "model.safetensors").exists()
    done = train_t2v(recipe, tmp_path / "part", cache_dir=cache, resume=True, progress=False)
    assert done.result.step == 4
    a, b = (
        load_safetensors(tmp_path / "whole" / "model.safetensors"),
        load_safetensors(tmp_path / "part" / "model.safetensors"),
    )
    assert all(torch.allclose(a[k], b[k], atol=1e-5) for k in a)

    loaded = load_t2v_folder(tmp_path / "whole")
    assert loaded.backbone.max_frames == 4 and loaded.backbone.frame_size == (32, 32)
    assert "genav train t2v" in (tmp_path / "whole" / "MODEL_CARD.md").read_text()


def test_crop_seconds_sets_the_training_window(tmp_path):
    """Image pretraining: a one-frame window; the window must fit the model."""
    from genav.errors import ConfigError
    from genav.train.t2v import t2v_config_of, train_window

    recipe = _recipe(tmp_path)
    config = t2v_config_of(recipe)
    assert train_window(recipe, config) == 4  # the model's max_frames
    for seconds, frames in ((0.125, 1), (0.25, 2), (0.5, 4)):  # 8 fps
        assert train_window(recipe.replace(data=recipe.data.replace(crop_seconds=seconds)), config) == frames
    with pytest.raises(ConfigError, match="crop_seconds 1 gives 8 frames at 8 fps; the model takes 1 to 4"):
        train_window(recipe.replace(data=recipe.data.replace(crop_seconds=1.0)), config)


@pytest.mark.slow  # ~10 s: two short runs
def test_image_pretraining_then_video_fine_tuning(tmp_path):
    """Stage 1 trains on single frames; stage 2 starts from its weights (init_from) on whole windows;
    stage 3 fine-tunes that with the frame-difference loss."""
    recipe = _recipe(tmp_path)
    cache = tmp_path / "cache"
    frames = train_t2v(recipe.replace(data=recipe.data.replace(crop_seconds=0.125, event_windows=0.5)),
                       tmp_path / "frames", cache_dir=cache, progress=False)
    card = (tmp_path / "frames" / "MODEL_CARD.md").read_text()
    assert "training windows of 1 frame (single frames: image pretraining)" in card
    assert "50% of the timed windows hold an event frame" in card
    stage1 = load_safetensors(tmp_path / "frames" / "model.safetensors")
    video = recipe.replace(init_from=str(tmp_path / "frames"), steps=1, val_every=1)
    run = train_t2v(video, tmp_path / "video", cache_dir=cache, progress=False)
    assert run.result.initial_val_loss == pytest.approx(frames.result.val_loss_ema, rel=1e-4)  # it started from stage 1
    card = (tmp_path / "video" / "MODEL_CARD.md").read_text()
    assert "training windows of 4 frames" in card and f"started from the weights of {tmp_path / 'frames'}" in card
    assert any(not torch.equal(stage1[k], v) for k, v in load_safetensors(tmp_path / "video" / "model.safetensors").items())

    steady = video.replace(model={**video.model, "frame_diff_weight": 1.0}, init_from=str(tmp_path / "video"))
    assert steady.fingerprint() != video.fingerprint()  # a different loss: not resumable as the same run
    train_t2v(steady, tmp_path / "steady", cache_dir=cache, progress=False)
    card = (tmp_path / "steady" / "MODEL_CARD.md").read_text()
    assert "loss: + 1 x the error of each frame-to-frame change (`frame_diff_weight`)" in card
    assert load_t2v_folder(tmp_path / "steady").backbone.model.config.frame_diff_weight == 1.0
