"""Small shared layers: adaLN-Zero modulation, MLPs (SwiGLU / GELU), sinusoidal embeddings."""

from __future__ import annotations

import math

import torch
from einops import rearrange
from torch import Tensor, nn


def modulate(x: Tensor, shift: Tensor, scale: Tensor) -> Tensor:
    """adaLN: ``x * (1 + scale) + shift`` with ``x`` ``(B, N, C)`` and shift/scale ``(B, C)``.

    Source: adaptive layer norm with zero-initialised modulation (adaLN-Zero), Peebles & Xie
    (2023), "Scalable Diffusion Models with Transformers" (DiT).
    """
    return x * (1 + rearrange(scale, "b c -> b 1 c")) + rearrange(shift, "b c -> b 1 c")


def gate(x: Tensor, g: Tensor) -> Tensor:
    """Gated residual branch: ``x`` ``(B, N, C)`` times ``g`` ``(B, C)``."""
    return x * rearrange(g, "b c -> b 1 c")


class AdaLNZero(nn.Module):
    """Maps a global condition ``(B, cond_dim)`` to ``chunks`` vectors of size ``dim``.

    The projection starts at zero (adaLN-Zero), so every gated block starts as the identity and
    every modulated norm as a plain norm: deep stacks train stably from the first step.
    """

    def __init__(self, cond_dim: int, dim: int, chunks: int) -> None:
        super().__init__()
        self.chunks = chunks
        self.proj = nn.Linear(cond_dim, dim * chunks)
        nn.init.zeros_(self.proj.weight)
        nn.init.zeros_(self.proj.bias)

    def forward(self, cond: Tensor) -> tuple[Tensor, ...]:
        """``cond`` ``(B, cond_dim)`` -> ``chunks`` tensors ``(B, dim)``."""
        return self.proj(nn.functional.silu(cond)).chunk(self.chunks, dim=-1)


def cond_mlp(in_dim: int, hidden: int) -> nn.Sequential:
    """Projection of a conditioning input (text tokens, pooled text, features): Linear-SiLU-Linear."""
    return nn.Sequential(nn.Linear(in_dim, hidden), nn.SiLU(), nn.Linear(hidden, hidden))


class MLP(nn.Module):
    """Feed-forward block ``(..., dim) -> (..., dim)``: ``swiglu`` (gated) or ``gelu``.

    For SwiGLU the hidden width is scaled by 2/3 so the parameter count matches a GELU MLP with
    the same ``ratio``.
    """

    def __init__(self, dim: int, ratio: float = 4.0, kind: str = "swiglu") -> None:
        super().__init__()
        if kind not in ("swiglu", "gelu"):
            raise ValueError(f"unknown MLP kind {kind!r}; choose swiglu or gelu")
        self.kind = kind
        hidden = int(dim * ratio)
        if kind == "swiglu":
            hidden = max(8, int(round(hidden * 2 / 3 / 8)) * 8)
            self.fc_in = nn.Linear(dim, 2 * hidden)
        else:
            self.fc_in = nn.Linear(dim, hidden)
        self.fc_out = nn.Linear(hidden, dim)

    def forward(self, x: Tensor) -> Tensor:
        h = self.fc_in(x)
        if self.kind == "swiglu":
            a, b = h.chunk(2, dim=-1)
            h = nn.functional.silu(a) * b
        else:
            h = nn.functional.gelu(h, approximate="tanh")
        return self.fc_out(h)


def sinusoidal_embedding(values: Tensor, dim: int, *, max_period: float = 10000.0, scale: float = 1.0) -> Tensor:
    """Sinusoidal features ``(B, dim)`` of scalars ``values`` ``(B,)`` (float32, cos then sin).

    ``scale`` multiplies the values first (e.g. 1000 for time steps in [0, 1]).
    """
    half = dim // 2
    freqs = torch.exp(-math.log(max_period) * torch.arange(half, dtype=torch.float32, device=values.device) / half)
    args = values.to(torch.float32)[:, None] * scale * freqs[None]
    emb = torch.cat((torch.cos(args), torch.sin(args)), dim=-1)
    if dim % 2:
        emb = nn.functional.pad(emb, (0, 1))
    return emb


class ScalarEmbedder(nn.Module):
    """Embeds a scalar per row (time step, duration): sinusoid -> MLP, ``(B,) -> (B, dim)``."""

    def __init__(self, dim: int, *, freq_dim: int = 256, scale: float = 1000.0, max_period: float = 10000.0) -> None:
        super().__init__()
        self.freq_dim = freq_dim
        self.scale = scale
        self.max_period = max_period
        self.mlp = nn.Sequential(nn.Linear(freq_dim, dim), nn.SiLU(), nn.Linear(dim, dim))

    def forward(self, values: Tensor) -> Tensor:
        emb = sinusoidal_embedding(values, self.freq_dim, max_period=self.max_period, scale=self.scale)
        return self.mlp(emb.to(self.mlp[0].weight.dtype))


class FinalLayer(nn.Module):
    """adaLN-modulated norm + zero-initialised projection ``(B, N, dim) -> (B, N, out_dim)``."""

    def __init__(self, dim: int, out_dim: int, cond_dim: int) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(dim, elementwise_affine=False, eps=1e-6)
        self.ada = AdaLNZero(cond_dim, dim, 2)
        self.proj = nn.Linear(dim, out_dim)
        nn.init.zeros_(self.proj.weight)
        nn.init.zeros_(self.proj.bias)

    def forward(self, x: Tensor, cond: Tensor) -> Tensor:
        shift, scale = self.ada(cond)
        return self.proj(modulate(self.norm(x), shift, scale))


def count_parameters(module: nn.Module, *, trainable_only: bool = False) -> int:
    """Number of parameters (shared tensors counted once)."""
    seen: set[int] = set()
    total = 0
    for p in module.parameters():
        if id(p) in seen or (trainable_only and not p.requires_grad):
            continue
        seen.add(id(p))
        total += p.numel()
    return total
