"""PANNs CNN14 (Kong et al. 2020), written for genav, loading the official checkpoints strictly.

Official files: ``Cnn14_mAP=0.431.pth`` (32 kHz) and ``Cnn14_16k_mAP=0.438.pth`` (16 kHz), each a
dict ``{"model": state_dict (84 tensors), "iteration": int, "sampler": ...}``. They are read with
``torch.load(weights_only=True)``; the only extra globals allowed are the numpy array
reconstructors the sampler state needs (no arbitrary unpickling).
"""

from __future__ import annotations

import logging
import math
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from genav.checkpoint import load_state_strict
from genav.errors import CheckpointError
from genav.eval.classifiers.state_dicts import read_checkpoint

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FrontEndSpec:
    """Log-mel front end: STFT (periodic Hann, centred, reflect pad), power, Slaney mel, dB."""

    sample_rate: int
    n_fft: int
    hop: int
    n_mels: int = 64
    fmin: float = 50.0
    fmax: float = 14000.0


CNN14_32K = FrontEndSpec(sample_rate=32000, n_fft=1024, hop=320, fmax=14000.0)
CNN14_16K = FrontEndSpec(sample_rate=16000, n_fft=512, hop=160, fmax=8000.0)
NUM_AUDIOSET_CLASSES = 527


class _Stft(nn.Module):
    """Framewise DFT as two conv1d layers (real, imaginary) whose weights hold window * DFT."""

    def __init__(self, n_fft: int, hop: int) -> None:
        super().__init__()
        bins = n_fft // 2 + 1
        self.n_fft, self.hop = n_fft, hop
        self.conv_real = nn.Conv1d(1, bins, n_fft, stride=hop, bias=False)
        self.conv_imag = nn.Conv1d(1, bins, n_fft, stride=hop, bias=False)
        n = np.arange(n_fft)
        window = 0.5 - 0.5 * np.cos(2 * np.pi * n / n_fft)  # periodic Hann
        angle = 2 * np.pi * np.outer(np.arange(bins), n) / n_fft
        with torch.no_grad():
            self.conv_real.weight.copy_(torch.from_numpy(np.cos(angle) * window)[:, None])
            self.conv_imag.weight.copy_(torch.from_numpy(-np.sin(angle) * window)[:, None])
        for p in self.parameters():
            p.requires_grad_(False)

    def forward(self, wave: torch.Tensor) -> torch.Tensor:
        """(B, T) -> power spectrogram (B, frames, bins) in float64, frames = 1 + T // hop.

        Float64 keeps the log-mel within ~1e-6 dB of an exact computation (float32 drifts by
        ~1e-4 dB); it costs little next to the CNN.
        """
        pad = self.n_fft // 2
        x = nn.functional.pad(wave[:, None].double(), (pad, pad), mode="reflect")
        real = nn.functional.conv1d(x, self.conv_real.weight.double(), stride=self.hop)
        imag = nn.functional.conv1d(x, self.conv_imag.weight.double(), stride=self.hop)
        return (real**2 + imag**2).transpose(1, 2)


class _SpectrogramExtractor(nn.Module):
    def __init__(self, n_fft: int, hop: int) -> None:
        super().__init__()
        self.stft = _Stft(n_fft, hop)

    def forward(self, wave: torch.Tensor) -> torch.Tensor:
        return self.stft(wave)


class _LogMel(nn.Module):
    def __init__(self, spec: FrontEndSpec) -> None:
        super().__init__()
        import librosa

        mel = librosa.filters.mel(sr=spec.sample_rate, n_fft=spec.n_fft, n_mels=spec.n_mels, fmin=spec.fmin, fmax=spec.fmax)
        self.melW = nn.Parameter(torch.from_numpy(mel.T.astype(np.float32)), requires_grad=False)  # (bins, mels)

    def forward(self, power: torch.Tensor) -> torch.Tensor:
        """(B, frames, bins) -> (B, frames, mels) float32 dB: 10 log10(max(x, 1e-10)), no top_db."""
        mel = power @ self.melW.to(power.dtype)
        return (10.0 * torch.log10(torch.clamp(mel, min=1e-10))).float()


class LogMelFrontEnd(nn.Module):
    """wave (B, T) -> log-mel (B, frames, mels). Submodule names follow the official layout."""

    def __init__(self, spec: FrontEndSpec) -> None:
        super().__init__()
        self.spec = spec
        self.spectrogram_extractor = _SpectrogramExtractor(spec.n_fft, spec.hop)
        self.logmel_extractor = _LogMel(spec)

    def forward(self, wave: torch.Tensor) -> torch.Tensor:
        return self.logmel_extractor(self.spectrogram_extractor(wave))


