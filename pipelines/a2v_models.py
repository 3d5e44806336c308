"""Audio-to-video models by name or folder: ``debug-a2v``, ``genav-a2v-tiny``, a trained adaptor folder.

An audio-to-video model is an adaptor folder (``config.json`` of family ``a2v`` +
``model.safetensors``) whose config names the text-to-video backbone it was trained on
(:func:`~genav.pipelines.video_backbones.load_video_backbone` resolves it); a relative backbone
path is taken from the adaptor's folder. Importing this module registers ``debug-a2v``: a random
adaptor over ``debug-t2v``, built in-process.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from genav.checkpoint import WEIGHTS_NAME, file_checksum, load_module_folder
from genav.errors import UnknownModelError
from genav.models.a2v_adaptor import A2VAdaptor, A2VAdaptorConfig
from genav.pipelines.audio_mmdit_pipeline import state_checksum
from genav.pipelines.debug import seeded_random
from genav.pipelines.video_backbones import LoadedBackbone, load_video_backbone
from genav.registry import ModelEntry, register_model, resolve_model

log = logging.getLogger(__name__)

DEBUG_A2V_CONFIG = A2VAdaptorConfig(backbone="debug-t2v", context_dim=32, n_mels=16, hidden=32, layers=2)


@dataclass
class LoadedA2V:
    """An adaptor, its backbone and how outputs name them."""

    adaptor: A2VAdaptor
    backbone: LoadedBackbone
    name: str
    checksum: str


def build_debug_a2v() -> LoadedA2V:
    """``debug-a2v``: a random adaptor over ``debug-t2v`` (32x32, 8 fps)."""
    adaptor = seeded_random(lambda: A2VAdaptor(DEBUG_A2V_CONFIG))
    return LoadedA2V(adaptor.eval(), load_video_backbone("debug-t2v"), "debug-a2v", state_checksum(adaptor))


DEBUG_A2V = register_model(
    ModelEntry(
        name="debug-a2v",
        family="a2v",
        description="tiny random audio-to-video adaptor over debug-t2v, for tests",
        builder=build_debug_a2v,
    )
)


def load_a2v_folder(folder: Path, *, backbone: str | Path | None = None) -> LoadedA2V:
    """An adaptor folder and its backbone (``backbone`` overrides the one its config names)."""
    adaptor = load_module_folder(folder, A2VAdaptorConfig, A2VAdaptor)
    config = adaptor.config
    name = backbone if backbone is not None else config.backbone
    local = folder / str(name)
    loaded = load_video_backbone(local if backbone is None and local.is_dir() else name)
    if int(loaded.backbone.context_dim) != config.context_dim:
        raise UnknownModelError(
            f"backbone {loaded.name!r} has context dim {loaded.backbone.context_dim}, the adaptor in {folder} "
            f"was trained for {config.context_dim}"
        )
    if config.backbone_checksum and loaded.checksum != config.backbone_checksum:
        log.warning("backbone %s has checksum %s; the adaptor was trained on %s", loaded.name, loaded.checksum,
                    config.backbone_checksum)
    return LoadedA2V(adaptor.eval(), loaded, folder.name, file_checksum(folder / WEIGHTS_NAME))


def load_a2v(name_or_path: str | Path, *, backbone: str | Path | None = None) -> LoadedA2V:
    """The audio-to-video model behind a name or folder; a model of another kind is an
    :class:`UnknownModelError` saying what it is."""
    entry = resolve_model(name_or_path)
    if entry.builder is not None and entry.family == "a2v":
        loaded: Any = entry.builder()
        if backbone is not None:
            loaded.backbone = load_video_backbone(backbone)
        return loaded
    if entry.family == "a2v" and entry.path is not None:
        return load_a2v_folder(Path(entry.path), backbone=backbone)
    what = f"a {entry.family} model" if entry.family != "unknown" else "not a model folder genav knows"
    raise UnknownModelError(
        f"model {str(name_or_path)!r} is {what}, not an audio-to-video adaptor",
        hint="use genav-a2v-tiny, debug-a2v, or a folder written by `genav train a2v`",
    )
