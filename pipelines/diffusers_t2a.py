"""Text-to-audio through a local diffusers ``StableAudioPipeline`` folder, with genav's API.

Exact durations without waste: ``StableAudioPipeline`` normally denoises its full window
(``transformer.config.sample_size`` latent frames, ~47 s for Stable Audio Open) and crops the
decoded wave. Its DiT has rotary positions and no fixed-length embedding, and the pipeline sizes
the rotary table from the latents it is given, so here it is handed seeded latents of only
``ceil(n / hop)`` frames for ``n = round(duration * sr)`` samples (``hop`` = the Oobleck VAE's
total downsampling, 2048 samples for Stable Audio Open) and ``audio_end_in_s = duration`` for
the timing conditioning. The VAE decodes ``T * hop`` samples (it only works in whole latent
frames); only the last partial frame is trimmed. The model's maximum is ``sample_size * hop / sr``.

The DiT's attention layers (rotary, grouped-query) run through :func:`genav.attention.attention`
(:func:`genav.attention.set_genav_attention` gives them genav processors).

:class:`DiffusersTextToAudioPipeline` holds everything the diffusers wrappers share (loading,
``.to``, argument checks, seeds, timing, trimming, metadata) and runs Stable Audio through four
hooks (``denoiser``, ``_initial_latents``, ``_denoise``, ``_decode``); ``AudioLDM2Pipeline``
folders get :class:`~genav.pipelines.diffusers_audioldm2.AudioLDM2TextToAudioPipeline`, which
overrides them (:mod:`genav.pipelines.diffusers_auto` maps each diffusers class to its wrapper).
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

from genav.attention import set_genav_attention
from genav.checkpoint import file_checksum
from genav.errors import CheckpointError, InputError
from genav.extras import require_extra
from genav.pipelines.audio_mmdit_pipeline import ProgressFn, pipeline_output
from genav.pipelines.call_inputs import check_output_type, checked_latents, finish_output
from genav.pipelines.generation_common import (
    PhaseTimer,
    check_num_outputs,
    prompt_list,
    resolve_seeds,
    seeded_noise,
)
from genav.pipelines.output import AudioOutput
from genav.pipelines.settings import DEFAULT_DURATION, check_duration
from genav.runtime import select_device, select_dtype
from genav.sampling.checks import check_guidance_scale, check_num_steps

log = logging.getLogger(__name__)

SUPPORTED = ("StableAudioPipeline", "AudioLDM2Pipeline")


def folder_checksum(folder: Path, length: int = 16) -> str:
    """sha256 over the checksums of every weight and config file in a diffusers folder."""
    digest = hashlib.sha256()
    for path in sorted(
        p for p in folder.rglob("*") if p.is_file() and p.suffix in (".safetensors", ".bin", ".json")
    ):
        digest.update(f"{path.relative_to(folder)}:{file_checksum(path)}".encode())
    return digest.hexdigest()[:length]


def diffusers_kind(folder: Path) -> str:
    """The diffusers pipeline class saved in ``folder`` (its ``model_index.json``).

    Raises:
        CheckpointError: not a diffusers folder, or a pipeline class genav does not run.
    """
    index_path = folder / "model_index.json"
    if not index_path.is_file():
        raise CheckpointError(f"{folder} is not a diffusers pipeline folder (no model_index.json)")
    kind = json.loads(index_path.read_text()).get("_class_name")
    if kind not in SUPPORTED:
        raise CheckpointError(
            f"{folder} holds a {kind}; genav runs these diffusers text-to-audio pipelines: {', '.join(SUPPORTED)}"
        )
    return kind


def _require_scheduler_package(folder: Path) -> None:
    """Stable Audio Open's scheduler draws its noise with torchsde, the ``[stable-audio]`` extra:
    say so in one line before diffusers fails on it. Raises MissingExtraError."""
    config = folder / "scheduler" / "scheduler_config.json"
    if config.is_file() and json.loads(config.read_text()).get("_class_name") == "CosineDPMSolverMultistepScheduler":
        require_extra("stable-audio", f"the scheduler of {folder.name} (CosineDPMSolverMultistepScheduler)")


def to_float32(*modules: torch.nn.Module) -> None:
    """Cast modules to float32 where they are not already (diffusers warns on every cast)."""
    for module in modules:
        if any(p.dtype != torch.float32 for p in module.parameters()):
            module.to(torch.float32)


class DiffusersTextToAudioPipeline:
    """A local diffusers ``StableAudioPipeline`` folder behind genav's ``__call__`` and
    :class:`AudioOutput`; the base of the other diffusers wrappers. ``from_pretrained`` loads the
    folder's pipeline class that ``diffusers_class`` names (another kind: CheckpointError naming
    :class:`~genav.pipelines.AutoTextToAudioPipeline`, which picks the wrapper)."""

    task = "t2a"
    diffusers_class = "StableAudioPipeline"

    def __init__(self, pipe: Any, *, name: str, checksum: str, load_seconds: float = 0.0) -> None:
        self.pipe = pipe
        self.model_name = name
        self.checksum = checksum
        self.load_seconds = load_seconds
        pipe.set_progress_bar_config(disable=True)
        self.attention_layers = set_genav_attention(self.denoiser)

    @classmethod
    def from_pretrained(
        cls, folder: str | Path, *, device: str = "auto", dtype: str = "auto"
    ) -> DiffusersTextToAudioPipeline:
        begin = time.perf_counter()
        folder = Path(folder)
        kind = diffusers_kind(folder)
        if kind != cls.diffusers_class:
            raise CheckpointError(
                f"{folder} holds a {kind}, not a {cls.diffusers_class}: "
                "load it with genav.pipelines.AutoTextToAudioPipeline.from_pretrained"
            )
        _require_scheduler_package(folder)
        import diffusers

        dev = select_device(device)
        torch_dtype = select_dtype(dtype, dev)
        try:
            pipe = getattr(diffusers, kind).from_pretrained(
                str(folder), torch_dtype=torch_dtype, local_files_only=True
            )
        except (OSError, ValueError, KeyError) as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise CheckpointError(f"could not load the diffusers pipeline in {folder}: {first}") from None
        pipe.to(dev)
        cls._keep_float32(pipe)
        return cls(
            pipe, name=folder.name, checksum=folder_checksum(folder), load_seconds=time.perf_counter() - begin
        )

    @staticmethod
    def _keep_float32(pipe: Any) -> None:
        # the VAE is kept in float32: Oobleck is not reliable in half precision (see genav.codecs)
        to_float32(pipe.vae)

    def save_pretrained(self, folder: str | Path) -> Path:
        self.pipe.save_pretrained(str(folder))
        return Path(folder)

    def to(
        self, device: str | torch.device | None = None, dtype: str | torch.dtype | None = None
    ) -> DiffusersTextToAudioPipeline:
        """Move the pipeline (the decoding modules stay float32)."""
        dev = select_device(device) if isinstance(device, str) else (device or self.device)
        dt = select_dtype(dtype, torch.device(dev)) if isinstance(dtype, str) else dtype
        self.pipe.to(dev, dt) if dt is not None else self.pipe.to(dev)
        self._keep_float32(self.pipe)
        return self

    # -- properties ------------------------------------------------------------------------------
    @property
    def denoiser(self) -> torch.nn.Module:
        """The network the sampler calls at every step (Stable Audio's DiT)."""
        return self.pipe.transformer

    @property
    def device(self) -> torch.device:
        return self.denoiser.device

    @property
    def dtype(self) -> torch.dtype:
        return self.denoiser.dtype

    @property
    def sample_rate(self) -> int:
        return int(self.pipe.vae.config.sampling_rate)

    @property
    def hop_length(self) -> int:
        """Audio samples per latent frame."""
        return int(self.pipe.vae.hop_length)

    @property
    def max_duration(self) -> float:
        """Seconds of the DiT's full window: ``sample_size * hop / sr``."""
        return self.pipe.transformer.config.sample_size * self.hop_length / self.sample_rate

    # -- generation ------------------------------------------------------------------------------
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
        latents: torch.Tensor | None = None,
        output_type: str = "np",
    ) -> AudioOutput:
        """Generate ``num_outputs`` sounds per prompt with a local diffusers pipeline (Stable Audio Open,
        AudioLDM2), through genav's output contract.

        The pipeline's own scheduler integrates (``method`` must stay at its default); ``num_steps`` is
        its step count. Not taken here: ``prompt_embeds`` (each diffusers pipeline has its own text
        encoders; pass texts).

        Args:
            prompt: one text or a list (``P`` prompts). negative_prompt: one for all, or one per prompt.
            duration: seconds of each output, in (0, the model's maximum]; default 8 s (capped).
            num_steps: the scheduler's steps. guidance_scale: classifier-free guidance scale.
            seed / generator: output ``i`` uses ``seed + i``; else drawn from ``generator``, else random.
            num_outputs: outputs per prompt (prompt-major order).
            method: must be ``"euler"`` (the default; the scheduler is the pipeline's).
            progress: ``fn(step, total)``.
            latents: the initial noise, shaped as the seeded noise it replaces (Stable Audio
                ``(P * num_outputs, C, T)``, AudioLDM2 ``(P * num_outputs, C, T, W)``).
            output_type: ``"np"``, ``"pt"`` or ``"wav"``.

        Returns:
            :class:`AudioOutput`, ``audio (P * num_outputs, C, N)`` at the model's rate, ``N =
            round(duration * sr)``; the metadata records settings (incl. the scheduler), seeds, timings.

        Raises:
            InputError: bad prompts, duration, counts, ``method``, ``latents`` or ``output_type``.

        Source: the models' own papers (Stable Audio Open, Evans et al. 2024; AudioLDM 2, Liu et al.
        2024), run by diffusers; classifier-free guidance (Ho & Salimans 2022).
        """
        check_output_type(output_type)
        prompts = prompt_list(prompt, required=True)
        duration = check_duration(duration, self.max_duration, default=DEFAULT_DURATION)
        if method != "euler":
            raise InputError(
                f"diffusers pipelines use their own scheduler ({type(self.pipe.scheduler).__name__}); "
                f"method {method!r} cannot be chosen"
            )
        check_num_steps(num_steps)
        check_num_outputs(num_outputs)
        check_guidance_scale("guidance_scale", guidance_scale)
        negatives = prompt_list(negative_prompt, required=False)
        if negatives is not None and len(negatives) == 1:
            negatives = negatives * len(prompts)
        seeds = resolve_seeds(seed, generator, len(prompts) * num_outputs)
        n = int(round(duration * self.sample_rate))
        frames = math.ceil(n / self.hop_length)
        timer = PhaseTimer(self.device)
        with timer("sampling"):  # diffusers encodes the prompt inside its __call__
            callback = None if progress is None else (lambda i, _t, _x: progress(i + 1, num_steps))
            latents = self._denoise(
                dict(
                    prompt=prompts,
                    negative_prompt=negatives,
                    num_inference_steps=num_steps,
                    guidance_scale=guidance_scale,
                    num_waveforms_per_prompt=num_outputs,
                    latents=self._start_latents(latents, seeds, frames).to(self.device, self.dtype),
                    output_type="latent",
                    callback=callback,
                    generator=[torch.Generator().manual_seed(s + 1) for s in seeds],
                ),
                duration=duration,
                frames=frames,
            )
        with timer("decode"), torch.no_grad():
            wave = self._decode(latents)[..., :n]  # only the last partial latent frame is cut
        audio = wave.float().cpu().numpy().astype(np.float32)
        settings = {
            "prompt": prompts,
            "negative_prompt": negative_prompt,
            "duration": duration,
            "num_steps": num_steps,
            "guidance_scale": guidance_scale,
            "num_outputs": num_outputs,
            "scheduler": type(self.pipe.scheduler).__name__,
            "latent_frames": frames,
        }
        out = pipeline_output(self, audio, seeds, settings, timer)
        return finish_output(out, output_type, latents_given=latents is not None)

    def _start_latents(self, latents: torch.Tensor | None, seeds: list[int], frames: int) -> torch.Tensor:
        seeded = self._initial_latents(seeds, frames)
        return seeded if latents is None else checked_latents(latents, tuple(seeded.shape))

    # -- per-pipeline hooks (Stable Audio here) ----------------------------------------------------
    def _initial_latents(self, seeds: list[int], frames: int) -> torch.Tensor:
        """Seeded starting noise ``(len(seeds), C, frames)``, row ``i`` from ``seeds[i]``."""
        return seeded_noise(seeds, (self.pipe.transformer.config.in_channels, frames))

    def _denoise(self, kwargs: dict[str, Any], *, duration: float, frames: int) -> torch.Tensor:
        """Run the diffusers pipeline on ``kwargs`` (common arguments, ``output_type="latent"``)
        for ``frames`` latent frames; returns the denoised latents."""
        return self.pipe(audio_end_in_s=duration, **kwargs).audios

    def _decode(self, latents: torch.Tensor) -> torch.Tensor:
        """Latents -> waveforms ``(B, C, frames * hop)``."""
        return self.pipe.vae.decode(latents.to(torch.float32)).sample
