"""``genav train tagger``: train the genav tagger from a recipe with the generic trainer.

Data: the recipe's manifests (rows of ``data.split``) plus synthetic-world event snippets for
training; the recipe's validation manifests (rows of ``data.val_split``, e.g. sfx2 ``test``) plus
synthetic snippets of test seeds for the held-out report. Nothing held out steers training (the
shipped weights are the EMA weights at the last step), so the report is an honest held-out score.
Log-mels (and their codec round trips) are computed once and cached under ``OUT/train/cache``.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from genav.config import Config
from genav.errors import DataError
from genav.eval.classifiers.tagger import Tagger, TaggerConfig, save_tagger
from genav.eval.classifiers.tagger_labels import SYNTH_CLASSES
from genav.train.recipe import Recipe, recipe_part
from genav.train.run_lock import releases_run_folders
from genav.train.tagger import TaggerLoss, TaggerOptions, TaggerTrainSet, class_weights
from genav.train.tagger_data import LabelledClip, evaluate_tagger, load_manifest_clips, synth_event_clips
from genav.train.trainer import Trainer, TrainResult, make_accelerator

log = logging.getLogger(__name__)


@dataclass
class TaggerRun:
    """What :func:`train_tagger` did: the model folder, the trainer's result, held-out scores."""

    model_dir: Path
    result: TrainResult
    model: Tagger
    train_clips: list[LabelledClip]
    test_clips: list[LabelledClip]
    report: dict[str, Any] = field(default_factory=dict)


def options_of(recipe: Recipe) -> TaggerOptions:
    return recipe_part(TaggerOptions, recipe.options, "options")


def config_of(recipe: Recipe) -> TaggerConfig:
    return recipe_part(TaggerConfig, recipe.model, "model") if recipe.model else TaggerConfig()


def load_clips(
    recipe: Recipe, options: TaggerOptions, sample_rate: int, *, manifests: list[str] | None = None
) -> tuple[list[LabelledClip], list[LabelledClip], list[str]]:
    """(training clips, held-out clips, files without a class)."""
    d = recipe.data
    train, test, skipped = [], [], []
    for m in manifests or d.manifests:
        clips, skip = load_manifest_clips(m, sample_rate, split=d.split, label_rule=options.label_rule)
        train += clips
        skipped += skip
    for m in d.val_manifests:
        test += load_manifest_clips(m, sample_rate, split=d.val_split, label_rule=options.label_rule)[0]
    if options.synth_per_type:
        train += synth_event_clips(options.synth_per_type, recipe.seed, sample_rate, split="train")
    if options.synth_test_per_type:
        test += synth_event_clips(options.synth_test_per_type, recipe.seed, sample_rate, split="test")
    if not train:
        raise DataError(
            "no labelled training clips in " + ", ".join(manifests or d.manifests or ["(no manifests)"])
        )
    return train, test, skipped


def class_list(train: list[LabelledClip]) -> tuple[str, ...]:
    """Recorded-sound classes in sorted order, then the synthetic-world classes present."""
    labels = {c.label for c in train}
    synth = [c for c in SYNTH_CLASSES if c in labels]
    return tuple(sorted(labels - set(synth))) + tuple(synth)


def _codec_round_trip(waves: list[np.ndarray], sample_rate: int) -> list[np.ndarray]:
    """Each wave encoded and decoded by the default mel codec (Griffin-Lim), at ``sample_rate``."""
    from genav.codecs import MelCodec, MelCodecConfig

    codec = MelCodec(MelCodecConfig(sample_rate=sample_rate))
    out = []
    for w in waves:
        wave = torch.from_numpy(np.asarray(w, dtype=np.float32))[None, None]
        out.append(codec.decode(codec.encode(wave))[0, 0, : len(w)].numpy())
    return out


@torch.no_grad()
def clip_logmels(model: Tagger, waves: list[np.ndarray]) -> list[torch.Tensor]:
    """The tagger front end's log-mel ``(frames, mels)`` of each whole wave (no padding)."""
    return [model.front_end(torch.from_numpy(np.asarray(w, dtype=np.float32))[None])[0] for w in waves]


def _feature_key(recipe: Recipe, options: TaggerOptions, config: TaggerConfig, manifests: list[str]) -> str:
    parts = {
        "manifests": [(m, hashlib.sha256(Path(m).read_bytes()).hexdigest()) for m in manifests],
        "split": recipe.data.split, "front_end": config.front_end.__dict__, "seed": recipe.seed,
        "synth": options.synth_per_type, "codec": options.codec_augment, "rule": options.label_rule, "v": 1,
    }  # fmt: skip
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:16]


