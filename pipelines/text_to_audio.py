"""Text-to-audio with the audio MM-DiT (no video), or with a local diffusers pipeline folder."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import torch

from genav.errors import InputError
from genav.models.audio_mmdit_generate import make_conditioning
from genav.pipelines.foley import (
    FoleyPipeline,
    PhaseTimer,
    ProgressFn,
    prompt_list,
    resolve_seeds,
    seeded_noise,
)
from genav.pipelines.output import AudioOutput
from genav.registry import resolve_model

DEFAULT_DURATION = 8.0


def check_duration(duration: float | None, maximum: float, *, default: float | None = None) -> float:
    """A duration in (0, maximum] seconds (``None`` -> ``default`` or ``maximum``)."""
    if duration is None:
        return min(default or maximum, maximum)
    duration = float(duration)
    if not math.isfinite(duration) or duration <= 0:
        raise InputError(f"duration must be more than 0 seconds, got {duration:g}")
    if duration > maximum + 1e-9:
        raise InputError(f"duration {duration:g} s is above this model's maximum of {maximum:g} s")
    return duration


class TextToAudioPipeline(FoleyPipeline):
    """Prompt -> sound. ``from_pretrained`` also accepts a diffusers ``StableAudioPipeline`` folder
    (returning a :class:`~genav.pipelines.diffusers_t2a.DiffusersTextToAudioPipeline`)."""

    task = "t2a"

    @classmethod
    def from_pretrained(cls, name_or_path: str | Path, *, device: str = "auto", dtype: str = "auto") -> Any:
        entry = resolve_model(name_or_path)
        if entry.family == "diffusers":
            from genav.pipelines.diffusers_t2a import DiffusersTextToAudioPipeline

            return DiffusersTextToAudioPipeline.from_pretrained(entry.path, device=device, dtype=dtype)
        return super().from_pretrained(name_or_path, device=device, dtype=dtype)

    def __call__(
        self,
        prompt: str | list[str],
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
    ) -> AudioOutput:
        """Generate ``num_outputs`` sounds per prompt -> :class:`AudioOutput` ``(P * num_outputs, C, N)``.

        Outputs are prompt-major; output ``i`` uses seed ``seeds[i]``; ``N = round(duration * sr)``.
        """
        prompts = prompt_list(prompt, required=True)
        duration = check_duration(duration, self.max_duration, default=DEFAULT_DURATION)
        if num_outputs < 1:
            raise InputError(f"num_outputs must be at least 1, got {num_outputs}")
        rows = len(prompts) * num_outputs
        seeds = resolve_seeds(seed, generator, rows)
        timer = PhaseTimer(self.device)
        with timer("encode_conditions"):
            text = self.encode_prompts(prompts, num_outputs)
            negative = self.negative_embedding(negative_prompt, len(prompts), num_outputs)
            cond = make_conditioning(
                duration, text=text, frame_rate=self.frame_rate, batch=rows, device=self.device
            )
        with timer("sampling"):
            noise = seeded_noise(seeds, (self.config.latent_dim, cond.audio_mask.shape[1]))
            latents = self.sample_latents(
                cond,
                noise,
                negative=negative,
                num_steps=num_steps,
                method=method,
                text_scale=guidance_scale,
                video_scale=None,
                progress=progress,
            )
        with timer("decode"):
            audio = self.decode(latents, self.n_samples_for(duration))
        settings = {
            "prompt": prompts,
            "negative_prompt": negative_prompt,
            **self.prompt_token_settings(prompts, negative_prompt),
            "duration": duration,
            "num_steps": num_steps,
            "guidance_scale": guidance_scale,
            "num_outputs": num_outputs,
            "method": method,
        }
        return self.build_output(audio, seeds, settings, timer)