class ConvBlock(nn.Module):
    """conv3x3-BN-ReLU-conv3x3-BN-ReLU, then average pooling."""

    def __init__(self, c_in: int, c_out: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(c_in, c_out, 3, padding=1, bias=False)
        self.conv2 = nn.Conv2d(c_out, c_out, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(c_out)
        self.bn2 = nn.BatchNorm2d(c_out)

    def forward(self, x: torch.Tensor, pool: tuple[int, int] = (2, 2)) -> torch.Tensor:
        x = torch.relu(self.bn1(self.conv1(x)))
        x = torch.relu(self.bn2(self.conv2(x)))
        return nn.functional.avg_pool2d(x, pool) if pool != (1, 1) else x


def cnn_head(x: torch.Tensor) -> torch.Tensor:
    """(B, C, frames, mels) -> (B, C): mean over mel, then max + mean over time."""
    x = x.mean(dim=3)
    return x.max(dim=2).values + x.mean(dim=2)


class Cnn14(nn.Module):
    """PANNs CNN14: wave (B, T) at ``spec.sample_rate`` -> (logits (B, 527), embedding (B, 2048))."""

    CHANNELS = (64, 128, 256, 512, 1024, 2048)

    def __init__(self, spec: FrontEndSpec = CNN14_32K, num_classes: int = NUM_AUDIOSET_CLASSES) -> None:
        super().__init__()
        self.spec = spec
        self.spectrogram_extractor = _SpectrogramExtractor(spec.n_fft, spec.hop)
        self.logmel_extractor = _LogMel(spec)
        self.bn0 = nn.BatchNorm2d(spec.n_mels)
        chans = (1, *self.CHANNELS)
        for i in range(6):
            setattr(self, f"conv_block{i + 1}", ConvBlock(chans[i], chans[i + 1]))
        self.fc1 = nn.Linear(2048, 2048)
        self.fc_audioset = nn.Linear(2048, num_classes)

    @property
    def sample_rate(self) -> int:
        return self.spec.sample_rate

    def logmel(self, wave: torch.Tensor) -> torch.Tensor:
        """(B, T) -> (B, frames, 64) log-mel in dB."""
        return self.logmel_extractor(self.spectrogram_extractor(wave))

    def forward(self, wave: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x = self.logmel(wave)[:, None]  # (B, 1, frames, mels)
        x = self.bn0(x.transpose(1, 3)).transpose(1, 3)  # normalise each mel bin
        for i in range(6):
            x = getattr(self, f"conv_block{i + 1}")(x, (2, 2) if i < 5 else (1, 1))
        embedding = torch.relu(self.fc1(cnn_head(x)))
        return self.fc_audioset(embedding), embedding


def spec_from_state(state: dict[str, Any], source: str = "") -> FrontEndSpec:
    """16 kHz or 32 kHz, told apart by the STFT weight shape (n_fft / 2 + 1, 1, n_fft)."""
    key = "spectrogram_extractor.stft.conv_real.weight"
    if key not in state:
        raise CheckpointError(f"{source}: not a CNN14 checkpoint: missing key {key}")
    n_fft = tuple(state[key].shape)[-1]
    for spec in (CNN14_32K, CNN14_16K):
        if spec.n_fft == n_fft:
            return spec
    raise CheckpointError(f"{source}: {key} has shape {tuple(state[key].shape)}; expected n_fft 1024 (32 kHz) or 512 (16 kHz)")


def load_cnn14(path: str | Path) -> Cnn14:
    """Load an official PANNs CNN14 ``.pth`` strictly (any key or shape mismatch names the key).

    Args:
        path: the released checkpoint (``Cnn14_mAP=0.431.pth`` at 32 kHz or ``Cnn14_16k_mAP=0.438.pth``
            at 16 kHz); the rate follows from its front end's tensor shapes (n_fft 1024 or 512).

    Returns:
        A :class:`Cnn14` in eval mode, frozen: waves (B, T) at its rate -> (B, 527) logits and
        (B, 2048) embeddings.

    Raises:
        CheckpointError: a missing or unreadable file, not the PANNs layout, or a mismatched tensor.

    Source: PANNs, Kong et al. 2020 ("PANNs: Large-Scale Pretrained Audio Neural Networks").
    """
    path = Path(path)
    state = read_official_checkpoint(path)
    spec = spec_from_state(state, str(path))
    with torch.device("meta"):
        model = Cnn14(spec)
    with warnings.catch_warnings():  # the strict check copies into meta tensors: a no-op by design
        warnings.filterwarnings("ignore", message=".*meta parameter.*")
        load_state_strict(model, state, source=str(path))  # names missing/unexpected/mis-shaped keys
    model.load_state_dict(state, strict=True, assign=True)
    for p in model.parameters():
        p.requires_grad_(False)
    log.info("loaded CNN14 %d Hz from %s", spec.sample_rate, path)
    return model.eval()


def read_official_checkpoint(path: Path) -> dict[str, torch.Tensor]:
    """The ``model`` state dict of an official PANNs checkpoint, loaded without arbitrary pickles."""
    ckpt = read_checkpoint(path, missing=f"checkpoint not found: {path}")
    if not isinstance(ckpt, dict) or "model" not in ckpt:
        found = sorted(ckpt) if isinstance(ckpt, dict) else type(ckpt).__name__
        raise CheckpointError(f"{path}: expected a dict with a 'model' entry (official PANNs layout), found {found}")
    state = ckpt["model"]
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise CheckpointError(f"{path}: 'model' is not a state dict of tensors")
    return state


def count_parameters(model: nn.Module) -> int:
    return sum(math.prod(p.shape) for p in model.parameters())
