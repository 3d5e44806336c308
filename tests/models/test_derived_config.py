"""Derived config fields have one source: ``latent_dim``/``audio_frame_rate`` follow the codec config,
``text_dim`` the text-encoder config; stored values (old checkpoints, recipes) are checked, not trusted."""

from __future__ import annotations

import json

import pytest

from genav.codecs import EncodecCodecConfig, MelCodecConfig
from genav.encoders.text import TextEncoderConfig
from genav.errors import ConfigError
from genav.models import AudioMMDiTConfig, debug_config
from genav.models.t2v_dit import T2VDiTConfig
from genav.registry import CHECKPOINTS_DIR


def test_fields_derive_from_the_codec_and_text_encoder():
    cfg = AudioMMDiTConfig(codec=MelCodecConfig(n_mels=40, hop_length=320, audio_channels=2),
                           text_encoder=TextEncoderConfig(kind="hash", dim=48))
    assert (cfg.latent_dim, cfg.audio_frame_rate, cfg.text_dim) == (80, 50.0, 48)
    assert AudioMMDiTConfig().text_dim == 384  # MiniLM
    assert T2VDiTConfig(text_encoder=TextEncoderConfig(kind="hash", dim=24)).text_dim == 24


def test_replace_follows_the_nested_config():
    cfg = debug_config().replace(codec=MelCodecConfig(n_mels=48), text_encoder=TextEncoderConfig(kind="minilm"))
    assert (cfg.latent_dim, cfg.audio_frame_rate, cfg.text_dim) == (48, 62.5, 384)
    assert debug_config(codec=MelCodecConfig(n_mels=24)).latent_dim == 24


@pytest.mark.parametrize(("key", "value", "source"), [
    ("latent_dim", 48, "codec-mel codec gives 32"),
    ("audio_frame_rate", 50.0, "codec-mel codec gives 62.5"),
    ("text_dim", 384, "hash text encoder gives 32"),
])
def test_a_stored_value_that_disagrees_is_a_one_line_error(key, value, source):
    data = {**debug_config().to_dict(), key: value}
    with pytest.raises(ConfigError, match=f"{key} is {value} but the {source}") as err:
        AudioMMDiTConfig.from_dict(data)
    assert "\n" not in str(err.value)


def test_committed_checkpoints_that_store_them_still_load():
    for name in ("genav-foley-tiny", "genav-t2a-small"):
        stored = json.loads((CHECKPOINTS_DIR / name / "config.json").read_text())
        cfg = AudioMMDiTConfig.load(CHECKPOINTS_DIR / name / "config.json")
        assert (cfg.latent_dim, cfg.audio_frame_rate, cfg.text_dim) == (
            stored["latent_dim"], stored["audio_frame_rate"], stored["text_dim"])
    stored = json.loads((CHECKPOINTS_DIR / "genav-t2v-tiny" / "config.json").read_text())
    assert T2VDiTConfig.load(CHECKPOINTS_DIR / "genav-t2v-tiny" / "config.json").text_dim == stored["text_dim"]


def test_a_folder_backed_codec_needs_the_values_given():
    codec = EncodecCodecConfig(path="/models/encodec_24khz")
    with pytest.raises(ConfigError, match="give latent_dim"):
        AudioMMDiTConfig(codec=codec)
    cfg = AudioMMDiTConfig(codec=codec, latent_dim=128, audio_frame_rate=75.0)
    assert (cfg.latent_dim, cfg.audio_frame_rate) == (128, 75.0)  # checked when the codec loads (check_codec)
    assert AudioMMDiTConfig.from_dict(cfg.to_dict()) == cfg
