"""Fréchet distance and Inception Score against closed-form and direct computations."""

from __future__ import annotations

import numpy as np
import pytest

from genav.errors import InputError
from genav.eval.metrics.frechet import frechet_distance
from genav.eval.metrics.inception import inception_score


def _with_exact_stats(rng: np.random.Generator, n: int, mean: np.ndarray, cov: np.ndarray) -> np.ndarray:
    """n samples whose sample mean and unbiased covariance are exactly ``mean`` and ``cov``."""
    x = rng.normal(size=(n, len(mean)))
    x -= x.mean(axis=0)
    white = np.linalg.cholesky(np.cov(x, rowvar=False))
    x = x @ np.linalg.inv(white).T  # sample covariance now the identity
    return x @ np.linalg.cholesky(cov).T + mean


def test_identical_sets_give_zero():
    x = np.random.default_rng(0).normal(size=(50, 8))
    assert abs(frechet_distance(x, x)) < 1e-6


def test_two_gaussians_closed_form():
    rng = np.random.default_rng(1)
    mu1, mu2 = np.array([0.0, 1.0, -2.0]), np.array([1.0, 1.0, 0.0])
    var1, var2 = np.array([1.0, 4.0, 0.25]), np.array([9.0, 1.0, 0.25])
    a = _with_exact_stats(rng, 40, mu1, np.diag(var1))
    b = _with_exact_stats(rng, 60, mu2, np.diag(var2))
    # diagonal covariances: ||mu1 - mu2||^2 + sum (sqrt(v1) - sqrt(v2))^2
    expected = np.sum((mu1 - mu2) ** 2) + np.sum((np.sqrt(var1) - np.sqrt(var2)) ** 2)
    assert frechet_distance(a, b) == pytest.approx(expected, rel=1e-9)
    assert expected == pytest.approx(5.0 + 4.0 + 1.0)


def test_full_covariance_case_matches_trace_formula():
    rng = np.random.default_rng(2)
    c1 = np.array([[2.0, 0.5], [0.5, 1.0]])
    a = _with_exact_stats(rng, 30, np.zeros(2), c1)
    b = _with_exact_stats(rng, 30, np.zeros(2), c1 * 4.0)
    # S2 = 4 S1: tr(S1) + tr(4 S1) - 2 tr(2 S1) = tr(S1)
    assert frechet_distance(a, b) == pytest.approx(np.trace(c1), rel=1e-9)


def test_singular_covariances_stay_finite():
    x = np.random.default_rng(3).normal(size=(3, 16))  # rank 2 covariance in 16 dims
    y = np.random.default_rng(4).normal(size=(3, 16))
    assert np.isfinite(frechet_distance(x, y))


def test_fd_input_errors():
    with pytest.raises(InputError):
        frechet_distance(np.zeros((1, 3)), np.zeros((5, 3)))
    with pytest.raises(InputError):
        frechet_distance(np.zeros((4, 3)), np.zeros((5, 2)))


def _is_direct(logits: np.ndarray, splits: int) -> tuple[float, float]:
    x = logits[np.random.RandomState(2020).permutation(len(logits))].astype(np.float64)
    p = np.exp(x) / np.exp(x).sum(axis=1, keepdims=True)
    n, scores = len(x), []
    for i in range(splits):
        part = p[i * n // splits : (i + 1) * n // splits]
        kl = (part * (np.log(part) - np.log(part.mean(axis=0)))).sum(axis=1).mean()
        scores.append(np.exp(kl))
    return float(np.mean(scores)), float(np.std(scores))


def test_inception_score_matches_direct_formula():
    logits = np.random.default_rng(5).normal(0, 2, (57, 12))
    mean, std = inception_score(logits, splits=10)
    ref_mean, ref_std = _is_direct(logits, 10)
    assert mean == pytest.approx(ref_mean, rel=1e-12)
    assert std == pytest.approx(ref_std, rel=1e-9)
    assert mean > 1.0 and std > 0.0


def test_uniform_logits_score_one():
    mean, std = inception_score(np.zeros((20, 527)), splits=10)
    assert mean == pytest.approx(1.0, abs=1e-12) and std == pytest.approx(0.0, abs=1e-12)


def test_rows_are_sorted_by_name_first():
    rng = np.random.default_rng(6)
    logits = rng.normal(0, 3, (30, 5))
    names = [f"clip{i:02d}" for i in range(30)]
    order = rng.permutation(30)
    shuffled = inception_score(logits[order], names=[names[i] for i in order], splits=5)
    assert shuffled == inception_score(logits, names=names, splits=5)
    assert shuffled == inception_score(logits, splits=5)


def test_confident_distinct_classes_reach_the_class_count():
    logits = np.full((40, 4), -50.0)
    logits[np.arange(40), np.arange(40) % 4] = 50.0
    mean, _ = inception_score(logits, splits=1)
    assert mean == pytest.approx(4.0, rel=1e-6)


def test_is_needs_enough_rows():
    with pytest.raises(InputError):
        inception_score(np.zeros((5, 3)), splits=10)
