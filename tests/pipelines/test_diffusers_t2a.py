"""A tiny random diffusers StableAudioPipeline, saved locally, through genav's text-to-audio API."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import torch

from genav.errors import InputError


@pytest.fixture(scope="module")
def tiny_folder(tmp_path_factory):
    from genav.pipelines.diffusers_tiny import save_tiny_stable_audio

    return save_tiny_stable_audio(tmp_path_factory.mktemp("diffusers") / "tiny-stable-audio")


@pytest.fixture(scope="module")
def pipe(tiny_folder):
    from genav.pipelines import AutoTextToAudioPipeline

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return AutoTextToAudioPipeline.from_pretrained(tiny_folder, device="cpu", dtype="float32")


def test_loads_through_the_registry_path_as_diffusers(pipe, tiny_folder):
    from genav.pipelines import DiffusersTextToAudioPipeline
    from genav.registry import resolve_model

    assert isinstance(pipe, DiffusersTextToAudioPipeline)
    assert resolve_model(tiny_folder).family == "diffusers"
    assert pipe.model_name == "tiny-stable-audio" and len(pipe.checksum) == 16
    assert pipe.attention_layers == 4  # self- and cross-attention of both DiT blocks


def test_exact_duration_without_denoising_a_longer_window(pipe):
    lengths = []
    hook = pipe.pipe.transformer.register_forward_hook(
        lambda _m, args, _kw: lengths.append(args[0].shape[-1])
    )
    try:
        out = pipe("a dog barks", duration=1.5, num_steps=3, seed=0)
    finally:
        hook.remove()
    n = round(1.5 * pipe.sample_rate)
    assert out.audio.shape == (1, 2, n) and np.isfinite(out.audio).all()
    frames = math.ceil(n / pipe.hop_length)
    assert set(lengths) == {frames}  # the DiT ran on 1.5 s of latents, not its 4 s window
    assert frames < pipe.pipe.transformer.config.sample_size
    assert out.metadata["settings"]["latent_frames"] == frames
    assert out.metadata["settings"]["scheduler"] == type(pipe.pipe.scheduler).__name__


def test_seeds_outputs_and_negative_prompt(pipe):
    a = pipe("rain", duration=0.5, num_steps=3, seed=4)
    b = pipe("rain", duration=0.5, num_steps=3, seed=4)
    np.testing.assert_array_equal(a.audio, b.audio)
    many = pipe("rain", duration=0.5, num_steps=3, seed=4, num_outputs=2)
    assert many.audio.shape[0] == 2 and many.seeds == [4, 5]
    np.testing.assert_allclose(many.audio[0], a.audio[0], atol=1e-4)
    neg = pipe("rain", duration=0.5, num_steps=3, seed=4, negative_prompt="music")
    assert not np.allclose(neg.audio, a.audio)


def test_errors(pipe):
    with pytest.raises(InputError, match="maximum of"):
        pipe("rain", duration=pipe.max_duration + 1, num_steps=2)
    with pytest.raises(InputError, match="prompt"):
        pipe("", duration=1.0, num_steps=2)
    with pytest.raises(InputError, match="scheduler"):
        pipe("rain", duration=1.0, num_steps=2, method="heun")


def test_genav_attention_matches_diffusers(pipe):
    from diffusers.models.attention_processor import StableAudioAttnProcessor2_0

    dit = pipe.pipe.transformer
    x = torch.randn(1, dit.config.in_channels, 40, generator=torch.Generator().manual_seed(0))
    ctx = torch.randn(1, 5, dit.config.cross_attention_dim, generator=torch.Generator().manual_seed(1))
    glob = torch.randn(1, 1, dit.config.global_states_input_dim, generator=torch.Generator().manual_seed(2))
    from diffusers.models.embeddings import get_1d_rotary_pos_embed

    rope = get_1d_rotary_pos_embed(
        pipe.pipe.rotary_embed_dim, 41, use_real=True, repeat_interleave_real=False
    )
    kwargs = dict(
        encoder_hidden_states=ctx, global_hidden_states=glob, rotary_embedding=rope, return_dict=False
    )
    with torch.no_grad():
        ours = dit(x, torch.tensor([0.5]), **kwargs)[0]
        saved = dict(dit.attn_processors)
        dit.set_attn_processor(StableAudioAttnProcessor2_0())
        try:
            ref = dit(x, torch.tensor([0.5]), **kwargs)[0]
        finally:
            dit.set_attn_processor(saved)
    torch.testing.assert_close(ours, ref, atol=1e-5, rtol=1e-4)


def test_save_pretrained_round_trip_and_to(pipe, tmp_path):
    from genav.pipelines import DiffusersTextToAudioPipeline

    a = pipe("wind", duration=0.5, num_steps=2, seed=1)
    assert pipe.to("cpu", "float32") is pipe
    folder = pipe.save_pretrained(tmp_path / "copy")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        again = DiffusersTextToAudioPipeline.from_pretrained(folder, device="cpu", dtype="float32")
    np.testing.assert_array_equal(again("wind", duration=0.5, num_steps=2, seed=1).audio, a.audio)


def test_latents_and_output_type(pipe):
    from genav.pipelines.generation_common import seeded_noise

    base = pipe("wind", duration=0.5, num_steps=2, seed=1)
    noise = seeded_noise(base.seeds, (pipe.pipe.transformer.config.in_channels, math.ceil(base.num_samples / pipe.hop_length)))
    again = pipe("wind", duration=0.5, num_steps=2, seed=1, latents=noise, output_type="pt")
    np.testing.assert_array_equal(again.audio.numpy(), base.audio)
    assert again.metadata["settings"]["latents"] == "given"
    with pytest.raises(InputError, match="latents must be a tensor of shape"):
        pipe("wind", duration=0.5, num_steps=2, latents=noise[..., :1])
    with pytest.raises(InputError, match="output_type must be one of"):
        pipe("wind", duration=0.5, num_steps=2, output_type="flac")
