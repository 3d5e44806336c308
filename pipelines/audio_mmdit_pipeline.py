"""The core shared by the text-to-audio and video-to-audio pipelines of the audio MM-DiT.

:class:`AudioMMDiTPipeline` loads a model (a registered ``debug-*`` builder or a model folder), its
codec and text encoder; turns prompts into embeddings; samples latents with classifier-free
guidance (optionally with known leading frames); generates long sounds in overlapping windows;
decodes; and packs an :class:`AudioOutput` with the metadata a sidecar needs. The two public
pipelines only add their input handling on top.
"""

from __future__ import annotations

import hashlib
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor

import genav
from genav.checkpoint import (
    WEIGHTS_NAME,
    file_checksum,
    load_module_folder,
    save_model_folder,
)
from genav.codecs import AudioCodec, MelCodec, build_codec, load_codec
from genav.encoders import TextEmbedding, TextEncoder, build_text_encoder
from genav.errors import ConfigError, InputError, UnknownModelError
from genav.models.audio_mmdit import AudioMMDiT, AudioMMDiTConfig
from genav.models.audio_mmdit_generate import generate_latents, make_conditioning
from genav.models.conditioning import Conditioning
from genav.pipelines.generation_common import PhaseTimer, prompt_list
from genav.pipelines.output import AudioOutput, make_output
from genav.pipelines.windows import WaveAssembler, Window, default_overlap, held_context, plan_windows
from genav.registry import ModelEntry, resolve_model
from genav.runtime import select_device, select_dtype
from genav.sampling import METHODS
from genav.sampling.checks import check_guidance_scale, check_num_steps

log = logging.getLogger(__name__)

CODEC_FOLDER = "codec"
ProgressFn = Callable[[int, int], None]


@dataclass
class AudioMMDiTComponents:
    """What an audio MM-DiT model (config family ``foley``) is made of; ``name``/``checksum``
    identify it in output metadata."""

    model: AudioMMDiT
    codec: AudioCodec
    text_encoder: TextEncoder | LazyTextEncoder
    name: str
    checksum: str


