"""The audio codec interface shared by every latent space genav generates in.

A codec maps a waveform ``(B, audio_channels, N)`` to latents ``(B, latent_dim, T)`` and back.
Latents are *diffusion-ready*: the raw codec output is shifted and scaled by ``latent_mean`` /
``latent_std`` from the codec's config so that they are roughly zero-mean, unit-variance
(:func:`estimate_latent_stats` measures those two numbers on real audio).

Lengths are exact: a codec works in whole frames of ``hop_length`` samples. ``encode`` pads the
wave with zeros at the end to a whole number of frames, so ``T == num_frames(N) == ceil(N / hop)``,
and ``decode`` returns exactly ``num_samples(T) == T * hop`` samples. Callers crop to the length
they asked for.

Rows are independent: ``decode(z)[i]`` equals ``decode(z[i:i+1])`` (bit for bit for ``mel``; to
float rounding, ~1e-7, for the neural codecs, whose kernels may block differently per batch
size), so callers decode whole batches.

Codecs are frozen during generation: ``encode``/``decode`` run without autograd and in float32
(spectral ops and the pretrained autoencoders are not reliable in half precision); the result is
float32 on the codec's device.
"""

from __future__ import annotations

import abc
import math
from collections.abc import Iterable
from pathlib import Path

import torch
import torch.nn.functional as F

from genav.config import Config
from genav.errors import InputError
from genav.runtime import module_device

# The file a codec folder keeps its genav config in when ``config.json`` belongs to the
# wrapped HF/diffusers model (EnCodec, Oobleck).
CODEC_CONFIG_NAME = "genav_codec.json"


