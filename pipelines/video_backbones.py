"""Text-to-video backbones by name or folder: ``debug-t2v``, ``genav-t2v-tiny``, diffusers folders.

:func:`load_video_backbone` resolves a registered name (``debug-*`` builders, embedded defaults
under ``checkpoints/``) or a folder -- a genav model folder of family ``t2v`` or a diffusers
``TextToVideoSDPipeline`` (UNet3D) / ``WanPipeline`` folder -- into a
:class:`~genav.models.video_backbone.VideoBackbone` plus the name and checksum that output
metadata records. Importing this module registers ``debug-t2v``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from genav.checkpoint import WEIGHTS_NAME, file_checksum, load_module_folder
from genav.encoders.text import TextEncoderConfig
from genav.errors import UnknownModelError
from genav.models.t2v_backbone import TinyT2VBackbone
from genav.models.t2v_dit import T2VDiT, T2VDiTConfig
from genav.pipelines.audio_mmdit_pipeline import state_checksum
from genav.pipelines.debug import seeded_random
from genav.registry import ModelEntry, register_model, resolve_model

DEBUG_T2V_CONFIG = T2VDiTConfig(
    frame_size=32, patch=8, fps=8.0, max_frames=8, hidden=32, depth=2, heads=2, mlp_ratio=2.0,
    text_encoder=TextEncoderConfig(kind="hash", dim=32),
)


@dataclass
class LoadedBackbone:
    """A backbone and how outputs name it."""

    backbone: Any
    name: str
    checksum: str


def build_debug_t2v() -> LoadedBackbone:
    """``debug-t2v``: a random tiny DiT (32x32 frames, 8 fps, 8-frame windows, hash text encoder)."""
    model = seeded_random(lambda: T2VDiT(DEBUG_T2V_CONFIG))
    return LoadedBackbone(TinyT2VBackbone(model, name="debug-t2v"), "debug-t2v", state_checksum(model))


DEBUG_T2V = register_model(
    ModelEntry(
        name="debug-t2v",
        family="t2v",
        description="tiny random text-to-video DiT (32x32, 8 fps, hash text encoder) for tests",
        builder=build_debug_t2v,
    )
)


def load_t2v_folder(folder: Path) -> LoadedBackbone:
    """A genav text-to-video model folder (``config.json`` + ``model.safetensors``)."""
    model = load_module_folder(folder, T2VDiTConfig, T2VDiT)
    return LoadedBackbone(TinyT2VBackbone(model.eval(), name=folder.name), folder.name,
                          file_checksum(folder / WEIGHTS_NAME))


def load_video_backbone(name_or_path: str | Path) -> LoadedBackbone:
    """The backbone behind a name or folder; a model of another kind is an
    :class:`UnknownModelError` saying what it is."""
    entry = resolve_model(name_or_path)
    if entry.builder is not None and entry.family == "t2v":
        return entry.builder()
    if entry.family == "diffusers" and entry.path is not None:
        from genav.models.diffusers_video import load_diffusers_video

        backbone = load_diffusers_video(entry.path)
        return LoadedBackbone(backbone, entry.name, _folder_checksum(Path(entry.path)))
    if entry.family == "t2v" and entry.path is not None:
        return load_t2v_folder(Path(entry.path))
    what = f"a {entry.family} model" if entry.family != "unknown" else "not a model folder genav knows"
    raise UnknownModelError(
        f"model {str(name_or_path)!r} is {what}, not a text-to-video model",
        hint="use genav-t2v-tiny, debug-t2v, or a diffusers UNet3D (ModelScope/ZeroScope) or Wan 2.1 folder",
    )


def _folder_checksum(folder: Path) -> str:
    """Checksum of a diffusers folder's denoiser weights (the first weights file found)."""
    for part in ("unet", "transformer"):
        files = sorted((folder / part).glob("*.safetensors")) if (folder / part).is_dir() else []
        if files:
            return file_checksum(files[0])
    return "unknown"
