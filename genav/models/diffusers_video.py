"""diffusers text-to-video models as :class:`~genav.models.video_backbone.VideoBackbone` s.

- :class:`UNet3DBackbone`: a ``TextToVideoSDPipeline`` folder (ModelScope / ZeroScope layout:
  ``unet/`` ``UNet3DConditionModel``, ``vae/`` ``AutoencoderKL``, ``text_encoder/`` CLIP,
  ``tokenizer/``, ``scheduler/``). One slot per frame; per-frame context on the spatial
  cross-attention only.
- :class:`WanBackbone`: a ``WanPipeline`` folder (Wan 2.1 layout: ``transformer/``
  ``WanTransformer3DModel``, ``vae/`` ``AutoencoderKLWan``, ``text_encoder/`` UMT5, ``tokenizer/``,
  ``scheduler/``). The VAE compresses time by 4 (frames ``1 + 4k``), so slot 0 holds frame 0 and
  each later slot 4 frames; per-frame context on every cross-attention.

Sampling choice (documented in the README): both adapt their prediction to genav's rectified-flow
velocity, so one set of solvers, guidance and overlapping-window code serves every backbone. The
diffusers scheduler of the folder is kept as the source of the noise schedule and prediction
type: UNet3D's epsilon (or v) prediction at ``alphas_cumprod`` is mapped to the flow path
``x_flow = x_vp / (sqrt(a) + sqrt(1 - a))``, ``t = sqrt(a) / (sqrt(a) + sqrt(1 - a))`` (the
variance-preserving and straight paths differ by this scaling, Karras et al. 2022; a fractional
timestep is found by interpolating log-SNR over the scheduler's table); Wan is a flow model
(``x = (1 - sigma) x0 + sigma noise``, it predicts ``noise - x0``), so ``sigma = 1 - t`` and the
velocity is its negated output, on the scheduler's shifted time grid. Training losses are the
backbones' own objectives (epsilon/v with the scheduler's ``add_noise``; flow matching for Wan).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn

from genav.attention.frame_context import pack_context
from genav.attention.frame_processors import (
    frame_context,
    set_unet3d_frame_attention,
    set_wan_frame_attention,
)
from genav.errors import InputError, UnknownModelError
from genav.models.flow import flow_interpolate, sample_flow_times
from genav.models.t2v_backbone import frames_to_unit, unit_to_frames
from genav.models.video_backbone import FrameContext, SlotLayout, frame_slots


class DiffusersVideoBackbone(nn.Module):
    """Shared parts: the diffusers pipeline's components, prompt encoding and the frame-context
    forward pass of the denoiser."""

    kind = ""

    def __init__(self, pipe: Any, denoiser: nn.Module, *, name: str, fps: float, max_frames: int) -> None:
        super().__init__()
        self.pipe = pipe
        self.denoiser = denoiser
        self.vae = pipe.vae
        self.text_encoder = pipe.text_encoder
        self.scheduler = pipe.scheduler
        self.name, self.fps, self.max_frames = name, float(fps), int(max_frames)

    @property
    def device(self) -> torch.device:
        return next(self.denoiser.parameters()).device

    @property
    def dtype(self) -> torch.dtype:
        return next(self.denoiser.parameters()).dtype

    @property
    def num_train_timesteps(self) -> int:
        return int(self.scheduler.config.num_train_timesteps)

    def _denoise(self, x: Tensor, timestep: Tensor, ctx: FrameContext) -> Tensor:
        """The denoiser's raw output for latents ``x`` ``(B, C, S, h, w)`` with the packed context."""
        ctx = ctx.to(self.device, self.dtype)
        if ctx.slot_tokens is not None and ctx.num_slots != x.shape[2]:
            raise InputError(f"the context has {ctx.num_slots} slots for {x.shape[2]} latent frames")
        packed, mask, layout = pack_context(ctx.tokens, ctx.mask, ctx.slot_tokens, ctx.slot_mask)
        if layout.slots == 0 and bool(mask.all()):
            mask = None
        with frame_context(self.denoiser, layout, mask):
            return self.denoiser(x.to(self.dtype), timestep.to(self.device), encoder_hidden_states=packed,
                                 return_dict=False)[0].float()

    def _check_size(self, num_frames: int, height: int, width: int, factor: int) -> None:
        if height % factor or width % factor or height < factor or width < factor:
            raise InputError(f"{self.name}: height and width must be multiples of {factor}, got {width}x{height}")
        if num_frames < 1:
            raise InputError(f"a video needs at least one frame, got {num_frames}")


