"""Audio-to-video: a sound (and optionally a prompt) in, a video whose motion follows it out.

:class:`AudioToVideoPipeline` is the text-to-video pipeline of the adaptor's backbone with the
adaptor's per-slot audio tokens in the context (:mod:`genav.models.a2v_adaptor`). Guidance has
three branches (:mod:`genav.sampling.guidance`, audio in the role of the "video" condition):
prompt + audio, negative prompt + audio, negative prompt + null audio tokens;
``audio_guidance_scale`` scales what the sound adds, ``text_guidance_scale`` what the prompt adds
on top. Clips longer than the backbone's window are generated in overlapping windows
(:func:`~genav.pipelines.text_to_video.generate_video_latents`); the adaptor's tokens of the whole
clip are computed once, each window sees its own slots. The output keeps the input sound, so
``VideoOutput.save`` writes it muxed.
"""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor

from genav.errors import InputError
from genav.media import Audio
from genav.models.a2v_adaptor import audio_context
from genav.models.video_backbone import FrameContext, concat_contexts
from genav.pipelines.a2v_models import LoadedA2V, load_a2v
from genav.pipelines.generation_common import PhaseTimer, resolve_seeds
from genav.pipelines.settings import check_duration
from genav.pipelines.text_to_video import ProgressFn, TextToVideoPipeline
from genav.pipelines.video_output import VideoOutput
from genav.sampling import plan_guidance
from genav.sampling.checks import check_guidance_scale

SILENCE_DBFS = -60.0  # a sound whose peak stays below this has nothing for the motion to follow
AudioInput = str | Path | np.ndarray | Tensor | Audio


def load_sound(audio: AudioInput, sample_rate: int | None, *, max_seconds: float) -> Audio:
    """A path, an array ``(N,)``/``(C, N)`` with its ``sample_rate``, or an :class:`Audio` -> mono
    :class:`Audio`. Raises :class:`InputError` for a missing rate, an empty or non-finite sound, or
    one longer than ``max_seconds`` (named)."""
    from genav.media import read_audio

    if isinstance(audio, str | Path):
        sound = read_audio(audio, mono=True, max_duration=None)
    elif isinstance(audio, Audio):
        sound = audio.to_mono() if audio.channels > 1 else audio
    else:
        if sample_rate is None:
            raise InputError("an audio array needs its sample_rate")
        samples = audio.detach().cpu().numpy() if isinstance(audio, Tensor) else np.asarray(audio)
        sound = Audio(samples.astype(np.float32), int(sample_rate))
        sound = sound.to_mono() if sound.channels > 1 else sound
    if sound.n_samples == 0:
        raise InputError("the audio is empty (0 samples): there is nothing for the video to follow")
    if not np.isfinite(sound.samples).all():
        raise InputError("the audio holds non-finite samples (NaN or inf)")
    if sound.duration > max_seconds:
        raise InputError(f"the audio is {sound.duration:.1f} s, longer than the maximum of {max_seconds:g} s; "
                         "cut it first")
    return sound


def check_sound(audio: AudioInput, sample_rate: int | None = None, *, allow_silent: bool = False,
                max_seconds: float = 60.0) -> tuple[Audio, float]:
    """:func:`load_sound`, then refuse a silent sound (peak below :data:`SILENCE_DBFS`) unless
    ``allow_silent``. Returns the sound and its peak level (dBFS)."""
    sound = load_sound(audio, sample_rate, max_seconds=max_seconds)
    level = peak_dbfs(sound)
    if level < SILENCE_DBFS and not allow_silent:
        raise InputError(f"the audio is silent (peak {level:.0f} dBFS, below {SILENCE_DBFS:g}): the video "
                         "would follow nothing; pass allow_silent=True (--allow-silent) to generate anyway")
    return sound, level


def peak_dbfs(sound: Audio) -> float:
    """Peak level of ``sound`` in dB relative to full scale (``-inf`` for digital silence)."""
    peak = float(np.abs(sound.samples).max())
    return 20 * math.log10(peak) if peak > 0 else float("-inf")


