"""``encodec``: EnCodec (e.g. the 24 kHz model) through ``transformers.EncodecModel``.

Latents are the encoder's *continuous* embeddings ``(B, hidden_size, T)`` (``model.encoder``,
before the residual vector quantiser) by default, decoded by ``model.decoder``; that space is
smooth, which is what a flow model wants. ``latent_kind="quantized"`` instead snaps them to the
RVQ codebooks at ``bandwidth`` (encode -> codes -> embeddings), the space the decoder was trained
on. Either way the result is scaled by ``latent_mean``/``latent_std``.

Models that normalise or chunk their input (the 48 kHz EnCodec) keep a per-chunk scale outside
the latents, so they are refused with a clear error.
"""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path
from typing import ClassVar

import torch

from genav.codecs._folders import load_failure, require_model_folder
from genav.codecs.base import CODEC_CONFIG_NAME, AudioCodec
from genav.config import Config
from genav.errors import CheckpointError, ConfigError

LATENT_KINDS = ("continuous", "quantized")


@dataclasses.dataclass(frozen=True)
class EncodecCodecConfig(Config):
    """``path``: a local HF-format EnCodec folder (``None`` inside a saved codec folder: the
    folder itself)."""

    model_type: ClassVar[str] = "codec-encodec"
    # the model folder decides the latent layout: known once the codec is loaded, not from here
    latent_dim: ClassVar[None] = None
    frame_rate: ClassVar[None] = None

    path: str | None = None
    latent_kind: str = "continuous"
    bandwidth: float | None = None  # quantized only; None = the model's lowest target bandwidth
    latent_mean: float = 0.0
    latent_std: float = 1.0

    def __post_init__(self) -> None:
        if self.latent_kind not in LATENT_KINDS:
            raise ConfigError(f"EncodecCodecConfig.latent_kind must be one of {LATENT_KINDS}")
        if self.latent_std <= 0:
            raise ConfigError("EncodecCodecConfig.latent_std must be positive")


class EncodecCodec(AudioCodec):
    """EnCodec latents: ``latent_dim = hidden_size``, ``hop = prod(upsampling_ratios)``."""

    def __init__(self, config: EncodecCodecConfig) -> None:
        super().__init__()
        from transformers import EncodecFeatureExtractor, EncodecModel

        what = "encodec codec"
        folder = require_model_folder(config.path, what)
        try:
            model = EncodecModel.from_pretrained(folder, local_files_only=True)
        except (OSError, ValueError, KeyError, RuntimeError) as exc:
            raise load_failure(what, folder, exc) from None
        mc = model.config
        if mc.normalize or mc.chunk_length_s is not None:
            raise CheckpointError(
                f"{what}: {folder} normalises or chunks its input (like the 48 kHz EnCodec); "
                "only unchunked models without normalisation (like the 24 kHz EnCodec) can serve as a latent codec"
            )
        self.feature_extractor = None
        if (folder / "preprocessor_config.json").is_file():
            fe = EncodecFeatureExtractor.from_pretrained(folder, local_files_only=True)
            if fe.sampling_rate != mc.sampling_rate or fe.feature_size != mc.audio_channels:
                raise CheckpointError(f"{what}: {folder} preprocessor_config.json does not match config.json")
            self.feature_extractor = fe
        self.config = config
        self.model = model.eval().requires_grad_(False)
        self.sample_rate = int(mc.sampling_rate)
        self.hop_length = int(math.prod(mc.upsampling_ratios))
        self.audio_channels = int(mc.audio_channels)
        self.latent_dim = int(mc.hidden_size)
        self.bandwidth = config.bandwidth if config.bandwidth is not None else float(mc.target_bandwidths[0])
        if self.bandwidth not in [float(b) for b in mc.target_bandwidths]:
            raise ConfigError(f"{what}: bandwidth {self.bandwidth} is not one of {list(mc.target_bandwidths)}")
        if config.latent_kind == "quantized" and model.quantizer.get_num_quantizers_for_bandwidth(self.bandwidth) < 1:
            raise ConfigError(f"{what}: bandwidth {self.bandwidth} kbps selects no quantizer in {folder}")

    def _encode_raw(self, wave: torch.Tensor) -> torch.Tensor:
        emb = self.model.encoder(wave)
        if self.config.latent_kind == "quantized":
            emb = self.model.quantizer.decode(self.model.quantizer.encode(emb, self.bandwidth))
        return emb

    def _decode_raw(self, raw: torch.Tensor) -> torch.Tensor:
        return self.model.decoder(raw)

    def save_pretrained(self, folder: str | Path) -> Path:
        """The HF model files plus ``genav_codec.json`` (this codec's config, path left empty)."""
        folder = Path(folder)
        self.model.save_pretrained(folder)
        if self.feature_extractor is not None:
            self.feature_extractor.save_pretrained(folder)
        self.config.replace(path=None).save(folder / CODEC_CONFIG_NAME)
        return folder
