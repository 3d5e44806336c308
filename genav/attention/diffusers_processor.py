"""Route diffusers ``Attention`` modules (UNets, Transformer2DModel, ...) through genav's attention.

>>> set_genav_attention(unet)                       # doctest: +SKIP
>>> set_genav_attention(unet, backend="chunked")    # doctest: +SKIP

The processor reproduces the projections, norms, masks and residual of diffusers' default
processors and replaces only the attention product, so outputs match the defaults while memory
and speed follow the chosen genav backend.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from genav.attention.core import _check_name, attention

if TYPE_CHECKING:
    import torch

log = logging.getLogger(__name__)


class GenavAttnProcessor:
    """A diffusers attention processor that calls :func:`genav.attention.attention`.

    ``backend=None`` follows genav's selection rule at call time (argument > ``use_backend`` >
    ``GENAV_ATTENTION`` > auto). Grouped-query layers (fewer key/value heads) are supported.
    """

    def __init__(self, backend: str | None = None) -> None:
        if backend is not None:
            _check_name(backend, "GenavAttnProcessor")
        self.backend = backend

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

        mask = _diffusers_mask(attn, attention_mask, n_keys, batch)
        out = attention(query, key, value, mask=mask, backend=self.backend, scale=attn.scale)
        hidden_states = attn.to_out[0](out.flatten(2).to(query.dtype))
        hidden_states = attn.to_out[1](hidden_states)

        if image_shape is not None:
            hidden_states = hidden_states.transpose(1, 2).reshape(image_shape)
        if attn.residual_connection:
            hidden_states = hidden_states + residual
        return hidden_states / attn.rescale_output_factor


def _diffusers_mask(
    attn: Any, attention_mask: "torch.Tensor | None", n_keys: int, batch: int
) -> "torch.Tensor | None":
    """diffusers' additive mask, padded and repeated per head as it does, as (B, heads, 1|N, M)."""
    if attention_mask is None:
        return None
    mask = attn.prepare_attention_mask(attention_mask, n_keys, batch)  # (B*heads, 1|N, M)
    return mask.view(batch, attn.heads, -1, mask.shape[-1])


def set_genav_attention(model: "torch.nn.Module", backend: str | None = None) -> int:
    """Give every standard diffusers ``Attention`` layer in ``model`` a :class:`GenavAttnProcessor`.

    Layers with special processors (added key/value projections, IP-adapters, custom ones) keep
    theirs. Returns the number of layers switched.
    """
    from diffusers.models.attention_processor import Attention, AttnProcessor, AttnProcessor2_0

    processor = GenavAttnProcessor(backend)
    switched, kept = 0, 0
    for module in model.modules():
        if not isinstance(module, Attention):
            continue
        if isinstance(module.processor, (AttnProcessor, AttnProcessor2_0, GenavAttnProcessor)):
            module.set_processor(processor)
            switched += 1
        else:
            kept += 1
    if kept:
        log.info("genav attention: kept %d diffusers attention layers with special processors", kept)
    return switched
