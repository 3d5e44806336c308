"""Metrics of the synthetic world, where true event times are known (EVALUATION.md, last section)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def event_f1(detected: Sequence[float], truth: Sequence[float], *, tolerance: float = 0.05) -> dict[str, float]:
    """Precision/recall/F1 of detected onset times against true event times (seconds).

    One-to-one: each true event takes at most one detection within ``tolerance`` (greedy in time
    order, nearest first). Counts are returned too so callers can pool over clips.
    """
    det = sorted(float(x) for x in detected)
    used = [False] * len(det)
    hits = 0
    for t in sorted(float(x) for x in truth):
        best, best_gap = -1, tolerance
        for i, d in enumerate(det):
            gap = abs(d - t)
            if not used[i] and gap <= best_gap:
                best, best_gap = i, gap
        if best >= 0:
            used[best] = True
            hits += 1
    return f1_from_counts(hits, len(det), len(truth))


def f1_from_counts(hits: int, n_detected: int, n_true: int) -> dict[str, float]:
    precision = hits / n_detected if n_detected else (1.0 if n_true == 0 else 0.0)
    recall = hits / n_true if n_true else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "hits": hits, "detected": n_detected, "true": n_true}


def pooled_f1(per_clip: Sequence[dict[str, float]]) -> dict[str, float]:
    """F1 over the summed counts of several clips."""
    totals = np.sum([[c["hits"], c["detected"], c["true"]] for c in per_clip], axis=0) if per_clip else (0, 0, 0)
    return f1_from_counts(int(totals[0]), int(totals[1]), int(totals[2]))
