"""Text-to-audio with the audio MM-DiT (no video), or with a local diffusers pipeline folder."""

from __future__ import annotations

import warnings
from pathlib import Path

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
from genav.pipelines.settings import DEFAULT_DURATION, check_duration
from genav.registry import resolve_model


class TextToAudioPipeline(FoleyPipeline):
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
