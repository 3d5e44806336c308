"""``genav train vocoder``: the mel codec's optional magnitude refiner, trained by the generic trainer.

Data: the audio of the recipe's manifests (rows of ``data.split``), resampled to the codec's rate
and held in memory; each step takes random ``crop_seconds`` crops (drawn from the trainer's
per-step generator, so a step's batch is a pure function of (seed, step)) and minimises
:func:`~genav.codecs.vocoder.vocoder_loss`. The output folder is a codec folder
(``load_codec(OUT)``): ``config.json`` + ``model.safetensors`` with the EMA weights.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from genav.codecs import MelCodec, MelCodecConfig, vocoder_loss
from genav.errors import ConfigError, DataError
from genav.train.recipe import Recipe, recipe_part
from genav.train.run_lock import releases_run_folders
from genav.train.trainer import Trainer, TrainResult, make_accelerator

log = logging.getLogger(__name__)


class WaveSet:
    """Mono waves ``(N_i,)`` float32 in memory; ``collate`` returns them as a list."""

    def __init__(self, waves: Sequence[np.ndarray]) -> None:
        self.waves = [torch.from_numpy(np.asarray(w, dtype=np.float32)) for w in waves]

    def __len__(self) -> int:
        return len(self.waves)

    def collate(self, indices: Sequence[int]) -> list[torch.Tensor]:
        return [self.waves[i] for i in indices]


def crop_waves(waves: Sequence[torch.Tensor], length: int, generator: torch.Generator) -> torch.Tensor:
    """``(B, 1, length)``: a random crop of each wave (shorter ones zero-padded at a random offset)."""
    out = torch.zeros(len(waves), 1, length)
    draws = torch.rand(len(waves), generator=generator)
    for row, w in enumerate(waves):
        slack = abs(w.shape[0] - length)
        start = min(int(float(draws[row]) * (slack + 1)), slack)
        if w.shape[0] >= length:
            out[row, 0] = w[start : start + length]
        else:
            out[row, 0, start : start + w.shape[0]] = w
    return out


class VocoderLoss:
    """The trainer's ``loss_fn``: crops of ``seconds`` -> :func:`vocoder_loss` of the trained refiner."""

    def __init__(self, codec: MelCodec, seconds: float) -> None:
        self.codec = codec
        self.length = max(1, int(seconds * codec.sample_rate) // codec.hop_length) * codec.hop_length

    def __call__(self, model: torch.nn.Module, batch: list[torch.Tensor], generator: torch.Generator) -> torch.Tensor:
        cpu = generator if generator.device.type == "cpu" else torch.Generator().manual_seed(generator.initial_seed())
        return vocoder_loss(self.codec, crop_waves(batch, self.length, cpu), vocoder=model)


def codec_config_of(recipe: Recipe) -> MelCodecConfig:
    cfg = recipe_part(MelCodecConfig, recipe.model, "model")
    if cfg.vocoder_channels <= 0:
        raise ConfigError("recipe model: a vocoder needs vocoder_channels > 0")
    if cfg.audio_channels != 1:
        raise ConfigError("recipe model: the vocoder trains on mono audio (audio_channels 1)")
    return cfg


def load_waves(manifests: Sequence[str], split: str | None, sample_rate: int) -> list[np.ndarray]:
    """Mono audio of the manifests' rows (of ``split``) at ``sample_rate``."""
    from genav.train.tagger_data import load_manifest_clips

    waves = []
    for m in manifests:
        clips, _ = load_manifest_clips(m, sample_rate, split=split, label_rule="label")
        waves += [c.wave for c in clips]
    if not waves:
        raise DataError("no audio to train the vocoder on in " + ", ".join(manifests or ["(no manifests)"]))
    return waves


@dataclass
class VocoderRun:
    codec_dir: Path
    result: TrainResult
    codec: MelCodec
    clips: int


@releases_run_folders
def train_vocoder(recipe: Recipe, out: str | Path, *, steps: int | None = None, resume: bool = False,
                  overwrite: bool = False, progress: bool = True) -> VocoderRun:  # fmt: skip
    """Train the refiner of the recipe's mel codec; writes the codec folder ``out`` (state in ``out/train``)."""
    from genav.train.run import prepare_out_dir

    out = Path(out)
    cfg = codec_config_of(recipe)
    waves = load_waves(recipe.data.manifests, recipe.data.split, cfg.sample_rate)
    acc = make_accelerator(recipe.mixed_precision, "cpu")
    run_dir = prepare_out_dir(out, resume=resume, overwrite=overwrite, accelerator=acc)
    torch.manual_seed(recipe.seed)
    codec = MelCodec(cfg)
    vocoder: Any = codec.vocoder
    vocoder.requires_grad_(True)
    loss = VocoderLoss(codec, recipe.data.crop_seconds or 1.0)
    trainer = Trainer(vocoder, recipe, loss_fn=loss, train_set=WaveSet(waves), run_dir=run_dir, accelerator=acc,
                      progress=progress)  # fmt: skip
    result = trainer.fit(steps=steps, resume=resume)
    codec.vocoder = trainer.averaged_model()
    codec.vocoder.requires_grad_(False).eval()
    if result.step >= (steps or recipe.steps):
        codec.save_pretrained(out)
        log.info("wrote codec folder %s", out)
    return VocoderRun(out, result, codec, len(waves))
