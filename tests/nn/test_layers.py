"""adaLN-Zero starts as identity; MLP kinds; sinusoidal embeddings."""

from __future__ import annotations

import pytest
import torch

from genav.nn import MLP, AdaLNZero, FinalLayer, ScalarEmbedder, count_parameters, sinusoidal_embedding


def test_adaln_zero_starts_at_zero() -> None:
    ada = AdaLNZero(8, 16, 6)
    parts = ada(torch.randn(3, 8))
    assert len(parts) == 6 and all(p.shape == (3, 16) and torch.count_nonzero(p) == 0 for p in parts)


def test_final_layer_starts_at_zero_output() -> None:
    out = FinalLayer(16, 5, 8)(torch.randn(2, 7, 16), torch.randn(2, 8))
    assert out.shape == (2, 7, 5) and torch.count_nonzero(out) == 0


@pytest.mark.parametrize("kind", ["swiglu", "gelu"])
def test_mlp_shapes_and_comparable_size(kind: str) -> None:
    mlp = MLP(64, 4.0, kind)
    assert mlp(torch.randn(2, 3, 64)).shape == (2, 3, 64)
    gelu_params = count_parameters(MLP(64, 4.0, "gelu"))
    assert abs(count_parameters(mlp) - gelu_params) / gelu_params < 0.05


def test_sinusoidal_embedding_distinguishes_times() -> None:
    emb = sinusoidal_embedding(torch.tensor([0.0, 0.5, 1.0]), 32, scale=1000.0)
    assert emb.shape == (3, 32)
    assert torch.all(emb[0, :16] == 1) and torch.all(emb[0, 16:] == 0)
    assert not torch.allclose(emb[1], emb[2])
    assert ScalarEmbedder(24)(torch.rand(4)).shape == (4, 24)
