"""Transformer blocks of the audio MM-DiT: joint (multi-stream) blocks and single-stream blocks.

A joint block keeps separate weights per modality stream (audio, video, text) and attends
jointly over the concatenation of all streams' tokens (SD3 / MMAudio style). A single-stream
block is a plain DiT block. Both take a global condition ``(B, C)`` through adaLN-Zero and
rotary angles for their tokens; all attention goes through :func:`genav.attention.attention`.
"""

from __future__ import annotations

import torch
from einops import rearrange
from torch import Tensor, nn

from genav.attention import attention
from genav.nn import MLP, AdaLNZero, apply_rope, gate, modulate


class QKV(nn.Module):
    """Projects ``(B, N, C)`` to q ``(B, N, H, D)`` and k, v ``(B, N, Hkv, D)`` with RMS qk-norm."""

    def __init__(self, hidden: int, heads: int, kv_heads: int) -> None:
        super().__init__()
        if hidden % heads or heads % kv_heads:
            raise ValueError(f"hidden {hidden} must divide by heads {heads}, heads by kv_heads {kv_heads}")
        self.heads, self.kv_heads, self.head_dim = heads, kv_heads, hidden // heads
        self.proj = nn.Linear(hidden, (heads + 2 * kv_heads) * self.head_dim)
        self.q_norm = nn.RMSNorm(self.head_dim, eps=1e-6)
        self.k_norm = nn.RMSNorm(self.head_dim, eps=1e-6)

    def forward(self, x: Tensor, angles: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        qkv = rearrange(self.proj(x), "b n (h d) -> b n h d", d=self.head_dim)
        q, k, v = qkv.split((self.heads, self.kv_heads, self.kv_heads), dim=2)
        q = apply_rope(self.q_norm(q), angles)
        k = apply_rope(self.k_norm(k), angles)
        return q, k, v


class Stream(nn.Module):
    """One modality's weights in a block: modulated norm -> qkv, then out-proj and MLP.

    ``pre_only`` streams (the context streams of the last joint block) only provide keys and
    values: their outputs would never be used.
    """

    def __init__(
        self, hidden: int, heads: int, kv_heads: int, mlp_ratio: float, mlp_kind: str, *, pre_only: bool = False
    ) -> None:
        super().__init__()
        self.pre_only = pre_only
        self.norm1 = nn.LayerNorm(hidden, elementwise_affine=False, eps=1e-6)
        self.ada = AdaLNZero(hidden, hidden, 2 if pre_only else 6)
        self.qkv = QKV(hidden, heads, kv_heads)
        if not pre_only:
            self.out = nn.Linear(hidden, hidden)
            self.norm2 = nn.LayerNorm(hidden, elementwise_affine=False, eps=1e-6)
            self.mlp = MLP(hidden, mlp_ratio, mlp_kind)

    def pre(self, x: Tensor, cond: Tensor, angles: Tensor) -> tuple[Tensor, Tensor, Tensor, tuple[Tensor, ...]]:
        """``x`` ``(B, N, C)`` -> q, k, v and the modulation kept for :meth:`post`."""
        mods = self.ada(cond)
        q, k, v = self.qkv(modulate(self.norm1(x), mods[0], mods[1]), angles)
        return q, k, v, mods

    def post(self, x: Tensor, attn_out: Tensor, mods: tuple[Tensor, ...]) -> Tensor:
        """Residual updates from the attention output ``(B, N, H, D)``."""
        _, _, gate_attn, shift2, scale2, gate_mlp = mods
        x = x + gate(self.out(rearrange(attn_out, "b n h d -> b n (h d)")), gate_attn)
        return x + gate(self.mlp(modulate(self.norm2(x), shift2, scale2)), gate_mlp)


class JointBlock(nn.Module):
    """Joint attention over several streams with separate weights per stream.

    Stream 0 is the main (audio) stream. With ``context_pre_only`` the other streams only
    contribute keys/values and are returned unchanged (used for the last joint block).
    """

    def __init__(
        self,
        num_streams: int,
        hidden: int,
        heads: int,
        kv_heads: int,
        mlp_ratio: float,
        mlp_kind: str,
        *,
        context_pre_only: bool = False,
    ) -> None:
        super().__init__()
        self.context_pre_only = context_pre_only
        self.streams = nn.ModuleList(
            Stream(hidden, heads, kv_heads, mlp_ratio, mlp_kind, pre_only=context_pre_only and i > 0)
            for i in range(num_streams)
        )

    def forward(self, xs: list[Tensor], cond: Tensor, angles: list[Tensor], mask: Tensor) -> list[Tensor]:
        """``xs[i]`` ``(B, N_i, C)``, ``angles[i]`` ``(1|B, N_i, D/2)``, ``mask`` ``(B, sum N_i)`` bool."""
        pres = [s.pre(x, cond, a) for s, x, a in zip(self.streams, xs, angles, strict=True)]
        k = torch.cat([p[1] for p in pres], dim=1)
        v = torch.cat([p[2] for p in pres], dim=1)
        sizes = [x.shape[1] for x in xs]
        if self.context_pre_only:
            out = attention(pres[0][0], k, v, mask=mask)
            return [self.streams[0].post(xs[0], out, pres[0][3]), *xs[1:]]
        q = torch.cat([p[0] for p in pres], dim=1)
        outs = attention(q, k, v, mask=mask).split(sizes, dim=1)
        return [s.post(x, o, p[3]) for s, x, o, p in zip(self.streams, xs, outs, pres, strict=True)]


class SingleBlock(nn.Module):
    """A DiT block (self-attention + MLP, adaLN-Zero) over one stream."""

    def __init__(self, hidden: int, heads: int, kv_heads: int, mlp_ratio: float, mlp_kind: str) -> None:
        super().__init__()
        self.stream = Stream(hidden, heads, kv_heads, mlp_ratio, mlp_kind)

    def forward(self, x: Tensor, cond: Tensor, angles: Tensor, mask: Tensor | None) -> Tensor:
        q, k, v, mods = self.stream.pre(x, cond, angles)
        return self.stream.post(x, attention(q, k, v, mask=mask), mods)
