"""Blocks of the tiny text-to-video DiT: factorised space/time self-attention, per-frame
cross-attention, an MLP, all modulated by adaLN-Zero from the time step (+ pooled prompt).

Tokens are laid out ``(B, T, P, C)``: T frames of P patches. Spatial attention runs over the P
patches of each frame, temporal attention over the T frames at each patch position (as in
Latte / "factorised" video transformers), and cross-attention lets frame ``f`` see the global
context plus its own slot (:mod:`genav.attention.frame_context`). All products go through
:func:`genav.attention.attention`.
"""

from __future__ import annotations

from einops import rearrange
from torch import Tensor, nn

from genav.attention import attention
from genav.attention.frame_context import FrameLayout, frame_keys
from genav.nn import MLP, AdaLNZero


def _modulate(x: Tensor, shift: Tensor, scale: Tensor) -> Tensor:
    """adaLN on ``(B, T, P, C)`` tokens with ``(B, C)`` shift/scale."""
    return x * (1 + scale[:, None, None]) + shift[:, None, None]


class SelfAttention(nn.Module):
    """Self-attention over dim 1 of ``(N, L, C)`` (positions come from embeddings added to the
    tokens: on a CPU, rotary and qk-norm passes cost more than the attention itself here)."""

    def __init__(self, hidden: int, heads: int) -> None:
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(hidden, 3 * hidden)
        self.out = nn.Linear(hidden, hidden)

    def forward(self, x: Tensor) -> Tensor:
        q, k, v = rearrange(self.qkv(x), "n l (three h d) -> three n l h d", three=3, h=self.heads)
        return self.out(attention(q, k, v).flatten(2))


class FrameCrossAttention(nn.Module):
    """Cross-attention in which frame ``f`` sees the global tokens and slot ``f`` only."""

    def __init__(self, hidden: int, heads: int) -> None:
        super().__init__()
        self.heads, self.head_dim = heads, hidden // heads
        self.q = nn.Linear(hidden, hidden)
        self.kv = nn.Linear(hidden, 2 * hidden)
        self.out = nn.Linear(hidden, hidden)

    def forward(self, x: Tensor, context: Tensor, mask: Tensor, layout: FrameLayout) -> Tensor:
        """``x`` ``(B, T, P, C)``; ``context`` ``(B, M, C)`` packed per ``layout`` with key mask
        ``(B, M)``; with slots, ``layout.slots`` must equal T. Returns ``(B, T, P, C)``."""
        b, t, p, _ = x.shape
        q = rearrange(self.q(x), "b t p (h d) -> b t p h d", h=self.heads)
        k, v = rearrange(self.kv(context), "b m (two h d) -> two b m h d", two=2, h=self.heads)
        if layout.slots:
            q = q.flatten(0, 1)  # (B*T, P, H, D): one query set per frame
            k, v = frame_keys(k, layout).flatten(0, 1), frame_keys(v, layout).flatten(0, 1)
            out = attention(q, k, v, mask=frame_keys(mask, layout).flatten(0, 1))
        else:  # every frame sees the same keys: one attention over all frames' queries
            out = attention(q.flatten(1, 2), k, v, mask=mask)
        return self.out(out.reshape(b, t, p, -1))


class T2VBlock(nn.Module):
    """Spatial attention -> temporal attention -> per-frame cross-attention -> MLP."""

    def __init__(self, hidden: int, heads: int, mlp_ratio: float) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(hidden, elementwise_affine=False, eps=1e-6)
        self.ada = AdaLNZero(hidden, hidden, 10)
        self.spatial = SelfAttention(hidden, heads)
        self.temporal = SelfAttention(hidden, heads)
        self.cross = FrameCrossAttention(hidden, heads)
        self.mlp = MLP(hidden, mlp_ratio, "swiglu")

    def forward(
        self,
        x: Tensor,
        cond: Tensor,
        context: Tensor,
        mask: Tensor,
        layout: FrameLayout,
    ) -> Tensor:
        """``x`` ``(B, T, P, C)``, ``cond`` ``(B, C)``, ``context``/``mask`` packed per ``layout``."""
        b, t, p, _ = x.shape
        sh1, sc1, g1, sh2, sc2, g2, g3, sh4, sc4, g4 = (m[:, None, None] for m in self.ada(cond))
        h = rearrange(self.norm(x) * (1 + sc1) + sh1, "b t p c -> (b t) p c")
        x = x + g1 * rearrange(self.spatial(h), "(b t) p c -> b t p c", b=b)
        if t > 1:
            # over one frame attention mixes nothing and its q/k get no gradient; skipping it keeps
            # image pretraining from turning the zero-gated temporal layer into a per-token map
            # that averages frames once windows are longer (temporal layers start at zero on an
            # image model, as in Make-A-Video and AnimateDiff)
            h = rearrange(self.norm(x) * (1 + sc2) + sh2, "b t p c -> (b p) t c")
            x = x + g2 * rearrange(self.temporal(h), "(b p) t c -> b t p c", b=b)
        x = x + g3 * self.cross(self.norm(x), context, mask, layout)
        return x + g4 * self.mlp(self.norm(x) * (1 + sc4) + sh4)
