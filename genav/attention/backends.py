"""The attention kernels behind :func:`genav.attention.attention`.

Every kernel takes the genav layout and a mask already normalised by the core:

- ``q``: (B, N, H, D), ``k``: (B, M, Hkv, D), ``v``: (B, M, Hkv, Dv), with ``H % Hkv == 0``;
  query head ``h`` reads key/value head ``h // (H // Hkv)`` (the ``repeat_interleave`` convention,
  the same as PyTorch's ``enable_gqa``);
- ``mask``: ``None`` or a 4-D bool (True = attend) or float (added to the scores) tensor
  broadcastable to (B, H, N, M), in which no row is fully masked (the core opens such rows and
  zeroes their output afterwards);
- returns (B, N, H, Dv) in the dtype of ``q``.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from genav.errors import BackendUnavailableError

if TYPE_CHECKING:
    import torch

BACKENDS: tuple[str, ...] = ("sdpa", "chunked", "math", "xformers")

# Chunked attention materialises (B, H, C, M) score blocks one chunk of C query rows at a time
# (scores and probabilities: two fp32-sized blocks). C is capped so one block stays under
# CHUNK_SCORE_BYTES and never exceeds MAX_CHUNK_ROWS: with a fixed C the working set is linear in M,
# and the cap by bytes keeps it bounded for very long keys.
CHUNK_SCORE_BYTES = 64 * 2**20
MAX_CHUNK_ROWS = 256


def chunk_rows(batch: int, heads: int, n_queries: int, n_keys: int) -> int:
    """Query rows per chunk for :func:`chunked_attention` (at least 1, at most ``n_queries``)."""
    by_bytes = CHUNK_SCORE_BYTES // max(1, batch * heads * n_keys * 4)
    return max(1, min(n_queries, MAX_CHUNK_ROWS, by_bytes))


def _kv_groups(q: "torch.Tensor", k: "torch.Tensor") -> int:
    return q.shape[2] // k.shape[2]


# ---------------------------------------------------------------------------------------------- math


def math_attention(
    q: "torch.Tensor", k: "torch.Tensor", v: "torch.Tensor", mask: "torch.Tensor | None", scale: float
) -> "torch.Tensor":
    """fp32 reference: upcast, full (B, H, N, M) scores, softmax, downcast. O(N*M) memory."""
    import torch

    groups = _kv_groups(q, k)
    qf, kf, vf = q.float(), k.float(), v.float()
    if groups > 1:
        kf = kf.repeat_interleave(groups, dim=2)
        vf = vf.repeat_interleave(groups, dim=2)
    scores = torch.einsum("bnhd,bmhd->bhnm", qf, kf) * scale
    if mask is not None:
        if mask.dtype == torch.bool:
            scores = scores.masked_fill(~mask, float("-inf"))
        else:
            scores = scores + mask.float()
    probs = torch.softmax(scores, dim=-1)
    return torch.einsum("bhnm,bmhd->bnhd", probs, vf).to(q.dtype)


# ------------------------------------------------------------------------------------------- chunked


def chunked_attention(
    q: "torch.Tensor",
    k: "torch.Tensor",
    v: "torch.Tensor",
    mask: "torch.Tensor | None",
    scale: float,
    chunk: int | None = None,
) -> "torch.Tensor":
    """Exact attention over query chunks: memory is O(C * M) for the scores instead of O(N * M).

    Scores are computed in the input dtype (fp32 accumulation on every device) and the softmax in
    fp32 (PyTorch's fused kernel). GQA folds the query heads of one key/value head into the row
    axis, so keys and values are never copied per query head.
    """
    import torch

    b, n, h, _ = q.shape
    hkv, groups = k.shape[2], _kv_groups(q, k)
    chunk = chunk or chunk_rows(b, h, n, k.shape[1])
    # one contiguous (B, Hkv, M, D) copy each, so every chunk's matmul reads them without copying
    k_h = k.transpose(1, 2).contiguous()
    v_h = v.transpose(1, 2).contiguous()
    masked_out = ~mask if mask is not None and mask.dtype == torch.bool else None  # once, not per chunk
    out = q.new_empty(b, n, h, v.shape[-1])
    for start in range(0, n, chunk):
        stop = min(n, start + chunk)
        rows = stop - start
        # (B, C, H, D) -> (B, Hkv, G*C, D); head h = kv * G + g
        q_c = (q[:, start:stop] * scale).view(b, rows, hkv, groups, -1).permute(0, 2, 3, 1, 4)
        scores = torch.matmul(q_c.reshape(b, hkv, groups * rows, -1), k_h.transpose(-1, -2))
        scores = scores.view(b, h, rows, -1)
        if mask is not None:
            part = masked_out if masked_out is not None else mask
            part = part[:, :, start:stop] if part.shape[2] > 1 else part
            if masked_out is not None:
                scores.masked_fill_(part, float("-inf"))
            else:
                scores.add_(part.to(scores.dtype))
        probs = torch.softmax(scores, dim=-1, dtype=torch.float32).to(q.dtype)
        del scores  # free the block before the next matmul allocates
        o_c = torch.matmul(probs.view(b, hkv, groups * rows, -1), v_h)  # (B, Hkv, G*C, Dv)
        out[:, start:stop] = o_c.view(b, h, rows, -1).transpose(1, 2)
        del probs, o_c  # else they live on while the next chunk allocates its blocks
    return out


# ---------------------------------------------------------------------------------------------- sdpa


@functools.cache
def _sdpa_has_gqa() -> bool:
    import torch

    return torch.__version__ >= "2.5"  # TorchVersion compares as a version; enable_gqa is new in 2.5


def sdpa_attention(
    q: "torch.Tensor", k: "torch.Tensor", v: "torch.Tensor", mask: "torch.Tensor | None", scale: float
) -> "torch.Tensor":
    """PyTorch's fused ``scaled_dot_product_attention`` (flash kernel on CPU, flash/mem-efficient on CUDA)."""
    import torch
    import torch.nn.functional as F

    groups = _kv_groups(q, k)
    qh, kh, vh = q.transpose(1, 2), k.transpose(1, 2), v.transpose(1, 2)
    kwargs = {}
    if groups > 1:
        # On CUDA the masked (mem-efficient) kernel lacks enable_gqa and would fall back to the
        # O(N^2) math kernel; expanding K/V costs only linear memory.
        if _sdpa_has_gqa() and (mask is None or q.device.type == "cpu"):
            kwargs["enable_gqa"] = True
        else:
            kh = kh.repeat_interleave(groups, dim=1)
            vh = vh.repeat_interleave(groups, dim=1)
    if mask is not None and mask.dtype != torch.bool:
        mask = mask.to(q.dtype)
    out = F.scaled_dot_product_attention(qh, kh, vh, attn_mask=mask, scale=scale, **kwargs)
    return out.transpose(1, 2)


# ------------------------------------------------------------------------------------------ xformers


@functools.cache
def _xformers_import_error() -> str | None:
    from genav.extras import install_hint

    try:
        import xformers.ops  # noqa: F401
    except Exception as exc:  # noqa: BLE001 - any import failure means "cannot run"
        return f"xformers is not importable ({type(exc).__name__}: {exc}); install it with {install_hint('xformers')}"
    return None


def xformers_attention(
    q: "torch.Tensor", k: "torch.Tensor", v: "torch.Tensor", mask: "torch.Tensor | None", scale: float
) -> "torch.Tensor":
    """xformers ``memory_efficient_attention`` (CUDA only). A mask is materialised as a bias."""
    import torch
    import xformers.ops as xops

    b, n, h, d = q.shape
    m, hkv = k.shape[1], k.shape[2]
    groups = _kv_groups(q, k)
    bias = None
    if mask is not None:
        # xformers wants a dense (B, H, N, M) bias whose last axis is stored 8-aligned.
        padded = -(-m // 8) * 8
        bias = q.new_zeros(b, h, n, padded)[..., :m]
        if mask.dtype == torch.bool:
            bias.masked_fill_(~mask.expand(b, h, n, m), float("-inf"))
        else:
            bias.copy_(mask.expand(b, h, n, m))
    if groups == 1:
        return xops.memory_efficient_attention(q, k, v, attn_bias=bias, scale=scale)
    # GQA: the 5-D form (B, N, Hkv, G, D) with K/V broadcast over G (stride 0, no copy).
    q5 = q.reshape(b, n, hkv, groups, d)
    k5 = k.unsqueeze(3).expand(b, m, hkv, groups, d)
    v5 = v.unsqueeze(3).expand(b, m, hkv, groups, v.shape[-1])
    bias5 = bias.view(b, hkv, groups, n, m) if bias is not None else None
    out = xops.memory_efficient_attention(q5, k5, v5, attn_bias=bias5, scale=scale)
    return out.reshape(b, n, h, v.shape[-1])


KERNELS = {
    "sdpa": sdpa_attention,
    "chunked": chunked_attention,
    "math": math_attention,
    "xformers": xformers_attention,
}


def unavailable_reason(name: str, device: "torch.device") -> str | None:
    """Why backend ``name`` cannot run on ``device`` (``None`` when it can). Imports xformers only on CUDA."""
    if name not in KERNELS:
        raise BackendUnavailableError(
            f"unknown attention backend {name!r}; choose one of {', '.join(BACKENDS)}, auto"
        )
    if name != "xformers":
        return None
    import torch

    if device.type != "cuda":
        return f"xformers needs a CUDA device (this is {device.type})"
    if not torch.cuda.is_available():
        return "xformers needs a CUDA GPU and none is available"
    return _xformers_import_error()
