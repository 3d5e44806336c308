"""genav's own text-to-video backbone: the tiny pixel-space DiT behind the VideoBackbone interface.

Latents are the frames themselves, ``(B, 3, T, H, W)`` scaled to [-1, 1]; one slot per frame;
the objective is rectified flow (velocity ``data - noise``), so :meth:`velocity` is the model's
output as it is. Prompts are encoded by the config's frozen text encoder (MiniLM for the
embedded default); the empty prompt is the unconditional context (only the model's null token).
"""

from __future__ import annotations

import torch
from einops import rearrange
from torch import Tensor, nn

from genav.encoders.text import TextEncoder
from genav.encoders.text_factory import build_text_encoder
from genav.errors import InputError
from genav.models.flow import flow_interpolate, flow_velocity_target, sample_flow_times
from genav.models.t2v_dit import T2VDiT, T2VDiTConfig, edm_coefficients
from genav.models.video_backbone import FrameContext, SlotLayout, frame_slots


def frames_to_unit(video: Tensor) -> Tensor:
    """Frames ``(B, T, H, W, 3)`` uint8 -> ``(B, 3, T, H, W)`` float32 in [-1, 1]."""
    if video.ndim != 5 or video.shape[-1] != 3:
        raise InputError(f"expected frames (B, T, H, W, 3), got {tuple(video.shape)}")
    return rearrange(video.float(), "b t h w c -> b c t h w") / 127.5 - 1.0


def unit_to_frames(x: Tensor) -> Tensor:
    """``(B, 3, T, H, W)`` in [-1, 1] -> frames ``(B, T, H, W, 3)`` uint8 (clipped, rounded)."""
    return rearrange(((x.float() + 1.0) * 127.5).round().clamp(0, 255).to(torch.uint8), "b c t h w -> b t h w c")


class TinyT2VBackbone(nn.Module):
    """:class:`~genav.models.video_backbone.VideoBackbone` over a :class:`T2VDiT`."""

    schedule = ("linear", 1.0)

    def __init__(self, model: T2VDiT, text_encoder: TextEncoder | None = None, *, name: str = "t2v-dit") -> None:
        super().__init__()
        self.model = model
        self.text_encoder = text_encoder if text_encoder is not None else build_text_encoder(model.config.text_encoder)
        self.name = name

    @classmethod
    def from_config(cls, config: T2VDiTConfig, *, name: str = "t2v-dit") -> TinyT2VBackbone:
        return cls(T2VDiT(config), name=name)

    @property
    def config(self) -> T2VDiTConfig:
        return self.model.config

    @property
    def fps(self) -> float:
        return float(self.config.fps)

    @property
    def context_dim(self) -> int:
        return int(self.config.text_dim)

    @property
    def max_frames(self) -> int:
        return int(self.config.max_frames)

    @property
    def frame_size(self) -> tuple[int, int]:
        return (self.config.frame_size, self.config.frame_size)

    @property
    def device(self) -> torch.device:
        return self.model.pos.device

    # -- context --------------------------------------------------------------------------------
    @torch.no_grad()
    def encode_prompt(self, prompts: list[str]) -> FrameContext:
        """Prompts -> global context ``(B, L, text_dim)``; an empty prompt has no real token."""
        if isinstance(prompts, str) or not prompts:
            raise InputError("encode_prompt takes a non-empty list of prompts")
        emb = self.text_encoder.encode([p if p.strip() else "-" for p in prompts])
        empty = torch.tensor([not p.strip() for p in prompts], device=emb.mask.device)
        mask = emb.mask & ~empty[:, None]
        return FrameContext(emb.tokens.to(self.device), mask.to(self.device), pooled=emb.pooled.to(self.device))

    def slots_for(self, num_frames: int) -> SlotLayout:
        """One slot per frame."""
        return frame_slots(num_frames, self.fps)

    def latent_shape(self, num_frames: int, height: int, width: int) -> tuple[int, int, int, int]:
        size = self.config.frame_size
        if (height, width) != (size, size):
            raise InputError(f"this model makes {size}x{size} frames, not {width}x{height}")
        return (self.config.channels, num_frames, size, size)

    # -- latents --------------------------------------------------------------------------------
    def encode(self, video: Tensor) -> Tensor:
        return frames_to_unit(video.to(self.device))

    def decode(self, latents: Tensor) -> Tensor:
        return unit_to_frames(latents)

    # -- the model ------------------------------------------------------------------------------
    def velocity(self, x_t: Tensor, t: Tensor, ctx: FrameContext) -> Tensor:
        """The model's velocity ``(B, 3, T, H, W)`` (rectified flow, genav's convention)."""
        return self.model(x_t, t, ctx.to(x_t.device))

    def training_loss(self, video: Tensor, ctx: FrameContext, generator: torch.Generator) -> Tensor:
        """Rectified-flow MSE on frames ``(B, T, H, W, 3)`` uint8 (or latents ``(B, 3, T, H, W)``
        float already in [-1, 1]); noise and times from ``generator``."""
        data = self.encode(video) if video.dtype == torch.uint8 else video.to(self.device)
        return dit_flow_loss(self.model, data, ctx, generator)


def dit_flow_loss(model: T2VDiT, data: Tensor, ctx: FrameContext, generator: torch.Generator) -> Tensor:
    """Training loss of ``model`` on ``data`` ``(B, 3, T, H, W)`` in [-1, 1] at times ``t`` drawn
    per the config (``t_sampling``, ``t_mean``, ``t_std``): for ``x`` prediction
    ``((x_hat - x) / max(c_out, sigma_data / 2))^2`` (EDM's weighting, capped), for ``v`` the MSE
    between the predicted and the straight-path velocity (rectified flow); plus
    ``frame_diff_weight`` times the mean square of that error's frame-to-frame difference."""
    c = model.config
    noise = torch.randn(data.shape, generator=generator, device=data.device, dtype=data.dtype)
    t = sample_flow_times(data.shape[0], c.t_sampling, generator=generator, device=data.device, mean=c.t_mean,
                          std=c.t_std)
    x_t = flow_interpolate(data, noise, t)
    ctx = ctx.to(data.device)
    if c.prediction == "x":
        _, c_out, _ = edm_coefficients(t.view(-1, 1, 1, 1, 1), c.sigma_data)
        # EDM's weight 1 / c_out^2, capped at 4 / sigma_data^2: near the data end the estimate
        # cannot reach the pixel detail a 96-wide model drops, and would otherwise dominate
        scale = c_out.clamp(min=c.sigma_data / 2)
        err = (model.denoise(x_t, t, ctx).float() - data.float()) / scale
    else:
        err = model(x_t, t, ctx).float() - flow_velocity_target(data, noise).float()
    loss = err.pow(2).mean()
    if c.frame_diff_weight and err.shape[2] > 1:
        loss = loss + c.frame_diff_weight * err.diff(dim=2).pow(2).mean()
    return loss
