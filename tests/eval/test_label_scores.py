"""Label scores of generated audio: top-k accuracy, label-wise KLD, the real-clip ceiling."""

from __future__ import annotations

import numpy as np
import pytest

from genav.errors import DataError
from genav.eval.metrics.kld import kl_divergence
from genav.eval.metrics.label_scores import accuracy_table, kl_matrix, label_kld, score_labels, topk_hits

CLASSES = ["a", "b", "c", "synth_x"]


def _logits(hot: list[int], scale: float = 4.0) -> np.ndarray:
    out = np.zeros((len(hot), len(CLASSES)), dtype=np.float32)
    out[np.arange(len(hot)), hot] = scale
    return out


def test_kl_matrix_matches_the_pairwise_kld():
    rng = np.random.default_rng(0)
    ref, gen = rng.normal(size=(3, 5)), rng.normal(size=(4, 5))
    m = kl_matrix(ref, gen)
    assert m.shape == (3, 4)
    assert m[1, 2] == pytest.approx(kl_divergence(ref[1:2], gen[2:3]), abs=1e-5)
    assert np.allclose(np.diag(kl_matrix(ref, ref)), 0.0, atol=1e-9)


def test_topk_counts_ties_for_the_target():
    logits = np.array([[3.0, 2.0, 1.0, 0.0], [1.0, 1.0, 1.0, 1.0]])
    assert topk_hits(logits, [2, 3], 1).tolist() == [False, True]
    assert topk_hits(logits, [2, 3], 3).tolist() == [True, True]


def test_accuracy_ranks_only_among_the_scored_classes():
    logits = _logits([3, 1])  # the synthetic class wins row 0 overall; among a, b, c it is b
    logits[0, 1] = 1.0
    table = accuracy_table(logits, ["a", "b"], CLASSES, among=["a", "b", "c"])
    assert table["top1"] == 0.5 and table["top3"] == 1.0 and table["per_label"]["b"]["top1"] == 1.0
    logits[0, 0] = 2.0
    assert accuracy_table(logits, ["a", "b"], CLASSES, among=["a", "b", "c"])["top1"] == 1.0
    with pytest.raises(DataError, match="not among"):
        accuracy_table(logits, ["synth_x", "b"], CLASSES, among=["a", "b", "c"])


def test_label_kld_recognises_labels_closer_to_their_own_real_clips():
    real = _logits([0, 0, 1, 1, 2, 2])[:, :3]
    real_labels = ["a", "a", "b", "b", "c", "c"]
    good = label_kld(_logits([0, 1])[:, :3], ["a", "b"], real, real_labels)
    assert good["a"]["recognised"] and good["b"]["recognised"] and good["a"]["same"] < good["a"]["other"]
    swapped = label_kld(_logits([1, 0])[:, :3], ["a", "b"], real, real_labels)
    assert not swapped["a"]["recognised"] and not swapped["b"]["recognised"]


def test_the_ceiling_leaves_each_clip_out_of_its_own_pairs():
    real = _logits([0, 1, 2, 2])[:, :3]
    labels = ["a", "b", "c", "c"]
    out = label_kld(real, labels, real, labels, self_index=[0, 1, 2, 3])
    assert out["a"]["same"] is None and not out["a"]["recognised"]  # its only real clip is itself
    assert out["c"]["same"] == pytest.approx(0.0, abs=1e-9) and out["c"]["recognised"]
    scores = score_labels(real, labels, real, labels, CLASSES[:3], CLASSES[:3], self_index=[0, 1, 2, 3])
    assert scores["top1"] == 1.0 and scores["labels_recognised"] == pytest.approx(1 / 3)
