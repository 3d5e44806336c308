"""The genav tagger: a small log-mel CNN trained here, the offline default classifier for KLD/FD/IS.

It shares CNN14's front end and block design at a fraction of the size (four blocks,
16..128 channels), predicts its own coarse classes (see :mod:`genav.eval.classifiers.tagger_labels`), and
returns an embedding for FD. Its numbers are not comparable with published AudioSet-classifier
tables; every result made with it says so.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import ClassVar

import torch
from torch import nn

from genav.checkpoint import load_module_folder, save_model_folder
from genav.config import Config
from genav.errors import CheckpointError
from genav.eval.classifiers.cnn14 import ConvBlock, FrontEndSpec, LogMelFrontEnd, cnn_head
from genav.eval.classifiers.tagger_labels import COARSE_CLASSES
from genav.media.audio import sounding_part

TAGGER_NAME = "genav-tagger"


@dataclasses.dataclass(frozen=True)
class TaggerConfig(Config):
    """Architecture and front end of the tagger; ``classes`` names the logits in order."""

    model_type: ClassVar[str] = "audio-tagger"

    name: str = TAGGER_NAME
    sample_rate: int = 16000
    n_fft: int = 512
    hop: int = 160
    n_mels: int = 64
    fmin: float = 50.0
    fmax: float = 8000.0
    channels: tuple[int, ...] = (16, 32, 64, 128)
    embedding_dim: int = 128
    dropout: float = 0.2
    min_seconds: float = 0.5
    db_range: float = 80.0
    trim_db: float | None = 50.0
    classes: tuple[str, ...] = COARSE_CLASSES

    @property
    def front_end(self) -> FrontEndSpec:
        return FrontEndSpec(self.sample_rate, self.n_fft, self.hop, self.n_mels, self.fmin, self.fmax)


class Tagger(nn.Module):
    """wave (B, T) at ``config.sample_rate`` -> (logits (B, classes), embedding (B, embedding_dim)).

    Each clip is first cut to its sounding part: leading and trailing 10 ms frames whose RMS is more
    than ``config.trim_db`` below the clip's loudest frame go (None: judged as given), so a one-shot
    judged alone or followed by seconds of silence gets the same logits (the 1 s training crops are
    mostly one-shots). Clips shorter than ``config.min_seconds`` are then zero-padded at the end (as
    in training).
    """

    def __init__(self, config: TaggerConfig) -> None:
        super().__init__()
        self.config = config
        self.front_end = LogMelFrontEnd(config.front_end)
        self.bn0 = nn.BatchNorm2d(config.n_mels)
        chans = (1, *config.channels)
        self.blocks = nn.ModuleList(ConvBlock(chans[i], chans[i + 1]) for i in range(len(config.channels)))
        self.dropout = nn.Dropout(config.dropout)
        self.fc1 = nn.Linear(config.channels[-1], config.embedding_dim)
        self.fc_out = nn.Linear(config.embedding_dim, len(config.classes))

    @property
    def sample_rate(self) -> int:
        return self.config.sample_rate

    def pad(self, wave: torch.Tensor) -> torch.Tensor:
        """(B, T) -> (B, max(T, min_seconds * rate)), zeros at the end."""
        need = int(round(self.config.min_seconds * self.config.sample_rate)) - wave.shape[-1]
        return nn.functional.pad(wave, (0, need)) if need > 0 else wave

    def trim(self, wave: torch.Tensor) -> torch.Tensor:
        """(T,) -> its samples from the first to the last sounding 10 ms frame (see the class doc)."""
        if self.config.trim_db is None:
            return wave
        part = sounding_part(wave.detach().cpu().numpy(), self.config.sample_rate, floor_db=self.config.trim_db)
        return torch.from_numpy(part).to(wave)

    def logmel(self, wave: torch.Tensor) -> torch.Tensor:
        """(B, T) -> (B, frames, mels), after padding to the minimum length."""
        return self.front_end(self.pad(wave))

    def forward_logmel(self, mel: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(B, frames, mels) log-mel -> (logits, embedding).

        Each clip is first referred to its own peak and floored ``db_range`` below it, so level and
        padding silence look alike for loud and quiet clips.
        """
        peak = mel.amax(dim=(1, 2), keepdim=True)
        mel = torch.maximum(mel - peak, torch.full_like(mel, -self.config.db_range))
        x = self.bn0(mel[:, None].transpose(1, 3)).transpose(1, 3)  # normalise each mel bin
        for block in self.blocks:
            x = block(x, (2, 2))
        embedding = torch.relu(self.fc1(self.dropout(cnn_head(x))))
        return self.fc_out(self.dropout(embedding)), embedding

    def forward(self, wave: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        if self.config.trim_db is None:
            return self.forward_logmel(self.logmel(wave))
        # clips cut to different lengths: one at a time
        outputs = [self.forward_logmel(self.logmel(self.trim(w)[None])) for w in wave]
        return torch.cat([o[0] for o in outputs]), torch.cat([o[1] for o in outputs])


def save_tagger(model: Tagger, folder: str | Path, *, model_card: str | None = None) -> Path:
    """Write config.json + model.safetensors (+ MODEL_CARD.md) atomically."""
    return save_model_folder(folder, model.config, model.state_dict(), model_card=model_card)


def load_tagger(folder: str | Path) -> Tagger:
    """Load a tagger folder strictly.

    Args:
        folder: a model folder (``config.json`` + ``model.safetensors``) written by
            :func:`save_tagger` / ``genav train tagger``.

    Returns:
        The :class:`Tagger` in eval mode: mono waves (B, T) at ``config.sample_rate`` Hz ->
        (B, classes) logits and (B, embedding_dim) embeddings.

    Raises:
        CheckpointError: no such folder, no config, no classes in it, or weights that do not match.

    Source: genav's own small CNN on a log-mel front end, after PANNs' CNN14 (Kong et al. 2020).
    """

    def build(config: TaggerConfig) -> Tagger:
        if not config.classes:
            raise CheckpointError(f"{folder}: tagger config lists no classes")
        return Tagger(config)

    return load_module_folder(folder, TaggerConfig, build).eval()
