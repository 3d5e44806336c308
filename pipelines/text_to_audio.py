"""Text-to-audio with the audio MM-DiT (no video), or with a local diffusers pipeline folder."""

from __future__ import annotations

import warnings
from pathlib import Path

import torch

from genav.encoders import TextEmbedding
from genav.pipelines.audio_mmdit_pipeline import AudioMMDiTPipeline, ProgressFn
from genav.pipelines.call_inputs import (
    check_output_type,
    finish_output,
    initial_latents,
    negative_inputs,
    prompt_inputs,
)
from genav.pipelines.generation_common import PhaseTimer, check_num_outputs, resolve_seeds
from genav.pipelines.output import AudioOutput
from genav.pipelines.settings import DEFAULT_DURATION, MAX_LONG_DURATION, check_duration
from genav.registry import resolve_model


class TextToAudioPipeline(AudioMMDiTPipeline):
    """Prompt -> sound with the audio MM-DiT. Local diffusers folders (Stable Audio Open, AudioLDM2)
    load through :class:`~genav.pipelines.AutoTextToAudioPipeline`."""

    task = "t2a"

    @classmethod
    def from_pretrained(
        cls, name_or_path: str | Path, *, device: str = "auto", dtype: str = "auto"
    ) -> TextToAudioPipeline:
        """The pipeline for a registered name or a genav model folder (an instance of ``cls``).

        A diffusers folder still loads, as its diffusers wrapper, with a DeprecationWarning: use
        ``AutoTextToAudioPipeline.from_pretrained`` for those.
        """
        entry = resolve_model(name_or_path)
        if entry.family == "diffusers":
            from genav.pipelines.diffusers_auto import diffusers_wrapper

            warnings.warn(
                "TextToAudioPipeline.from_pretrained on a diffusers folder is deprecated: "
                "use AutoTextToAudioPipeline.from_pretrained",
                DeprecationWarning,
                stacklevel=2,
            )
            return diffusers_wrapper(entry.path).from_pretrained(entry.path, device=device, dtype=dtype)  # type: ignore[return-value]
        return super().from_pretrained(name_or_path, device=device, dtype=dtype)  # type: ignore[return-value]

    def __call__(
        self,
        prompt: str | list[str] | None = None,
        *,
        negative_prompt: str | list[str] | None = None,
        duration: float | None = None,
        num_steps: int = 25,
        guidance_scale: float = 4.5,
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
    ) -> AudioOutput:
        """Generate ``num_outputs`` sounds per prompt.

        Args:
            prompt: one text or a list (``P`` prompts); or give ``prompt_embeds`` instead.
            negative_prompt: what to steer away from (one for all prompts, or one per prompt).
            duration: seconds of each output, > 0 and at most :data:`MAX_LONG_DURATION`; default
                8 s (capped at the model's maximum). Longer than ``window``, it is generated in
                overlapping windows, each continuing the one before (as a long video is).
            num_steps: solver steps. guidance_scale: classifier-free guidance scale (1 = none).
            seed: output ``i`` uses ``seed + i``; else drawn from ``generator``, else random.
            num_outputs: outputs per prompt (prompt-major order).
            method: the ODE solver (``euler``, ``heun``, ...). progress: ``fn(step, total)``.
            window / overlap: seconds per generated window (default :attr:`default_window`) and
                shared between consecutive windows (default 1 s, at most a quarter of the window).
            latents: the initial noise ``(P * num_outputs, latent_dim, T)``, ``T`` the latent
                frames of ``duration`` (replaces the seeded noise).
            prompt_embeds / negative_prompt_embeds: precomputed ``TextEmbedding`` (``tokens
                (P, L, text_dim)``, ``mask (P, L)``, ``pooled (P, text_dim)``) from
                ``pipe.text_encoder.encode``, instead of the texts.
            output_type: ``"np"``, ``"pt"`` (``audio`` as a torch tensor) or ``"wav"`` (also
                ``out.wav``: in-memory WAV files).

        Returns:
            :class:`AudioOutput`, ``audio (P * num_outputs, C, N)``, ``N = round(duration * sr)``;
            its metadata records every setting, the seeds and the timings (the sidecar).

        Raises:
            InputError: no or empty prompt, a duration or window out of range, a bad count, shape
                or type.

        Source: rectified-flow sampling (Liu et al., 2022) with classifier-free guidance (Ho &
        Salimans, 2022); the MMAudio-style MM-DiT (Cheng et al., 2025).
        """
        check_output_type(output_type)
        duration = check_duration(duration, MAX_LONG_DURATION, default=min(DEFAULT_DURATION, self.max_duration))
        windows = self.plan(duration, window, overlap)
        check_num_outputs(num_outputs)
        timer = PhaseTimer(self.device)
        with timer("encode_conditions"):
            prompts, text, count = prompt_inputs(self, prompt, prompt_embeds, num_outputs, required=True)
            rows = count * num_outputs
            negative = negative_inputs(self, negative_prompt, negative_prompt_embeds, count, num_outputs)
        seeds = resolve_seeds(seed, generator, rows)
        noise = initial_latents(latents, seeds, (self.config.latent_dim, windows[-1].end))
        sampling = {
            "negative": negative, "num_steps": num_steps, "method": method, "guidance_scale": guidance_scale,
            "video_guidance_scale": None, "progress": progress,
        }  # fmt: skip
        audio = self.generate_windows(
            windows, noise, self.n_samples_for(duration),
            lambda win: self.window_conditioning(win, duration, rows, text=text), sampling, timer,
        )  # fmt: skip
        settings = {
            "prompt": prompts,
            "negative_prompt": negative_prompt,
            **self.prompt_token_settings(prompts, negative_prompt),
            "duration": duration,
            "num_steps": num_steps,
            "guidance_scale": guidance_scale,
            "num_outputs": num_outputs,
            "method": method,
            **self.window_settings(windows, window, overlap),
        }
        out = self.build_output(audio, seeds, settings, timer)
        return finish_output(out, output_type, latents_given=latents is not None, embeds_given=prompt_embeds is not None)
