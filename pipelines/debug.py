"""``debug-foley``: a tiny random audio MM-DiT built in-process with fixed weights.

Tests and the CLI run it on a CPU in well under a second per clip. Its weights come from a
private seeded generator (identical on every build, global RNG untouched); the zero-initialised
adaLN/output projections get small random values too, so prompts, negative prompts and video
change the output as they would in a trained model.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import torch

from genav.codecs import MelCodec, MelCodecConfig
from genav.models.audio_mmdit import AudioMMDiT, AudioMMDiTConfig, debug_config
from genav.pipelines.audio_mmdit_pipeline import AudioMMDiTComponents, state_checksum, text_encoder_for

DEBUG_SEED = 1234
M = TypeVar("M", bound=torch.nn.Module)

# Latent scaling chosen so that unit-variance latents (what a random model samples) decode to
# quiet noise peaking below full scale, instead of the very loud noise the sfx-measured
# statistics would give.
DEBUG_CODEC = MelCodecConfig(
    sample_rate=16000,
    n_fft=1024,
    hop_length=256,
    n_mels=32,
    latent_mean=-9.5,
    latent_std=0.6,
    griffin_lim_iters=8,
    nnls_iters=8,
)
DEBUG_FOLEY_CONFIG = debug_config(codec=DEBUG_CODEC)


def random_model(
    config: AudioMMDiTConfig, seed: int = DEBUG_SEED, *, zero_init_std: float = 0.05
) -> AudioMMDiT:
    """An :class:`AudioMMDiT` with seeded random weights, including its zero-initialised layers."""
    return seeded_random(lambda: AudioMMDiT(config), seed, zero_init_std=zero_init_std)


def seeded_random(build: Callable[[], M], seed: int = DEBUG_SEED, *, zero_init_std: float = 0.05) -> M:
    """``build()`` under a private seed (global RNG untouched), its all-zero parameters (adaLN-Zero,
    zero-initialised outputs) filled with small random values, in eval mode."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = build()
        gen = torch.Generator().manual_seed(seed + 1)
        with torch.no_grad():
            for param in model.parameters():
                if param.numel() and not param.any():
                    param.copy_(torch.randn(param.shape, generator=gen) * zero_init_std)
    return model.eval()


def build_debug_foley() -> AudioMMDiTComponents:
    """The ``debug-foley`` model: tiny MM-DiT + mel codec (Griffin-Lim) + hash text encoder."""
    model = random_model(DEBUG_FOLEY_CONFIG)
    codec = MelCodec(DEBUG_CODEC)
    return AudioMMDiTComponents(
        model, codec, text_encoder_for(DEBUG_FOLEY_CONFIG), "debug-foley", state_checksum(model)
    )

