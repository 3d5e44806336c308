"""The tiny text-to-video DiT: a pixel-space rectified-flow transformer with per-frame context.

Frames ``(B, 3, T, H, W)`` in [-1, 1] are cut into ``patch x patch`` patches (64x64 frames with
8x8 patches: 64 tokens per frame). Blocks (:mod:`genav.models.t2v_blocks`) alternate spatial and
temporal self-attention (factorised, as in Latte), then a cross-attention in which frame ``f``
sees the global prompt tokens plus its own slot's tokens, then an MLP; the time step and the
pooled prompt modulate every block through adaLN-Zero (DiT, Peebles & Xie 2023). Each frame's key
set starts with a learned null token, so a frame with no prompt and no slot tokens (the
unconditional branch of classifier-free guidance) still attends to something.

Trained by rectified flow (:mod:`genav.models.flow`): ``x_t = (1 - t) noise + t data``, the model
predicts the velocity ``data - noise``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

import torch
from einops import rearrange, repeat
from torch import Tensor, nn

from genav.attention.frame_context import pack_context
from genav.config import Config
from genav.encoders.text import TextEncoderConfig
from genav.errors import ConfigError, InputError
from genav.models.flow import T_SAMPLINGS
from genav.models.t2v_blocks import T2VBlock
from genav.models.video_backbone import FrameContext
from genav.nn import FinalLayer, ScalarEmbedder, cond_mlp, count_parameters


@dataclass(frozen=True)
class T2VDiTConfig(Config):
    """Architecture and training settings of the tiny text-to-video DiT.

    ``frame_size``/``patch``: square frames and patches in pixels; ``fps``: the frame rate it is
    trained at; ``max_frames``: frames per window. ``p_drop_text``: per-row chance, in training,
    of dropping all text (global and slots: the unconditional branch); ``p_drop_global``: of
    dropping only the global prompt of a row that has slot tokens (slots alone must drive timing,
    as an audio adaptor's tokens will). Positions are learned embeddings of the
    patch index and of the frame index within the window. ``prediction``: ``"x"`` (default): the network estimates the
    clean frames and the velocity is ``(x_hat - x_t) / max(1 - t, t_eps)``; ``"v"``: it outputs the
    velocity. A pixel patch (8 x 8 x 3 = 192 values) is wider than the model, so a velocity (it
    carries the full noise) does not fit through it, while clean frames near the noise end do ("Back
    to Basics: Let Denoising Generative Models Denoise", Li & He 2025); near the data end the estimate
    must keep the input's detail, which a ``pixel_head`` (conv channels; 0 = none) does: a small
    full-resolution conv refinement of the transformer's estimate that sees the input frames. Both
    see the linear (Wiener) estimate of the clean frames rather than ``x_t`` (see :meth:`T2VDiT.denoise`).
    The ``x`` loss is ``((x_hat - x) / max(c_out, sigma_data / 2))^2`` with EDM's ``c_out`` for
    data of scale ``sigma_data`` (:func:`edm_coefficients`): every noise level weighs alike except
    near the data end, where the dropped detail would dominate.
    ``frame_diff_weight``: weight of a second term, the same error's difference between consecutive
    frames (``mean((err[f+1] - err[f])^2)``, i.e. predicted minus true frame-to-frame change): the
    per-frame loss barely notices a shimmer of a few pixel levels in a static scene, which a flow
    detector counts as motion; this term charges it directly (0 = off).
    ``t_mean``/``t_std``: training times are ``sigmoid(N(t_mean, t_std))``. ``text_dim`` derives
    from ``text_encoder`` (a stored value must match; given only for an hf folder without ``dim``).
    """

    model_type: ClassVar[str] = "t2v-dit"

    family: str = "t2v"
    frame_size: int = 64
    patch: int = 8
    channels: int = 3
    fps: float = 10.0
    max_frames: int = 16
    hidden: int = 96
    depth: int = 5
    heads: int = 4
    mlp_ratio: float = 3.0
    text_dim: int = None  # type: ignore[assignment]  # derived from text_encoder (see derived_fields)
    p_drop_text: float = 0.1
    p_drop_global: float = 0.1
    t_sampling: str = "logit_normal"
    prediction: str = "x"
    pixel_head: int = 0
    sigma_data: float = 0.5
    t_eps: float = 0.05
    t_mean: float = 0.0
    t_std: float = 1.2
    frame_diff_weight: float = 0.0
    text_encoder: TextEncoderConfig = field(default_factory=TextEncoderConfig)

    @classmethod
    def derived_fields(cls, values: dict[str, Any]) -> dict[str, tuple[Any, str]]:
        text = values["text_encoder"]
        return {"text_dim": (text.width, f"the {text.kind} text encoder")}

    def __post_init__(self) -> None:
        self.settle_derived()
        if self.frame_size % self.patch:
            raise ConfigError(f"T2VDiTConfig: frame_size {self.frame_size} is not a multiple of patch {self.patch}")
        if self.hidden % self.heads:
            raise ConfigError(f"T2VDiTConfig: hidden ({self.hidden}) must split into heads ({self.heads})")
        if self.depth < 1 or self.max_frames < 1 or self.fps <= 0:
            raise ConfigError("T2VDiTConfig: need depth >= 1, max_frames >= 1 and fps > 0")
        if not (0 <= self.p_drop_text <= 1 and 0 <= self.p_drop_global <= 1):
            raise ConfigError("T2VDiTConfig: drop probabilities must be in [0, 1]")
        if self.prediction not in ("x", "v") or not 0 < self.t_eps < 1 or self.t_std <= 0 or self.sigma_data <= 0:
            raise ConfigError("T2VDiTConfig: prediction must be x or v; t_eps in (0, 1); t_std, sigma_data > 0")
        if self.pixel_head < 0 or self.frame_diff_weight < 0:
            raise ConfigError("T2VDiTConfig: pixel_head and frame_diff_weight must be >= 0")
        if self.t_sampling not in T_SAMPLINGS:
            raise ConfigError(f"T2VDiTConfig: t_sampling must be one of {', '.join(T_SAMPLINGS)}")

    @property
    def patches_per_frame(self) -> int:
        return (self.frame_size // self.patch) ** 2


class T2VDiT(nn.Module):
    """Velocity model ``(x_t (B, C, T, H, W), t (B,), FrameContext) -> v (B, C, T, H, W)``."""

    def __init__(self, config: T2VDiTConfig) -> None:
        super().__init__()
        self.config = c = config
        self.patch_in = nn.Linear(c.channels * c.patch * c.patch, c.hidden)
        self.pos = nn.Parameter(torch.randn(1, 1, c.patches_per_frame, c.hidden) * 0.02)
        self.frame_pos = nn.Parameter(torch.randn(1, c.max_frames, 1, c.hidden) * 0.02)
        self.t_embed = ScalarEmbedder(c.hidden, scale=1000.0)
        self.context_in = cond_mlp(c.text_dim, c.hidden)
        self.pooled_in = cond_mlp(c.text_dim, c.hidden)
        self.slot_type = nn.Parameter(torch.randn(c.hidden) * 0.02)
        self.null_token = nn.Parameter(torch.randn(1, 1, c.hidden) * 0.02)
        self.null_pooled = nn.Parameter(torch.randn(1, c.hidden) * 0.02)
        self.blocks = nn.ModuleList(T2VBlock(c.hidden, c.heads, c.mlp_ratio) for _ in range(c.depth))
        self.final = FinalLayer(c.hidden, c.channels * c.patch * c.patch, c.hidden)
        self.head = PixelHead(c.channels, c.pixel_head, c.hidden) if c.pixel_head else None

    def _context(self, ctx: FrameContext, frames: int) -> tuple[Tensor, Tensor, Tensor, object]:
        """Packed context ``(B, M, C)``, key mask ``(B, M)``, the adaLN prompt vector ``(B, C)``
        and the frame layout."""
        b = ctx.batch_size
        dtype = self.null_token.dtype
        g_mask = ctx.mask if ctx.mask is not None else torch.ones(ctx.tokens.shape[:2], dtype=torch.bool)
        g_mask = g_mask.to(ctx.tokens.device, torch.bool)
        tokens = torch.cat([repeat(self.null_token, "1 n c -> b n c", b=b), self.context_in(ctx.tokens.to(dtype))], 1)
        mask = torch.cat([torch.ones(b, 1, dtype=torch.bool, device=g_mask.device), g_mask], 1)
        slots = None
        if ctx.slot_tokens is not None:
            if ctx.num_slots != frames:
                raise InputError(f"the context has {ctx.num_slots} slots for {frames} frames (one slot per frame)")
            slots = self.context_in(ctx.slot_tokens.to(dtype)) + self.slot_type
        packed, key_mask, layout = pack_context(tokens, mask, slots, ctx.slot_mask)
        has_prompt = g_mask.any(1, keepdim=True)
        pooled = self.null_pooled.expand(b, -1)
        if ctx.pooled is not None:
            pooled = torch.where(has_prompt, self.pooled_in(ctx.pooled.to(dtype)), pooled)
        return packed, key_mask, pooled, layout

    def forward(self, x: Tensor, t: Tensor, ctx: FrameContext) -> Tensor:
        """Velocity for frames ``x`` ``(B, C, T, H, W)`` at times ``t`` ``(B,)`` (0 = noise, 1 = data)."""
        if self.config.prediction == "v":
            return self._network(x, t, ctx)[0]
        denoised = self.denoise(x, t, ctx)
        gap = (1.0 - t.to(denoised.dtype)).clamp(min=self.config.t_eps).view(-1, 1, 1, 1, 1)
        return (denoised - x.to(denoised.dtype)) / gap

    def denoise(self, x: Tensor, t: Tensor, ctx: FrameContext) -> Tensor:
        """The clean-frame estimate ``(B, C, T, H, W)`` (``x`` prediction).

        The network sees ``c_skip(t) x_t / sigma_data``: the best linear estimate of the clean
        frames (:func:`edm_coefficients`), in units of the data scale. It is exactly zero at
        ``t = 0`` and holds little noise at low ``t``, so the estimate there cannot copy the input
        noise (a small network trained briefly does not learn to ignore it), while near the data
        end it is the input frames themselves.
        """
        c_skip, _, _ = edm_coefficients(t.to(x.device, torch.float32).view(-1, 1, 1, 1, 1), self.config.sigma_data)
        x_in = c_skip * x / self.config.sigma_data
        coarse, cond = self._network(x_in, t, ctx)
        return coarse if self.head is None else self.head(x_in, coarse, cond)

    def _network(self, x: Tensor, t: Tensor, ctx: FrameContext) -> tuple[Tensor, Tensor]:
        """The transformer's output ``(B, C, T, H, W)`` for input ``x`` of the same shape, and its
        global condition ``(B, hidden)``."""
        c = self.config
        b, ch, frames, h, w = x.shape
        if ch != c.channels or h != c.frame_size or w != c.frame_size:
            raise InputError(
                f"expected frames of {c.channels} x {c.frame_size} x {c.frame_size}, got {tuple(x.shape)} (B, C, T, H, W)"
            )
        if frames > c.max_frames:
            raise InputError(f"this model generates at most {c.max_frames} frames per window, got {frames}")
        if ctx.batch_size != b:
            raise InputError(f"the context has {ctx.batch_size} rows for a batch of {b}")
        tokens = rearrange(x, "b c t (y p) (z q) -> b t (y z) (c p q)", p=c.patch, q=c.patch)
        tokens = self.patch_in(tokens.to(self.patch_in.weight.dtype)) + self.pos + self.frame_pos[:, :frames]
        context, mask, pooled, layout = self._context(ctx, frames)
        cond = self.t_embed(t.to(x.device)) + pooled
        for block in self.blocks:
            tokens = block(tokens, cond, context, mask, layout)
        out = self.final(tokens.flatten(1, 2), cond).unflatten(1, (frames, -1))
        side = c.frame_size // c.patch
        return rearrange(out, "b t (y z) (c p q) -> b c t (y p) (z q)", y=side, p=c.patch, q=c.patch), cond

    def num_parameters(self) -> int:
        return count_parameters(self)


def edm_coefficients(t: Tensor, sigma_data: float) -> tuple[Tensor, Tensor, Tensor]:
    """EDM's preconditioning coefficients (Karras et al. 2022) on the flow path
    ``x_t = (1 - t) noise + t x``.

    With ``d = t^2 sigma_data^2 + (1 - t)^2`` (the variance of ``x_t`` for data of variance
    ``sigma_data^2``): ``c_skip = t sigma_data^2 / d`` (the best linear guess of ``x`` from
    ``x_t``), ``c_out = sigma_data (1 - t) / sqrt(d)`` (the error left of that guess) and
    ``c_in = 1 / sqrt(d)`` (unit-variance input). A loss on ``(x_hat - x) / c_out`` weighs every
    noise level alike.
    """
    d = t * t * sigma_data**2 + (1 - t) ** 2
    return t * sigma_data**2 / d, sigma_data * (1 - t) / d.sqrt(), 1 / d.sqrt()


class PixelHead(nn.Module):
    """Full-resolution refinement of a clean-frame estimate, frame by frame:
    ``coarse + conv([x_in, coarse])`` with three 3x3 convolutions (FiLM from the global condition
    on the hidden channels); the last one starts at zero, so the head starts as the identity."""

    def __init__(self, channels: int, width: int, cond_dim: int) -> None:
        super().__init__()
        self.conv_in = nn.Conv2d(2 * channels, width, 3, padding=1)
        self.conv_mid = nn.Conv2d(width, width, 3, padding=1)
        self.conv_out = nn.Conv2d(width, channels, 3, padding=1)
        self.film = nn.Linear(cond_dim, 2 * width)
        for layer in (self.conv_out, self.film):
            nn.init.zeros_(layer.weight)
            nn.init.zeros_(layer.bias)

    def forward(self, x_in: Tensor, coarse: Tensor, cond: Tensor) -> Tensor:
        """``x_in``, ``coarse`` ``(B, C, T, H, W)``; ``cond`` ``(B, D)`` -> ``(B, C, T, H, W)``."""
        b, _, t = coarse.shape[:3]
        h = rearrange(torch.cat([x_in.to(coarse.dtype), coarse], 1), "b c t y z -> (b t) c y z")
        h = nn.functional.silu(self.conv_in(h))
        scale, shift = self.film(nn.functional.silu(cond)).repeat_interleave(t, 0)[:, :, None, None].chunk(2, 1)
        h = nn.functional.silu(self.conv_mid(h * (1 + scale) + shift))
        return coarse + rearrange(self.conv_out(h), "(b t) c y z -> b c t y z", b=b)