class AudioToVideoPipeline(TextToVideoPipeline):
    """Sound (+ optional prompt, negative prompt) -> :class:`VideoOutput` with the sound muxed."""

    task = "a2v"

    def __init__(self, loaded: LoadedA2V, *, device: str | torch.device = "cpu",
                 dtype: str | torch.dtype = "float32", load_seconds: float = 0.0) -> None:
        self.adaptor = loaded.adaptor.eval().requires_grad_(False)
        super().__init__(loaded.backbone, device=device, dtype=dtype, load_seconds=load_seconds)
        self.model_name, self.checksum = loaded.name, loaded.checksum
        self.backbone_name, self.backbone_checksum = loaded.backbone.name, loaded.backbone.checksum

    @classmethod
    def from_pretrained(cls, name_or_path: str | Path, *, backbone: str | Path | None = None, device: str = "auto",
                        dtype: str = "auto") -> AudioToVideoPipeline:
        """``genav-a2v-tiny``, ``debug-a2v`` or an adaptor folder (``backbone``: another backbone
        name or folder than the one the adaptor's config names)."""
        begin = time.perf_counter()
        loaded = load_a2v(name_or_path, backbone=backbone)
        return cls(loaded, device=device, dtype=dtype, load_seconds=time.perf_counter() - begin)

    def to(self, device: str | torch.device | None = None, dtype: str | torch.dtype | None = None) -> AudioToVideoPipeline:
        super().to(device, dtype)
        self.adaptor.to(self.device)
        return self

    @property
    def max_seconds(self) -> float:
        return float(self.adaptor.config.max_seconds)

    def _frames_for(self, duration: float, fps: float) -> int:
        frames = int(round(duration * fps))
        if frames < 1:
            raise InputError(f"{duration:.3f} s is shorter than one frame (1/{fps:g} s)")
        for n in range(frames, frames + 8):  # Wan takes 1 + 4k frames only: the next count it takes
            try:
                self.backbone.slots_for(n)
                return n
            except InputError:
                continue
        return frames

    def __call__(  # type: ignore[override]
        self,
        audio: AudioInput,
        *,
        sample_rate: int | None = None,
        prompt: str | None = None,
        negative_prompt: str | None = None,
        fps: float | None = None,
        duration: float | None = None,
        height: int | None = None,
        width: int | None = None,
        num_steps: int = 25,
        audio_guidance_scale: float = 3.0,
        text_guidance_scale: float | None = None,
        seed: int | None = None,
        generator: torch.Generator | None = None,
        num_outputs: int = 1,
        latents: Tensor | None = None,
        prompt_embeds: FrameContext | Tensor | None = None,
        negative_prompt_embeds: FrameContext | Tensor | None = None,
        output_type: str = "np",
        method: str = "euler",
        allow_silent: bool = False,
        progress: ProgressFn | None = None,
    ) -> VideoOutput:
        """Generate ``num_outputs`` videos of one sound, each frame conditioned on the sound around it.

        Args:
            audio: a file path, an array ``(N,)``/``(C, N)`` float in [-1, 1] with ``sample_rate`` (Hz),
                or an :class:`Audio`.
            sample_rate: the array's rate in Hz (arrays only).
            prompt / negative_prompt: optional text for every frame, and what to steer away from.
            fps: frames per second (default: the backbone's). duration: seconds (default: the sound's).
            height / width: frame size in pixels (default: the backbone's).
            num_steps: solver steps. audio_guidance_scale: guidance scale of the sound.
            text_guidance_scale: guidance scale of the prompt (default: ``audio_guidance_scale``).
            seed / generator: output ``i`` uses ``seed + i``; else drawn from ``generator``, else random.
            num_outputs: outputs of the sound.
            latents: the initial noise ``(num_outputs, C, S, h, w)``.
            prompt_embeds / negative_prompt_embeds: a :class:`FrameContext` or tokens ``(1, L, D)``
                instead of the texts.
            output_type: ``"np"`` or ``"pt"``. method: the ODE solver. progress: ``fn(step, total)``.
            allow_silent: accept a sound whose peak is below -60 dBFS (refused otherwise).

        Returns:
            :class:`VideoOutput`: frames ``(num_outputs, T, H, W, 3)`` uint8 at ``fps``, and
            :attr:`VideoOutput.audio` the input sound; the metadata records settings, seeds, timings.

        Raises:
            InputError: before any work, for bad arguments: empty, silent, too short (under one frame)
                or too long audio, a duration out of range, negative guidance scales, bad shapes.

        Source: audio tokens per frame as in TempoTokens (Yariv et al., AAAI 2024), centred on each
        slot's time; rectified flow (Liu et al. 2022); classifier-free guidance with separate audio and
        text scales (Ho & Salimans 2022).
        """
        fps = self._check_call(output_type, num_outputs, fps)
        sound, level = check_sound(audio, sample_rate, allow_silent=allow_silent, max_seconds=self.max_seconds)
        if sound.duration < 1.0 / fps:
            raise InputError(f"the audio is {sound.duration * 1000:.0f} ms, shorter than one frame window "
                             f"(1/{fps:g} s = {1000 / fps:.0f} ms)")
        duration = sound.duration if duration is None else check_duration(duration, self.max_seconds)
        if duration > sound.duration + 1.0 / fps:  # the picture would follow nothing past the sound
            raise InputError(f"duration {duration:g} s is longer than the sound ({sound.duration:.3f} s)")
        frames = self._frames_for(duration, fps)
        height, width = self._frame_size(height, width)
        shape = self.backbone.latent_shape(frames, height, width)
        s_a = check_guidance_scale("audio_guidance_scale", audio_guidance_scale)
        s_t = s_a if text_guidance_scale is None else check_guidance_scale("text_guidance_scale", text_guidance_scale)
        timer = PhaseTimer(self.device)
        with timer("encode_conditions"):
            ctx, plan = self._branches(sound, prompt, negative_prompt, prompt_embeds, negative_prompt_embeds,
                                       frames, fps, s_a, s_t, num_outputs)
        seeds = resolve_seeds(seed, generator, num_outputs)
        noise = self._noise(latents, seeds, shape, num_outputs)
        settings = {"prompt": prompt, "negative_prompt": negative_prompt, "audio": str(audio) if isinstance(
            audio, str | Path) else "array", "audio_seconds": round(sound.duration, 4), "audio_peak_dbfs": round(level, 1),
            "num_frames": frames, "fps": fps, "height": height, "width": width, "num_steps": num_steps,
            "audio_guidance_scale": s_a, "text_guidance_scale": s_t, "num_outputs": num_outputs, "method": method,
            "backbone": self.backbone_name, "backbone_checksum": self.backbone_checksum}
        return self._sample_and_pack(ctx, noise, timer, frames=frames, fps=fps, seeds=seeds, settings=settings,
                                     output_type=output_type, progress=progress, plan=plan, audio=sound)

    def slot_tokens(self, sound: Audio, times: Tensor) -> Tensor:
        """The adaptor's tokens ``(1, S, T, D)`` of ``sound`` at slot ``times`` ``(S,)`` s."""
        from genav.media import resample

        rate = self.adaptor.config.sample_rate
        samples = sound.samples[0] if sound.sample_rate == rate else resample(sound.samples, sound.sample_rate, rate)[0]
        wave = torch.from_numpy(np.ascontiguousarray(samples, dtype=np.float32))[None].to(self.device)
        return self.adaptor(wave, times)

    def _branches(self, sound: Audio, prompt: str | None, negative_prompt: str | None, prompt_embeds: Any,
                  negative_embeds: Any, frames: int, fps: float, s_a: float, s_t: float,
                  rows: int) -> tuple[FrameContext, Any]:
        """Guidance branches stacked along the batch (prompt + audio, negative + audio, negative +
        null audio: as many as the plan needs) and the plan."""
        if prompt is not None and not isinstance(prompt, str):
            raise InputError("audio-to-video takes one prompt (a string) per sound")
        positive = self._context(prompt, prompt_embeds, "prompt")
        negative = self._negative(negative_prompt, negative_embeds, 1)
        layout = self.backbone.slots_for(frames)
        times = layout.times if fps == self.fps else type(layout)(layout.frames, fps).times
        tokens = self.slot_tokens(sound, times)
        empty = self.backbone.encode_prompt([""])
        plan = plan_guidance(text_scale=s_t, video_scale=s_a, has_video=True,
                             text_differs=positive is not None or negative is not None)
        neg = negative if negative is not None else empty
        branch = {"full": audio_context(positive if positive is not None else empty, tokens, times),
                  "video": audio_context(neg, tokens, times),
                  "null": audio_context(neg, self.adaptor.null(1, len(times)).to(tokens), times)}
        return concat_contexts([branch[b].repeat(rows) for b in plan.branches]), plan
