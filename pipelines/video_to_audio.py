"""Video-to-audio (optionally steered by text) with the audio MM-DiT, any length of video.

A clip longer than the model's window is generated in overlapping windows (see
:mod:`genav.pipelines.windows`): each window is conditioned on its own span of the video, its
first frames are the previous window's latents (kept fixed during sampling, so the new window
continues the sound instead of restarting it), and the decoded windows are crossfaded. Frames
are decoded per window, so memory depends on the window, not on the clip.
"""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import numpy as np
import torch

from genav.encoders import TextEmbedding
from genav.errors import InputError
from genav.models.conditioning import Conditioning, VideoTokens
from genav.models.sync_phases import auto_sync_phases, check_sync_phases, phased_video_tokens
from genav.pipelines.audio_mmdit_pipeline import AudioMMDiTPipeline, ProgressFn
from genav.pipelines.call_inputs import (
    check_output_type,
    finish_output,
    initial_latents,
    negative_inputs,
    prompt_inputs,
)
from genav.pipelines.generation_common import PhaseTimer, check_num_outputs, prompt_list, resolve_seeds
from genav.pipelines.output import AudioOutput
from genav.pipelines.settings import check_duration
from genav.pipelines.video_source import VideoSource
from genav.pipelines.windows import Window


def repeat_video(tokens: VideoTokens, rows: int) -> VideoTokens:
    """Batch-1 video tokens repeated to ``rows`` rows."""
    return VideoTokens(
        **{
            f.name: (v.expand(rows, *v.shape[1:]) if isinstance(v, torch.Tensor) else v)
            for f in dataclasses.fields(tokens)
            for v in [getattr(tokens, f.name)]
        }
    )


