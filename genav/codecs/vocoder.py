"""An optional small vocoder for the mel codec: it refines the linear magnitude recovered from
the mel bands before Griffin-Lim, which sharpens harmonics the mel pseudo-inverse smears.

It predicts a residual on the log magnitude from the log-mel frames and the NNLS magnitude with a
few 1-D convolutions over time; the last layer starts at zero, so an untrained vocoder changes
nothing. :func:`vocoder_loss` is what the generic trainer minimises (``genav train vocoder``,
:mod:`genav.train.vocoder`).
"""

from __future__ import annotations

import logging

import torch
import torch.nn.functional as F

from genav.errors import ConfigError

log = logging.getLogger(__name__)

_EPS = 1e-5
# Typical centre and spread of natural-log magnitudes of [-1, 1] audio, to give the convs
# inputs of order one; and the largest log-gain the refiner may apply (e^4 ~ 55x).
_LOG_CENTRE, _LOG_SCALE, _MAX_GAIN = -4.0, 3.0, 4.0


class MelVocoder(torch.nn.Module):
    """Magnitude refiner: ``(log_mel (..., n_mels, T), mag (..., F, T)) -> mag (..., F, T)``."""

    def __init__(self, n_mels: int, n_freq: int, channels: int = 128, layers: int = 4) -> None:
        super().__init__()
        if layers < 2:
            raise ConfigError("MelVocoder needs at least 2 layers")
        self.inp = torch.nn.Conv1d(n_mels + n_freq, channels, 3, padding=1)
        self.body = torch.nn.ModuleList(
            torch.nn.Conv1d(channels, channels, 3, padding=d, dilation=d)
            for d in (2 ** (i % 3) for i in range(layers - 2))
        )
        self.out = torch.nn.Conv1d(channels, n_freq, 3, padding=1)
        torch.nn.init.zeros_(self.out.weight)
        torch.nn.init.zeros_(self.out.bias)

    def forward(self, log_mel: torch.Tensor, mag: torch.Tensor) -> torch.Tensor:
        lead = mag.shape[:-2]
        log_mag = torch.log(mag.reshape(-1, *mag.shape[-2:]) + _EPS)
        x = torch.cat([log_mel.reshape(-1, *log_mel.shape[-2:]), log_mag], dim=1)
        h = F.silu(self.inp((x - _LOG_CENTRE) / _LOG_SCALE))
        for conv in self.body:
            h = h + F.silu(conv(h))
        # A bounded log-gain keeps exp() from overflowing early in training.
        refined = torch.exp(log_mag + _MAX_GAIN * torch.tanh(self.out(h) / _MAX_GAIN)) - _EPS
        return torch.clamp(refined, min=0).reshape(*lead, *refined.shape[-2:])


def vocoder_loss(codec, wave: torch.Tensor, vocoder: torch.nn.Module | None = None) -> torch.Tensor:
    """L1 distance of log magnitudes between the vocoder's output and the true STFT of ``wave``.

    ``codec`` is a :class:`~genav.codecs.mel.MelCodec`; ``vocoder`` the refiner being trained
    (default ``codec.vocoder``; a trainer passes its own, possibly wrapped, module); ``wave`` is
    ``(B, C, N)`` with ``N`` a multiple of the hop. Gradients flow into the vocoder only.
    """
    vocoder = vocoder if vocoder is not None else codec.vocoder
    if vocoder is None:
        raise ConfigError("this mel codec has no vocoder (set vocoder_channels > 0 in its config)")
    with torch.no_grad():
        wave = wave.to(codec.device, torch.float32)
        target = codec.stft(wave).abs()
        log_mel = torch.log(torch.clamp(torch.matmul(codec.filterbank, target), min=codec.config.log_floor))
        base = codec.mel_to_magnitude(log_mel, refine=False)
    pred = vocoder(log_mel, base)
    return (torch.log(pred + _EPS) - torch.log(target + _EPS)).abs().mean()
