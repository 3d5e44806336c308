"""A tiny random diffusers ``StableAudioPipeline``, built offline, for tests of the diffusers path.

Every component is the real diffusers/transformers class at toy size (DiT, Oobleck VAE, T5
encoder with a whole-word T5 tokenizer, duration projection, cosine
DPM-Solver scheduler), so loading, the duration handling and the attention routing are exercised
exactly as with Stable Audio Open -- in a second and with nothing downloaded.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

TINY_WORDS = "a the dog cat bark barks rain wind door slams bell car engine glass breaks water music".split()


def _tiny_tokenizer(max_length: int) -> Any:
    """A T5 (Unigram) tokenizer whose pieces are whole words of :data:`TINY_WORDS`."""
    from transformers import T5Tokenizer

    vocab = [("<pad>", 0.0), ("</s>", 0.0), ("<unk>", 0.0), ("\u2581", -2.0)]
    vocab += [("\u2581" + w, -1.0) for w in TINY_WORDS]
    return T5Tokenizer(vocab=vocab, extra_ids=0, model_max_length=max_length)


def build_tiny_stable_audio(*, seed: int = 0, sample_rate: int = 11025, max_seconds: float = 4.0) -> Any:
    """A random ``StableAudioPipeline`` (~0.1M parameters; VAE hop 32 samples, stereo)."""
    from diffusers import AutoencoderOobleck, StableAudioDiTModel, StableAudioPipeline
    from diffusers.pipelines.stable_audio import StableAudioProjectionModel
    from transformers import T5Config, T5EncoderModel

    latent, cond, text_dim = 8, 16, 16
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        vae = AutoencoderOobleck(
            encoder_hidden_size=8,
            downsampling_ratios=[2, 4, 4],
            channel_multiples=[1, 2, 2],
            decoder_channels=8,
            decoder_input_channels=latent,
            audio_channels=2,
            sampling_rate=sample_rate,
        )
        hop = 2 * 4 * 4
        transformer = StableAudioDiTModel(
            sample_size=int(max_seconds * sample_rate / hop),
            in_channels=latent,
            num_layers=2,
            attention_head_dim=8,
            num_attention_heads=2,
            num_key_value_attention_heads=1,
            out_channels=latent,
            cross_attention_dim=16,
            time_proj_dim=8,
            global_states_input_dim=2 * cond,
            cross_attention_input_dim=cond,
        )
        t5 = T5Config(
            vocab_size=len(TINY_WORDS) + 4,
            d_model=text_dim,
            d_kv=8,
            d_ff=32,
            num_layers=1,
            num_heads=2,
            relative_attention_num_buckets=8,
            pad_token_id=0,
            eos_token_id=1,
            decoder_start_token_id=0,
        )
        text_encoder = T5EncoderModel(t5)
        projection = StableAudioProjectionModel(
            text_encoder_dim=text_dim, conditioning_dim=cond, min_value=0, max_value=int(max_seconds)
        )
    return StableAudioPipeline(
        vae=vae,
        text_encoder=text_encoder.eval(),
        projection_model=projection,
        tokenizer=_tiny_tokenizer(16),
        transformer=transformer,
        scheduler=_scheduler(),
    )


def _scheduler() -> Any:
    """Stable Audio Open's scheduler (needs ``torchsde``), else the EDM DPM-Solver it derives from."""
    import importlib.util

    from diffusers import CosineDPMSolverMultistepScheduler, EDMDPMSolverMultistepScheduler

    if importlib.util.find_spec("torchsde") is not None:
        return CosineDPMSolverMultistepScheduler()
    return EDMDPMSolverMultistepScheduler()


def save_tiny_stable_audio(folder: str | Path, *, seed: int = 0) -> Path:
    """Write :func:`build_tiny_stable_audio` as a diffusers folder (``model_index.json`` + parts)."""
    folder = Path(folder)
    build_tiny_stable_audio(seed=seed).save_pretrained(str(folder))
    return folder
