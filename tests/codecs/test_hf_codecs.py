"""EnCodec (transformers) and Oobleck (diffusers) codecs on tiny random models saved locally."""

from __future__ import annotations

import json

import pytest
import torch

from genav.codecs import (
    EncodecCodec,
    EncodecCodecConfig,
    OobleckCodec,
    OobleckCodecConfig,
    codec_from_config,
    load_codec,
)
from genav.errors import CheckpointError, ConfigError


@pytest.fixture(scope="module")
def encodec_dir(tmp_path_factory):
    from transformers import EncodecConfig, EncodecFeatureExtractor, EncodecModel

    folder = tmp_path_factory.mktemp("encodec")
    torch.manual_seed(0)
    cfg = EncodecConfig(sampling_rate=8000, hidden_size=16, num_filters=4, upsampling_ratios=[4, 2],
                        num_lstm_layers=1, codebook_size=1024, target_bandwidths=[10.0, 20.0])
    EncodecModel(cfg).save_pretrained(folder)
    EncodecFeatureExtractor(feature_size=1, sampling_rate=8000).save_pretrained(folder)
    return folder


@pytest.fixture(scope="module")
def oobleck_dir(tmp_path_factory):
    from diffusers import AutoencoderOobleck

    folder = tmp_path_factory.mktemp("oobleck")
    torch.manual_seed(0)
    AutoencoderOobleck(encoder_hidden_size=8, downsampling_ratios=[2, 4], channel_multiples=[1, 2],
                       decoder_channels=8, decoder_input_channels=4, audio_channels=2,
                       sampling_rate=16000).save_pretrained(folder)
    return folder


def _round_trip(codec, n):
    wave = torch.randn(2, codec.audio_channels, n, generator=torch.Generator().manual_seed(n)) * 0.1
    z = codec.encode(wave)
    assert z.shape == (2, codec.latent_dim, codec.num_frames(n))
    out = codec.decode(z)
    assert out.shape == (2, codec.audio_channels, codec.num_samples(z.shape[-1]))
    assert torch.isfinite(z).all() and torch.isfinite(out).all()
    assert torch.equal(codec.encode(wave), z) and torch.equal(codec.decode(z), out)
    # rows decode independently (conv kernels may round differently per batch size: ~1e-7)
    torch.testing.assert_close(codec.decode(z[1:]), out[1:], atol=1e-5, rtol=0)
    return wave, z, out


def test_encodec_round_trip(encodec_dir):
    codec = load_codec(encodec_dir)
    assert isinstance(codec, EncodecCodec)
    assert (codec.sample_rate, codec.hop_length, codec.latent_dim, codec.audio_channels) == (8000, 8, 16, 1)
    assert codec.frame_rate == 1000.0
    for n in (800, 803, 5):
        _round_trip(codec, n)
    assert list(codec.state_dict())  # the wrapped model's weights belong to the codec


def test_encodec_quantized_and_scaling(encodec_dir, tmp_path):
    cont = EncodecCodec(EncodecCodecConfig(path=str(encodec_dir)))
    quant = EncodecCodec(EncodecCodecConfig(path=str(encodec_dir), latent_kind="quantized", bandwidth=20.0))
    wave, z, _ = _round_trip(quant, 400)
    assert not torch.allclose(z, cont.encode(wave))
    scaled = EncodecCodec(EncodecCodecConfig(path=str(encodec_dir), latent_mean=0.5, latent_std=2.0))
    assert torch.allclose(scaled.encode(wave), (cont.encode(wave) - 0.5) / 2.0, atol=1e-6)
    assert torch.allclose(scaled.decode(scaled.encode(wave)), cont.decode(cont.encode(wave)), atol=1e-5)
    scaled.save_pretrained(tmp_path / "saved")
    again = load_codec(tmp_path / "saved")
    assert again.config.latent_std == 2.0 and again.config.path == str(tmp_path / "saved")
    assert torch.equal(again.encode(wave), scaled.encode(wave))
    spec = EncodecCodecConfig(path=str(encodec_dir), latent_kind="quantized", bandwidth=10.0)
    assert codec_from_config(spec.to_dict()).bandwidth == 10.0
    assert cont.bandwidth == 10.0  # default: the lowest target bandwidth
    with pytest.raises(ConfigError, match="bandwidth"):
        EncodecCodec(spec.replace(bandwidth=3.0))


def test_oobleck_round_trip(oobleck_dir, tmp_path):
    codec = load_codec(oobleck_dir)
    assert isinstance(codec, OobleckCodec)
    assert (codec.sample_rate, codec.hop_length, codec.latent_dim, codec.audio_channels) == (16000, 8, 4, 2)
    for n in (800, 803):
        wave, z, out = _round_trip(codec, n)
    sampled = OobleckCodec(OobleckCodecConfig(path=str(oobleck_dir), sample_latents=True, sample_seed=3))
    zs = sampled.encode(wave)
    assert torch.equal(zs, sampled.encode(wave)) and not torch.equal(zs, codec.encode(wave))
    codec.save_pretrained(tmp_path / "saved")
    assert torch.equal(load_codec(tmp_path / "saved").decode(z), out)


def test_oobleck_from_pipeline_folder(oobleck_dir, tmp_path):
    import shutil

    shutil.copytree(oobleck_dir, tmp_path / "pipe" / "vae")
    (tmp_path / "pipe" / "model_index.json").write_text(json.dumps({"_class_name": "StableAudioPipeline"}))
    assert isinstance(load_codec(tmp_path / "pipe"), OobleckCodec)


def test_wrong_or_missing_folders(encodec_dir, oobleck_dir, tmp_path):
    with pytest.raises(CheckpointError, match="not found"):
        EncodecCodec(EncodecCodecConfig(path=str(tmp_path / "nope")))
    with pytest.raises(CheckpointError, match="no model folder"):
        EncodecCodec(EncodecCodecConfig())
    with pytest.raises(CheckpointError, match="not AutoencoderOobleck"):
        OobleckCodec(OobleckCodecConfig(path=str(encodec_dir)))
    with pytest.raises(CheckpointError, match="could not load"):
        EncodecCodec(EncodecCodecConfig(path=str(oobleck_dir)))
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "config.json").write_text((encodec_dir / "config.json").read_text())
    with pytest.raises(CheckpointError, match="could not load"):
        load_codec(broken)
    (broken / "config.json").write_text("{not json")
    with pytest.raises(CheckpointError, match="not valid JSON"):
        load_codec(broken)
    (broken / "config.json").write_text(json.dumps({"model_type": "bert"}))
    with pytest.raises(CheckpointError, match="not an audio codec"):
        load_codec(broken)
