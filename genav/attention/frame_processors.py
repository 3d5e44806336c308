"""diffusers attention processors with per-frame context, routed through genav's attention core.

- :class:`FrameContextAttnProcessor` -- for the spatial cross-attention (``attn2`` of the
  ``Transformer2DModel`` blocks) of a ``UNet3DConditionModel`` (ModelScope / ZeroScope). The UNet
  folds frames into the batch (rows ``b * F + f``) and repeats the context per frame; the
  processor gives row ``(b, f)`` the global tokens plus slot ``f`` (TempoTokens' per-frame context,
  as a processor instead of a patched UNet).
- :class:`GenavWanAttnProcessor` -- for every ``WanAttention`` of a ``WanTransformer3DModel`` (Wan
  2.1): self-attention with Wan's rotary embedding, and cross-attention in which the tokens of
  latent frame ``f`` (Wan flattens tokens frame-major) see the global tokens plus slot ``f``.

Neither model passes per-call arguments down to its attention layers (Wan's ``forward`` drops
``attention_kwargs``), so the processors carry the frame layout themselves: :func:`frame_context`
sets it on every frame-context processor of a model for the duration of a forward pass. Without
a layout (or with no slots) they compute the model's ordinary attention.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from genav.attention.core import attention
from genav.attention.diffusers_processor import GenavAttnProcessor, _GenavProcessor, set_genav_attention
from genav.attention.frame_context import FrameLayout, frame_keys
from genav.errors import InputError

if TYPE_CHECKING:
    import torch


class _FrameState:
    """The frame layout of the current forward pass (None outside :func:`frame_context`)."""

    layout: FrameLayout | None = None
    key_mask: "torch.Tensor | None" = None  # (B, M) bool over the packed context


class FrameContextAttnProcessor(_GenavProcessor, _FrameState):
    """Cross-attention of a video UNet's spatial blocks with one key set per frame."""

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
        import torch

        layout, key_mask = self.layout, self.key_mask
        if encoder_hidden_states is None or layout is None:
            return self._attend(attn, hidden_states, encoder_hidden_states, attention_mask, temb=temb, scale=attn.scale)
        frames = max(layout.slots, 1)
        rows = hidden_states.shape[0]
        if rows % frames or encoder_hidden_states.shape[1] != layout.total:
            raise InputError(
                f"frame context: {rows} rows and {encoder_hidden_states.shape[1]} context tokens do not fit "
                f"{frames} frames of {layout.total} tokens"
            )
        context = encoder_hidden_states[::frames]  # (B, M, D): a clip's rows repeat its context
        mask = key_mask if key_mask is not None else torch.ones(context.shape[:2], dtype=torch.bool)
        mask = mask.to(context.device)
        if layout.slots:
            context = frame_keys(context, layout).flatten(0, 1)  # (B*F, Lg+K, D)
            mask = frame_keys(mask, layout).flatten(0, 1)
        else:
            context, mask = context.repeat_interleave(frames, 0), mask.repeat_interleave(frames, 0)
        additive = torch.zeros(mask.shape, dtype=hidden_states.dtype, device=mask.device)
        additive = additive.masked_fill(~mask, float("-inf"))[:, None, :]  # (B*F, 1, M)
        return self._attend(attn, hidden_states, context, additive, temb=temb, scale=attn.scale)


