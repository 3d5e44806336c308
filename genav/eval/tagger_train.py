"""Training the genav tagger on labelled clips (the SFX set, optionally the synthetic world).

Reproducible: a fixed seed drives the split, the initialisation, the crops and the batches. A
held-out split (stratified by class, grouped so that numbered variants of one sound, e.g.
``gravel_footstep.1/.2/.3``, stay on one side) measures accuracy; the shipped model is the one
trained on the remaining clips, so the measured accuracy is that of the shipped weights.
"""

from __future__ import annotations

import json
import logging
import math
import re
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch import nn

from genav.errors import DataError
from genav.eval.tagger import Tagger, TaggerConfig
from genav.eval.tagger_labels import coarse_class

log = logging.getLogger(__name__)


@dataclass
class LabelledClip:
    """One training clip: mono (T,) float32 at the tagger's rate, its coarse class, its group."""

    name: str
    wave: np.ndarray
    label: str
    group: str
    source: str = ""


@dataclass(frozen=True)
class TrainSettings:
    epochs: int = 150
    batch_size: int = 16
    lr: float = 1e-2
    weight_decay: float = 1e-2
    crop_seconds: float = 0.5
    holdout: float = 0.2
    seed: int = 0
    label_smoothing: float = 0.1


@dataclass
class TrainResult:
    model: Tagger
    train_names: list[str]
    test_names: list[str]
    accuracy: float | None
    per_class: dict[str, dict[str, float]] = field(default_factory=dict)
    seconds: float = 0.0
    class_counts: dict[str, int] = field(default_factory=dict)


def load_sfx_clips(manifest: str | Path, sample_rate: int) -> tuple[list[LabelledClip], list[str]]:
    """Clips of a JSONL manifest (``file``, ``label``) with a coarse class; also the skipped files."""
    from genav.media import read_audio

    manifest = Path(manifest)
    if not manifest.is_file():
        raise DataError(f"manifest not found: {manifest}")
    clips, skipped = [], []
    for lineno, line in enumerate(manifest.read_text().splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            file, label = row["file"], row.get("label", "")
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise DataError(f"{manifest}:{lineno}: bad row ({exc})") from None
        coarse = coarse_class(file, label)
        if coarse is None:
            skipped.append(file)
            continue
        wave = read_audio(manifest.parent / file, sample_rate=sample_rate, mono=True).samples[0]
        group = re.sub(r"\.\d+$", "", Path(file).with_suffix("").as_posix())  # variants .1/.2 share a group
        clips.append(LabelledClip(file, wave, coarse, group, str(row.get("licence", ""))))
    return clips, skipped


def split_holdout(clips: list[LabelledClip], fraction: float, seed: int) -> tuple[list[int], list[int]]:
    """Stratified, grouped split: per class, whole groups go to the test side until ~fraction."""
    rng = np.random.RandomState(seed)
    by_class: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
    for i, clip in enumerate(clips):
        by_class[clip.label][clip.group].append(i)
    test: list[int] = []
    for label in sorted(by_class):
        groups = sorted(by_class[label].values())
        total = sum(len(g) for g in groups)
        want = int(round(fraction * total))
        taken = 0
        for gi in rng.permutation(len(groups)):
            if taken >= want or len(groups) < 2:
                break
            if taken + len(groups[gi]) > max(want, 1) + 1 or taken + len(groups[gi]) >= total:
                continue  # too big a bite of the class: keep most of it for training
            test += groups[gi]
            taken += len(groups[gi])
    test_set = set(test)
    return [i for i in range(len(clips)) if i not in test_set], sorted(test)


SILENCE_DB = -100.0  # the front end's floor: 10 log10(1e-10)


@torch.no_grad()
def clip_logmels(model: Tagger, clips: list[LabelledClip]) -> list[torch.Tensor]:
    """Each clip's full log-mel (frames, mels), computed once: crops and gains act on these."""
    return [model.front_end(torch.from_numpy(c.wave)[None])[0] for c in clips]


def _batch(mels: list[torch.Tensor], idx: np.ndarray, frames: int, rng: np.random.RandomState) -> torch.Tensor:
    """Random crops (or random placement of short clips in silence) with a random gain: (B, frames, mels).

    A gain g on the wave is + 20 log10(g) dB on the log-mel, except at the silence floor.
    """
    out = torch.full((len(idx), frames, mels[0].shape[1]), SILENCE_DB)
    for row, i in enumerate(idx):
        mel = mels[i]
        gain_db = rng.uniform(-12.0, 6.0)
        if mel.shape[0] >= frames:
            start = rng.randint(0, mel.shape[0] - frames + 1)
            piece = mel[start : start + frames]
            out[row] = torch.clamp(piece + gain_db, min=SILENCE_DB)
        else:
            start = rng.randint(0, frames - mel.shape[0] + 1)
            out[row, start : start + mel.shape[0]] = torch.clamp(mel + gain_db, min=SILENCE_DB)
    return out


def _spec_augment(mel: torch.Tensor, rng: np.random.RandomState) -> torch.Tensor:
    """One frequency mask (<= 8 bins) and one time mask (<= 10 frames) per row, filled with the row minimum."""
    mel = mel.clone()
    for row in range(mel.shape[0]):
        f0, fw = rng.randint(0, mel.shape[2]), rng.randint(0, 9)
        t0, tw = rng.randint(0, mel.shape[1]), rng.randint(0, 11)
        low = mel[row].min()
        mel[row, :, f0 : f0 + fw] = low
        mel[row, t0 : t0 + tw, :] = low
    return mel


def train_tagger(clips: list[LabelledClip], config: TaggerConfig, settings: TrainSettings) -> TrainResult:
    """Train on the non-held-out clips; returns the model and its held-out accuracy."""
    names = list(config.classes)
    unknown = sorted({c.label for c in clips} - set(names))
    if unknown:
        raise DataError(f"clips have classes the config does not list: {unknown}")
    if len(clips) < 2:
        raise DataError("need at least 2 labelled clips to train the tagger")
    torch.manual_seed(settings.seed)
    rng = np.random.RandomState(settings.seed)
    train_idx, test_idx = split_holdout(clips, settings.holdout, settings.seed)
    model = Tagger(config)
    labels = torch.tensor([names.index(c.label) for c in clips])
    counts = Counter(int(labels[i]) for i in train_idx)
    # inverse-sqrt class weights: the rare classes (4-6 clips) still count
    weights = torch.tensor([1.0 / math.sqrt(counts.get(k, 1)) for k in range(len(names))])
    loss_fn = nn.CrossEntropyLoss(weight=weights / weights.mean(), label_smoothing=settings.label_smoothing)
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=settings.lr, weight_decay=settings.weight_decay)
    steps_per_epoch = max(1, math.ceil(len(train_idx) / settings.batch_size))
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=settings.lr, total_steps=settings.epochs * steps_per_epoch)
    frames = 1 + int(round(settings.crop_seconds * config.sample_rate)) // config.hop
    mels = clip_logmels(model, clips)
    start = time.perf_counter()
    for epoch in range(settings.epochs):
        model.train()
        order = rng.permutation(np.asarray(train_idx))
        total = 0.0
        for s in range(steps_per_epoch):
            idx = order[s * settings.batch_size : (s + 1) * settings.batch_size]
            mel = _spec_augment(_batch(mels, idx, frames, rng), rng)
            logits, _ = model.forward_logmel(mel)
            loss = loss_fn(logits, labels[torch.from_numpy(idx)])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total += float(loss.detach())
        log.info("epoch %d/%d loss %.4f", epoch + 1, settings.epochs, total / steps_per_epoch)
    model.eval()
    accuracy, per_class = evaluate_tagger(model, [clips[i] for i in test_idx]) if test_idx else (None, {})
    return TrainResult(
        model=model,
        train_names=[clips[i].name for i in train_idx],
        test_names=[clips[i].name for i in test_idx],
        accuracy=accuracy,
        per_class=per_class,
        seconds=time.perf_counter() - start,
        class_counts=dict(sorted(Counter(c.label for c in clips).items())),
    )


