"""Rotary position embeddings, including RoPE aligned in time across modalities.

Positions are real numbers, not integer indices. For time-aligned RoPE a token's position is the
time of its centre in seconds times a shared ``rate`` (positions per second), so an audio latent
frame centred at 1.0 s and a video frame centred at 1.0 s get the same rotation whatever their
frame rates: audio-video sync becomes a matter of relative position in attention.

Rotation uses the "half split" pairing: channel ``i`` is rotated with channel ``i + D/2``.
Tokens without a position (text, learned null tokens) use angle 0, i.e. no rotation.
"""

from __future__ import annotations

import torch
from einops import rearrange
from torch import Tensor


def rope_frequencies(head_dim: int, *, base: float = 10000.0, device: torch.device | None = None) -> Tensor:
    """Angular frequencies ``(head_dim // 2,)`` in radians per position unit (float32)."""
    if head_dim % 2:
        raise ValueError(f"RoPE needs an even head dimension, got {head_dim}")
    exponents = torch.arange(0, head_dim // 2, dtype=torch.float32, device=device) / (head_dim // 2)
    return base ** (-exponents)


def rope_angles(positions: Tensor, head_dim: int, *, base: float = 10000.0) -> Tensor:
    """Angles ``(..., N, head_dim // 2)`` (float32) for real-valued positions ``(..., N)``."""
    freqs = rope_frequencies(head_dim, base=base, device=positions.device)
    return positions.to(torch.float32)[..., None] * freqs


def apply_rope(x: Tensor, angles: Tensor) -> Tensor:
    """Rotate ``x`` ``(B, N, H, D)`` by ``angles`` ``(B or 1, N, D/2)``; computed in float32.

    The rotation preserves norms, and ``<rot(q, a), rot(k, b)>`` depends on ``a - b`` only.

    Source: rotary position embedding, Su et al. (2021), "RoFormer" (half-split pairing, as in
    GPT-NeoX and LLaMA).
    """
    angles = rearrange(angles, "b n d -> b n 1 d")
    cos, sin = angles.cos(), angles.sin()
    xf = x.float()
    x1, x2 = xf.chunk(2, dim=-1)
    out = torch.cat((x1 * cos - x2 * sin, x1 * sin + x2 * cos), dim=-1)
    return out.to(x.dtype)


def time_positions(
    num_tokens: int,
    fps: float,
    *,
    rate: float,
    offset_seconds: float = 0.0,
    device: torch.device | None = None,
) -> Tensor:
    """Positions ``(num_tokens,)`` of frames at ``fps``: centre time in seconds times ``rate``.

    Frame ``i`` spans ``[i / fps, (i + 1) / fps)``; its centre ``(i + 0.5) / fps`` (plus
    ``offset_seconds``, the start of a window within a longer clip) is its time.
    """
    if fps <= 0:
        raise ValueError(f"fps must be positive, got {fps}")
    index = torch.arange(num_tokens, dtype=torch.float64, device=device)
    seconds = (index + 0.5) / fps + offset_seconds
    return (seconds * rate).to(torch.float32)


class TimeAlignedRoPE:
    """RoPE whose positions are seconds times a rate shared by every modality.

    ``angles(segments)`` builds the angles for a concatenation of token segments, each either a
    frame sequence ``(num_tokens, fps)`` or ``(num_tokens, None)`` for tokens without time
    (rotation 0). The result ``(1, N_total, head_dim // 2)`` matches the concatenation order.
    """

    def __init__(self, head_dim: int, *, rate: float, base: float = 10000.0) -> None:
        self.head_dim = head_dim
        self.rate = rate
        self.base = base

    def positions(
        self,
        segments: list[tuple[int, float | None]],
        *,
        offset_seconds: float = 0.0,
        device: torch.device | None = None,
    ) -> Tensor:
        """Positions ``(N_total,)`` for the segments; timeless segments are at position 0."""
        parts = []
        for num_tokens, fps in segments:
            if fps is None:
                parts.append(torch.zeros(num_tokens, dtype=torch.float32, device=device))
            else:
                parts.append(
                    time_positions(num_tokens, fps, rate=self.rate, offset_seconds=offset_seconds, device=device)
                )
        return torch.cat(parts) if parts else torch.zeros(0, device=device)

    def angles(
        self,
        segments: list[tuple[int, float | None]],
        *,
        offset_seconds: float = 0.0,
        device: torch.device | None = None,
    ) -> Tensor:
        """Angles ``(1, N_total, head_dim // 2)``; timeless tokens get angle 0 (identity)."""
        pos = self.positions(segments, offset_seconds=offset_seconds, device=device)
        return rope_angles(pos, self.head_dim, base=self.base)[None]
