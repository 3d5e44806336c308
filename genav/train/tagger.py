"""The genav tagger as a task of the generic trainer: its training set, loss and options.

The tagger trains on whole-clip log-mels held in memory (:class:`TaggerTrainSet`); every step
takes random crops of ``crop_seconds``, a random gain and one time and one frequency mask per
row (SpecAugment, Park et al. 2019), all drawn from the trainer's per-step generator, so a step's
batch is a pure function of (seed, step) like every genav training run. The loss is
cross-entropy with label smoothing and class weights ``count ** -class_weight_power``.
:mod:`genav.train.tagger_run` builds the data and runs :class:`~genav.train.trainer.Trainer`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any, ClassVar

import torch
import torch.nn.functional as F
from torch import Tensor

from genav.config import Config
from genav.errors import ConfigError

SILENCE_DB = -100.0  # the tagger front end's floor: 10 log10(1e-10)


@dataclasses.dataclass(frozen=True)
class TaggerOptions(Config):
    """Tagger-specific recipe settings (the recipe's ``options`` object).

    ``synth_per_type``/``synth_test_per_type``: synthetic-world clips per event type cut into
    event snippets for training / for the held-out report. ``codec_augment``: also train on each
    clip after a round trip through the mel codec (Griffin-Lim), so that generated audio, which
    always comes out of that codec, is judged by its content and not by its codec artefacts.
    ``label_rule``: ``label`` (sfx2: the row's label) or ``coarse`` (the older SFX set's rules).
    """

    model_type: ClassVar[str] = "tagger-options"

    label_rule: str = "label"
    synth_per_type: int = 24
    synth_test_per_type: int = 8
    label_smoothing: float = 0.1
    class_weight_power: float = 0.5
    gain_db: tuple[float, float] = (-12.0, 6.0)
    freq_mask: int = 8
    time_mask: int = 10
    codec_augment: bool = True

    def __post_init__(self) -> None:
        if self.synth_per_type < 0 or self.synth_test_per_type < 0:
            raise ConfigError("TaggerOptions: synthetic clip counts must be >= 0")
        if not 0 <= self.label_smoothing < 1 or self.class_weight_power < 0:
            raise ConfigError("TaggerOptions: need 0 <= label_smoothing < 1 and class_weight_power >= 0")
        if self.gain_db[0] > self.gain_db[1] or self.freq_mask < 0 or self.time_mask < 0:
            raise ConfigError("TaggerOptions: need gain_db (lo <= hi) and masks >= 0")


class TaggerTrainSet:
    """Log-mels ``(frames_i, mels)`` with class indices, in memory; ``collate`` returns both."""

    def __init__(self, mels: Sequence[Tensor], labels: Sequence[int]) -> None:
        if len(mels) != len(labels):
            raise ConfigError(f"{len(mels)} log-mels for {len(labels)} labels")
        self.mels = list(mels)
        self.labels = torch.as_tensor(list(labels), dtype=torch.long)

    def __len__(self) -> int:
        return len(self.mels)

    def collate(self, indices: Sequence[int]) -> dict[str, Any]:
        return {"mels": [self.mels[i] for i in indices], "labels": self.labels[list(indices)]}


def random_crops(
    mels: Sequence[Tensor], frames: int, gain_db: tuple[float, float], generator: torch.Generator
) -> Tensor:
    """``(B, frames, mels)``: a random crop of each log-mel (a short clip at a random place in
    silence) plus a random gain in dB (a wave gain g is + 20 log10 g on the log-mel, except at
    the silence floor)."""
    n_mels = mels[0].shape[1]
    out = torch.full((len(mels), frames, n_mels), SILENCE_DB)
    draws = torch.rand(len(mels), 2, generator=generator)
    for row, mel in enumerate(mels):
        gain = gain_db[0] + float(draws[row, 0]) * (gain_db[1] - gain_db[0])
        slack = abs(mel.shape[0] - frames)
        start = int(float(draws[row, 1]) * (slack + 1)) if slack else 0
        start = min(start, slack)
        if mel.shape[0] >= frames:
            out[row] = torch.clamp(mel[start : start + frames] + gain, min=SILENCE_DB)
        else:
            out[row, start : start + mel.shape[0]] = torch.clamp(mel + gain, min=SILENCE_DB)
    return out


def spec_augment(mel: Tensor, freq_mask: int, time_mask: int, generator: torch.Generator) -> Tensor:
    """One frequency mask (< ``freq_mask`` bins) and one time mask (< ``time_mask`` frames) per
    row of ``(B, frames, mels)``, filled with the row's minimum (its silence)."""
    b, t, f = mel.shape
    draws = torch.rand(b, 4, generator=generator)
    frame_idx, bin_idx = torch.arange(t), torch.arange(f)
    f0, fw = (draws[:, 0] * f).long(), (draws[:, 1] * freq_mask).long()
    t0, tw = (draws[:, 2] * t).long(), (draws[:, 3] * time_mask).long()
    mask_f = (bin_idx[None] >= f0[:, None]) & (bin_idx[None] < (f0 + fw)[:, None])
    mask_t = (frame_idx[None] >= t0[:, None]) & (frame_idx[None] < (t0 + tw)[:, None])
    mask = mask_f[:, None, :] | mask_t[:, :, None]
    low = mel.amin(dim=(1, 2), keepdim=True).expand_as(mel)
    return torch.where(mask, low, mel)


class TaggerLoss:
    """The trainer's ``loss_fn`` for the tagger: augmented crops -> weighted, smoothed cross-entropy."""

    def __init__(self, frames: int, class_weights: Tensor, options: TaggerOptions) -> None:
        self.frames = frames
        self.class_weights = class_weights
        self.options = options

    def __call__(self, model: torch.nn.Module, batch: dict[str, Any], generator: torch.Generator) -> Tensor:
        o = self.options
        cpu_gen = (
            generator
            if generator.device.type == "cpu"
            else torch.Generator().manual_seed(generator.initial_seed())
        )
        mel = random_crops(batch["mels"], self.frames, o.gain_db, cpu_gen)
        if model.training:
            mel = spec_augment(mel, o.freq_mask, o.time_mask, cpu_gen)
        device = next(model.parameters()).device
        logits, _ = model.forward_logmel(mel.to(device))
        return F.cross_entropy(
            logits,
            batch["labels"].to(device),
            weight=self.class_weights.to(device),
            label_smoothing=o.label_smoothing,
        )


def class_weights(labels: Sequence[int], num_classes: int, power: float) -> Tensor:
    """``count ** -power`` per class (absent classes count 1), normalised to mean 1: ``(num_classes,)``."""
    counts = torch.bincount(torch.as_tensor(list(labels), dtype=torch.long), minlength=num_classes).float()
    weights = counts.clamp(min=1.0) ** -power
    return weights / weights.mean()
