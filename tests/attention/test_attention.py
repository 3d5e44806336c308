"""Every CPU backend agrees with the fp32 `math` reference; masks, GQA and empty rows behave."""

from __future__ import annotations

import functools

import pytest
import torch

from genav.attention import attention, available_backends
from genav.errors import InputError

CPU_BACKENDS = [b for b in available_backends("cpu") if b != "math"]
LENGTHS = [1, 7, 64, 333, 1024, 4096]


def _inputs(n: int, m: int, heads: int = 4, kv_heads: int = 4, dim: int = 16, batch: int = 2, seed: int = 0):
    gen = torch.Generator().manual_seed(seed)
    q = torch.randn(batch, n, heads, dim, generator=gen)
    k = torch.randn(batch, m, kv_heads, dim, generator=gen)
    v = torch.randn(batch, m, kv_heads, dim, generator=gen)
    return q, k, v, gen


def _masks(kind: str, batch: int, heads: int, n: int, m: int, gen: torch.Generator):
    if kind == "none":
        return None
    if kind == "key_padding":  # (B, M); the last batch item keeps only its first third
        mask = torch.ones(batch, m, dtype=torch.bool)
        mask[-1, max(1, m // 3) :] = False
        return mask
    if kind == "full_bool":  # (B, H, N, M) random; key 0 always kept so no row is empty
        mask = torch.rand(batch, heads, n, m, generator=gen) > 0.5
        mask[..., 0] = True
        return mask
    bias = torch.randn(batch, 1, n, m, generator=gen)  # float, broadcast over heads, some -inf
    return bias.masked_fill(torch.rand(batch, 1, n, m, generator=gen) > 0.7, float("-inf")).index_fill(
        -1, torch.tensor([0]), 0.0
    )


@functools.cache
def _case(n: int, mask_kind: str):
    """Inputs and the math reference, shared by the backends (the reference is the slow part)."""
    batch, heads, kv_heads = (1, 2, 1) if n == 4096 else (2, 4, 2)  # GQA everywhere
    q, k, v, gen = _inputs(n, n, heads=heads, kv_heads=kv_heads, batch=batch)
    mask = _masks(mask_kind, batch, heads, n, n, gen)
    return q, k, v, mask, attention(q, k, v, mask=mask, backend="math")


@pytest.mark.parametrize("n", LENGTHS)
@pytest.mark.parametrize("mask_kind", ["none", "key_padding", "full_bool", "full_float"])
@pytest.mark.parametrize("backend", CPU_BACKENDS)
def test_matches_math_fp32(backend: str, n: int, mask_kind: str) -> None:
    if n == 4096 and mask_kind in ("full_bool", "full_float"):
        pytest.skip("full masks at 4096 cost time, not coverage: 1024 covers them")
    q, k, v, mask, ref = _case(n, mask_kind)
    out = attention(q, k, v, mask=mask, backend=backend)
    assert out.shape == q.shape and out.dtype == torch.float32
    torch.testing.assert_close(out, ref, atol=1e-5, rtol=0)


@pytest.mark.parametrize("backend", CPU_BACKENDS)
@pytest.mark.parametrize("heads,kv_heads", [(4, 4), (4, 1), (6, 2)])
def test_cross_attention_and_gqa(backend: str, heads: int, kv_heads: int) -> None:
    q, k, v, gen = _inputs(9, 23, heads=heads, kv_heads=kv_heads, dim=8, batch=3)
    v = torch.randn(3, 23, kv_heads, 5, generator=gen)  # value dim may differ from D
    mask = _masks("key_padding", 3, heads, 9, 23, gen)
    ref = attention(q, k, v, mask=mask, backend="math", scale=0.3)
    out = attention(q, k, v, mask=mask, backend=backend, scale=0.3)
    assert out.shape == (3, 9, heads, 5)
    torch.testing.assert_close(out, ref, atol=1e-5, rtol=0)
    # GQA equals plain attention with key/value heads repeated (head h reads kv head h // G)
    g = heads // kv_heads
    full = attention(
        q, k.repeat_interleave(g, 2), v.repeat_interleave(g, 2), mask=mask, backend="math", scale=0.3
    )
    torch.testing.assert_close(ref, full, atol=1e-6, rtol=0)


def test_math_matches_a_hand_computation() -> None:
    q, k, v, _ = _inputs(3, 5, heads=1, kv_heads=1, dim=4, batch=1)
    weights = torch.softmax(q[0, :, 0] @ k[0, :, 0].T / 2.0, dim=-1)  # scale 1/sqrt(4)
    expected = weights @ v[0, :, 0]
    torch.testing.assert_close(attention(q, k, v, backend="math")[0, :, 0], expected, atol=1e-6, rtol=0)


@pytest.mark.parametrize("backend", ["math", *CPU_BACKENDS])
@pytest.mark.parametrize("float_mask", [False, True])
def test_fully_masked_rows_give_zeros_and_finite_gradients(backend: str, float_mask: bool) -> None:
    q, k, v, _ = _inputs(6, 8, heads=2, kv_heads=2, dim=8, batch=2)
    q.requires_grad_(True)
    k.requires_grad_(True)
    mask = torch.ones(2, 1, 6, 8, dtype=torch.bool)
    mask[0, 0, 2] = False  # query row 2 of item 0 sees nothing
    mask[1] = False  # item 1 sees nothing at all
    if float_mask:
        mask = torch.zeros(mask.shape).masked_fill(~mask, float("-inf"))
    out = attention(q, k, v, mask=mask, backend=backend)
    assert torch.isfinite(out).all()
    assert out[0, 2].abs().max() == 0 and out[1].abs().max() == 0
    assert out[0, 1].abs().max() > 0
    out.sum().backward()
    assert torch.isfinite(q.grad).all() and torch.isfinite(k.grad).all()
    assert q.grad[1].abs().max() == 0 and q.grad[0, 2].abs().max() == 0


def test_key_padding_equals_dropping_the_keys() -> None:
    q, k, v, _ = _inputs(5, 10, batch=1)
    mask = torch.zeros(1, 10, dtype=torch.bool)
    mask[0, :4] = True
    for backend in CPU_BACKENDS:
        torch.testing.assert_close(
            attention(q, k, v, mask=mask, backend=backend),
            attention(q, k[:, :4], v[:, :4], backend="math"),
            atol=1e-5,
            rtol=0,
        )


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
@pytest.mark.parametrize("backend", ["auto", *CPU_BACKENDS])
def test_low_precision_inputs_keep_their_dtype(backend: str, dtype: torch.dtype) -> None:
    q, k, v, _ = _inputs(33, 40)
    ref = attention(q, k, v, backend="math")
    out = attention(q.to(dtype), k.to(dtype), v.to(dtype), backend=backend)
    assert out.dtype == dtype
    torch.testing.assert_close(out.float(), ref, atol=3e-2, rtol=0)


def test_chunked_with_small_chunks_is_exact() -> None:
    from genav.attention.backends import chunked_attention

    q, k, v, gen = _inputs(50, 30, heads=4, kv_heads=2)
    mask = _masks("full_bool", 2, 4, 50, 30, gen)
    ref = attention(q, k, v, mask=mask, backend="math")
    out = chunked_attention(q, k, v, mask, 0.25, chunk=7)  # 8 chunks, the last one short
    torch.testing.assert_close(out, ref, atol=1e-5, rtol=0)


@pytest.mark.parametrize(
    "q_shape,k_shape,mask_shape,match",
    [
        ((2, 4, 3, 8), (2, 5, 2, 8), None, "multiple of key/value heads"),
        ((2, 4, 4, 8), (2, 5, 2, 4), None, "shapes disagree"),
        ((2, 4, 4), (2, 5, 2, 8), None, "4-D"),
        ((2, 4, 4, 8), (2, 5, 2, 8), (2, 4), "key-padding mask"),
        ((2, 4, 4, 8), (2, 5, 2, 8), (3, 1, 4, 5), "does not broadcast"),
    ],
)
def test_bad_inputs_are_one_clear_error(q_shape, k_shape, mask_shape, match) -> None:
    q, k = torch.randn(q_shape), torch.randn(k_shape)
    mask = torch.ones(mask_shape, dtype=torch.bool) if mask_shape else None
    with pytest.raises(InputError, match=match):
        attention(q, k, k, mask=mask)


def test_integer_mask_is_rejected() -> None:
    q, k, v, _ = _inputs(3, 4)
    with pytest.raises(InputError, match="bool"):
        attention(q, k, v, mask=torch.ones(2, 4, dtype=torch.int64))


@pytest.mark.parametrize("backend", ["math", *CPU_BACKENDS])
def test_no_keys_or_no_queries(backend: str) -> None:
    q, k, v, _ = _inputs(5, 0)
    assert attention(q, k, v, backend=backend).abs().max() == 0  # no key at all: zeros
    q2, k2, v2, _ = _inputs(0, 3)
    assert attention(q2, k2, v2, backend=backend).shape == (2, 0, 4, 16)
