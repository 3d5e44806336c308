"""Per-frame context for cross-attention: frame ``f`` sees the global tokens plus its own slot's.

A frame context is packed into one sequence ``(B, Lg + S * K, D)``: ``Lg`` global tokens (a
prompt), then ``S`` slots of ``K`` tokens each (slot ``s`` belongs to latent frame ``s``). The
:class:`FrameLayout` says where each part lies. :func:`frame_keys` turns the packed sequence (or
its key/value projections) into one key set per frame, ``(B, S, Lg + K, ...)``, so that a
cross-attention computed frame by frame is exactly the masked cross-attention in which frame
``f``'s queries see only the global tokens and slot ``f`` (TempoTokens, Yariv et al. 2024, feeds
per-frame tokens to a video UNet's spatial cross-attention the same way).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from genav.errors import InputError

if TYPE_CHECKING:
    import torch


@dataclass(frozen=True)
class FrameLayout:
    """Where the parts of a packed context ``(B, global_len + slots * per_slot, D)`` lie."""

    global_len: int
    slots: int
    per_slot: int

    @property
    def total(self) -> int:
        return self.global_len + self.slots * self.per_slot

    @property
    def keys_per_frame(self) -> int:
        return self.global_len + self.per_slot


def pack_context(
    tokens: "torch.Tensor",
    mask: "torch.Tensor | None",
    slot_tokens: "torch.Tensor | None",
    slot_mask: "torch.Tensor | None",
) -> "tuple[torch.Tensor, torch.Tensor, FrameLayout]":
    """Pack global tokens ``(B, Lg, D)`` (mask ``(B, Lg)``) and slot tokens ``(B, S, K, D)`` (mask
    ``(B, S, K)``) into ``(B, Lg + S*K, D)`` with a key mask ``(B, Lg + S*K)`` (True = attend)."""
    import torch

    b, lg = tokens.shape[:2]
    g_mask = _bool_mask(mask, (b, lg), tokens.device)
    if slot_tokens is None:
        return tokens, g_mask, FrameLayout(lg, 0, 0)
    if slot_tokens.ndim != 4 or slot_tokens.shape[0] != b or slot_tokens.shape[-1] != tokens.shape[-1]:
        raise InputError(
            f"slot tokens must be (B={b}, S, K, D={tokens.shape[-1]}); got {tuple(slot_tokens.shape)}"
        )
    _, s, k, _ = slot_tokens.shape
    s_mask = _bool_mask(slot_mask, (b, s, k), tokens.device)
    packed = torch.cat([tokens, slot_tokens.to(tokens.dtype).flatten(1, 2)], 1)
    return packed, torch.cat([g_mask, s_mask.flatten(1, 2)], 1), FrameLayout(lg, s, k)


def frame_keys(context: "torch.Tensor", layout: FrameLayout) -> "torch.Tensor":
    """Per-frame key sets from a packed context ``(B, M, ...)`` -> ``(B, S, Lg + K, ...)``.

    Works on raw context tokens, on their key/value projections ``(B, M, H, D)`` and on masks
    ``(B, M)``. Without slots (``layout.slots == 0``) there is nothing per frame: use the packed
    context as it is.
    """
    if context.shape[1] != layout.total:
        raise InputError(
            f"context has {context.shape[1]} tokens but its frame layout says {layout.total} "
            f"({layout.global_len} global + {layout.slots} slots x {layout.per_slot})"
        )
    if layout.slots == 0:
        raise InputError("frame_keys needs a layout with slots")
    lg, s, k = layout.global_len, layout.slots, layout.per_slot
    import torch

    shared = context[:, :lg].unsqueeze(1).expand(-1, s, *([-1] * (context.ndim - 1)))
    own = context[:, lg:].unflatten(1, (s, k))
    return torch.cat([shared, own], 2)


def _bool_mask(mask: "torch.Tensor | None", shape: tuple[int, ...], device: "torch.device") -> "torch.Tensor":
    import torch

    if mask is None:
        return torch.ones(shape, dtype=torch.bool, device=device)
    if tuple(mask.shape) != shape:
        raise InputError(f"context mask must be {shape}, got {tuple(mask.shape)}")
    return mask.to(device=device, dtype=torch.bool)
