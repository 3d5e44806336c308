"""Fréchet distance between two sets of embeddings (FD / FAD)."""

from __future__ import annotations

import logging
import warnings

import numpy as np

from genav.errors import InputError

log = logging.getLogger(__name__)

_IMAG_TOL = 1e-3
_DIAG_EPS = 1e-6


def frechet_distance(emb_a: np.ndarray, emb_b: np.ndarray) -> float:
    """``||mu_a - mu_b||^2 + tr(S_a) + tr(S_b) - 2 tr(sqrtm(S_a S_b))``.

    Args:
        emb_a: (N, D) embeddings of one set (N >= 2).
        emb_b: (M, D) embeddings of the other set (M >= 2).

    Covariances are unbiased (N - 1). When the matrix square root is not finite, 1e-6 is added to
    both diagonals and it is retried; a complex result with any diagonal |imag| > 1e-3 is an error,
    otherwise its real part is used.

    Returns:
        The distance (a Python float, >= 0 up to rounding; 0 for identical statistics).

    Raises:
        InputError: not two ``(N, D)`` arrays with the same D and at least 2 rows each, or a
            complex square root beyond the tolerance.

    Source: the Fréchet distance between Gaussians (Dowson & Landau, 1982); FID (Heusel et al.,
    2017); FAD for audio (Kilgour et al., 2019).
    """
    a = np.asarray(emb_a, dtype=np.float64)
    b = np.asarray(emb_b, dtype=np.float64)
    if a.ndim != 2 or b.ndim != 2 or a.shape[1] != b.shape[1]:
        raise InputError(f"FD needs two (N, D) arrays with the same D, got {a.shape} and {b.shape}")
    if len(a) < 2 or len(b) < 2:
        raise InputError(f"FD needs at least 2 embeddings per set, got {len(a)} and {len(b)}")
    mu_a, mu_b = a.mean(axis=0), b.mean(axis=0)
    cov_a = np.atleast_2d(np.cov(a, rowvar=False))
    cov_b = np.atleast_2d(np.cov(b, rowvar=False))
    return _frechet_from_stats(mu_a, cov_a, mu_b, cov_b)


def _frechet_from_stats(mu_a: np.ndarray, cov_a: np.ndarray, mu_b: np.ndarray, cov_b: np.ndarray) -> float:
    from scipy import linalg

    diff = mu_a - mu_b
    with warnings.catch_warnings():  # singular products are common (few items, many dims); handled below
        warnings.simplefilter("ignore", linalg.LinAlgWarning)
        covmean = linalg.sqrtm(cov_a @ cov_b)
        if not np.isfinite(covmean).all():
            log.warning("FD: sqrtm of the covariance product is not finite; adding %g to the diagonals", _DIAG_EPS)
            offset = np.eye(cov_a.shape[0]) * _DIAG_EPS
            covmean = linalg.sqrtm((cov_a + offset) @ (cov_b + offset))
    if np.iscomplexobj(covmean):
        worst = float(np.max(np.abs(np.diagonal(covmean).imag)))
        if worst > _IMAG_TOL:
            raise InputError(f"FD: matrix square root has an imaginary component {worst:.3g} on its diagonal")
        covmean = covmean.real
    return float(diff @ diff + np.trace(cov_a) + np.trace(cov_b) - 2.0 * np.trace(covmean))