@torch.no_grad()
def evaluate_tagger(model: Tagger, clips: list[LabelledClip]) -> tuple[float, dict[str, dict[str, float]]]:
    """Top-1 accuracy on whole clips, overall and per class ({class: {"n", "correct"}})."""
    names = list(model.config.classes)
    per: dict[str, dict[str, float]] = defaultdict(lambda: {"n": 0, "correct": 0})
    for clip in clips:
        logits, _ = model(torch.from_numpy(clip.wave)[None])
        per[clip.label]["n"] += 1
        per[clip.label]["correct"] += int(names[int(logits.argmax())] == clip.label)
    correct = sum(v["correct"] for v in per.values())
    return correct / len(clips), dict(sorted(per.items()))


def train_and_save(
    manifest: str | Path,
    out: str | Path,
    *,
    settings: TrainSettings | None = None,
    extra: list[LabelledClip] | None = None,
    command: str | None = None,
) -> TrainResult:
    """Load the SFX manifest (+ ``extra`` clips), train, and write the model folder with its card."""
    from genav.eval.tagger import save_tagger
    from genav.eval.tagger_card import model_card
    from genav.eval.tagger_labels import classes_present

    settings = settings or TrainSettings()
    base = TaggerConfig()
    clips, skipped = load_sfx_clips(manifest, base.sample_rate)
    clips += list(extra or [])
    config = base.replace(classes=classes_present({c.label for c in clips}))
    result = train_tagger(clips, config, settings)
    card = model_card(result, clips, skipped, manifest=Path(manifest), settings=settings, command=command)
    save_tagger(result.model, out, model_card=card)
    return result
