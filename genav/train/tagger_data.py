"""Labelled clips for the genav tagger: reading them, and scoring a tagger on them.

Two sources: a manifest of labelled recordings (sfx2: the ``label`` field is the class; the older
SFX set: fine labels folded into coarse classes by :func:`~genav.eval.classifiers.tagger_labels.coarse_class`)
and event snippets of the synthetic world (one class per event type). Each clip keeps its
``group`` (variants of one recording) so that a split never puts one recording on both sides.
Training lives in :mod:`genav.train.tagger` (through the generic trainer); this module only
prepares data and measures a tagger's accuracy on it
(:func:`~genav.eval.metrics.label_scores.accuracy_table`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from genav.data.manifest import iter_manifest_rows
from genav.errors import DataError
from genav.eval.classifiers.tagger_labels import SYNTH_CLASS_OF_EVENT, coarse_class
from genav.eval.metrics.label_scores import accuracy_table

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
    """Clips of a JSONL/CSV manifest (``file``, ``label``, optional ``split``/``group``/``licence``).

    ``split``: keep only rows of that split. ``label_rule``: ``label`` (the row's label is the
    class) or ``coarse`` (keyword rules of the older SFX set). Returns the clips and the files that
    got no class. Raises DataError on a missing manifest or a malformed row.
    """
    from genav.media import read_audio

    if label_rule not in LABEL_RULES:
        raise DataError(f"unknown label rule {label_rule!r}; choose one of {', '.join(LABEL_RULES)}")
    manifest = Path(manifest)
    clips, skipped = [], []
    for _, row in iter_manifest_rows(manifest, require=("file",)):
        file = str(row["file"])
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
    event type's class (:data:`~genav.eval.classifiers.tagger_labels.SYNTH_CLASS_OF_EVENT`); the snippets of
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