class VideoToAudioPipeline(AudioMMDiTPipeline):
    """Video (+ optional prompt and negative prompt) -> a soundtrack as long as the video."""

    task = "v2a"

    def __call__(
        self,
        video: str | Path | np.ndarray,
        *,
        fps: float | None = None,
        prompt: str | list[str] | None = None,
        negative_prompt: str | list[str] | None = None,
        duration: float | None = None,
        num_steps: int = 25,
        guidance_scale: float = 4.5,
        text_guidance_scale: float | None = None,
        video_guidance_scale: float | None = None,
        seed: int | None = None,
        generator: torch.Generator | None = None,
        num_outputs: int = 1,
        method: str = "euler",
        progress: ProgressFn | None = None,
        window: float | None = None,
        overlap: float | None = None,
        latents: torch.Tensor | None = None,
        prompt_embeds: TextEmbedding | None = None,
        negative_prompt_embeds: TextEmbedding | None = None,
        output_type: str = "np",
        sync_phases: int | None = None,
    ) -> AudioOutput:
        """Generate ``num_outputs`` soundtracks for ``video``.

        Args:
            video: a file, or frames ``(T, H, W, 3)`` uint8 with ``fps``.
            prompt: an optional text (one: a video has one soundtrack per output), or ``prompt_embeds``.
            negative_prompt: what to steer away from.
            duration: seconds, at most the video's (its length by default); ``N = round(duration * sr)``.
            num_steps: solver steps per window. guidance_scale: the CFG scale;
                ``text_guidance_scale``/``video_guidance_scale`` scale what the prompt and the
                picture add (default: the model config's ``text_guidance_scale`` for the prompt if
                it has one, else ``guidance_scale``; ``guidance_scale`` for the picture).
            seed / generator / num_outputs / method / progress: as for text-to-audio.
            window / overlap: seconds per generated window (default :attr:`default_window`) and
                shared between windows, for videos longer than the model's maximum (default 1 s, at most a quarter of the window).
            latents: the initial noise ``(num_outputs, latent_dim, T)``, ``T`` the latent frames
                of ``duration`` (replaces the seeded noise).
            prompt_embeds / negative_prompt_embeds: precomputed ``TextEmbedding`` (one row), as
                ``pipe.text_encoder.encode`` gives it, instead of the texts.
            output_type: ``"np"``, ``"pt"`` (``audio`` as a torch tensor) or ``"wav"`` (also
                ``out.wav``: in-memory WAV files).
            sync_phases: read a picture faster than the model's frame rate in this many phases
                (:mod:`genav.models.sync_phases`: events placed within ``1 / (phases * fps)``
                s); default about one per native frame in each model frame (1 at or below it).

        Returns:
            :class:`AudioOutput` ``audio (num_outputs, C, N)`` with the sidecar metadata.

        Raises:
            InputError: a text-only model, more than one prompt, bad durations, counts or shapes.
            MediaError: the video cannot be read or has no picture.

        Source: rectified-flow sampling (Liu et al., 2022); classifier-free guidance (Ho & Salimans,
        2022) with separate text and video scales over three branches (see
        :mod:`genav.sampling.guidance`); the MMAudio-style MM-DiT (Cheng et al., 2025).
        """
        if self.config.video is None:
            raise InputError(f"model {self.model_name!r} has no video input (it is text-to-audio only)")
        check_output_type(output_type)
        check_num_outputs(num_outputs)
        if prompt is not None and len(prompt_list(prompt, required=False) or []) > 1:
            raise InputError("video-to-audio takes one prompt per video")
        timer = PhaseTimer(self.device)
        with timer("encode_conditions"):
            prompts, text, count = prompt_inputs(self, prompt, prompt_embeds, num_outputs, required=False)
            if count > 1:
                raise InputError("video-to-audio takes one prompt per video")
            source = VideoSource.open(
                video, fps=fps, model_fps=self.config.video.fps, size=self.model.video_encoder.input_size
            )
            duration = self._check_duration(duration, source.duration)
            vc = self.config.video
            phases = (
                auto_sync_phases(source.native_fps, vc)
                if sync_phases is None
                else check_sync_phases(sync_phases, vc)
            )
            windows = self.plan(duration, window, overlap)
            negative = negative_inputs(self, negative_prompt, negative_prompt_embeds, 1, num_outputs)
        seeds = resolve_seeds(seed, generator, num_outputs)
        scales = {
            "guidance_scale": self.default_text_guidance_scale(guidance_scale)
            if text_guidance_scale is None
            else text_guidance_scale,
            "video_guidance_scale": guidance_scale if video_guidance_scale is None else video_guidance_scale,
        }
        sampling = {
            "negative": negative,
            "num_steps": num_steps,
            "method": method,
            "progress": progress,
            **scales,
        }
        noise = initial_latents(latents, seeds, (self.config.latent_dim, windows[-1].end))
        wave = self.generate_windows(
            windows, noise, self.n_samples_for(duration),
            lambda win: self._window_conditioning(source, win, duration, text, num_outputs, phases),
            sampling, timer,
        )  # fmt: skip
        settings = {
            "video": str(video)
            if not isinstance(video, np.ndarray)
            else f"array{tuple(video.shape)}@{fps}fps",
            "prompt": prompts[0] if prompts else None,
            "negative_prompt": negative_prompt,
            **self.prompt_token_settings(prompts, negative_prompt),
            "duration": duration,
            "picture": source.describe(),
            "sync_phases": phases,
            "num_steps": num_steps,
            "guidance_scale": guidance_scale,
            "text_guidance_scale": scales["guidance_scale"],
            "video_guidance_scale": scales["video_guidance_scale"],
            "num_outputs": num_outputs,
            "method": method,
            **self.window_settings(windows, window, overlap),
        }
        out = self.build_output(wave, seeds, settings, timer)
        return finish_output(out, output_type, latents_given=latents is not None, embeds_given=prompt_embeds is not None)

    # -- helpers ---------------------------------------------------------------------------------
    def _check_duration(self, duration: float | None, video_duration: float) -> float:
        if duration is None:
            return video_duration
        duration = check_duration(duration, math.inf)  # > 0, finite, at least MIN_DURATION
        slack = 1.0 / self.config.video.fps
        if duration > video_duration + slack:
            raise InputError(f"duration {duration:g} s is longer than the video ({video_duration:.3f} s)")
        return duration

    def _window_conditioning(
        self,
        source: VideoSource,
        win: Window,
        duration: float,
        text: TextEmbedding | None,
        rows: int,
        phases: int,
    ) -> Conditioning:
        """The conditioning of one window: its video span (read in ``phases``), the prompt, its length."""
        start = win.start / self.frame_rate
        seconds = min(win.end / self.frame_rate, duration) - start
        span = min(seconds, max(source.duration - start, 1.0 / self.config.video.fps))
        fps = self.config.video.fps * phases
        frames = torch.from_numpy(source.frames(start, span, fps=fps))[None].to(self.device)
        tokens = repeat_video(phased_video_tokens(self.model, frames, phases), rows)
        return self.window_conditioning(win, duration, rows, text=text, video=tokens)
