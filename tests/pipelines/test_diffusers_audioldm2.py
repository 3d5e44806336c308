"""A tiny random diffusers AudioLDM2Pipeline, saved locally, through genav's text-to-audio API and CLI."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import torch


@pytest.fixture(scope="module")
def tiny_folder(tmp_path_factory):
    from genav.pipelines.diffusers_tiny import save_tiny_audioldm2

    return save_tiny_audioldm2(tmp_path_factory.mktemp("diffusers") / "tiny-audioldm2")


@pytest.fixture(scope="module")
def pipe(tiny_folder):
    from genav.pipelines import AutoTextToAudioPipeline

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return AutoTextToAudioPipeline.from_pretrained(tiny_folder, device="cpu", dtype="float32")


def test_loads_as_the_audioldm2_wrapper_with_genav_attention(pipe, tiny_folder):
    from diffusers.models.attention_processor import Attention

    from genav.attention.diffusers_processor import GenavAttnProcessor
    from genav.pipelines import DiffusersTextToAudioPipeline
    from genav.pipelines.diffusers_audioldm2 import AudioLDM2TextToAudioPipeline
    from genav.registry import resolve_model

    assert isinstance(pipe, AudioLDM2TextToAudioPipeline) and isinstance(pipe, DiffusersTextToAudioPipeline)
    assert resolve_model(tiny_folder).family == "diffusers"
    assert pipe.model_name == "tiny-audioldm2" and len(pipe.checksum) == 16
    layers = [m for m in pipe.pipe.unet.modules() if isinstance(m, Attention)]
    assert pipe.attention_layers == len(layers) > 0  # every UNet attention layer was standard
    assert all(isinstance(m.processor, GenavAttnProcessor) for m in layers)
    assert pipe.hop_length == 64 and pipe.max_duration == pytest.approx(4.0, abs=pipe.hop_length / 8000)


def test_exact_duration_on_only_the_frames_needed(pipe):
    frames_seen = []
    hook = pipe.pipe.unet.register_forward_hook(lambda _m, args, _out: frames_seen.append(args[0].shape[2]))
    try:
        out = pipe("a bell", duration=1.5, num_steps=2, seed=0)
    finally:
        hook.remove()
    n = round(1.5 * pipe.sample_rate)
    assert n % pipe.hop_length  # a partial last frame, so the trim is exercised
    assert out.audio.shape == (1, 1, n) and np.isfinite(out.audio).all() and np.abs(out.audio).max() > 0
    frames = math.ceil(n / pipe.hop_length)
    assert set(frames_seen) == {frames}  # the UNet ran on 1.5 s of latents, not its 4 s window
    assert out.metadata["settings"]["latent_frames"] == frames
    assert out.metadata["settings"]["scheduler"] == "DDIMScheduler"


def test_seeds_outputs_and_negative_prompt(pipe):
    a = pipe("rain", duration=0.5, num_steps=2, seed=4)
    b = pipe("rain", duration=0.5, num_steps=2, seed=4)
    np.testing.assert_array_equal(a.audio, b.audio)
    assert not np.allclose(pipe("rain", duration=0.5, num_steps=2, seed=5).audio, a.audio)
    many = pipe("rain", duration=0.5, num_steps=2, seed=4, num_outputs=2)
    assert many.audio.shape == (2, 1, 4000) and many.seeds == [4, 5]
    np.testing.assert_allclose(many.audio[0], a.audio[0], atol=1e-4)  # no CLAP re-ranking
    neg = pipe("rain", duration=0.5, num_steps=2, seed=4, negative_prompt="music")
    assert not np.allclose(neg.audio, a.audio)


def test_genav_attention_matches_diffusers_with_the_t5_mask(pipe):
    from diffusers.models.attention_processor import AttnProcessor2_0

    unet = pipe.pipe.unet
    g = torch.Generator().manual_seed(0)
    x = torch.randn(2, unet.config.in_channels, 12, 8, generator=g)
    gpt, t5 = torch.randn(2, 3, 16, generator=g), torch.randn(2, 5, 16, generator=g)
    mask = torch.tensor([[1, 1, 1, 1, 1], [1, 1, 0, 0, 0]])
    kwargs = dict(encoder_hidden_states=gpt, encoder_hidden_states_1=t5, encoder_attention_mask_1=mask)
    with torch.no_grad():
        ours = unet(x, torch.tensor(500), **kwargs, return_dict=False)[0]
        saved = dict(unet.attn_processors)
        unet.set_attn_processor(AttnProcessor2_0())
        try:
            ref = unet(x, torch.tensor(500), **kwargs, return_dict=False)[0]
        finally:
            unet.set_attn_processor(saved)
    torch.testing.assert_close(ours, ref, atol=1e-5, rtol=1e-4)


def test_cli_t2a_with_a_local_audioldm2_folder(tiny_folder, tmp_path):
    from typer.testing import CliRunner

    from genav.cli.app import app
    from genav.media import read_audio

    out = tmp_path / "out.wav"
    args = ["t2a", "a bell", "-o", str(out), "--model", str(tiny_folder), "--duration", "1.5", "--steps", "2"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    audio = read_audio(out)
    assert audio.n_samples == round(1.5 * audio.sample_rate) and audio.sample_rate == 8000


def test_a_bare_gpt2_language_model_as_in_the_cvssp_checkpoints(pipe, tmp_path):
    from transformers import GPT2Model

    from genav.pipelines import AutoTextToAudioPipeline
    from genav.pipelines.diffusers_tiny import build_tiny_audioldm2

    tiny = build_tiny_audioldm2()
    bare = GPT2Model(tiny.language_model.config)
    bare.load_state_dict(tiny.language_model.transformer.state_dict())
    tiny.language_model = bare
    tiny.save_pretrained(str(tmp_path / "bare-gpt2"))
    assert '"GPT2Model"' in (tmp_path / "bare-gpt2" / "model_index.json").read_text()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        again = AutoTextToAudioPipeline.from_pretrained(tmp_path / "bare-gpt2", device="cpu", dtype="float32")
    out = again("a bell", duration=0.5, num_steps=2, seed=1).audio
    np.testing.assert_array_equal(out, pipe("a bell", duration=0.5, num_steps=2, seed=1).audio)


def test_from_pretrained_contract(pipe, tiny_folder):
    """Each class's from_pretrained gives an instance of that class; the Auto factory picks one;
    the old way (TextToAudioPipeline on a diffusers folder) still works once, with a warning."""
    from genav.errors import CheckpointError
    from genav.pipelines import AutoTextToAudioPipeline, DiffusersTextToAudioPipeline, TextToAudioPipeline
    from genav.pipelines.diffusers_audioldm2 import AudioLDM2TextToAudioPipeline

    loaded = AudioLDM2TextToAudioPipeline.from_pretrained(tiny_folder, device="cpu", dtype="float32")
    assert type(loaded) is AudioLDM2TextToAudioPipeline
    with pytest.raises(CheckpointError, match="not a StableAudioPipeline: load it with .*AutoTextToAudioPipeline"):
        DiffusersTextToAudioPipeline.from_pretrained(tiny_folder, device="cpu")
    with pytest.warns(DeprecationWarning, match="use AutoTextToAudioPipeline.from_pretrained"):
        old = TextToAudioPipeline.from_pretrained(tiny_folder, device="cpu", dtype="float32")
    assert type(old) is AudioLDM2TextToAudioPipeline
    np.testing.assert_array_equal(old("a bell", duration=0.5, num_steps=2, seed=1).audio,
                                  pipe("a bell", duration=0.5, num_steps=2, seed=1).audio)  # fmt: skip
    assert type(AutoTextToAudioPipeline.from_pretrained("debug-foley", device="cpu")) is TextToAudioPipeline
    with pytest.raises(TypeError, match="a factory"):
        AutoTextToAudioPipeline()
    from genav.pipelines.diffusers_auto import DIFFUSERS_WRAPPERS
    from genav.pipelines.diffusers_t2a import SUPPORTED

    assert tuple(DIFFUSERS_WRAPPERS) == SUPPORTED  # every supported class has its wrapper
    assert all(w.diffusers_class == kind for kind, w in DIFFUSERS_WRAPPERS.items())
