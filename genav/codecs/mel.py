"""``mel``: a normalised log-mel spectrogram as the latent space, inverted by Griffin-Lim.

Needs no pretrained weights, so it serves the embedded defaults and the ``debug-*`` models.
Encoding is ``(log(max(mel(|STFT|), floor)) - latent_mean) / latent_std``. Decoding first holds
the log-mel inside the range real audio occupies (``max_log_mel``, ``max_frame_rms``), then maps
mel energies back to a linear magnitude (pseudo-inverse of the filterbank, then a few non-negative
least-squares multiplicative updates), optionally refines it with a small trained
:class:`~genav.codecs.vocoder.MelVocoder`, and recovers phase with fast Griffin-Lim (momentum
0.99, Perraudin et al. 2013) from a seeded random phase, so decoding is deterministic. The
initial phase is the same for every batch row, so a row decodes the same alone or in a batch.
"""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path
from typing import ClassVar

import torch
import torch.nn.functional as F

from genav.codecs.base import AudioCodec
from genav.config import Config
from genav.errors import ConfigError

# The inverse STFT divides the overlap-added frames by the squared-window envelope. Frame t is
# centred on sample t * hop, so the last hop of a clip is covered only by the tapering tails of
# the last frames; with n_fft / hop == 2 the envelope falls to ~1e-9 at the last sample and
# dividing by it multiplies whatever Griffin-Lim left in those tails by up to ~3e4 (a spike at
# the very end). The envelope is therefore floored at this fraction of its steady-state value
# (n_fft * mean(window**2) / hop): samples covered at least that well (all of them for a Hann
# window with n_fft / hop >= 3) are inverted exactly; the sparsely covered end of an
# n_fft / hop == 2 clip fades out instead of being amplified.
ENVELOPE_FLOOR = 0.05


@dataclasses.dataclass(frozen=True)
class MelCodecConfig(Config):
    """Settings of the log-mel codec. ``latent_mean``/``latent_std`` scale the log-mel values
    (natural log of slaney-normalised mel magnitudes) to roughly unit variance. The defaults are
    :func:`~genav.codecs.estimate_latent_stats` over all 224 clips of ``../shared/data/sfx``
    (mono, resampled to 16 kHz): mean -4.42, std 2.59 (checked by tests/codecs/test_mel.py)."""

    model_type: ClassVar[str] = "codec-mel"

    sample_rate: int = 16000
    n_fft: int = 1024
    hop_length: int = 256
    n_mels: int = 64
    fmin: float = 0.0
    fmax: float | None = None  # None = Nyquist
    audio_channels: int = 1
    log_floor: float = 1e-5
    latent_mean: float = -4.4
    latent_std: float = 2.6
    griffin_lim_iters: int = 32
    griffin_lim_momentum: float = 0.99
    griffin_lim_seed: int = 0
    nnls_iters: int = 32
    # The codec's valid range: decoding clamps each log-mel bin to ``max_log_mel`` (natural log)
    # and scales a frame's linear magnitude down until the RMS it implies (Parseval over the
    # Hann-windowed frame) is at most ``max_frame_rms``. Real audio stays inside (sfx2: log-mel
    # up to 2.10, frame RMS up to 0.63 and under 0.58 in 99% of clips; a full-scale square wave:
    # 2.31 and 1.0; a full-scale sine: RMS 0.71), so the bounds only act on latents a model
    # pushed off its data, which would otherwise decode to thousands of times full scale.
    # None = unbounded.
    max_log_mel: float | None = 2.3
    max_frame_rms: float | None = 0.6
    # Optional small vocoder (0 = none): channels and conv layers of the magnitude refiner.
    vocoder_channels: int = 0
    vocoder_layers: int = 4

    def __post_init__(self) -> None:
        fmax = self.fmax if self.fmax is not None else self.sample_rate / 2
        if self.hop_length <= 0 or self.n_fft < self.hop_length or self.n_fft % 2:
            raise ConfigError("MelCodecConfig: need an even n_fft >= hop_length > 0")
        if not 0 <= self.fmin < fmax <= self.sample_rate / 2:
            raise ConfigError(f"MelCodecConfig: need 0 <= fmin < fmax <= {self.sample_rate / 2}")
        if self.n_mels <= 0 or self.n_mels > self.n_fft // 2 + 1:
            raise ConfigError("MelCodecConfig: n_mels must be in 1..n_fft/2+1")
        if self.latent_std <= 0 or self.log_floor <= 0:
            raise ConfigError("MelCodecConfig: latent_std and log_floor must be positive")

    @property
    def latent_dim(self) -> int:
        """Channels of a latent frame: the mel bands of every audio channel."""
        return self.n_mels * self.audio_channels

    @property
    def frame_rate(self) -> float:
        """Latent frames per second (Hz): one per hop."""
        return self.sample_rate / self.hop_length