def training_features(
    model: Tagger, clips: list[LabelledClip], options: TaggerOptions, cache: Path | None, key: str
) -> list[torch.Tensor]:
    """Log-mels of the training clips (then of their codec round trips), cached as safetensors."""
    from genav.checkpoint import cached_tensors

    path = None if cache is None else cache / f"tagger-features-{key}.safetensors"

    def build() -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
        waves = [c.wave for c in clips]
        if options.codec_augment:
            log.info("codec round trip of %d training clips", len(waves))
            waves = waves + _codec_round_trip(waves, model.config.sample_rate)
        return {f"{i:06d}": m for i, m in enumerate(clip_logmels(model, waves))}, {}

    stored, _ = cached_tensors(path, build)
    return [stored[f"{i:06d}"] for i in range(len(stored))]


def held_out_report(model: Tagger, test: list[LabelledClip], *, codec: bool) -> dict[str, Any]:
    """Accuracy on the held-out clips: recorded sounds ranked among the recorded classes, synthetic
    snippets among the synthetic classes (and, with ``codec``, the recorded clips after a codec
    round trip: what generated audio can at best look like)."""
    classes = model.config.classes
    synth = [c for c in classes if c in SYNTH_CLASSES]
    real = [c for c in classes if c not in SYNTH_CLASSES]
    rec = [c for c in test if c.label in real]
    report: dict[str, Any] = {}
    if rec:
        report["recorded"] = evaluate_tagger(model, rec, among=real)
        if codec:
            rt = _codec_round_trip([c.wave for c in rec], model.config.sample_rate)
            rt_clips = [LabelledClip(c.name, w, c.label, c.group) for c, w in zip(rec, rt, strict=True)]
            report["recorded_codec"] = evaluate_tagger(model, rt_clips, among=real)
    syn = [c for c in test if c.label in synth]
    if syn:
        report["synthetic"] = evaluate_tagger(model, syn, among=synth)
    return report


@releases_run_folders
def train_tagger(
    recipe: Recipe,
    out: str | Path,
    *,
    manifests: list[str] | None = None,
    steps: int | None = None,
    resume: bool = False,
    overwrite: bool = False,
    stop_after: int | None = None,
    command: str | None = None,
    progress: bool = True,
) -> TaggerRun:
    """Train the tagger per ``recipe`` into the model folder ``out`` (training state in ``out/train``).

    Raises ConfigError/DataError on a bad recipe or data before anything is written, and
    OutputExistsError when ``out`` holds a run and neither ``resume`` nor ``overwrite`` is set.
    """
    from genav.train.run import prepare_out_dir
    from genav.train.tagger_card import model_card

    out = Path(out)
    options, base = options_of(recipe), config_of(recipe)
    train, test, skipped = load_clips(recipe, options, base.sample_rate, manifests=manifests)
    config = base.replace(classes=class_list(train))
    unknown = sorted({c.label for c in test} - set(config.classes))
    if unknown:
        raise DataError(f"held-out clips have classes absent from training: {unknown[:5]}")
    acc = make_accelerator(recipe.mixed_precision, "cpu")
    run_dir = prepare_out_dir(out, resume=resume, overwrite=overwrite, accelerator=acc)
    torch.manual_seed(recipe.seed)
    model = Tagger(config)
    key = _feature_key(recipe, options, config, list(manifests or recipe.data.manifests))
    mels = training_features(model, train, options, run_dir / "cache", key)
    labels = [config.classes.index(c.label) for c in train] * (len(mels) // len(train))
    frames = 1 + int(round((recipe.data.crop_seconds or 1.0) * config.sample_rate)) // config.hop
    loss = TaggerLoss(frames, class_weights(labels, len(config.classes), options.class_weight_power), options)
    trainer = Trainer(model, recipe, loss_fn=loss, train_set=TaggerTrainSet(mels, labels), run_dir=run_dir,
                      accelerator=acc, progress=progress)  # fmt: skip
    result = trainer.fit(steps=steps, resume=resume, stop_after=stop_after)
    shipped = trainer.averaged_model()
    run = TaggerRun(out, result, shipped, train, test)
    if result.step >= (steps or recipe.steps):
        run.report = held_out_report(shipped, test, codec=options.codec_augment)
        card = model_card(run, recipe, options, skipped=skipped, command=command)
        save_tagger(shipped, out, model_card=card)
        (run_dir / "held_out.json").write_text(json.dumps(run.report, indent=2) + "\n")
        log.info("wrote model folder %s", out)
    return run


def recipe_summary(recipe: Recipe) -> dict[str, Any]:
    """The recipe's optimisation settings (for the model card)."""
    data = recipe.to_dict()
    return {
        k: v for k, v in data.items() if k not in ("model", "data", "options", "description", "model_type")
    }


__all__ = ["TaggerRun", "train_tagger", "held_out_report", "load_clips", "class_list", "Config"]
