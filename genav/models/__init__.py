"""Model families. The audio MM-DiT (text/video-to-audio) lives in :mod:`genav.models.audio_mmdit`."""

from genav.models.audio_mmdit import (
    AudioMMDiT,
    AudioMMDiTConfig,
    debug_config,
    model_summary,
    tiny_config,
)
from genav.models.audio_mmdit_generate import generate_latents, guidance_conditioning, make_conditioning
from genav.models.conditioning import Conditioning, VideoTokens, concat_conditionings

__all__ = [
    "AudioMMDiT",
    "AudioMMDiTConfig",
    "Conditioning",
    "VideoTokens",
    "concat_conditionings",
    "debug_config",
    "generate_latents",
    "guidance_conditioning",
    "make_conditioning",
    "model_summary",
    "tiny_config",
]
