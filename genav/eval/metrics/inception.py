"""Inception Score over classifier logits."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from genav.errors import InputError

IS_SEED = 2020


def inception_score(
    logits: np.ndarray, *, splits: int = 10, names: Sequence[str] | None = None
) -> tuple[float, float]:
    """Inception Score: mean and population std over splits.

    Args:
        logits: (N, C) classifier logits, one row per generated item.
        splits: number of contiguous splits after the shuffle (rows ``i*N//splits`` to
            ``(i+1)*N//splits``); needs N >= splits.
        names: item names (N); rows are first sorted by name, so the result does not depend on
            the order the files were read in. Without names, rows are taken as already sorted.

    Rows are permuted with ``numpy.random.RandomState(2020)``; per split the score is
    ``exp(mean_rows sum_c P (log P - log mean_rows P))`` with P = softmax(logits) in float64.

    Returns:
        ``(mean, std)`` of the per-split scores.

    Raises:
        InputError: logits not ``(N, C)``, fewer items than splits, or names of another length.

    Source: Salimans et al. (2016), "Improved Techniques for Training GANs"; for audio with
    PANNs/PaSST logits as in AudioLDM's ``audioldm_eval`` and av-benchmark.
    """
    x = np.asarray(logits, dtype=np.float64)
    if x.ndim != 2:
        raise InputError(f"IS needs (N, C) logits, got shape {x.shape}")
    n = x.shape[0]
    if splits < 1 or n < splits:
        raise InputError(f"IS with {splits} splits needs at least {splits} items, got {n}")
    if names is not None:
        if len(names) != n:
            raise InputError(f"IS: {len(names)} names for {n} rows")
        x = x[np.argsort(np.asarray(names, dtype=object), kind="stable")]
    x = x[np.random.RandomState(IS_SEED).permutation(n)]
    log_p = x - x.max(axis=1, keepdims=True)
    log_p = log_p - np.log(np.exp(log_p).sum(axis=1, keepdims=True))
    p = np.exp(log_p)
    scores = []
    for i in range(splits):
        lo, hi = i * n // splits, (i + 1) * n // splits
        q = p[lo:hi].mean(axis=0, keepdims=True)
        with np.errstate(divide="ignore", invalid="ignore"):
            terms = p[lo:hi] * (log_p[lo:hi] - np.log(q))
        # a class no row of the split gives any mass adds nothing (instead of 0 * -inf = nan)
        kl = np.where(p[lo:hi] > 0, terms, 0.0).sum(axis=1).mean()
        scores.append(np.exp(kl))
    return float(np.mean(scores)), float(np.std(scores))