class AudioCodec(torch.nn.Module, metaclass=abc.ABCMeta):
    """Base class. Subclasses set the attributes below in ``__init__`` and implement
    :meth:`_encode_raw` / :meth:`_decode_raw` on whole frames; this class handles checks,
    padding, normalisation, no-grad and dtype.

    Attributes:
        config: the codec's :class:`~genav.config.Config` (holds ``latent_mean``/``latent_std``).
        sample_rate: audio samples per second.
        hop_length: audio samples per latent frame.
        frame_rate: latent frames per second (``sample_rate / hop_length``).
        latent_dim: channels of a latent frame.
        audio_channels: channels of the waveform (1 mono, 2 stereo).
    """

    config: Config
    sample_rate: int
    hop_length: int
    latent_dim: int
    audio_channels: int

    @property
    def frame_rate(self) -> float:
        return self.sample_rate / self.hop_length

    @property
    def device(self) -> torch.device:
        return module_device(self)

    def to(self, *args, **kwargs) -> AudioCodec:
        """Move to a device; a dtype argument is ignored: codecs compute in float32 (see module doc)."""
        device, _dtype, non_blocking, _fmt = torch._C._nn._parse_to(*args, **kwargs)
        if device is None:
            return self
        return super().to(device=device, non_blocking=non_blocking)

    # -- lengths ---------------------------------------------------------------------------
    def num_frames(self, n_samples: int) -> int:
        """Latent frames that ``encode`` returns for ``n_samples`` samples: ``ceil(N / hop)``."""
        return math.ceil(int(n_samples) / self.hop_length)

    def num_samples(self, n_frames: int) -> int:
        """Samples that ``decode`` returns for ``n_frames`` latent frames: ``T * hop``."""
        return int(n_frames) * self.hop_length

    def frames_for_duration(self, seconds: float) -> int:
        """Latent frames that cover ``seconds`` of audio."""
        return self.num_frames(math.ceil(seconds * self.sample_rate - 1e-9))

    # -- public API ------------------------------------------------------------------------
    @torch.no_grad()
    def encode(self, wave: torch.Tensor) -> torch.Tensor:
        """``wave (B, audio_channels, N)`` -> normalised latents ``(B, latent_dim, num_frames(N))``."""
        wave = self._check_wave(wave)
        pad = self.num_frames(wave.shape[-1]) * self.hop_length - wave.shape[-1]
        if pad:
            wave = F.pad(wave, (0, pad))
        raw = self._encode_raw(wave)
        return self.normalize_latents(raw)

    @torch.no_grad()
    def decode(self, latents: torch.Tensor) -> torch.Tensor:
        """Normalised ``latents (B, latent_dim, T)`` -> ``wave (B, audio_channels, T * hop)``."""
        if latents.dim() != 3 or latents.shape[1] != self.latent_dim:
            raise InputError(
                f"{type(self).__name__}.decode expects latents of shape (B, {self.latent_dim}, T), "
                f"got {tuple(latents.shape)}"
            )
        if latents.shape[-1] == 0:
            raise InputError(f"{type(self).__name__}.decode got 0 latent frames")
        raw = self.denormalize_latents(latents.to(self.device, torch.float32))
        wave = self._decode_raw(raw)
        return _fit_length(wave, self.num_samples(latents.shape[-1]))

    def encode_raw(self, wave: torch.Tensor) -> torch.Tensor:
        """Un-normalised latents of a whole-frame wave (used to measure latent statistics)."""
        with torch.no_grad():
            return self._encode_raw(self._check_wave(wave))

    def normalize_latents(self, raw: torch.Tensor) -> torch.Tensor:
        mean, std = self._stats()
        return (raw - mean) / std

    def denormalize_latents(self, latents: torch.Tensor) -> torch.Tensor:
        mean, std = self._stats()
        return latents * std + mean

    def save_pretrained(self, folder: str | Path) -> Path:
        """Write this codec to ``folder`` so that :func:`genav.codecs.load_codec` restores it."""
        raise NotImplementedError(f"{type(self).__name__} cannot be saved")

    # -- for subclasses --------------------------------------------------------------------
    @abc.abstractmethod
    def _encode_raw(self, wave: torch.Tensor) -> torch.Tensor:
        """``(B, audio_channels, T * hop)`` float32 -> raw latents ``(B, latent_dim, T)``."""

    @abc.abstractmethod
    def _decode_raw(self, raw: torch.Tensor) -> torch.Tensor:
        """Raw latents ``(B, latent_dim, T)`` float32 -> wave ``(B, audio_channels, ~T * hop)``."""

    def _stats(self) -> tuple[float, float]:
        return float(self.config.latent_mean), float(self.config.latent_std)

    def _check_wave(self, wave: torch.Tensor) -> torch.Tensor:
        name = type(self).__name__
        if not isinstance(wave, torch.Tensor) or wave.dim() != 3:
            shape = tuple(wave.shape) if isinstance(wave, torch.Tensor) else type(wave).__name__
            raise InputError(f"{name}.encode expects a wave of shape (B, channels, N), got {shape}")
        if wave.shape[1] != self.audio_channels:
            raise InputError(
                f"{name} takes {self.audio_channels}-channel audio, got {wave.shape[1]} channels"
            )
        if wave.shape[-1] == 0:
            raise InputError(f"{name}.encode got an empty wave (0 samples)")
        return wave.to(self.device, torch.float32)


def _fit_length(wave: torch.Tensor, n: int) -> torch.Tensor:
    """Crop or zero-pad the last axis to exactly ``n`` samples."""
    if wave.shape[-1] > n:
        return wave[..., :n]
    if wave.shape[-1] < n:
        return F.pad(wave, (0, n - wave.shape[-1]))
    return wave


@torch.no_grad()
def estimate_latent_stats(codec: AudioCodec, waves: Iterable[torch.Tensor]) -> tuple[float, float]:
    """Mean and standard deviation of ``codec``'s raw latents over ``waves`` (each ``(B, C, N)``).

    Put the result into the codec config (``latent_mean``, ``latent_std``) so that ``encode``
    returns roughly unit-variance latents.
    """
    total = 0
    s1 = 0.0
    s2 = 0.0
    for wave in waves:
        pad = codec.num_frames(wave.shape[-1]) * codec.hop_length - wave.shape[-1]
        raw = codec.encode_raw(F.pad(wave, (0, pad))).double()
        total += raw.numel()
        s1 += raw.sum().item()
        s2 += (raw * raw).sum().item()
    if total == 0:
        raise InputError("estimate_latent_stats needs at least one non-empty wave")
    mean = s1 / total
    var = max(s2 / total - mean * mean, 1e-12)
    return mean, math.sqrt(var)