# -- mel scale (Slaney's auditory toolbox: linear below 1 kHz, logarithmic above) ------------
_F_SP = 200.0 / 3
_MIN_LOG_HZ = 1000.0
_MIN_LOG_MEL = _MIN_LOG_HZ / _F_SP
_LOG_STEP = math.log(6.4) / 27.0


def hz_to_mel(hz: torch.Tensor) -> torch.Tensor:
    linear = hz / _F_SP
    log = _MIN_LOG_MEL + torch.log(torch.clamp(hz, min=1e-10) / _MIN_LOG_HZ) / _LOG_STEP
    return torch.where(hz >= _MIN_LOG_HZ, log, linear)


def mel_to_hz(mel: torch.Tensor) -> torch.Tensor:
    linear = mel * _F_SP
    log = _MIN_LOG_HZ * torch.exp(_LOG_STEP * (mel - _MIN_LOG_MEL))
    return torch.where(mel >= _MIN_LOG_MEL, log, linear)


def mel_filterbank(sample_rate: int, n_fft: int, n_mels: int, fmin: float, fmax: float) -> torch.Tensor:
    """Triangular, area-normalised ("slaney") mel filters, ``(n_mels, n_fft // 2 + 1)`` float64."""
    freqs = torch.linspace(0, sample_rate / 2, n_fft // 2 + 1, dtype=torch.float64)
    edges = mel_to_hz(
        torch.linspace(
            hz_to_mel(torch.tensor(fmin, dtype=torch.float64)).item(),
            hz_to_mel(torch.tensor(fmax, dtype=torch.float64)).item(),
            n_mels + 2,
            dtype=torch.float64,
        )
    )
    lo, mid, hi = edges[:-2, None], edges[1:-1, None], edges[2:, None]
    rising = (freqs[None] - lo) / (mid - lo)
    falling = (hi - freqs[None]) / (hi - mid)
    weights = torch.clamp(torch.minimum(rising, falling), min=0)
    return weights * (2.0 / (hi - lo))


class MelCodec(AudioCodec):
    """Log-mel codec: ``latent_dim = n_mels * audio_channels``, ``frame_rate = sr / hop``.

    Multi-channel audio is encoded channel by channel and the mel bands stacked:
    latents are ``(B, C * n_mels, T)`` with channel 0's bands first.
    """

    def __init__(self, config: MelCodecConfig | None = None) -> None:
        super().__init__()
        self.config = config or MelCodecConfig()
        c = self.config
        self.sample_rate = c.sample_rate
        self.hop_length = c.hop_length
        self.audio_channels = c.audio_channels
        self.latent_dim = c.latent_dim
        fb = mel_filterbank(c.sample_rate, c.n_fft, c.n_mels, c.fmin, c.fmax or c.sample_rate / 2)
        self.register_buffer("filterbank", fb.float(), persistent=False)
        self.register_buffer("filterbank_pinv", torch.linalg.pinv(fb).float(), persistent=False)
        self.register_buffer("window", torch.hann_window(c.n_fft, dtype=torch.float32), persistent=False)
        self._envelope: tuple[tuple[int, torch.device], torch.Tensor] | None = None
        self.vocoder: torch.nn.Module | None = None
        if c.vocoder_channels > 0:
            from genav.codecs.vocoder import MelVocoder

            self.vocoder = MelVocoder(c.n_mels, c.n_fft // 2 + 1, c.vocoder_channels, c.vocoder_layers)
            self.vocoder.requires_grad_(False)
        self.eval()

    # -- spectral helpers ------------------------------------------------------------------
    # Internally spectra are frame-major ``(..., T, F)``: the FFTs run on contiguous frames and
    # the Griffin-Lim loop never transposes. Frame t is centred on sample t * hop (zero padding).
    def _spectrum(self, wave: torch.Tensor) -> torch.Tensor:
        """``(R, T * hop)`` -> complex ``(R, T, F)``."""
        n_fft, hop = self.config.n_fft, self.hop_length
        frames = F.pad(wave, (n_fft // 2, n_fft // 2)).unfold(-1, n_fft, hop)
        return torch.fft.rfft(frames[:, : wave.shape[-1] // hop] * self.window, dim=-1)

    def _overlap_add(self, spec: torch.Tensor) -> torch.Tensor:
        """Complex ``(R, T, F)`` -> ``(R, T * hop)``: least-squares inverse of :meth:`_spectrum`
        (exact wherever the window envelope is above its floor, see ``ENVELOPE_FLOOR``)."""
        n_fft, hop = self.config.n_fft, self.hop_length
        rows, t = spec.shape[0], spec.shape[1]
        frames = torch.fft.irfft(spec, n=n_fft, dim=-1) * self.window
        if n_fft % hop:
            out = F.fold(frames.transpose(1, 2), (1, (t - 1) * hop + n_fft), (1, n_fft), stride=(1, hop))
            out = out.reshape(rows, -1)
        else:  # the common case: sum n_fft / hop shifted copies, much faster than fold on CPU
            r = n_fft // hop
            frames = frames.reshape(rows, t, r, hop)
            out = frames.new_zeros(rows, t + r - 1, hop)
            for j in range(r):
                out[:, j : j + t] += frames[:, :, j]
            out = out.reshape(rows, -1)
        start = n_fft // 2
        return out[:, start : start + t * hop] / self._window_envelope(t)

    def _window_envelope(self, t: int) -> torch.Tensor:
        """Sum of squared windows over the ``t * hop`` output samples, floored at
        ``ENVELOPE_FLOOR`` times its steady-state value (cached for the last ``t``)."""
        key = (t, self.window.device)
        if self._envelope is None or self._envelope[0] != key:
            n_fft, hop = self.config.n_fft, self.hop_length
            sq = (self.window**2)[None, :, None].expand(1, n_fft, t)
            env = F.fold(sq, (1, (t - 1) * hop + n_fft), (1, n_fft), stride=(1, hop)).reshape(-1)
            floor = ENVELOPE_FLOOR * float((self.window**2).sum()) / hop
            self._envelope = (key, torch.clamp(env[n_fft // 2 : n_fft // 2 + t * hop], min=floor))
        return self._envelope[1]

    def stft(self, wave: torch.Tensor) -> torch.Tensor:
        """``(..., T * hop)`` -> complex ``(..., n_fft // 2 + 1, T)``."""
        spec = self._spectrum(wave.reshape(-1, wave.shape[-1]))
        return spec.transpose(-1, -2).reshape(*wave.shape[:-1], *spec.shape[-1:], spec.shape[-2])

    def istft(self, spec: torch.Tensor) -> torch.Tensor:
        """Complex ``(..., F, T)`` -> wave ``(..., T * hop)``; the inverse of :meth:`stft`."""
        wave = self._overlap_add(spec.reshape(-1, *spec.shape[-2:]).transpose(-1, -2))
        return wave.reshape(*spec.shape[:-2], wave.shape[-1])

    def log_mel(self, wave: torch.Tensor) -> torch.Tensor:
        """``(..., T * hop)`` -> un-normalised log-mel ``(..., n_mels, T)``."""
        mag = self.stft(wave).abs()
        mel = torch.matmul(self.filterbank, mag)
        return torch.log(torch.clamp(mel, min=self.config.log_floor))

    def mel_to_magnitude(self, log_mel: torch.Tensor, *, refine: bool = True) -> torch.Tensor:
        """Un-normalised log-mel ``(..., n_mels, T)`` -> linear magnitude ``(..., F, T)``;
        ``refine`` applies the vocoder when there is one."""
        mel = torch.exp(log_mel)
        mag = torch.clamp(torch.matmul(self.filterbank_pinv, mel), min=1e-8)
        # Multiplicative NNLS updates (Lee & Seung): stay non-negative, shrink ||M s - y||.
        fb = self.filterbank
        target = torch.matmul(fb.T, mel)
        for _ in range(self.config.nnls_iters):  # fb.T @ (fb @ s): rank n_mels, 8x cheaper than a gram
            mag = mag * target / (torch.matmul(fb.T, torch.matmul(fb, mag)) + 1e-10)
        if refine and self.vocoder is not None:
            mag = self.vocoder(log_mel, mag)
        return mag

    def griffin_lim(self, mag: torch.Tensor) -> torch.Tensor:
        """Linear magnitude ``(..., F, T)`` -> wave ``(..., T * hop)`` by fast Griffin-Lim.

        Every row of ``...`` starts from the same seeded phase (see :meth:`initial_phase`), so
        a row's output does not depend on the rest of the batch."""
        c = self.config
        lead, frames = mag.shape[:-2], mag.shape[-1]
        mag = mag.reshape(-1, *mag.shape[-2:]).transpose(-1, -2)
        # The last samples are covered only by the tapering tails of the last frames, where the
        # inverse divides by a small window envelope and amplifies whatever Griffin-Lim left
        # there (peaks of ~2x the clip's level). Frames past the end, repeating the last one,
        # give those samples full coverage; they are cut off again below.
        extra = c.n_fft // (2 * self.hop_length)
        mag = torch.cat([mag, mag[:, -1:].expand(-1, extra, -1)], dim=1).contiguous()
        angles = torch.polar(torch.ones_like(mag), self.initial_phase(*mag.shape[1:]).to(mag.device))
        previous = torch.zeros_like(angles)
        alpha = c.griffin_lim_momentum / (1 + c.griffin_lim_momentum)
        for _ in range(c.griffin_lim_iters):
            rebuilt = self._spectrum(self._overlap_add(mag * angles))
            angles = rebuilt - alpha * previous
            previous = rebuilt
            angles = angles / torch.clamp(angles.abs(), min=1e-16)
        wave = self._overlap_add(mag * angles)[:, : frames * self.hop_length]
        return wave.reshape(*lead, wave.shape[-1])

    def initial_phase(self, frames: int, bins: int) -> torch.Tensor:
        """Griffin-Lim's starting phase ``(frames, bins)`` (radians), drawn from
        ``griffin_lim_seed`` frame by frame on the CPU: the same for every row, and its first
        frames do not depend on ``frames``."""
        gen = torch.Generator().manual_seed(self.config.griffin_lim_seed)
        return torch.rand(frames, bins, generator=gen, dtype=torch.float32) * (2 * math.pi)

    # -- codec -----------------------------------------------------------------------------
    def _encode_raw(self, wave: torch.Tensor) -> torch.Tensor:
        b, ch, _ = wave.shape
        return self.log_mel(wave).reshape(b, ch * self.config.n_mels, -1)

    def frame_rms(self, mag: torch.Tensor) -> torch.Tensor:
        """The RMS ``(..., 1, T)`` of the wave frames a linear magnitude ``(..., F, T)`` implies
        (Parseval: sum over the one-sided spectrum, doubled, over ``n_fft * sum(window ** 2)``)."""
        power = 2 * mag.pow(2).sum(dim=-2, keepdim=True)
        return torch.sqrt(power / (self.config.n_fft * float(self.window.pow(2).sum())))

    def bound_magnitude(self, mag: torch.Tensor) -> torch.Tensor:
        """Linear magnitude ``(..., F, T)`` with every frame's implied RMS at most ``max_frame_rms``."""
        if self.config.max_frame_rms is None:
            return mag
        rms = self.frame_rms(mag)
        return mag * torch.clamp(self.config.max_frame_rms / torch.clamp(rms, min=1e-12), max=1.0)

    def _decode_raw(self, raw: torch.Tensor) -> torch.Tensor:
        b, _, t = raw.shape
        log_mel = raw.reshape(b, self.audio_channels, self.config.n_mels, t)
        if self.config.max_log_mel is not None:
            log_mel = torch.clamp(log_mel, max=self.config.max_log_mel)
        return self.griffin_lim(self.bound_magnitude(self.mel_to_magnitude(log_mel)))

    def save_pretrained(self, folder: str | Path) -> Path:
        """``config.json`` (+ ``model.safetensors`` with the vocoder weights, when there is one)."""
        from genav.checkpoint import save_model_folder

        return save_model_folder(folder, self.config, self.state_dict())

    @classmethod
    def from_pretrained(cls, folder: str | Path) -> MelCodec:
        """A mel codec folder written by :meth:`save_pretrained`."""
        from genav.checkpoint import load_module_folder

        return load_module_folder(folder, MelCodecConfig, cls)
