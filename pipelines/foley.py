"""The core shared by the text-to-audio and video-to-audio pipelines of the audio MM-DiT.

:class:`FoleyPipeline` loads a model (a registered ``debug-*`` builder or a model folder), its
codec and text encoder; turns prompts into embeddings; samples latents with classifier-free
guidance (optionally with known leading frames, for long videos); decodes; and packs an
:class:`AudioOutput` with the metadata a sidecar needs. The two public pipelines only add their
input handling on top.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor

import genav
from genav.checkpoint import WEIGHTS_NAME, file_checksum, load_model_folder, load_state_strict, save_model_folder
from genav.codecs import AudioCodec, MelCodec, codec_from_config, load_codec
from genav.encoders import TextEmbedding, TextEncoder, TextEncoderConfig, build_text_encoder
from genav.errors import CheckpointError, InputError, UnknownModelError
from genav.models.audio_mmdit import AudioMMDiT, AudioMMDiTConfig
from genav.models.audio_mmdit_generate import guidance_conditioning
from genav.models.conditioning import Conditioning
from genav.registry import ModelEntry, resolve_model
from genav.runtime import select_device, select_dtype
from genav.sampling import METHODS, VelocityFn, guided_velocity, sample
from genav.pipelines.output import AudioOutput

log = logging.getLogger(__name__)

CODEC_FOLDER = "codec"
ProgressFn = Callable[[int, int], None]


@dataclass
class FoleyComponents:
    """What a foley model is made of; ``name``/``checksum`` identify it in output metadata."""

    model: AudioMMDiT
    codec: AudioCodec
    text_encoder: TextEncoder
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
    """The frozen text encoder ``config.text_encoder`` names: ``minilm``, ``hash`` or an HF folder."""
    name = config.text_encoder
    if name in ("minilm", "hash"):
        spec = TextEncoderConfig(kind=name, dim=config.text_dim)
    else:
        path = folder / name if folder is not None and (folder / name).is_dir() else Path(name)
        spec = TextEncoderConfig(kind="hf", path=str(path), dim=config.text_dim)
    return build_text_encoder(spec)


def load_foley_folder(folder: Path) -> FoleyComponents:
    """Model, codec and text encoder from a model folder written by ``save_pretrained``."""
    config, state = load_model_folder(folder, AudioMMDiTConfig)
    model = AudioMMDiT(config)
    load_state_strict(model, state, source=str(folder))
    if (folder / CODEC_FOLDER).is_dir():
        codec = load_codec(folder / CODEC_FOLDER)
    elif config.codec:
        codec = codec_from_config(config.codec)
    else:
        raise CheckpointError(f"{folder}: config.json names no codec and there is no {CODEC_FOLDER}/ folder")
    model.check_codec(codec)
    return FoleyComponents(model, codec, text_encoder_for(config, folder), folder.name, file_checksum(folder / WEIGHTS_NAME))


def resolve_seeds(seed: int | None, generator: torch.Generator | None, count: int) -> list[int]:
    """Per-output seeds: ``seed, seed + 1, ...``; drawn from ``generator``; or fresh random ones."""
    if seed is not None:
        return [int(seed) + i for i in range(count)]
    if generator is not None:
        return [int(v) for v in torch.randint(0, 2**31 - 1, (count,), generator=generator, device=generator.device)]
    return [secrets.randbelow(2**31 - 1) for _ in range(count)]


def seeded_noise(seeds: list[int], shape: tuple[int, ...]) -> Tensor:
    """``(len(seeds), *shape)`` float32 standard normal noise, row ``i`` from ``seeds[i]`` on the CPU
    (so a seed gives the same noise on every device)."""
    rows = [torch.randn(shape, generator=torch.Generator().manual_seed(s), dtype=torch.float32) for s in seeds]
    return torch.stack(rows)


def with_known_prefix(velocity: VelocityFn, known: Tensor, noise: Tensor) -> VelocityFn:
    """Keep the first ``known.shape[-1]`` frames on the straight path from ``noise`` to ``known``.

    Their velocity is replaced by ``known - noise``, so at every solver evaluation they sit
    exactly at ``(1 - t) noise + t known`` (for Euler, Heun and midpoint alike) and end at
    ``known``; the model sees them as context while it fills in the rest (replacement inpainting).
    """
    k = known.shape[-1]
    fixed = known - noise[..., :k]

    def velocity_fn(x: Tensor, t: Tensor) -> Tensor:
        v = velocity(x, t).clone()
        v[..., :k] = fixed
        return v

    return velocity_fn


class PhaseTimer:
    """Wall time per named phase (seconds), accumulated."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    @contextmanager
    def __call__(self, phase: str) -> Iterator[None]:
        begin = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[phase] = self.seconds.get(phase, 0.0) + time.perf_counter() - begin


def prompt_list(prompt: str | list[str] | None, *, required: bool) -> list[str] | None:
    """Validate prompts: a non-empty string or a non-empty list of them (None allowed if not required)."""
    if prompt is None:
        if required:
            raise InputError("a prompt is required for text-to-audio")
        return None
    items = [prompt] if isinstance(prompt, str) else list(prompt)
    if not items:
        raise InputError("the prompt list is empty")
    for p in items:
        if not isinstance(p, str) or not p.strip():
            raise InputError("empty prompt: describe the sound to generate")
    return items


