"""Tiny random diffusers UNet3D (ModelScope/ZeroScope) and Wan 2.1 folders as text-to-video backbones."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest
import torch

pytest.importorskip("diffusers")

from genav.errors import InputError, UnknownModelError  # noqa: E402
from genav.models.video_backbone import FrameContext  # noqa: E402

FRAMES = {"unet3d": 8, "wan": 25}  # Wan: 1 + 4k frames -> 7 latent slots
MIN_RATIO = {"unet3d": 5.0, "wan": 20.0}


@pytest.fixture(scope="module")
def pipes(tiny_video_dirs):
    from genav.pipelines import TextToVideoPipeline

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return {k: TextToVideoPipeline.from_pretrained(str(d), device="cpu", dtype="float32")
                for k, d in tiny_video_dirs.items()}


def slot_change(backbone, frames: int, f: int, seed: int) -> torch.Tensor:
    """Mean |change| of the velocity per latent slot when slot f's tokens are replaced."""
    g = torch.Generator().manual_seed(seed)
    ctx = backbone.encode_prompt(["a dog barks"])
    layout = backbone.slots_for(frames)
    slots = torch.randn(1, layout.count, 4, backbone.context_dim, generator=g)
    x = torch.randn(1, *backbone.latent_shape(frames, 32, 32), generator=g)
    changed = slots.clone()
    changed[:, f] = torch.randn(1, 4, backbone.context_dim, generator=g)
    t = torch.tensor([0.5])
    with torch.no_grad():
        v0 = backbone.velocity(x, t, FrameContext(ctx.tokens, ctx.mask, slots, None, layout.times))
        v1 = backbone.velocity(x, t, FrameContext(ctx.tokens, ctx.mask, changed, None, layout.times))
    return (v1 - v0).abs().mean(dim=(0, 1, 3, 4))


@pytest.mark.parametrize("kind", ["unet3d", "wan"])
@pytest.mark.parametrize("f", [0, 3])
def test_slot_tokens_move_their_own_latent_slot(pipes, kind, f):
    """Per-frame locality, loaded back from the saved folder (the --model DIR path)."""
    backbone = pipes[kind].backbone
    assert backbone.kind == kind
    d = slot_change(backbone, FRAMES[kind], f, seed=f)
    far = max(d[s] for s in range(len(d)) if abs(s - f) >= 3)
    assert d[f] > MIN_RATIO[kind] * far


@pytest.mark.parametrize("kind", ["unet3d", "wan"])
def test_generates_with_timed_prompts_and_the_folder_scheduler(pipes, kind):
    pipe = pipes[kind]
    out = pipe("a dog barks", num_frames=9, height=32, width=32, num_steps=2, seed=0,
               timed_prompts=[(0.25, "bark")])
    assert out.frames.shape == (1, 9, 32, 32, 3) and out.metadata["model"].startswith("tiny-")
    assert len(out.metadata["model_checksum"]) == 16
    expected = ("linear", 1.0) if kind == "unet3d" else ("shifted", 3.0)  # Wan: its scheduler's shift
    assert pipe.backbone.schedule == expected


def test_unet3d_velocity_inverts_the_epsilon_prediction(pipes):
    """At a flow point built from known data and noise, the velocity of a UNet that predicted the
    noise exactly would be data - noise: check the mapping with the scheduler's own add_noise."""
    bb = pipes["unet3d"].backbone
    t = torch.tensor([0.3, 0.8])
    timestep, s, sig = bb._vp_point(t)
    alphas = bb.scheduler.alphas_cumprod
    k = timestep.round().long()
    assert torch.allclose(s**2, alphas[k].float(), rtol=0.05)  # the interpolated noise level is the table's
    assert torch.allclose(s / (s + sig), t, atol=1e-4)


def test_wan_frame_count_and_wrong_folders(pipes, tiny_video_dirs, tmp_path):
    from genav.pipelines import TextToVideoPipeline
    from genav.pipelines.diffusers_tiny import save_tiny_stable_audio

    with pytest.raises(InputError, match=r"1 \+ 4k frames"):
        pipes["wan"]("a dog", num_frames=8, height=32, width=32, num_steps=1)
    audio = save_tiny_stable_audio(tmp_path / "tiny-stable-audio")
    with pytest.raises(UnknownModelError, match="StableAudioPipeline folder .StableAudioDiTModel., not a text-to-video"):
        TextToVideoPipeline.from_pretrained(str(audio))
    index = json.loads((tiny_video_dirs["unet3d"] / "model_index.json").read_text())
    assert index["_class_name"] == "TextToVideoSDPipeline" and index["unet"] == ["diffusers", "UNet3DConditionModel"]
    assert json.loads((tiny_video_dirs["wan"] / "model_index.json").read_text())["transformer"][1] == "WanTransformer3DModel"


@pytest.mark.parametrize("kind", ["unet3d", "wan"])
def test_training_loss_reaches_the_slot_tokens(pipes, kind):
    """The backbone's own objective is differentiable in the context (what an A2V adaptor trains through)."""
    bb = pipes[kind].backbone
    frames = 9
    video = torch.from_numpy(np.random.default_rng(0).integers(0, 256, (1, frames, 32, 32, 3), dtype=np.uint8))
    layout = bb.slots_for(frames)
    slots = torch.randn(1, layout.count, 2, bb.context_dim, requires_grad=True)
    ctx = bb.encode_prompt(["a dog"])
    loss = bb.training_loss(video, FrameContext(ctx.tokens, ctx.mask, slots, None, layout.times),
                            torch.Generator().manual_seed(0))
    loss.backward()
    assert torch.isfinite(loss) and slots.grad.abs().sum() > 0
