"""Training on video faster than the encoder's rate, read in phases exactly as at inference."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch

from genav.codecs import build_codec
from genav.encoders import build_text_encoder
from genav.errors import ConfigError
from genav.models import AudioMMDiT, debug_config
from genav.models.sync_phases import phased_video_tokens, read_phases
from genav.train.foley import _video, train_foley
from genav.train.foley_data import ClipEncoder
from genav.train.recipe import load_recipe

REPO = Path(__file__).resolve().parents[2]
DEBUG_RECIPE = REPO / "pipelines" / "recipes" / "foley-debug.json"
TEN = SimpleNamespace(fps=10.0, sync_fps=10.0)


@pytest.mark.parametrize(("fps", "phases"), [(10, 1), (20, 2), (30, 3), (40, 4)])
def test_read_phases_of_whole_multiples(fps: float, phases: int) -> None:
    assert read_phases(fps, TEN) == phases


@pytest.mark.parametrize("fps", [25, 15, 5, 50])
def test_other_rates_are_refused(fps: float) -> None:
    with pytest.raises(ConfigError, match="use its rate or 2 to 4 times it"):
        read_phases(fps, TEN)


def test_phases_need_one_sync_token_per_frame() -> None:
    assert read_phases(25, SimpleNamespace(fps=25.0, sync_fps=5.0)) == 1
    with pytest.raises(ConfigError, match="sync rate equals its frame rate"):
        read_phases(50, SimpleNamespace(fps=25.0, sync_fps=5.0))


def test_stored_phases_give_the_tokens_of_the_inference_read() -> None:
    """What the trainer encodes from stored inputs equals what the pipeline reads from the frames:
    all phases interleaved, or phase 0 alone (a plain read at the encoder's rate)."""
    cfg = debug_config()
    torch.manual_seed(0)
    model = AudioMMDiT(cfg).eval()
    encoder = ClipEncoder(
        build_codec(cfg.codec), build_text_encoder(cfg.text_encoder), cfg.text_encoder,
        model.video_encoder, 30.0, cfg.video.frame_size, phases=3,
    )  # fmt: skip
    frames = torch.randint(0, 256, (1, 36, 32, 32, 3), dtype=torch.uint8)
    frames[:, 20:] = 255 - frames[:, 20:]  # a cut between two frames of one phase
    inputs = encoder._video_inputs(frames)
    assert inputs.motion.shape[1] == 36
    batch = {
        "video_semantic": inputs.semantic,
        "video_motion": inputs.motion,
        "frames_mask": torch.ones(1, 36, dtype=torch.bool),
        "has_video": torch.ones(1, dtype=torch.bool),
    }
    with torch.no_grad():
        trained = _video(model, batch, phases=3)
        read = phased_video_tokens(model, frames, 3)
        plain = _video(model, batch, phases=3, plain=True)
        own = model.encode_video(frames[:, ::3])
    assert trained.sync_fps == read.sync_fps == 30.0 and plain.sync_fps == 10.0
    torch.testing.assert_close(trained.sync, read.sync)
    torch.testing.assert_close(trained.semantic, read.semantic)
    torch.testing.assert_close(plain.sync, own.sync)
    # each phase is its own read: motion from frame to frame 0.1 s apart, not 1/30 s
    whole = model.video_encoder.prepare_inputs(frames)
    assert not torch.allclose(inputs.motion, whole.motion)


def test_a_recipe_at_three_times_the_rate_trains_and_says_so(tmp_path: Path) -> None:
    data = json.loads(DEBUG_RECIPE.read_text())
    data["data"]["fps"] = 30
    data["data"]["synth"]["clips"] = 8
    data["data"]["synth"]["settings"]["fps_choices"] = [10, 25, 30]
    data.update(steps=3, val_every=3, ckpt_every=3, options={"p_plain_read": 0.5})
    path = tmp_path / "phased.json"
    path.write_text(json.dumps(data))
    run = train_foley(load_recipe(path), tmp_path / "run", cache_dir=tmp_path / "cache", device="cpu", progress=False)
    assert run.result.val_loss is not None and torch.isfinite(torch.tensor(run.result.val_loss))
    assert "read in 3 phases" in (run.model_dir / "MODEL_CARD.md").read_text()
    data["data"]["fps"] = 25
    path.write_text(json.dumps(data))
    with pytest.raises(ConfigError, match=r"recipe data: video at 25 fps for an encoder at 10 fps"):
        train_foley(load_recipe(path), tmp_path / "bad", cache_dir=tmp_path / "cache", device="cpu", progress=False)
    assert not (tmp_path / "bad").exists()
    data["data"]["fps"] = 30
    data["options"] = {"p_plain_read": 2}
    path.write_text(json.dumps(data))
    with pytest.raises(ConfigError, match="recipe options: .*p_plain_read"):
        train_foley(load_recipe(path), tmp_path / "bad", cache_dir=tmp_path / "cache", device="cpu", progress=False)
