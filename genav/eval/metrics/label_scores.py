"""Does generated audio sound like its label? Tagger accuracy and label-wise KLD, as in ``genav eval t2a``.

Two judgements of a set of generated clips, each made for a known label:

* **accuracy**: the tagger's top-1/top-3 over the scored classes (:func:`accuracy_table`);
* **label KLD**: for a generated clip of label L, the mean KL(real || generated) over the real
  test clips of L (``same``) and over the real clips of every other label (``other``), with the
  tagger's softmax restricted to the scored classes; per label, the means over its generated
  clips. A label is *recognised* when ``same < other``: its generated clips are closer to real
  clips of their own label than to the rest.

Running the same functions with the real clips in place of the generated ones (leaving each
clip's pair with itself out: ``self_index``) gives the ceiling the tagger allows.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import numpy as np

from genav.errors import DataError, InputError


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


def _log_softmax(logits: np.ndarray) -> np.ndarray:
    x = np.asarray(logits, dtype=np.float64)
    x = x - x.max(axis=1, keepdims=True)
    return x - np.log(np.exp(x).sum(axis=1, keepdims=True))


def kl_matrix(ref_logits: np.ndarray, gen_logits: np.ndarray) -> np.ndarray:
    """(R, G): KL(softmax(ref_r) || softmax(gen_g)) for every pair, without epsilon (the
    ``panns16k-softmax`` formula of :func:`~genav.eval.metrics.kld.kl_divergence`), float64."""
    if ref_logits.ndim != 2 or gen_logits.ndim != 2 or ref_logits.shape[1] != gen_logits.shape[1]:
        raise InputError(
            f"kl_matrix needs (R, C) and (G, C) logits, got {ref_logits.shape} and {gen_logits.shape}"
        )
    log_p, log_q = _log_softmax(ref_logits), _log_softmax(gen_logits)
    p = np.exp(log_p)
    return (p * log_p).sum(axis=1)[:, None] - p @ log_q.T


def label_kld(
    gen_logits: np.ndarray,
    gen_labels: Sequence[str],
    real_logits: np.ndarray,
    real_labels: Sequence[str],
    *,
    self_index: Sequence[int] | None = None,
) -> dict[str, dict[str, float]]:
    """Per label: {"same", "other", "recognised"} (see the module doc); logits (N, C) over the scored classes.

    ``self_index[g]``: the row of the real set that generated row ``g`` *is* (the ceiling, real
    clips judged against the others), left out of its pairs. A label without another real clip of
    its own has ``same`` None and is not recognised.
    """
    kl = kl_matrix(real_logits, gen_logits)  # (R, G)
    real = np.asarray(real_labels)
    out: dict[str, dict[str, Any]] = {}
    for label in sorted(set(gen_labels)):
        same_vals, other_vals = [], []
        for g in (i for i, lab in enumerate(gen_labels) if lab == label):
            keep = np.ones(len(real), dtype=bool)
            if self_index is not None:
                keep[self_index[g]] = False
            same = keep & (real == label)
            other = keep & (real != label)
            if same.any():
                same_vals.append(kl[same, g].mean())
            if other.any():
                other_vals.append(kl[other, g].mean())
        s = float(np.mean(same_vals)) if same_vals else None
        o = float(np.mean(other_vals)) if other_vals else None
        out[label] = {"same": s, "other": o, "recognised": s is not None and o is not None and s < o}
    return out


def score_labels(
    gen_logits: np.ndarray,
    gen_labels: Sequence[str],
    real_logits: np.ndarray,
    real_labels: Sequence[str],
    classes: Sequence[str],
    among: Sequence[str],
    *,
    self_index: Sequence[int] | None = None,
) -> dict[str, Any]:
    """Accuracy and label KLD of generated clips; logits (N, C) over ``classes``, scored over ``among``.

    Returns {"n", "top1", "top3", "labels_recognised" (share of labels with same < other),
    "per_label": {label: {"n", "top1", "top3", "kld_same", "kld_other", "recognised"}}}.
    """
    cols = [list(classes).index(c) for c in among]
    acc = accuracy_table(gen_logits, gen_labels, classes, among=among)
    kld = label_kld(
        np.asarray(gen_logits)[:, cols], gen_labels, np.asarray(real_logits)[:, cols], real_labels,
        self_index=self_index,
    )  # fmt: skip
    per = {
        lab: {
            **row,
            "kld_same": kld[lab]["same"],
            "kld_other": kld[lab]["other"],
            "recognised": kld[lab]["recognised"],
        }
        for lab, row in acc["per_label"].items()
    }
    recognised = [v["recognised"] for v in per.values()]
    return {
        "n": acc["n"],
        "top1": acc["top1"],
        "top3": acc["top3"],
        "labels_recognised": float(np.mean(recognised)) if recognised else None,
        "per_label": per,
    }