class GenavWanAttnProcessor(_GenavProcessor, _FrameState):
    """Wan 2.1's attention (``WanAttnProcessor``: RMS-normalised q/k across heads, interleaved
    rotary embedding in self-attention) with the product computed by
    :func:`genav.attention.attention`, and per-frame context in cross-attention. Image-conditioned
    layers (Wan I2V's added key/value projections) are refused."""

    def __call__(
        self,
        attn: Any,
        hidden_states: "torch.Tensor",
        encoder_hidden_states: "torch.Tensor | None" = None,
        attention_mask: "torch.Tensor | None" = None,
        rotary_emb: "tuple[torch.Tensor, torch.Tensor] | None" = None,
    ) -> "torch.Tensor":
        if getattr(attn, "add_k_proj", None) is not None:
            raise InputError("image-conditioned Wan layers (I2V) are not supported; use a text-to-video Wan folder")
        cross = encoder_hidden_states is not None
        context = encoder_hidden_states if cross else hidden_states
        query = attn.norm_q(attn.to_q(hidden_states)).unflatten(2, (attn.heads, -1))  # (B, N, H, D)
        key = attn.norm_k(attn.to_k(context)).unflatten(2, (attn.heads, -1))
        value = attn.to_v(context).unflatten(2, (attn.heads, -1))
        if rotary_emb is not None:
            query, key = _wan_rotate(query, *rotary_emb), _wan_rotate(key, *rotary_emb)
        if cross and self.layout is not None and self.layout.slots:
            out = self._per_frame(query, key, value)
        else:
            mask = self.key_mask.to(query.device) if cross and self.key_mask is not None else None
            out = attention(query, key, value, mask=mask, backend=self.backend)
        out = out.flatten(2).type_as(query)
        return attn.to_out[1](attn.to_out[0](out))

    def _per_frame(self, query: "torch.Tensor", key: "torch.Tensor", value: "torch.Tensor") -> "torch.Tensor":
        layout = self.layout
        b, n = query.shape[:2]
        if n % layout.slots or key.shape[1] != layout.total:
            raise InputError(
                f"frame context: {n} video tokens and {key.shape[1]} context tokens do not fit "
                f"{layout.slots} latent frames of {layout.total} context tokens"
            )
        q = query.unflatten(1, (layout.slots, n // layout.slots)).flatten(0, 1)  # (B*F, hw, H, D)
        mask = None
        if self.key_mask is not None:
            mask = frame_keys(self.key_mask.to(query.device), layout).flatten(0, 1)
        k, v = frame_keys(key, layout).flatten(0, 1), frame_keys(value, layout).flatten(0, 1)
        return attention(q, k, v, mask=mask, backend=self.backend).unflatten(0, (b, layout.slots)).flatten(1, 2)


def _wan_rotate(x: "torch.Tensor", cos: "torch.Tensor", sin: "torch.Tensor") -> "torch.Tensor":
    """Wan's rotary embedding on ``(B, N, H, D)``: channel pairs ``(2i, 2i + 1)`` turned by the
    angles whose cosines are ``cos[..., 2i]`` and sines ``sin[..., 2i + 1]`` (``(1, N, 1, D)``)."""
    import torch

    x1, x2 = x.unflatten(-1, (-1, 2)).unbind(-1)
    c, s = cos[..., 0::2], sin[..., 1::2]
    return torch.stack([x1 * c - x2 * s, x1 * s + x2 * c], -1).flatten(-2).type_as(x)


def set_unet3d_frame_attention(unet: Any, backend: str | None = None) -> int:
    """Route a ``UNet3DConditionModel``'s attention through genav and give its spatial
    cross-attention layers a :class:`FrameContextAttnProcessor`; returns how many got one."""
    set_genav_attention(unet, backend)
    count = 0
    for name, module in unet.named_modules():
        spatial = ".attentions." in f".{name}" and name.endswith(".attn2")
        if spatial and isinstance(module.processor, GenavAttnProcessor) and module.is_cross_attention:
            module.set_processor(FrameContextAttnProcessor(backend))
            count += 1
    return count


def set_wan_frame_attention(transformer: Any, backend: str | None = None) -> int:
    """Give every ``WanAttention`` of a ``WanTransformer3DModel`` a :class:`GenavWanAttnProcessor`."""
    from diffusers.models.transformers.transformer_wan import WanAttention

    count = 0
    for module in transformer.modules():
        if isinstance(module, WanAttention):
            module.set_processor(GenavWanAttnProcessor(backend))
            count += 1
    return count


@contextlib.contextmanager
def frame_context(model: Any, layout: FrameLayout | None, key_mask: "torch.Tensor | None" = None) -> Iterator[None]:
    """Set the frame layout (and key mask ``(B, M)`` over the packed context) on every
    frame-context processor of ``model`` for the ``with`` block."""
    states = [m.processor for m in model.modules() if isinstance(getattr(m, "processor", None), _FrameState)]
    for s in states:
        s.layout, s.key_mask = layout, key_mask
    try:
        yield
    finally:
        for s in states:
            s.layout, s.key_mask = None, None