def state_checksum(module: torch.nn.Module, length: int = 16) -> str:
    """sha256 over a module's tensors (names, shapes, bytes): the checksum of in-process models."""
    digest = hashlib.sha256()
    for key, value in sorted(module.state_dict().items()):
        digest.update(f"{key}:{tuple(value.shape)}:{value.dtype}".encode())
        digest.update(value.detach().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()[:length]


def text_encoder_for(config: AudioMMDiTConfig, folder: Path | None = None) -> TextEncoder:
    """The frozen text encoder of ``config``; a relative HF path is looked up in ``folder`` first.
    Raises ConfigError when its width is not the model's ``text_dim``."""
    spec = config.text_encoder
    if spec.kind == "hf" and folder is not None and spec.path and (folder / spec.path).is_dir():
        spec = spec.replace(path=str(folder / spec.path))
    encoder = build_text_encoder(spec)
    if encoder.dim != config.text_dim:
        raise ConfigError(f"the text encoder gives {encoder.dim}-d states but the model takes text_dim {config.text_dim}")
    return encoder


class LazyTextEncoder:
    """A text encoder built on first use: a video-only run never pays for loading it (the MiniLM
    encoder imports transformers, several seconds of start-up on a small CPU)."""

    def __init__(self, build: Callable[[], TextEncoder]) -> None:
        self._build = build
        self._encoder: TextEncoder | None = None
        self._device: torch.device | str | None = None

    @property
    def loaded(self) -> bool:
        return self._encoder is not None

    def encoder(self) -> TextEncoder:
        if self._encoder is None:
            self._encoder = self._build().eval()
            if self._device is not None:
                self._encoder.to(self._device)
        return self._encoder

    def encode(self, prompts: list[str]) -> TextEmbedding:
        return self.encoder().encode(prompts)

    def prompt_tokens(self, prompts: list[str], limit: int | None = None) -> list[dict[str, int | bool]]:
        return self.encoder().prompt_tokens(prompts, limit)

    def to(self, device: torch.device | str) -> LazyTextEncoder:
        self._device = device
        if self._encoder is not None:
            self._encoder.to(device)
        return self

    def eval(self) -> LazyTextEncoder:
        return self


def load_audio_mmdit_folder(folder: Path) -> AudioMMDiTComponents:
    """Model, codec and text encoder from a model folder written by ``save_pretrained``."""
    model = load_module_folder(folder, AudioMMDiTConfig, AudioMMDiT)
    config = model.config
    codec = (
        load_codec(folder / CODEC_FOLDER) if (folder / CODEC_FOLDER).is_dir() else build_codec(config.codec)
    )
    model.check_codec(codec)
    text = LazyTextEncoder(lambda: text_encoder_for(config, folder))
    return AudioMMDiTComponents(model, codec, text, folder.name, file_checksum(folder / WEIGHTS_NAME))


class AudioMMDiTPipeline:
    """Base of the audio MM-DiT pipelines (text-to-audio, video-to-audio): loading, conditioning,
    guided sampling, decoding. Was ``FoleyPipeline`` ("foley" now names only the sound-design task,
    its command and the models made for it)."""

    task = "foley"  # the recipe task that trains these models; each subclass names what it generates

    def __init__(
        self,
        components: AudioMMDiTComponents,
        *,
        device: str | torch.device = "cpu",
        dtype: str | torch.dtype = "float32",
        load_seconds: float = 0.0,
    ) -> None:
        self.model = components.model.eval().requires_grad_(False)
        self.codec = components.codec.eval()
        self.text_encoder = components.text_encoder.eval()
        self.model_name = components.name
        self.checksum = components.checksum
        self.load_seconds = load_seconds
        self.device = torch.device("cpu")
        self.dtype = torch.float32
        self.to(device, dtype)

    # -- loading and saving ----------------------------------------------------------------------
    @classmethod
    def from_pretrained(
        cls, name_or_path: str | Path, *, device: str = "auto", dtype: str = "auto"
    ) -> AudioMMDiTPipeline:
        """A pipeline from a registered name (``debug-foley``, embedded defaults) or a model folder."""
        begin = time.perf_counter()
        entry = resolve_model(name_or_path)
        components = cls._load_entry(entry)
        return cls(components, device=device, dtype=dtype, load_seconds=time.perf_counter() - begin)

    @classmethod
    def _load_entry(cls, entry: ModelEntry) -> AudioMMDiTComponents:
        if entry.family != "foley":
            raise UnknownModelError(
                f"model {entry.name!r} is a {entry.family} model, not a foley (audio MM-DiT) model"
            )
        if entry.builder is not None:
            return entry.build()
        if entry.path is None:
            raise UnknownModelError(f"model {entry.name!r} has neither a folder nor a builder")
        return load_audio_mmdit_folder(Path(entry.path))

    def save_pretrained(self, folder: str | Path, *, model_card: str | None = None) -> Path:
        """Write ``config.json`` + ``model.safetensors`` + ``MODEL_CARD.md`` (+ ``codec/`` when the
        codec has weights) so that :meth:`from_pretrained` gives identical outputs."""
        folder = Path(folder)
        codec_state = self.codec.state_dict()
        config = self.config.replace(codec=self.codec.config)
        state = {k: v.float() for k, v in self.model.state_dict().items()}
        card = model_card or self._model_card(config)
        save_model_folder(folder, config, state, model_card=card)
        if codec_state or not isinstance(self.codec, MelCodec):
            self.codec.save_pretrained(folder / CODEC_FOLDER)
        return folder

    def _model_card(self, config: AudioMMDiTConfig) -> str:
        from genav.train.card import write_card

        about = (f"Audio MM-DiT (genav {genav.__version__}), {self.model.num_parameters():,} parameters, saved from "
                 f"`{self.model_name}` (checksum {self.checksum}).")  # fmt: skip
        return write_card(self.model_name, about, [
            f"- codec: {config.codec.model_type}", f"- text encoder: {config.text_encoder.kind}",
            f"- video input: {config.video is not None}", f"- max duration per window: {config.max_duration} s",
            f"- generation window unless told: {self.default_window:g} s",
            *([f"- prompt guidance scale unless told: {config.text_guidance_scale:g}"] if config.text_guidance_scale is not None else []),
            "",
        ])  # fmt: skip

    def to(
        self, device: str | torch.device | None = None, dtype: str | torch.dtype | None = None
    ) -> AudioMMDiTPipeline:
        """Move the model (to ``dtype`` too); codec and text encoder stay float32 on the same device."""
        if device is not None:
            self.device = select_device(device) if isinstance(device, str) else torch.device(device)
        if dtype is not None:
            self.dtype = select_dtype(dtype, self.device) if isinstance(dtype, str) else dtype
        self.model.to(self.device, self.dtype)
        self.codec.to(self.device)
        self.text_encoder.to(self.device)
        return self

    # -- properties ------------------------------------------------------------------------------
    @property
    def config(self) -> AudioMMDiTConfig:
        return self.model.config

    @property
    def max_duration(self) -> float:
        """Longest sound (seconds) one window of the model generates."""
        return float(self.config.max_duration)

    @property
    def sample_rate(self) -> int:
        return int(self.codec.sample_rate)

    @property
    def frame_rate(self) -> float:
        return float(self.codec.frame_rate)

    # -- the shared generation steps -------------------------------------------------------------
    def encode_prompts(self, prompts: list[str] | None, repeat: int) -> TextEmbedding | None:
        """Embeddings of ``prompts``, each row repeated ``repeat`` times (prompt-major)."""
        if prompts is None:
            return None
        emb = self.text_encoder.encode(prompts)
        return TextEmbedding(*(t.repeat_interleave(repeat, 0) for t in (emb.tokens, emb.mask, emb.pooled)))

    def negative_embedding(
        self, negative: str | list[str] | None, rows: int, repeat: int
    ) -> TextEmbedding | None:
        """The negative prompt's embedding for ``rows * repeat`` outputs (one string serves all)."""
        items = prompt_list(negative, required=False)
        if items is None:
            return None
        if len(items) == 1:
            items = items * rows
        if len(items) != rows:
            raise InputError(f"got {len(items)} negative prompts for {rows} prompts")
        return self.encode_prompts(items, repeat)

    def sample_latents(
        self,
        cond: Conditioning,
        noise: Tensor,
        *,
        negative: TextEmbedding | None,
        num_steps: int,
        method: str,
        guidance_scale: float,
        video_guidance_scale: float | None,
        known: Tensor | None = None,
        progress: ProgressFn | None = None,
        step_offset: int = 0,
        total_steps: int | None = None,
    ) -> Tensor:
        """Guided sampling of latents ``(B, latent_dim, T)`` float32 from ``noise`` (same shape):
        :func:`~genav.models.generate_latents` behind user-facing checks, with progress counted
        over ``total_steps`` from ``step_offset`` (several windows make one progress bar).

        ``known`` ``(B, latent_dim, K)``: latents the first K frames must end at (long-video context).
        """
        if method not in METHODS:
            raise InputError(f"unknown sampling method {method!r}; choose one of {', '.join(METHODS)}")
        check_num_steps(num_steps)
        check_guidance_scale("guidance_scale", guidance_scale)
        check_guidance_scale("video_guidance_scale", video_guidance_scale)
        total = total_steps or num_steps
        callback = None
        if progress is not None:

            def callback(step: int, _n: int, _t: float, _x: Tensor) -> None:
                progress(step_offset + step, total)

        return generate_latents(
            self.model,
            cond,
            negative=negative,
            num_steps=num_steps,
            method=method,
            guidance_scale=guidance_scale,
            video_guidance_scale=video_guidance_scale,
            noise=noise,
            known=known,
            callback=callback,
        )

    def decode(self, latents: Tensor, n_samples: int) -> np.ndarray:
        """Latents ``(B, latent_dim, T)`` -> wave ``(B, C, n_samples)`` float32 on the CPU."""
        # The whole batch at once: codecs decode each row independently of the others (the mel
        # codec's Griffin-Lim starts every row from the same seeded phase), so output i is the
        # same alone or in a batch.
        wave = self.codec.decode(latents.float())[..., :n_samples]
        if wave.shape[-1] < n_samples:  # only when a duration sits a hair above a frame boundary
            wave = torch.nn.functional.pad(wave, (0, n_samples - wave.shape[-1]))
        return wave.cpu().numpy().astype(np.float32)

    def prompt_token_settings(
        self, prompts: list[str] | None, negative: str | list[str] | None
    ) -> dict[str, Any]:
        """What the sidecar records about prompt lengths: per prompt the tokens used, the total,
        whether it was cut to the text encoder's limit (see :meth:`TextEncoder.prompt_tokens`)."""
        negatives = prompt_list(negative, required=False)
        limit = self.model.text_token_limit
        tokens = self.text_encoder.prompt_tokens
        return {
            "prompt_tokens": tokens(prompts, limit) if prompts else None,
            "negative_prompt_tokens": tokens(negatives, limit) if negatives else None,
        }

    def frames_for(self, seconds: float) -> int:
        return self.codec.frames_for_duration(seconds)

    @property
    def default_window(self) -> float:
        """Seconds per generated window unless told: the config's ``generation_window``, else the maximum."""
        return self.config.generation_window or self.max_duration

    def default_text_guidance_scale(self, guidance_scale: float) -> float:
        """The prompt's guidance scale unless told: the config's ``text_guidance_scale``, else
        ``guidance_scale`` (one scale for prompt and picture)."""
        scale = self.config.text_guidance_scale
        return guidance_scale if scale is None else scale

    def resolve_window(self, window: float | None, overlap: float | None) -> tuple[float, float]:
        """``(window, overlap)`` seconds with their defaults (:attr:`default_window`,
        :func:`default_overlap`) filled in.

        Raises:
            InputError: a window outside (0, the model's maximum], or an overlap outside
                (0, half the window] (a longer one would generate each frame three times or more).
        """
        window = self.default_window if window is None else float(window)
        if not math.isfinite(window) or not 0 < window <= self.max_duration + 1e-9:
            raise InputError(
                f"window must be in (0, {self.max_duration:g}] seconds (the model's maximum), got {window:g}"
            )
        overlap = default_overlap(window) if overlap is None else float(overlap)
        if not math.isfinite(overlap) or not 0 < overlap <= window / 2 + 1e-9:
            raise InputError(f"window overlap must be in (0, {window / 2:g}] seconds (half the window), got {overlap:g}")
        return window, overlap

    def plan(self, duration: float, window: float | None, overlap: float | None) -> list[Window]:
        """The windows of ``duration`` seconds, ``window`` seconds each, consecutive ones sharing
        ``overlap`` seconds (at least one latent frame); defaults as :meth:`resolve_window`.

        Raises:
            InputError: a window or overlap outside their ranges (:meth:`resolve_window`).
        """
        window, overlap = self.resolve_window(window, overlap)
        window_frames = int(math.floor(window * self.frame_rate + 1e-6))
        overlap_frames = max(1, int(round(overlap * self.frame_rate)))
        return plan_windows(self.frames_for(duration), window_frames, overlap_frames)

    def window_settings(self, windows: list[Window], window: float | None, overlap: float | None) -> dict[str, Any]:
        """What the sidecar records about a :meth:`plan`: window and overlap seconds, each window's span."""
        window, overlap = self.resolve_window(window, overlap)
        return {
            "window": window,
            "overlap": overlap,
            "windows": [[w.start / self.frame_rate, w.end / self.frame_rate] for w in windows],
        }

    def window_conditioning(
        self, win: Window, duration: float, rows: int, *, text: TextEmbedding | None, video: Any = None
    ) -> Conditioning:
        """The conditioning of window ``win`` of a ``duration``-second sound: its own length in
        seconds, the prompt ``text`` and ``video`` tokens, every one of its frames valid."""
        seconds = min(win.end / self.frame_rate, duration) - win.start / self.frame_rate
        cond = make_conditioning(
            seconds, text=text, video=video, frame_rate=self.frame_rate, batch=rows, device=self.device
        )
        cond.audio_mask = torch.ones(rows, win.frames, dtype=torch.bool, device=self.device)
        return cond

    def generate_windows(
        self,
        windows: list[Window],
        noise: Tensor,
        n_samples: int,
        conditioning: Callable[[Window], Conditioning],
        sampling: dict[str, Any],
        timer: PhaseTimer,
    ) -> np.ndarray:
        """Sample and decode window after window from ``noise`` ``(B, latent_dim, T)``, ``T`` the
        last window's end; the first half of each window's shared span is fixed to the previous
        window's latents there (:func:`held_context`), so the sound continues rather than restarts,
        and the decoded waves are crossfaded over the rest of the span (see
        :mod:`genav.pipelines.windows`). ``conditioning(window)`` gives a
        window's conditions; ``sampling`` the keywords of :meth:`sample_latents`. Returns the wave
        ``(B, C, n_samples)`` float32."""
        assembler = WaveAssembler(noise.shape[0], self.codec.audio_channels, n_samples)
        steps = sampling["num_steps"]
        previous: tuple[Window, Tensor] | None = None
        for win in windows:
            with timer("encode_conditions"):
                cond = conditioning(win)
            known, held = None, 0
            if previous is not None:  # the previous window's latents over the first half of the shared frames
                offset, held = win.start - previous[0].start, held_context(win.context)
                known = previous[1][..., offset : offset + held]
            with timer("sampling"):
                latents = self.sample_latents(
                    cond,
                    noise[..., win.start : win.end],
                    known=known,
                    step_offset=win.index * steps,
                    total_steps=steps * len(windows),
                    **sampling,
                )
            with timer("decode"):
                start = win.start * self.codec.hop_length
                n = min(self.codec.num_samples(win.frames), n_samples - start)
                skip = held * self.codec.hop_length  # the held frames sound as the previous window did
                assembler.add(start + skip, self.decode(latents, n)[..., skip:])
            previous = (win, latents)
        return assembler.wave

    def n_samples_for(self, seconds: float) -> int:
        return int(round(seconds * self.sample_rate))

    def build_output(
        self, audio: np.ndarray, seeds: list[int], settings: dict[str, Any], timer: PhaseTimer
    ) -> AudioOutput:
        """An :class:`AudioOutput` whose metadata records model, settings, seeds and timings."""
        return pipeline_output(self, audio, seeds, settings, timer)


def pipeline_output(
    pipe: Any, audio: np.ndarray, seeds: list[int], settings: dict[str, Any], timer: PhaseTimer
) -> AudioOutput:
    """:class:`AudioOutput` of any genav pipeline (``pipe`` has ``sample_rate``, ``task``,
    ``model_name``, ``checksum``, ``load_seconds``, ``device``, ``dtype``) with its metadata."""
    return make_output(
        audio,
        sample_rate=pipe.sample_rate,
        seeds=seeds,
        task=pipe.task,
        model=pipe.model_name,
        checksum=pipe.checksum,
        settings=settings,
        timings={"load": pipe.load_seconds, **timer.seconds},
        device=str(pipe.device),
        dtype=str(pipe.dtype),
    )
