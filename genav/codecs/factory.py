"""Making codecs from configs, dicts and folders."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from genav.codecs._folders import read_json_object
from genav.codecs.base import CODEC_CONFIG_NAME, AudioCodec
from genav.codecs.encodec import EncodecCodec, EncodecCodecConfig
from genav.codecs.mel import MelCodec, MelCodecConfig
from genav.codecs.oobleck import OobleckCodec, OobleckCodecConfig
from genav.config import Config
from genav.errors import CheckpointError, ConfigError

CODEC_CONFIGS: dict[str, type[Config]] = {
    cls.model_type: cls for cls in (MelCodecConfig, EncodecCodecConfig, OobleckCodecConfig)
}
# Names load_codec accepts besides folders.
BUILTIN_CODECS = {"mel": MelCodecConfig}


def build_codec(spec: Config) -> AudioCodec:
    """The codec a config describes (HF/diffusers-backed ones load from ``spec.path``)."""
    if isinstance(spec, MelCodecConfig):
        return MelCodec(spec)
    if isinstance(spec, EncodecCodecConfig):
        return EncodecCodec(spec)
    if isinstance(spec, OobleckCodecConfig):
        return OobleckCodec(spec)
    raise ConfigError(f"not a codec config: {type(spec).__name__} (known: {', '.join(CODEC_CONFIGS)})")


def codec_config_from_dict(data: dict[str, Any]) -> Config:
    """Parse a codec config dict, dispatching on its ``model_type``."""
    kind = data.get("model_type")
    cls = CODEC_CONFIGS.get(kind) if isinstance(kind, str) else None
    if cls is None:
        raise ConfigError(f"unknown codec model_type {kind!r}; known: {', '.join(CODEC_CONFIGS)}")
    return cls.from_dict(data)


def codec_from_config(data: dict[str, Any]) -> AudioCodec:
    """``build_codec(codec_config_from_dict(data))``."""
    return build_codec(codec_config_from_dict(data))


def load_codec(path_or_name: str | Path) -> AudioCodec:
    """A codec from a built-in name (``"mel"``) or a folder.

    Folders: one written by ``codec.save_pretrained``; a plain HF EnCodec folder; a diffusers
    ``AutoencoderOobleck`` folder; or a diffusers pipeline folder with such a ``vae/``.
    Plain HF/diffusers folders get the default latent scaling (mean 0, std 1).
    """
    if str(path_or_name) in BUILTIN_CODECS and not Path(path_or_name).exists():
        return build_codec(BUILTIN_CODECS[str(path_or_name)]())
    folder = Path(path_or_name)
    if not folder.is_dir():
        raise CheckpointError(
            f"codec not found: {folder} is not a folder or one of the built-in codecs ({', '.join(BUILTIN_CODECS)})"
        )
    own = read_json_object(folder / CODEC_CONFIG_NAME)
    if own is not None:
        spec = codec_config_from_dict(own)
        return build_codec(spec.replace(path=str(folder)) if getattr(spec, "path", "") is None else spec)
    config = read_json_object(folder / "config.json")
    if config is None:
        index = read_json_object(folder / "model_index.json")
        if index is not None and (folder / "vae" / "config.json").is_file():
            return load_codec(folder / "vae")
        raise CheckpointError(f"{folder} is not a codec folder (no {CODEC_CONFIG_NAME} or config.json)")
    if config.get("model_type") == MelCodecConfig.model_type:
        return MelCodec.from_pretrained(folder)
    if config.get("model_type") == "encodec":
        return EncodecCodec(EncodecCodecConfig(path=str(folder)))
    if config.get("_class_name") == "AutoencoderOobleck":
        return OobleckCodec(OobleckCodecConfig(path=str(folder)))
    found = config.get("model_type") or config.get("_class_name") or "an unknown model"
    raise CheckpointError(f"{folder} holds {found}, not an audio codec (mel, EnCodec or AutoencoderOobleck)")
