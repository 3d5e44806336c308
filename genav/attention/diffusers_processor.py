"""Route diffusers ``Attention`` modules (UNets, Transformer2DModel, ...) through genav's attention.

>>> set_genav_attention(unet)                       # doctest: +SKIP
>>> set_genav_attention(unet, backend="chunked")    # doctest: +SKIP

The processors reproduce the projections, norms, masks and residual of diffusers' default
processors and replace only the attention product, so outputs match the defaults while memory
and speed follow the chosen genav backend. :class:`GenavAttnProcessor` stands in for
``AttnProcessor``/``AttnProcessor2_0``; :class:`GenavStableAudioAttnProcessor` for Stable Audio's
``StableAudioAttnProcessor2_0`` (partial rotary embedding on queries and keys, grouped-query).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from genav.attention.core import _check_name, attention

if TYPE_CHECKING:
    import torch

log = logging.getLogger(__name__)


class _GenavProcessor:
    """The body shared by genav's diffusers processors: diffusers' projections, norms, mask and
    residual around :func:`genav.attention.attention` (``backend`` None follows genav's rule)."""

    def __init__(self, backend: str | None = None) -> None:
        if backend is not None:
            _check_name(backend, type(self).__name__)
        self.backend = backend

    def _attend(
        self,
        attn: Any,
        hidden_states: "torch.Tensor",
        encoder_hidden_states: "torch.Tensor | None",
        attention_mask: "torch.Tensor | None",
        *,
        temb: "torch.Tensor | None" = None,
        rotary_emb: Any = None,
        scale: float | None = None,
    ) -> "torch.Tensor":
        residual = hidden_states
        if attn.spatial_norm is not None:
            hidden_states = attn.spatial_norm(hidden_states, temb)
        image_shape = hidden_states.shape if hidden_states.ndim == 4 else None
        if image_shape is not None:  # (B, C, H, W) -> (B, H*W, C)
            hidden_states = hidden_states.flatten(2).transpose(1, 2)
        if attn.group_norm is not None:
            hidden_states = attn.group_norm(hidden_states.transpose(1, 2)).transpose(1, 2)

        context = hidden_states if encoder_hidden_states is None else encoder_hidden_states
        if encoder_hidden_states is not None and attn.norm_cross:
            context = attn.norm_encoder_hidden_states(context)
        batch, n_keys = context.shape[0], context.shape[1]

        query = attn.to_q(hidden_states)
        key, value = attn.to_k(context), attn.to_v(context)
        head_dim = query.shape[-1] // attn.heads
        query = query.unflatten(-1, (attn.heads, head_dim))  # (B, N, H, D)
        key = key.unflatten(-1, (-1, head_dim))  # (B, M, Hkv, D)
        value = value.unflatten(-1, (-1, head_dim))
        if attn.norm_q is not None:  # diffusers normalises over D, the layout does not matter
            query = attn.norm_q(query)
        if attn.norm_k is not None:
            key = attn.norm_k(key)
        if rotary_emb is not None:  # Stable Audio: queries always, keys in self-attention only
            query = _rotate(query, rotary_emb)
            if not attn.is_cross_attention:
                key = _rotate(key, rotary_emb)

        mask = _diffusers_mask(attn, attention_mask, n_keys, batch)
        out = attention(query, key, value, mask=mask, backend=self.backend, scale=scale)
        hidden_states = attn.to_out[0](out.flatten(2).to(query.dtype))
        hidden_states = attn.to_out[1](hidden_states)

        if image_shape is not None:
            hidden_states = hidden_states.transpose(1, 2).reshape(image_shape)
        if attn.residual_connection:
            hidden_states = hidden_states + residual
        return hidden_states / attn.rescale_output_factor


class GenavAttnProcessor(_GenavProcessor):
    """A diffusers attention processor that calls :func:`genav.attention.attention`.

    ``backend=None`` follows genav's selection rule at call time (argument > ``use_backend`` >
    ``GENAV_ATTENTION`` > auto). Grouped-query layers (fewer key/value heads) are supported.
    """

    def __call__(
        self,
        attn: Any,
        hidden_states: "torch.Tensor",
        encoder_hidden_states: "torch.Tensor | None" = None,
        attention_mask: "torch.Tensor | None" = None,
        temb: "torch.Tensor | None" = None,
        *args: Any,
        **kwargs: Any,
    ) -> "torch.Tensor":
        return self._attend(
            attn, hidden_states, encoder_hidden_states, attention_mask, temb=temb, scale=attn.scale
        )


class GenavStableAudioAttnProcessor(_GenavProcessor):
    """Stable Audio's attention (``StableAudioAttnProcessor2_0``: partial rotary embedding on
    queries and keys, grouped-query) with the product computed by
    :func:`genav.attention.attention`. Like diffusers' processor it uses the default
    ``1 / sqrt(D)`` scale."""

    def __call__(
        self,
        attn: Any,
        hidden_states: "torch.Tensor",
        encoder_hidden_states: "torch.Tensor | None" = None,
        attention_mask: "torch.Tensor | None" = None,
        rotary_emb: Any = None,
    ) -> "torch.Tensor":
        return self._attend(attn, hidden_states, encoder_hidden_states, attention_mask, rotary_emb=rotary_emb)


def _rotate(x: "torch.Tensor", freqs: Any) -> "torch.Tensor":
    """diffusers' rotary embedding (real cos/sin ``freqs``) on the first ``rot_dim`` channels of
    ``x`` ``(B, N, H, D)``, computed in float32 as diffusers does."""
    import torch
    from diffusers.models.embeddings import apply_rotary_emb

    rot = freqs[0].shape[-1]
    x32 = x.float().transpose(1, 2)  # diffusers rotates (B, H, N, D)
    turned = apply_rotary_emb(x32[..., :rot], freqs, use_real=True, use_real_unbind_dim=-2)
    return torch.cat([turned, x32[..., rot:]], -1).transpose(1, 2).to(x.dtype)


def _diffusers_mask(
    attn: Any, attention_mask: "torch.Tensor | None", n_keys: int, batch: int
) -> "torch.Tensor | None":
    """diffusers' additive mask, padded and repeated per head as it does, as (B, heads, 1|N, M)."""
    if attention_mask is None:
        return None
    mask = attn.prepare_attention_mask(attention_mask, n_keys, batch)  # (B*heads, 1|N, M)
    return mask.view(batch, attn.heads, -1, mask.shape[-1])


def set_genav_attention(model: "torch.nn.Module", backend: str | None = None) -> int:
    """Route every standard diffusers ``Attention`` layer in ``model`` through genav's attention.

    Layers with the default processors get a :class:`GenavAttnProcessor`, Stable Audio's rotary
    layers (``StableAudioAttnProcessor2_0``) a :class:`GenavStableAudioAttnProcessor`; layers
    already on a genav processor get the new ``backend``. Layers with other special processors
    (added key/value projections, IP-adapters, custom ones) keep theirs. Returns the number of
    layers switched.
    """
    from diffusers.models.attention_processor import (
        Attention,
        AttnProcessor,
        AttnProcessor2_0,
        StableAudioAttnProcessor2_0,
    )

    routes = (
        ((AttnProcessor, AttnProcessor2_0, GenavAttnProcessor), GenavAttnProcessor(backend)),
        (
            (StableAudioAttnProcessor2_0, GenavStableAudioAttnProcessor),
            GenavStableAudioAttnProcessor(backend),
        ),
    )
    switched, kept = 0, 0
    for module in model.modules():
        if not isinstance(module, Attention):
            continue
        processor = next((new for kinds, new in routes if isinstance(module.processor, kinds)), None)
        if processor is None:
            kept += 1
            continue
        module.set_processor(processor)
        switched += 1
    if kept:
        log.info("genav attention: kept %d diffusers attention layers with special processors", kept)
    return switched
