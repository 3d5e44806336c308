"""``oobleck``: Stable Audio Open's VAE through ``diffusers.AutoencoderOobleck``.

Latents are the posterior mean ``(B, decoder_input_channels, T)`` by default (deterministic);
``sample_latents=True`` draws from the posterior with a generator seeded by ``sample_seed``
(still deterministic per call). ``hop = prod(downsampling_ratios)`` (2048 at 44.1 kHz for
Stable Audio Open, ~21.5 latent frames per second).
"""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path
from typing import ClassVar

import torch

from genav.codecs._folders import load_failure, read_json_object, require_model_folder
from genav.codecs.base import CODEC_CONFIG_NAME, AudioCodec, _fit_length
from genav.config import Config
from genav.errors import CheckpointError, ConfigError


@dataclasses.dataclass(frozen=True)
class OobleckCodecConfig(Config):
    """``path``: a local diffusers folder of ``AutoencoderOobleck`` (a pipeline's ``vae/``
    subfolder works; ``None`` inside a saved codec folder: the folder itself)."""

    model_type: ClassVar[str] = "codec-oobleck"
    # the model folder decides the latent layout: known once the codec is loaded, not from here
    latent_dim: ClassVar[None] = None
    frame_rate: ClassVar[None] = None

    path: str | None = None
    sample_latents: bool = False
    sample_seed: int = 0
    latent_mean: float = 0.0
    latent_std: float = 1.0

    def __post_init__(self) -> None:
        if self.latent_std <= 0:
            raise ConfigError("OobleckCodecConfig.latent_std must be positive")


class OobleckCodec(AudioCodec):
    """Oobleck VAE latents: ``latent_dim = decoder_input_channels``."""

    def __init__(self, config: OobleckCodecConfig) -> None:
        super().__init__()
        from diffusers import AutoencoderOobleck

        what = "oobleck codec"
        folder = require_model_folder(config.path, what)
        class_name = (read_json_object(folder / "config.json") or {}).get("_class_name")
        if class_name != "AutoencoderOobleck":
            raise CheckpointError(f"{what}: {folder} holds {class_name or 'no diffusers model'}, not AutoencoderOobleck")
        try:
            vae = AutoencoderOobleck.from_pretrained(folder, local_files_only=True)
        except (OSError, ValueError, KeyError, RuntimeError) as exc:
            raise load_failure(what, folder, exc) from None
        self.config = config
        self.vae = vae.eval().requires_grad_(False)
        vc = vae.config
        self.sample_rate = int(vc.sampling_rate)
        self.hop_length = int(math.prod(vc.downsampling_ratios))
        self.audio_channels = int(vc.audio_channels)
        self.latent_dim = int(vc.decoder_input_channels)

    def _encode_raw(self, wave: torch.Tensor) -> torch.Tensor:
        dist = self.vae.encode(wave).latent_dist
        if self.config.sample_latents:
            gen = torch.Generator(device=wave.device).manual_seed(self.config.sample_seed)
            z = dist.sample(generator=gen)
        else:
            z = dist.mean
        # Strided convolutions may leave a frame more or less than N / hop; make it exact.
        return _fit_length(z, wave.shape[-1] // self.hop_length)

    def _decode_raw(self, raw: torch.Tensor) -> torch.Tensor:
        return self.vae.decode(raw).sample

    def save_pretrained(self, folder: str | Path) -> Path:
        """The diffusers model files plus ``genav_codec.json`` (this codec's config)."""
        folder = Path(folder)
        self.vae.save_pretrained(folder)
        self.config.replace(path=None).save(folder / CODEC_CONFIG_NAME)
        return folder
