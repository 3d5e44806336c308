"""A tiny random diffusers ``StableAudioPipeline``, built offline, for tests of the diffusers path.

Every component is the real diffusers/transformers class at toy size (DiT, Oobleck VAE, T5
encoder with a whole-word T5 tokenizer, duration projection, cosine
DPM-Solver scheduler), so loading, the duration handling and the attention routing are exercised
exactly as with Stable Audio Open -- in a second and with nothing downloaded.
:func:`build_tiny_audioldm2` does the same for ``AudioLDM2Pipeline`` (UNet, mel VAE, CLAP, T5,
GPT-2, projection, HiFi-GAN vocoder, DDIM).
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
        text_encoder = _tiny_t5(len(TINY_WORDS) + 4, text_dim)
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


def build_tiny_audioldm2(*, seed: int = 0, sample_rate: int = 8000, max_seconds: float = 4.0) -> Any:
    """A random ``AudioLDM2Pipeline`` (mel hop 32 samples, VAE factor 2: one latent frame = 64
    samples). The CLAP and T5 text encoders share the whole-word T5 tokenizer: the pipeline only
    tokenizes the prompt for RoBERTa/T5 tokenizers (others are taken to be phoneme tokenizers)."""
    from diffusers import AudioLDM2Pipeline, AutoencoderKL, DDIMScheduler
    from diffusers.pipelines.audioldm2 import AudioLDM2ProjectionModel, AudioLDM2UNet2DConditionModel
    from transformers import (
        ClapAudioConfig,
        ClapConfig,
        ClapFeatureExtractor,
        ClapModel,
        ClapTextConfig,
        GPT2Config,
        GPT2LMHeadModel,
        SpeechT5HifiGan,
        SpeechT5HifiGanConfig,
    )

    vocab, width, mel_bins, upsample = len(TINY_WORDS) + 4, 16, 16, (4, 8)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        vae = AutoencoderKL(
            in_channels=1,
            out_channels=1,
            down_block_types=("DownEncoderBlock2D",) * 2,
            up_block_types=("UpDecoderBlock2D",) * 2,
            block_out_channels=(8, 16),
            latent_channels=4,
            norm_num_groups=4,
        )
        # cross-attention 0: self (None), 1: the GPT-2 states, 2: the T5 states
        unet = AudioLDM2UNet2DConditionModel(
            sample_size=int(max_seconds * sample_rate / (upsample[0] * upsample[1] * 2)),
            in_channels=4,
            out_channels=4,
            down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
            up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
            block_out_channels=(8, 16),
            layers_per_block=1,
            norm_num_groups=4,
            attention_head_dim=4,
            cross_attention_dim=([None, width, width],) * 2,
        )
        text = ClapTextConfig(
            vocab_size=vocab,
            hidden_size=width,
            num_hidden_layers=1,
            num_attention_heads=2,
            intermediate_size=32,
            max_position_embeddings=40,
            pad_token_id=0,
            projection_dim=width,
        )
        audio = ClapAudioConfig(
            spec_size=16,
            num_mel_bins=16,
            window_size=2,
            patch_size=4,
            patch_stride=(4, 4),
            hidden_size=8,
            patch_embeds_hidden_size=8,
            depths=(1,),
            num_attention_heads=(1,),
            projection_dim=width,
        )
        clap = ClapModel(
            ClapConfig(text_config=text.to_dict(), audio_config=audio.to_dict(), projection_dim=width)
        )
        t5 = _tiny_t5(vocab, width)
        gpt2 = GPT2LMHeadModel(
            GPT2Config(
                vocab_size=vocab,
                n_embd=width,
                n_layer=1,
                n_head=2,
                n_positions=64,
                bos_token_id=1,
                eos_token_id=1,
            )
        )
        gpt2.config.max_new_tokens = 4
        projection = AudioLDM2ProjectionModel(
            text_encoder_dim=width, text_encoder_1_dim=width, langauge_model_dim=width
        )
        vocoder = SpeechT5HifiGan(
            SpeechT5HifiGanConfig(
                model_in_dim=mel_bins,
                sampling_rate=sample_rate,
                upsample_initial_channel=16,
                upsample_rates=upsample,
                upsample_kernel_sizes=(8, 16),
                resblock_kernel_sizes=(3,),
                resblock_dilation_sizes=((1, 3),),
                normalize_before=False,
            )
        )
    return AudioLDM2Pipeline(
        vae=vae,
        text_encoder=clap.eval(),
        text_encoder_2=t5.eval(),
        projection_model=projection,
        language_model=gpt2.eval(),
        tokenizer=_tiny_tokenizer(16),
        tokenizer_2=_tiny_tokenizer(16),
        feature_extractor=ClapFeatureExtractor(feature_size=16, sampling_rate=sample_rate),
        unet=unet,
        scheduler=DDIMScheduler(),
        vocoder=vocoder,
    )


def save_tiny_audioldm2(folder: str | Path, *, seed: int = 0) -> Path:
    """Write :func:`build_tiny_audioldm2` as a diffusers folder (``model_index.json`` + parts)."""
    folder = Path(folder)
    build_tiny_audioldm2(seed=seed).save_pretrained(str(folder))
    return folder


def _tiny_t5(vocab: int, width: int) -> Any:
    """A one-layer random T5 encoder (both tiny pipelines use one as a text encoder)."""
    from transformers import T5Config, T5EncoderModel

    return T5EncoderModel(
        T5Config(
            vocab_size=vocab, d_model=width, d_kv=8, d_ff=32, num_layers=1, num_heads=2,
            relative_attention_num_buckets=8, pad_token_id=0, eos_token_id=1, decoder_start_token_id=0,
        )
    )