class UNet3DBackbone(DiffusersVideoBackbone):
    """ModelScope / ZeroScope ``UNet3DConditionModel`` with its VAE, CLIP text encoder and scheduler."""

    kind = "unet3d"
    schedule = ("linear", 1.0)

    def __init__(self, pipe: Any, *, name: str = "unet3d", fps: float = 8.0, max_frames: int = 16) -> None:
        super().__init__(pipe, pipe.unet, name=name, fps=fps, max_frames=max_frames)
        set_unet3d_frame_attention(self.denoiser)
        self.context_dim = int(self.denoiser.config.cross_attention_dim)
        self.spatial_factor = 2 ** (len(self.vae.config.block_out_channels) - 1)
        self.frame_size = (self.spatial_factor * 32, self.spatial_factor * 32)
        self.prediction_type = str(self.scheduler.config.prediction_type)
        alphas = self.scheduler.alphas_cumprod.double()
        self.register_buffer("log_snr", torch.log(alphas / (1 - alphas)), persistent=False)

    @torch.no_grad()
    def encode_prompt(self, prompts: list[str]) -> FrameContext:
        embeds, _ = self.pipe.encode_prompt(list(prompts), self.device, 1, False)
        return FrameContext(embeds.float())

    def slots_for(self, num_frames: int) -> SlotLayout:
        return frame_slots(num_frames, self.fps)

    def latent_shape(self, num_frames: int, height: int, width: int) -> tuple[int, int, int, int]:
        f = self.spatial_factor
        self._check_size(num_frames, height, width, f)
        return (int(self.denoiser.config.in_channels), num_frames, height // f, width // f)

    def encode(self, video: Tensor) -> Tensor:
        x = frames_to_unit(video.to(self.device))
        b, _, t = x.shape[:3]
        flat = x.transpose(1, 2).flatten(0, 1).to(self.vae.dtype)
        z = self.vae.encode(flat).latent_dist.mean * self.vae.config.scaling_factor
        return z.unflatten(0, (b, t)).transpose(1, 2).float()

    def decode(self, latents: Tensor) -> Tensor:
        b, _, t = latents.shape[:3]
        flat = latents.transpose(1, 2).flatten(0, 1) / self.vae.config.scaling_factor
        frames = self.vae.decode(flat.to(self.device, self.vae.dtype)).sample
        return unit_to_frames(frames.unflatten(0, (b, t)).transpose(1, 2))

    def _vp_point(self, t: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """Flow time ``t`` ``(B,)`` -> (fractional timestep, sqrt(alpha_bar), sqrt(1 - alpha_bar)),
        clamped to the scheduler's noise range."""
        table = self.log_snr.to(t.device)  # decreasing with the timestep
        tt = t.double().clamp(1e-6, 1 - 1e-6)
        target = (2 * torch.log(tt / (1 - tt))).clamp(float(table[-1]), float(table[0]))
        rising = table.flip(0)  # increasing log-SNR, timesteps T-1 .. 0
        hi = torch.searchsorted(rising, target).clamp(1, len(rising) - 1)
        lo = hi - 1
        frac = (target - rising[lo]) / (rising[hi] - rising[lo]).clamp(min=1e-12)
        timestep = (len(rising) - 1 - lo) - frac  # position in the original (decreasing) order
        alpha = torch.sigmoid(target)
        return timestep.float(), alpha.sqrt().float(), (1 - alpha).sqrt().float()

    def velocity(self, x_t: Tensor, t: Tensor, ctx: FrameContext) -> Tensor:
        """genav velocity from the UNet's epsilon / v / sample prediction (see the module docstring)."""
        timestep, s, sig = self._vp_point(t.to(x_t.device))
        s, sig = s.view(-1, 1, 1, 1, 1), sig.view(-1, 1, 1, 1, 1)
        x_vp = x_t.float() * (s + sig)
        out = self._denoise(x_vp, timestep, ctx)
        if self.prediction_type == "epsilon":
            eps, x0 = out, (x_vp - sig * out) / s
        elif self.prediction_type == "v_prediction":
            x0, eps = s * x_vp - sig * out, sig * x_vp + s * out
        else:
            x0, eps = out, (x_vp - s * out) / sig
        return x0 - eps

    def training_loss(self, video: Tensor, ctx: FrameContext, generator: torch.Generator) -> Tensor:
        """The UNet's own objective: epsilon (or v) MSE at a uniform random training timestep."""
        with torch.no_grad():
            x0 = self.encode(video) if video.dtype == torch.uint8 else video.to(self.device).float()
        b = x0.shape[0]
        gdev = generator.device
        tau = torch.randint(0, self.num_train_timesteps, (b,), generator=generator, device=gdev).to(self.device)
        noise = torch.randn(x0.shape, generator=generator, device=gdev).to(self.device)
        noisy = self.scheduler.add_noise(x0, noise, tau)
        if self.prediction_type == "v_prediction":
            target = self.scheduler.get_velocity(x0, noise, tau)
        else:
            target = noise if self.prediction_type == "epsilon" else x0
        return (self._denoise(noisy, tau.float(), ctx) - target.float()).pow(2).mean()


class WanBackbone(DiffusersVideoBackbone):
    """Wan 2.1 ``WanTransformer3DModel`` with its causal VAE (4x in time), UMT5 text and scheduler."""

    kind = "wan"

    def __init__(self, pipe: Any, *, name: str = "wan", fps: float = 16.0, max_frames: int = 81,
                 max_sequence_length: int = 512) -> None:
        super().__init__(pipe, pipe.transformer, name=name, fps=fps, max_frames=max_frames)
        set_wan_frame_attention(self.denoiser)
        self.context_dim = int(self.denoiser.config.text_dim)
        self.max_sequence_length = max_sequence_length
        self.temporal_factor = int(getattr(self.vae.config, "scale_factor_temporal", 4) or 4)
        self.spatial_factor = int(getattr(self.vae.config, "scale_factor_spatial", 8) or 8)
        self.frame_size = (self.spatial_factor * 8, self.spatial_factor * 8)
        shift = self.scheduler.config.get("flow_shift", self.scheduler.config.get("shift", 1.0)) or 1.0
        self.schedule = ("shifted", float(shift)) if float(shift) != 1.0 else ("linear", 1.0)
        z = self.vae.config.z_dim
        self.register_buffer("latents_mean", torch.tensor(self.vae.config.latents_mean).view(1, z, 1, 1, 1), persistent=False)
        self.register_buffer("latents_std", torch.tensor(self.vae.config.latents_std).view(1, z, 1, 1, 1), persistent=False)

    @torch.no_grad()
    def encode_prompt(self, prompts: list[str]) -> FrameContext:
        embeds, _ = self.pipe.encode_prompt(list(prompts), do_classifier_free_guidance=False,
                                            max_sequence_length=self.max_sequence_length, device=self.device)
        return FrameContext(embeds.float())

    def slots_for(self, num_frames: int) -> SlotLayout:
        """Slot 0 holds frame 0, each later slot ``temporal_factor`` frames (Wan's causal VAE)."""
        self._check_frames(num_frames)
        return frame_slots(num_frames, self.fps, first=1, stride=self.temporal_factor)

    def _check_frames(self, num_frames: int) -> None:
        if num_frames < 1 or (num_frames - 1) % self.temporal_factor:
            raise InputError(
                f"{self.name} makes 1 + {self.temporal_factor}k frames (its VAE compresses time by "
                f"{self.temporal_factor}); got {num_frames}"
            )

    def latent_shape(self, num_frames: int, height: int, width: int) -> tuple[int, int, int, int]:
        self._check_frames(num_frames)
        f = self.spatial_factor * self.denoiser.config.patch_size[1]
        self._check_size(num_frames, height, width, f)
        s = self.spatial_factor
        return (int(self.denoiser.config.in_channels), 1 + (num_frames - 1) // self.temporal_factor, height // s, width // s)

    def encode(self, video: Tensor) -> Tensor:
        x = frames_to_unit(video.to(self.device)).to(self.vae.dtype)
        z = self.vae.encode(x).latent_dist.mean.float()
        return (z - self.latents_mean) / self.latents_std

    def decode(self, latents: Tensor) -> Tensor:
        z = latents.float() * self.latents_std + self.latents_mean
        return unit_to_frames(self.vae.decode(z.to(self.device, self.vae.dtype)).sample)

    def velocity(self, x_t: Tensor, t: Tensor, ctx: FrameContext) -> Tensor:
        """Wan predicts ``noise - x0`` at noise level ``sigma = 1 - t``: genav's velocity is its negation."""
        sigma = (1.0 - t.to(x_t.device).float()).clamp(0.0, 1.0)
        return -self._denoise(x_t, sigma * self.num_train_timesteps, ctx)

    def training_loss(self, video: Tensor, ctx: FrameContext, generator: torch.Generator) -> Tensor:
        """Wan's flow-matching objective: MSE to ``noise - x0`` at a uniform random noise level."""
        with torch.no_grad():
            x0 = self.encode(video) if video.dtype == torch.uint8 else video.to(self.device).float()
        gdev = generator.device
        noise = torch.randn(x0.shape, generator=generator, device=gdev).to(self.device)
        t = sample_flow_times(x0.shape[0], "uniform", generator=generator, device=gdev).to(self.device)
        pred = self._denoise(flow_interpolate(x0, noise, t), (1 - t) * self.num_train_timesteps, ctx)
        return (pred - (noise - x0)).pow(2).mean()


def diffusers_video_kind(folder: str | Path) -> str:
    """``"unet3d"`` or ``"wan"`` for a diffusers text-to-video folder; otherwise an
    :class:`UnknownModelError` that says what the folder holds."""
    folder = Path(folder)
    index_path = folder / "model_index.json"
    if not index_path.is_file():
        found = "a genav model folder" if (folder / "config.json").is_file() else "no model_index.json"
        raise UnknownModelError(f"{folder} is not a diffusers text-to-video folder ({found})")
    index = json.loads(index_path.read_text())
    parts = {k: v[1] for k, v in index.items() if isinstance(v, list) and len(v) == 2}
    if parts.get("unet") == "UNet3DConditionModel":
        return "unet3d"
    if parts.get("transformer") == "WanTransformer3DModel":
        return "wan"
    main = parts.get("unet") or parts.get("transformer") or "no unet or transformer"
    raise UnknownModelError(
        f"{folder} is a diffusers {index.get('_class_name', 'pipeline')} folder ({main}), not a text-to-video "
        "UNet3DConditionModel (ModelScope/ZeroScope) or WanTransformer3DModel (Wan 2.1) folder"
    )


def load_diffusers_video(folder: str | Path, **options: Any) -> DiffusersVideoBackbone:
    """A backbone from a local diffusers folder (nothing is downloaded); ``options`` go to the
    backbone (``fps``, ``max_frames``, ``name``)."""
    folder = Path(folder)
    kind = diffusers_video_kind(folder)
    options.setdefault("name", folder.name)
    if kind == "unet3d":
        from diffusers import TextToVideoSDPipeline

        return UNet3DBackbone(TextToVideoSDPipeline.from_pretrained(str(folder), local_files_only=True), **options)
    from diffusers import WanPipeline

    return WanBackbone(WanPipeline.from_pretrained(str(folder), local_files_only=True), **options)


__all__ = ["DiffusersVideoBackbone", "UNet3DBackbone", "WanBackbone", "diffusers_video_kind", "load_diffusers_video"]
