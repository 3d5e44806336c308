"""Labelled clips for the genav tagger: reading them, and scoring a tagger on them.

Two sources: a manifest of labelled recordings (sfx2: the ``label`` field is the class; the older
SFX set: fine labels folded into coarse classes by :func:`~genav.eval.tagger_labels.coarse_class`)
and event snippets of the synthetic world (one class per event type). Each clip keeps its
``group`` (variants of one recording) so that a split never puts one recording on both sides.
Training lives in :mod:`genav.train.tagger` (through the generic trainer); this module only
prepares data and measures accuracy, which the evaluation commands reuse.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from genav.errors import DataError
from genav.eval.tagger_labels import SYNTH_CLASS_OF_EVENT, coarse_class

LABEL_RULES = ("label", "coarse")


@dataclass
class LabelledClip:
    """One clip: mono (T,) float32 at the tagger's rate, its class, its group, licence/source, split."""

    name: str
    wave: np.ndarray
    label: str
    group: str
    source: str = ""
    split: str = ""


def _row_label(row: dict[str, Any], rule: str) -> str | None:
    if rule == "label":
        label = row.get("label")
        return str(label) if label else None
    return coarse_class(str(row["file"]), str(row.get("label", "")))


def _row_group(row: dict[str, Any]) -> str:
    if row.get("group"):
        return str(row["group"])
    # numbered variants foo.1 / foo.2 of the older SFX set share a group
    return re.sub(r"\.\d+$", "", Path(str(row["file"])).with_suffix("").as_posix())


def load_manifest_clips(
    manifest: str | Path, sample_rate: int, *, split: str | None = None, label_rule: str = "label"
) -> tuple[list[LabelledClip], list[str]]:
    """Clips of a JSONL manifest (``file``, ``label``, optional ``split``/``group``/``licence``).

    ``split``: keep only rows of that split. ``label_rule``: ``label`` (the row's label is the
    class) or ``coarse`` (keyword rules of the older SFX set). Returns the clips and the files that
    got no class. Raises DataError on a missing manifest or a malformed row.
    """
    from genav.media import read_audio

    if label_rule not in LABEL_RULES:
        raise DataError(f"unknown label rule {label_rule!r}; choose one of {', '.join(LABEL_RULES)}")
    manifest = Path(manifest)
    if not manifest.is_file():
        raise DataError(f"manifest not found: {manifest}")
    clips, skipped = [], []
    for lineno, line in enumerate(manifest.read_text().splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            file = str(row["file"])
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise DataError(f"{manifest}:{lineno}: bad row ({exc})") from None
        if split is not None and row.get("split") != split:
            continue
        label = _row_label(row, label_rule)
        if label is None:
            skipped.append(file)
            continue
        wave = read_audio(manifest.parent / file, sample_rate=sample_rate, mono=True).samples[0]
        clips.append(
            LabelledClip(
                file, wave, label, _row_group(row), str(row.get("licence", "")), str(row.get("split", ""))
            )
        )
    return clips, skipped


def synth_event_clips(
    per_type: int, seed: int, sample_rate: int, *, split: str = "train"
) -> list[LabelledClip]:
    """Event snippets of single-source clips of every event type of the synthetic world.

    ``per_type`` clips per event type (seeds of ``split``, so train and test never share a clip);
    each audible event gives a snippet from 0.1 s before to 0.9 s after it, labelled with the
    event type's class (:data:`~genav.eval.tagger_labels.SYNTH_CLASS_OF_EVENT`); the snippets of
    one clip share a group.
    """
    from genav.data.synth import EVENT_TYPES, SynthSettings, clip_seed, generate_clip

    clips = []
    for k, event in enumerate(EVENT_TYPES):
        settings = SynthSettings(
            event_types=(event,), max_sources=1, p_texture=0.0, difficulty=0.0, sample_rate=sample_rate
        )
        for i in range(per_type):
            s = clip_seed(split, seed, 1000 * k + i)
            clip = generate_clip(s, settings)
            group = f"synth/{event}-{s}"
            for j, t in enumerate(clip.event_times(audible=True)):
                lo, hi = max(0, int((t - 0.1) * sample_rate)), int((t + 0.9) * sample_rate)
                clips.append(
                    LabelledClip(f"{group}.{j}", clip.audio[lo:hi], SYNTH_CLASS_OF_EVENT[event], group,
                                 "genav synthetic world (generated)", split)
                )  # fmt: skip
    return clips


def topk_hits(logits: np.ndarray, targets: Sequence[int], k: int) -> np.ndarray:
    """(N,) bool: whether ``targets[i]`` is among the ``k`` largest of ``logits[i]`` ((N, C))."""
    logits = np.asarray(logits)
    target_scores = logits[np.arange(len(targets)), np.asarray(targets, dtype=int)]
    higher = (logits > target_scores[:, None]).sum(axis=1)  # ties count in the target's favour
    return higher < k


def accuracy_table(
    logits: np.ndarray, labels: Sequence[str], classes: Sequence[str], *, among: Sequence[str] | None = None
) -> dict[str, Any]:
    """Top-1/top-3 accuracy of ``logits`` ((N, C) over ``classes``) against ``labels``, overall and per label.

    ``among``: score only over these classes (the other logits are ignored), e.g. the 62 sfx2
    labels without the synthetic-world classes. Labels outside ``among`` raise DataError.
    Returns {"n", "top1", "top3", "per_label": {label: {"n", "top1", "top3"}}}.
    """
    among = list(among or classes)
    cols = [list(classes).index(c) for c in among]
    unknown = sorted(set(labels) - set(among))
    if unknown:
        raise DataError(f"labels not among the scored classes: {unknown[:5]}")
    sub = np.asarray(logits)[:, cols]
    targets = [among.index(lab) for lab in labels]
    hits = {k: topk_hits(sub, targets, k) for k in (1, 3)}
    per: dict[str, dict[str, float]] = defaultdict(lambda: {"n": 0, "top1": 0.0, "top3": 0.0})
    for i, lab in enumerate(labels):
        per[lab]["n"] += 1
        per[lab]["top1"] += float(hits[1][i])
        per[lab]["top3"] += float(hits[3][i])
    table = {
        lab: {"n": v["n"], "top1": v["top1"] / v["n"], "top3": v["top3"] / v["n"]}
        for lab, v in sorted(per.items())
    }
    n = len(labels)
    return {
        "n": n,
        "top1": float(hits[1].mean()) if n else None,
        "top3": float(hits[3].mean()) if n else None,
        "per_label": table,
    }


@torch.no_grad()
def tagger_logits(model: Any, waves: Sequence[np.ndarray]) -> np.ndarray:
    """(N, C) logits of whole clips (each at its own length, padded to the tagger's minimum)."""
    model.eval()
    out = [model(torch.from_numpy(np.asarray(w, dtype=np.float32))[None])[0][0].numpy() for w in waves]
    return np.stack(out) if out else np.zeros((0, len(model.config.classes)), dtype=np.float32)


def evaluate_tagger(
    model: Any, clips: Sequence[LabelledClip], *, among: Sequence[str] | None = None
) -> dict[str, Any]:
    """:func:`accuracy_table` of ``model`` on whole ``clips`` (``among``: the classes to rank)."""
    logits = tagger_logits(model, [c.wave for c in clips])
    return accuracy_table(logits, [c.label for c in clips], model.config.classes, among=among)
