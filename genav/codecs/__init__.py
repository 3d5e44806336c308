"""Audio codecs: waveforms <-> diffusion-ready latents ``(B, latent_dim, T)``.

``mel`` (log-mel + Griffin-Lim, no weights), ``encodec`` (``transformers.EncodecModel``) and
``oobleck`` (``diffusers.AutoencoderOobleck``) share :class:`AudioCodec`. transformers and
diffusers are imported only when an EnCodec/Oobleck codec is built.
"""

from genav.codecs.base import AudioCodec, estimate_latent_stats
from genav.codecs.encodec import EncodecCodec, EncodecCodecConfig
from genav.codecs.factory import (
    CODEC_CONFIGS,
    build_codec,
    codec_config_from_dict,
    codec_from_config,
    load_codec,
)
from genav.codecs.mel import MelCodec, MelCodecConfig
from genav.codecs.oobleck import OobleckCodec, OobleckCodecConfig
from genav.codecs.vocoder import MelVocoder, vocoder_loss

__all__ = [
    "CODEC_CONFIGS",
    "AudioCodec",
    "EncodecCodec",
    "EncodecCodecConfig",
    "MelCodec",
    "MelCodecConfig",
    "MelVocoder",
    "OobleckCodec",
    "OobleckCodecConfig",
    "build_codec",
    "codec_config_from_dict",
    "codec_from_config",
    "estimate_latent_stats",
    "load_codec",
    "vocoder_loss",
]
