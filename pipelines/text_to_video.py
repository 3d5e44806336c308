"""Text-to-video with any :class:`~genav.models.video_backbone.VideoBackbone`, any length of clip.

A clip longer than the backbone's window is generated in overlapping windows of latent slots
(:func:`generate_video_latents`): window ``k > 0`` starts half a window before window ``k - 1``
ends, and those shared slots are held to the previous window's latents while the rest is sampled
(replacement inpainting, :func:`genav.sampling.with_known_prefix`), so motion continues across
windows. *Timed prompts* put a phrase into the time slot of one instant only
(``timed_prompts=[(0.8, "the ball hits the floor")]``), which is how the per-frame context is
reached from the API and the CLI.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
from torch import Tensor

from genav.errors import InputError
from genav.models.video_backbone import FrameContext, timed_slot_tokens
from genav.models.video_generate import sample_video_window
from genav.pipelines.generation_common import PhaseTimer, check_num_outputs, check_whole, resolve_seeds
from genav.pipelines.output import run_metadata
from genav.pipelines.video_backbones import LoadedBackbone, load_video_backbone
from genav.pipelines.video_output import VideoOutput
from genav.pipelines.windows import plan_windows
from genav.runtime import select_device, select_dtype
from genav.sampling.guidance import GuidancePlan

log = logging.getLogger(__name__)

MAX_SECONDS = 60.0
TimedPrompts = list[tuple[float, str]]
ProgressFn = Callable[[int, int], None]


def video_noise(seeds: list[int], shape: tuple[int, int, int, int]) -> Tensor:
    """``(len(seeds), C, S, h, w)`` standard normal noise; row ``i`` from ``seeds[i]``, drawn on the
    CPU slot by slot, so a longer clip starts with the same noise as a shorter one."""
    c, s, h, w = shape
    return torch.stack([torch.randn(s, c, h, w, generator=torch.Generator().manual_seed(x)).transpose(0, 1)
                        for x in seeds]).contiguous()


@torch.no_grad()
def generate_video_latents(
    backbone: Any,
    ctx: FrameContext,
    noise: Tensor,
    *,
    negative: FrameContext | None = None,
    num_steps: int = 25,
    guidance_scale: float = 4.5,
    method: str = "euler",
    progress: ProgressFn | None = None,
    plan: GuidancePlan | None = None,
) -> Tensor:
    """Latents ``(B, C, S, h, w)`` of a whole clip from ``noise`` (same shape), window by window.

    ``ctx``/``negative`` hold the whole clip's slots (if any); each window sees its own. Windows
    are ``backbone.slots_for(backbone.max_frames).count`` slots long and overlap by half a window.
    ``plan``: guidance branches already stacked in ``ctx`` (see :func:`sample_video_window`).
    """
    window = backbone.slots_for(backbone.max_frames).count
    windows = plan_windows(noise.shape[2], window, max(1, window // 2))
    out = torch.zeros_like(noise)
    total = num_steps * len(windows)
    for w in windows:
        known = out[:, :, w.start : w.start + w.context] if w.context else None
        step = (lambda i, _n, base=w.index * num_steps: progress(base + i, total)) if progress else None
        out[:, :, w.start : w.end] = sample_video_window(
            backbone, ctx.slots(w.start, w.end), noise[:, :, w.start : w.end],
            negative=None if negative is None else negative.slots(w.start, w.end),
            num_steps=num_steps, guidance_scale=guidance_scale, method=method, known=known, progress=step, plan=plan,
        ).to(out.dtype)
    return out



MAX_FPS = 120.0  # beyond any display: a typo (100000) would plan hours of steps


def check_frame_rate(fps: float) -> float:
    """A generated video's frame rate in frames per second, checked: ``0 < fps <= MAX_FPS``.

    Raises:
        InputError: otherwise (0 is not "the default": pass None for that).
    """
    fps = float(fps)
    if not 0 < fps <= MAX_FPS:
        raise InputError(f"fps must be > 0 and at most {MAX_FPS:g}, got {fps:g}")
    return fps

class TextToVideoPipeline:
    """Prompt (+ optional timed prompts, negative prompt) -> :class:`VideoOutput`."""

    task = "t2v"

    def __init__(self, loaded: LoadedBackbone, *, device: str | torch.device = "cpu",
                 dtype: str | torch.dtype = "float32", load_seconds: float = 0.0) -> None:
        self.backbone = loaded.backbone.eval().requires_grad_(False)
        self.model_name, self.checksum, self.load_seconds = loaded.name, loaded.checksum, load_seconds
        self.device, self.dtype = torch.device("cpu"), torch.float32
        self.to(device, dtype)

    @classmethod
    def from_pretrained(cls, name_or_path: str | Path, *, device: str = "auto", dtype: str = "auto") -> TextToVideoPipeline:
        """``genav-t2v-tiny``, ``debug-t2v``, a genav t2v model folder, or a local diffusers
        ModelScope/ZeroScope (UNet3D) or Wan 2.1 folder."""
        begin = time.perf_counter()
        loaded = load_video_backbone(name_or_path)
        return cls(loaded, device=device, dtype=dtype, load_seconds=time.perf_counter() - begin)

    def to(self, device: str | torch.device | None = None, dtype: str | torch.dtype | None = None) -> TextToVideoPipeline:
        if device is not None:
            self.device = select_device(device) if isinstance(device, str) else torch.device(device)
        if dtype is not None:
            self.dtype = select_dtype(dtype, self.device) if isinstance(dtype, str) else dtype
        self.backbone.to(self.device)
        denoiser = getattr(self.backbone, "denoiser", None)  # diffusers backbones; genav's DiT is .model
        (denoiser if denoiser is not None else self.backbone.model).to(self.device, self.dtype)
        return self

    @property
    def fps(self) -> float:
        return float(self.backbone.fps)

    @property
    def max_frames(self) -> int:
        """Most frames one call makes (:data:`MAX_SECONDS` at the backbone's frame rate)."""
        return int(MAX_SECONDS * self.fps)

    # -- inputs --------------------------------------------------------------------------------
    def _num_frames(self, num_frames: int | None, duration: float | None, fps: float) -> int:
        if num_frames is None:
            if duration is None:
                return int(self.backbone.max_frames)
            if not math.isfinite(float(duration)) or duration <= 0:
                raise InputError(f"duration must be more than 0 seconds, got {duration:g}")
            num_frames = int(round(float(duration) * fps))
        limit = int(MAX_SECONDS * fps)
        num_frames = check_whole("num_frames (a video needs at least 1 frame)", num_frames, 1)
        if num_frames > limit:
            raise InputError(f"{num_frames} frames is above the limit of {limit} ({MAX_SECONDS:g} s at {fps:g} fps)")
        return num_frames

    def _frame_size(self, height: int | None, width: int | None) -> tuple[int, int]:
        """``(height, width)`` pixels: the backbone's frame size where None, else whole numbers >= 1
        (the backbone checks what sizes it can make)."""
        default_h, default_w = self.backbone.frame_size
        return (default_h if height is None else check_whole("height", height, 1),
                default_w if width is None else check_whole("width", width, 1))  # fmt: skip

    def _context(self, prompt: str | list[str] | None, embeds: FrameContext | Tensor | None, what: str) -> FrameContext | None:
        if embeds is not None:
            return embeds if isinstance(embeds, FrameContext) else FrameContext(embeds.float())
        if prompt is None:
            return None
        items = [prompt] if isinstance(prompt, str) else list(prompt)
        if not items or any(not isinstance(p, str) or not p.strip() for p in items):
            raise InputError(f"empty {what}: describe the video to generate" if what == "prompt" else f"empty {what}")
        return self.backbone.encode_prompt(items)

    def _timed(self, timed: TimedPrompts | list[TimedPrompts] | None, rows: int) -> list[TimedPrompts] | None:
        if not timed:
            return None
        if all(isinstance(x, tuple | list) and len(x) == 2 and isinstance(x[1], str) for x in timed):
            return [list(timed)] * rows  # one list for every prompt
        if len(timed) != rows:
            raise InputError(f"got {len(timed)} timed-prompt lists for {rows} prompts")
        return [list(t) for t in timed]

    # -- the call ------------------------------------------------------------------------------
    def __call__(
        self,
        prompt: str | list[str] | None = None,
        *,
        negative_prompt: str | list[str] | None = None,
        timed_prompts: TimedPrompts | list[TimedPrompts] | None = None,
        num_frames: int | None = None,
        duration: float | None = None,
        fps: float | None = None,
        height: int | None = None,
        width: int | None = None,
        num_steps: int = 25,
        guidance_scale: float = 4.5,
        seed: int | None = None,
        generator: torch.Generator | None = None,
        num_outputs: int = 1,
        latents: Tensor | None = None,
        prompt_embeds: FrameContext | Tensor | None = None,
        negative_prompt_embeds: FrameContext | Tensor | None = None,
        output_type: str = "np",
        method: str = "euler",
        progress: ProgressFn | None = None,
    ) -> VideoOutput:
        """Generate ``num_outputs`` videos per prompt.

        Args:
            prompt: one text or a list (``P`` prompts); or give ``prompt_embeds`` instead.
            negative_prompt: what to steer away from (one for all prompts, or one per prompt).
            timed_prompts: ``(seconds, phrase)`` pairs: what happens when (one list for all prompts or
                one per prompt); each latent slot also sees its own phrase's tokens.
            num_frames: frames to make; or ``duration`` in seconds at ``fps`` (frames per second,
                default: the backbone's); default length: one window.
            height / width: frame size in pixels (default: the backbone's).
            num_steps: solver steps. guidance_scale: classifier-free guidance scale (1 = none).
            seed: output ``i`` uses ``seed + i``; else drawn from ``generator``, else random.
            num_outputs: outputs per prompt (prompt-major order).
            latents: the initial noise ``(P * num_outputs, C, S, h, w)`` (S latent slots).
            prompt_embeds / negative_prompt_embeds: a :class:`FrameContext` or tokens ``(P, L, D)``
                instead of the texts.
            output_type: ``"np"`` or ``"pt"``. method: the ODE solver. progress: ``fn(step, total)``.

        Returns:
            :class:`VideoOutput`: frames ``(P * num_outputs, T, H, W, 3)`` uint8 at ``fps``; its
            metadata records every setting, the seeds and the timings (the sidecar).

        Raises:
            InputError: a bad argument (no or empty prompt, frame count, size, fps, count, latents
                shape, output type), before any work is done.

        Source: rectified flow (Liu et al. 2022) / flow matching (Lipman et al. 2022); classifier-free
        guidance (Ho & Salimans 2022); the tiny backbone is a DiT with adaLN-Zero (Peebles & Xie 2023)
        and factorised space-time attention (Latte, Ma et al. 2024).
        """
        fps = self._check_call(output_type, num_outputs, fps)
        frames = self._num_frames(num_frames, duration, fps)
        height, width = self._frame_size(height, width)
        shape = self.backbone.latent_shape(frames, height, width)
        timer = PhaseTimer(self.device)
        with timer("encode_conditions"):
            ctx = self._context(prompt, prompt_embeds, "prompt")
            if ctx is None:
                raise InputError("a prompt (or prompt_embeds) is required for text-to-video")
            rows = ctx.batch_size * num_outputs
            negative = self._negative(negative_prompt, negative_prompt_embeds, ctx.batch_size)
            ctx = self._with_slots(ctx, timed_prompts, frames, fps)
            ctx, negative = ctx.repeat(num_outputs), None if negative is None else negative.repeat(num_outputs)
        seeds = resolve_seeds(seed, generator, rows)
        noise = self._noise(latents, seeds, shape, rows)
        settings = {"prompt": prompt if isinstance(prompt, (str, list)) else None, "negative_prompt": negative_prompt,
                    "timed_prompts": timed_prompts, "num_frames": frames, "fps": fps, "height": height, "width": width,
                    "num_steps": num_steps, "guidance_scale": guidance_scale, "num_outputs": num_outputs,
                    "method": method}
        return self._sample_and_pack(ctx, noise, timer, frames=frames, fps=fps, seeds=seeds, settings=settings,
                                     output_type=output_type, progress=progress, negative=negative,
                                     guidance_scale=guidance_scale)

    def _check_call(self, output_type: str, num_outputs: int, fps: float | None) -> float:
        """The checks every video ``__call__`` makes first; returns the frame rate to use."""
        if output_type not in ("np", "pt"):
            raise InputError(f"output_type must be 'np' or 'pt', got {output_type!r}")
        check_num_outputs(num_outputs)
        return check_frame_rate(self.fps if fps is None else fps)

    def _sample_and_pack(self, ctx: FrameContext, noise: Tensor, timer: PhaseTimer, *, frames: int, fps: float,
                         seeds: list[int], settings: dict[str, Any], output_type: str, progress: ProgressFn | None,
                         negative: FrameContext | None = None, guidance_scale: float = 4.5,
                         plan: GuidancePlan | None = None, audio: Any = None) -> VideoOutput:
        """Sample the whole clip's latents from ``noise`` ``(B, C, S, h, w)``, decode its ``frames``
        frames and pack them with the run's metadata (``settings`` as the sidecar records them)."""
        with timer("sampling"):
            out = generate_video_latents(self.backbone, ctx.to(self.device), noise.to(self.device),
                                         negative=None if negative is None else negative.to(self.device),
                                         num_steps=settings["num_steps"], guidance_scale=guidance_scale,
                                         method=settings["method"], progress=progress, plan=plan)
        with timer("decode"):
            video = self.backbone.decode(out)[:, :frames].cpu()
        metadata = run_metadata(task=self.task, model=self.model_name, checksum=self.checksum, settings=settings,
                                seeds=seeds, device=str(self.device), dtype=str(self.dtype), timings=timer.seconds)
        metadata.update(fps=fps, num_frames=frames, duration=frames / fps)
        return VideoOutput(video.numpy() if output_type == "np" else video, fps, seeds, audio=audio,
                           metadata=metadata)

    def _negative(self, negative_prompt: Any, embeds: Any, prompts: int) -> FrameContext | None:
        if negative_prompt is not None and not isinstance(negative_prompt, str) and len(negative_prompt) != prompts:
            raise InputError(f"got {len(negative_prompt)} negative prompts for {prompts} prompts")
        negative = self._context(negative_prompt, embeds, "negative prompt")
        if negative is not None and negative.batch_size == 1 and prompts > 1:
            negative = negative.repeat(prompts)
        if negative is not None and negative.batch_size != prompts:
            raise InputError(f"got {negative.batch_size} negative prompt rows for {prompts} prompts")
        return negative

    def _with_slots(self, ctx: FrameContext, timed: Any, frames: int, fps: float) -> FrameContext:
        per_row = self._timed(timed, ctx.batch_size)
        if per_row is None:
            return ctx
        layout = self.backbone.slots_for(frames)
        if fps != self.fps:  # timed prompts are placed at the requested frame rate
            layout = type(layout)(layout.frames, fps)
        tokens, mask = timed_slot_tokens(self.backbone, per_row, layout)
        return FrameContext(ctx.tokens, ctx.mask, tokens, mask, layout.times, ctx.pooled)

    def _noise(self, latents: Tensor | None, seeds: list[int], shape: tuple[int, ...], rows: int) -> Tensor:
        if latents is None:
            return video_noise(seeds, shape)
        if tuple(latents.shape) != (rows, *shape):
            raise InputError(f"latents must be {(rows, *shape)} (outputs, C, S, h, w), got {tuple(latents.shape)}")
        return latents.float()