class FoleyPipeline:
    """Base of the audio MM-DiT pipelines: loading, conditioning, guided sampling, decoding."""

    task = "foley"

    def __init__(self, components: FoleyComponents, *, device: str | torch.device = "cpu",
                 dtype: str | torch.dtype = "float32", load_seconds: float = 0.0) -> None:  # fmt: skip
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
    def from_pretrained(cls, name_or_path: str | Path, *, device: str = "auto", dtype: str = "auto") -> FoleyPipeline:
        """A pipeline from a registered name (``debug-foley``, embedded defaults) or a model folder."""
        begin = time.perf_counter()
        entry = resolve_model(name_or_path)
        components = cls._load_entry(entry)
        return cls(components, device=device, dtype=dtype, load_seconds=time.perf_counter() - begin)

    @classmethod
    def _load_entry(cls, entry: ModelEntry) -> FoleyComponents:
        if entry.family != "foley":
            raise UnknownModelError(f"model {entry.name!r} is a {entry.family} model, not a foley (audio MM-DiT) model")
        if entry.builder is not None:
            return entry.builder()
        assert entry.path is not None
        return load_foley_folder(Path(entry.path))

    def save_pretrained(self, folder: str | Path, *, model_card: str | None = None) -> Path:
        """Write ``config.json`` + ``model.safetensors`` + ``MODEL_CARD.md`` (+ ``codec/`` when the
        codec has weights) so that :meth:`from_pretrained` gives identical outputs."""
        folder = Path(folder)
        codec_state = self.codec.state_dict()
        config = self.config.replace(codec=self.codec.config.to_dict())
        state = {k: v.float() for k, v in self.model.state_dict().items()}
        card = model_card or self._model_card(config)
        save_model_folder(folder, config, state, model_card=card)
        if codec_state or not isinstance(self.codec, MelCodec):
            self.codec.save_pretrained(folder / CODEC_FOLDER)
        return folder

    def _model_card(self, config: AudioMMDiTConfig) -> str:
        return (
            f"# {self.model_name}\n\nAudio MM-DiT (genav {genav.__version__}), "
            f"{self.model.num_parameters():,} parameters, saved from `{self.model_name}` "
            f"(checksum {self.checksum}).\n\n- codec: {config.codec.get('model_type')}\n"
            f"- text encoder: {config.text_encoder}\n- video input: {config.video is not None}\n"
            f"- max duration per window: {config.max_duration} s\n"
        )

    def to(self, device: str | torch.device | None = None, dtype: str | torch.dtype | None = None) -> FoleyPipeline:
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

    def negative_embedding(self, negative: str | list[str] | None, rows: int, repeat: int) -> TextEmbedding | None:
        """The negative prompt's embedding for ``rows * repeat`` outputs (one string serves all)."""
        items = prompt_list(negative, required=False)
        if items is None:
            return None
        if len(items) == 1:
            items = items * rows
        if len(items) != rows:
            raise InputError(f"got {len(items)} negative prompts for {rows} prompts")
        return self.encode_prompts(items, repeat)

    def sample_latents(self, cond: Conditioning, noise: Tensor, *, negative: TextEmbedding | None, num_steps: int,
                       method: str, text_scale: float, video_scale: float | None, known: Tensor | None = None,
                       progress: ProgressFn | None = None, step_offset: int = 0, total_steps: int | None = None) -> Tensor:  # fmt: skip
        """Guided sampling of latents ``(B, latent_dim, T)`` float32 from ``noise`` (same shape).

        ``known`` ``(B, latent_dim, K)``: latents the first K frames must end at (long-video context).
        """
        if method not in METHODS:
            raise InputError(f"unknown sampling method {method!r}; choose one of {', '.join(METHODS)}")
        if num_steps < 1:
            raise InputError(f"num_steps must be at least 1, got {num_steps}")
        stacked, plan = guidance_conditioning(cond, negative=negative, text_scale=text_scale, video_scale=video_scale)
        stacked = stacked.to(self.device, self.dtype)

        def batched(x: Tensor, t: Tensor) -> Tensor:
            return self.model(x.to(self.dtype), t, stacked).float()

        noise = noise.to(self.device)
        velocity = guided_velocity(batched, plan)
        if known is not None and known.shape[-1] > 0:
            velocity = with_known_prefix(velocity, known.to(self.device), noise)
        total = total_steps or num_steps
        callback = None
        if progress is not None:
            def callback(step: int, _n: int, _t: float, _x: Tensor) -> None:
                progress(step_offset + step, total)
        return sample(velocity, noise, steps=num_steps, method=method, callback=callback)

    def decode(self, latents: Tensor, n_samples: int) -> np.ndarray:
        """Latents ``(B, latent_dim, T)`` -> wave ``(B, C, n_samples)`` float32 on the CPU."""
        wave = self.codec.decode(latents.float())[..., :n_samples]
        if wave.shape[-1] < n_samples:  # only when a duration sits a hair above a frame boundary
            wave = torch.nn.functional.pad(wave, (0, n_samples - wave.shape[-1]))
        return wave.cpu().numpy().astype(np.float32)

    def frames_for(self, seconds: float) -> int:
        return self.codec.frames_for_duration(seconds)

    def n_samples_for(self, seconds: float) -> int:
        return int(round(seconds * self.sample_rate))

    def build_output(self, audio: np.ndarray, seeds: list[int], settings: dict[str, Any], timer: PhaseTimer) -> AudioOutput:
        """An :class:`AudioOutput` whose metadata records model, settings, seeds and timings."""
        timings = {"load": round(self.load_seconds, 6), **{k: round(v, 6) for k, v in timer.seconds.items()}}
        metadata = {
            "task": self.task,
            "model": self.model_name,
            "model_checksum": self.checksum,
            "settings": settings,
            "seeds": list(seeds),
            "sample_rate": self.sample_rate,
            "duration": audio.shape[-1] / self.sample_rate,
            "device": str(self.device),
            "dtype": str(self.dtype).replace("torch.", ""),
            "timings": timings,
            "genav_version": genav.__version__,
        }
        return AudioOutput(audio=audio, sample_rate=self.sample_rate, seeds=list(seeds), metadata=metadata)
