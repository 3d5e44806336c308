"""The diffusers-style pipeline contract: from_pretrained gives an instance of its class, and
__call__ takes latents, prompt_embeds/negative_prompt_embeds and output_type."""

from __future__ import annotations

import io

import numpy as np
import pytest
import soundfile
import torch

from genav.errors import InputError
from genav.pipelines.generation_common import seeded_noise

FAST = {"duration": 0.5, "num_steps": 2, "seed": 3}


def test_from_pretrained_returns_the_class_it_is_called_on(t2a, v2a):
    from genav.pipelines import TextToAudioPipeline, VideoToAudioPipeline

    assert type(t2a) is TextToAudioPipeline and type(v2a) is VideoToAudioPipeline


def test_t2a_latents_and_embeddings_equal_seeds_and_texts(t2a):
    base = t2a(["rain", "a bell"], negative_prompt="music", num_outputs=2, **FAST)
    noise = seeded_noise(base.seeds, (t2a.config.latent_dim, t2a.frames_for(FAST["duration"])))
    embeds = t2a.text_encoder.encode(["rain", "a bell"])
    negative = t2a.text_encoder.encode(["music"])
    again = t2a(prompt_embeds=embeds, negative_prompt_embeds=negative, latents=noise, num_outputs=2,
                **{**FAST, "seed": 999})  # fmt: skip (the latents decide, not the seed)
    np.testing.assert_array_equal(again.audio, base.audio)
    assert again.metadata["settings"]["latents"] == "given" and again.metadata["settings"]["prompt_embeds"] == "given"
    assert base.metadata["settings"]["latents"] == "seeded"
    other = t2a("rain", latents=torch.randn(1, *noise.shape[1:]), **FAST)
    assert not np.array_equal(other.audio[0], base.audio[0])


def test_t2a_bad_contract_inputs_are_one_line_errors(t2a):
    emb = t2a.text_encoder.encode(["rain"])
    with pytest.raises(InputError, match="prompt or prompt_embeds, not both"):
        t2a("rain", prompt_embeds=emb, **FAST)
    with pytest.raises(InputError, match=r"a prompt \(or prompt_embeds\) is required"):
        t2a(**FAST)
    with pytest.raises(InputError, match=r"latents must be a tensor of shape \(1, 32, 32\)"):
        t2a("rain", latents=torch.zeros(1, 32, 5), **FAST)
    with pytest.raises(InputError, match=r"prompt_embeds: expected tokens \(P, L, 32\)"):
        t2a(prompt_embeds=type(emb)(emb.tokens[..., :8], emb.mask, emb.pooled), **FAST)
    with pytest.raises(InputError, match="got 2 negative_prompt_embeds rows for 1 prompts"):
        t2a("rain", negative_prompt_embeds=t2a.text_encoder.encode(["a", "b"]), **FAST)
    with pytest.raises(InputError, match="output_type must be one of np, pt, wav, got 'mp3'"):
        t2a("rain", output_type="mp3", **FAST)


def test_output_types(t2a):
    as_np = t2a("rain", **FAST)
    as_pt = t2a("rain", output_type="pt", **FAST)
    as_wav = t2a("rain", output_type="wav", **FAST)
    assert isinstance(as_np.audio, np.ndarray) and as_np.wav is None
    assert isinstance(as_pt.audio, torch.Tensor) and as_pt.audio.dtype == torch.float32
    np.testing.assert_array_equal(as_pt.audio.numpy(), as_np.audio)
    assert as_pt.to_audio(0).samples.shape == as_np.audio[0].shape
    decoded, rate = soundfile.read(io.BytesIO(as_wav.wav[0]), dtype="float32", always_2d=True)
    assert rate == t2a.sample_rate
    np.testing.assert_array_equal(decoded.T, as_np.audio[0])  # 32-bit float WAV: lossless
    assert as_wav.metadata["settings"]["output_type"] == "wav"


def test_v2a_latents_embeddings_and_output_type(v2a, video_maker, tmp_path):
    clip = video_maker(tmp_path / "c.mp4", 1.0)
    base = v2a(clip, prompt="steps", negative_prompt="music", num_outputs=2, **FAST)
    noise = seeded_noise(base.seeds, (v2a.config.latent_dim, v2a.frames_for(FAST["duration"])))
    again = v2a(clip, prompt_embeds=v2a.text_encoder.encode(["steps"]),
                negative_prompt_embeds=v2a.text_encoder.encode(["music"]), latents=noise, num_outputs=2,
                output_type="pt", **{**FAST, "seed": 5})  # fmt: skip
    np.testing.assert_array_equal(again.audio.numpy(), base.audio)
    with pytest.raises(InputError, match="one prompt per video"):
        v2a(clip, prompt_embeds=v2a.text_encoder.encode(["a", "b"]), **FAST)
