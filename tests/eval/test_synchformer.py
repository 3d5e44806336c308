"""Synchformer (DeSync): the official layout, each branch against an independent definition, strict
loading of random weights saved in that layout, and DeSync end to end on small clips."""

from __future__ import annotations

import json

import librosa
import numpy as np
import pytest
import torch

from genav.errors import CheckpointError, InputError
from genav.eval.classifiers.motionformer import DividedAttention
from genav.eval.classifiers.synchformer import AstFeatures, Synchformer, load_synchformer, sync_log_mel

TINY = dict(dim=48, depth=1, hidden=96, ast_depth=1, ast_hidden=96, sync_depth=1, image_size=32)


def test_official_layout_names_and_shapes():
    """Tensors of the released checkpoint that pin the layout (768 wide, 224 px, 14 + 14 segments)."""
    with torch.device("meta"):
        state = Synchformer().state_dict()
    expected = {
        "vfeat_extractor.patch_embed.proj.weight": (768, 3, 16, 16),
        "vfeat_extractor.patch_embed_3d.proj.weight": (768, 3, 2, 16, 16),
        "vfeat_extractor.pos_embed": (1, 197, 768),
        "vfeat_extractor.temp_embed": (1, 8, 768),
        "vfeat_extractor.blocks.11.timeattn.qkv.weight": (2304, 768),
        "vfeat_extractor.blocks.11.norm3.weight": (768,),
        "vfeat_extractor.spatial_attn_agg.cls_token": (1, 1, 768),
        "vfeat_extractor.spatial_attn_agg.self_attn.in_proj_weight": (2304, 768),
        "vfeat_extractor.spatial_attn_agg.linear1.weight": (3072, 768),
        "afeat_extractor.ast.embeddings.position_embeddings": (1, 74, 768),
        "afeat_extractor.ast.embeddings.patch_embeddings.projection.weight": (768, 1, 16, 16),
        "afeat_extractor.ast.encoder.layer.11.attention.attention.query.weight": (768, 768),
        "afeat_extractor.ast.encoder.layer.11.output.dense.weight": (768, 3072),
        "afeat_extractor.ast.layernorm.weight": (768,),
        "afeat_extractor.freq_attn_agg.norm2.weight": (768,),
        "vproj.weight": (768, 768),
        "transformer.OFF_tok": (1, 1, 768),
        "transformer.pos_emb_cfg.pos_emb": (1, 198, 768),
        "transformer.blocks.2.mlp.2.weight": (768, 3072),
        "transformer.blocks.2.attn.query.weight": (768, 768),
        "transformer.off_head.weight": (21, 768),
    }
    assert {k: tuple(state[k].shape) for k in expected} == expected
    assert not any(k.startswith(("vfeat_extractor.head", "vfeat_extractor.pre_logits")) for k in state)


def _grouped_reference(attn: DividedAttention, x: torch.Tensor, groups: torch.Tensor) -> torch.Tensor:
    """Divided attention one group at a time: each group's queries see the CLS and the group."""
    b, n, d = x.shape
    h = attn.heads
    q, k, v = (t.reshape(b, n, h, d // h).transpose(1, 2) for t in attn.qkv(x).chunk(3, dim=-1))
    out = torch.zeros_like(q)
    out[:, :, :1] = torch.softmax(q[:, :, :1] @ k.transpose(-1, -2) / (d // h) ** 0.5, -1) @ v
    for group in groups.tolist():
        idx = [0] + [g + 1 for g in group]
        qq = q[:, :, [g + 1 for g in group]]
        w = torch.softmax(qq @ k[:, :, idx].transpose(-1, -2) / (d // h) ** 0.5, -1)
        out[:, :, [g + 1 for g in group]] = w @ v[:, :, idx]
    return attn.proj(out.transpose(1, 2).reshape(b, n, d))


def test_divided_attention_equals_attention_group_by_group():
    torch.manual_seed(0)
    attn = DividedAttention(24, 4)
    frames, patches = 3, 4
    x = torch.randn(2, 1 + frames * patches, 24)
    index = torch.arange(frames * patches).reshape(frames, patches)
    for groups in (index, index.T):  # space (one frame), time (one patch position)
        torch.testing.assert_close(attn(x, groups), _grouped_reference(attn, x, groups), atol=1e-5, rtol=1e-5)


def test_ast_branch_equals_transformers_ast_model():
    """The audio branch's AST against transformers' own ASTModel with the same weights."""
    from transformers import ASTConfig, ASTModel

    torch.manual_seed(0)
    ours = AstFeatures(dim=48, depth=2, heads=12, hidden=96).eval()
    for p in ours.parameters():
        torch.nn.init.normal_(p, std=0.3)
    config = ASTConfig(hidden_size=48, num_hidden_layers=2, num_attention_heads=12, intermediate_size=96,
                       max_length=66, num_mel_bins=128)  # fmt: skip
    theirs = ASTModel(config).eval()
    rename = {"attention.attention.query": "attention.q_proj", "attention.attention.key": "attention.k_proj",
              "attention.attention.value": "attention.v_proj", "attention.output.dense": "attention.o_proj",
              "intermediate.dense": "mlp.fc1", "output.dense": "mlp.fc2"}  # fmt: skip
    mapped = {}
    for key, value in ours.state_dict().items():
        if not key.startswith("ast."):
            continue
        key = key[len("ast.") :].replace("encoder.layer.", "layers.")
        for a, b in rename.items():
            key = key.replace(a, b)
        mapped[key] = value
    theirs.load_state_dict(mapped, strict=True)
    logmel = torch.randn(3, 128, 66)
    with torch.no_grad():
        expected = theirs(input_values=logmel.transpose(1, 2)).last_hidden_state
        torch.testing.assert_close(ours.encode(logmel), expected, atol=1e-4, rtol=1e-4)
        assert ours(logmel).shape == (3, 6, 48)


def test_log_mel_matches_the_published_front_end():
    """Power mel (n_fft 1024, win 400, hop 160, centred, HTK, no norm), log(x + 1e-6), padded to 66,
    normalised with AST's statistics: computed here with librosa."""
    wave = np.random.default_rng(0).standard_normal(10240).astype(np.float32) * 0.1
    power = librosa.feature.melspectrogram(y=wave.astype(np.float64), sr=16000, n_fft=1024, hop_length=160,
                                           win_length=400, window="hann", center=True, pad_mode="reflect",
                                           power=2.0, n_mels=128, fmin=0.0, fmax=8000, htk=True, norm=None)  # fmt: skip
    expected = np.pad(np.log(power + 1e-6), ((0, 0), (0, 66 - power.shape[1])))
    expected = (expected - -4.2677393) / (2 * 4.5689974)
    assert power.shape == (128, 65)
    np.testing.assert_allclose(sync_log_mel(torch.from_numpy(wave)).numpy(), expected, atol=1e-4)


@pytest.fixture(scope="module")
def tiny_file(tmp_path_factory):
    torch.manual_seed(0)
    model = Synchformer(**TINY)
    for p in model.parameters():
        torch.nn.init.normal_(p, std=0.3)
    path = tmp_path_factory.mktemp("synchformer") / "synchformer_state_dict.pth"
    torch.save(model.state_dict(), path)
    return path


def test_random_weights_in_the_official_layout_load_strictly(tiny_file, tmp_path):
    model = load_synchformer(tiny_file)
    assert model.image_size == 32 and not any(p.requires_grad for p in model.parameters())
    video = torch.rand(14, 16, 3, 32, 32) * 2 - 1
    logmels = sync_log_mel(torch.randn(14, 10240) * 0.1)
    with torch.no_grad():
        v, a = model.video_features(video), model.audio_features(logmels)
        assert v.shape == (14, 8, 48) and a.shape == (14, 6, 48)
        logits = model.offset_logits(v[None], a[None])
        assert logits.shape == (1, 21)
        torch.testing.assert_close(load_synchformer(tiny_file).offset_logits(v[None], a[None]), logits)
    state = torch.load(tiny_file, weights_only=True)
    del state["transformer.ln_f.bias"]
    torch.save(state, tmp_path / "partial.pth")
    with pytest.raises(CheckpointError, match="transformer.ln_f.bias"):
        load_synchformer(tmp_path / "partial.pth")
    torch.save({"model": state, "epoch": 3}, tmp_path / "training.pt")
    with pytest.raises(CheckpointError, match="state dict of tensors"):
        load_synchformer(tmp_path / "training.pt")


def test_offsets_are_signed_audio_late_and_need_4_8_seconds(tiny_file, monkeypatch):
    from genav.eval.runners.desync import clip_offsets

    model = load_synchformer(tiny_file)
    frames = np.zeros((200, 32, 32, 3), dtype=np.uint8)
    wave = np.zeros(128000, dtype=np.float32)
    # Synchformer's class 15 (+1.0 s) means the audio runs 1 s ahead: reported as -1.0 (audio early)
    monkeypatch.setattr(model, "offset_logits", lambda v, a: torch.nn.functional.one_hot(torch.tensor([15]), 21))
    result = clip_offsets(model, frames, wave)
    assert result["offsets_s"] == [-1.0, -1.0] and result["desync_s"] == 1.0 and result["segments"] == 24
    with pytest.raises(InputError, match="4.8 s"):
        clip_offsets(model, frames[:110], wave)


def test_desync_in_the_av_benchmark_command(tiny_file, tmp_path):
    from typer.testing import CliRunner

    from genav.cli.app import app
    from genav.media import Audio, write_audio, write_video

    rng = np.random.default_rng(0)
    for name, seconds in (("long", 5.2), ("short", 3.0)):
        frames = rng.integers(0, 255, (int(25 * seconds), 48, 64, 3), dtype=np.uint8)
        write_video(tmp_path / "ref" / f"{name}.mp4", frames, fps=25)
        wave = rng.standard_normal(int(16000 * seconds)).astype(np.float32) * 0.1
        write_audio(tmp_path / "gen" / f"{name}.wav", Audio(wave, 16000))
    out = tmp_path / "r.json"
    args = ["eval", "all", "--ref", str(tmp_path / "ref"), "--gen", str(tmp_path / "gen"), "--av-benchmark",
            "--synchformer", str(tiny_file), "--json", str(out), "--workers", "1"]  # fmt: skip
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 1, result.output  # the 3 s clip cannot be judged: named, the run goes on
    report = json.loads(out.read_text())
    row = {r["name"]: r for r in report["items"]}["DeSync"]
    assert row["n"] == 1 and row["score"] is not None and "short" in row["error"] and "4.8 s" in row["error"]
    items = {r["name"]: r for r in report["desync_items"]}
    assert len(items["long"]["offsets_s"]) == 2 and items["long"]["segments"] == 15  # (130 frames - 16) // 8 + 1
    assert items["long"]["video"].endswith("long.mp4") and items["long"]["audio"].endswith("long.wav")


def test_eval_sync_with_synchformer_gives_signed_offsets_per_clip(tiny_file, tmp_path):
    from typer.testing import CliRunner

    from genav.cli.app import app
    from genav.media import Audio, write_audio, write_video

    rng = np.random.default_rng(1)
    for name, seconds in (("ok", 5.0), ("brief", 2.0)):
        write_video(tmp_path / "clips" / f"{name}.mp4", rng.integers(0, 255, (int(25 * seconds), 40, 40, 3),
                                                                     dtype=np.uint8), fps=25)  # fmt: skip
        write_audio(tmp_path / "clips" / f"{name}.wav",
                    Audio(rng.standard_normal(int(16000 * seconds)).astype(np.float32) * 0.1, 16000))  # fmt: skip
    out = tmp_path / "sync.json"
    args = ["eval", "sync", str(tmp_path / "clips"), "--synchformer", str(tiny_file), "--json", str(out)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 1 and "brief" in result.output, result.output
    report = json.loads(out.read_text())
    rows = {r["name"]: r for r in report["clips"]}
    assert rows["ok"]["offset_s"] == pytest.approx(np.mean(rows["ok"]["offsets_s"]))
    assert all(o in [round(-2.0 + 0.2 * i, 1) for i in range(21)] for o in rows["ok"]["offsets_s"])
    assert rows["ok"]["audio"].endswith("ok.wav") and "4.8 s" in rows["brief"]["error"]
    assert report["mean_abs_offset_s"] == pytest.approx(rows["ok"]["desync_s"]) and report["n_failed"] == 1


def test_frames_are_resampled_to_25_fps_and_centre_cropped_on_the_short_side(tmp_path):
    from genav.eval.runners.desync import sync_frames
    from genav.media import write_video

    frames = np.zeros((60, 48, 96, 3), dtype=np.uint8)  # 2 s at 30 fps, 96x48: red | green | blue thirds
    frames[:, :, :32, 0] = frames[:, :, 32:64, 1] = frames[:, :, 64:, 2] = 255
    write_video(tmp_path / "wide.mp4", frames, fps=30)
    out = sync_frames(tmp_path / "wide.mp4", 32, 8.0)
    assert out.shape == (50, 32, 32, 3)  # 2 s at 25 fps; scaled to 64x32, the middle 32 columns kept
    middle = out[:, :, 4:28].reshape(-1, 3).mean(0)
    assert middle[1] > 200 and middle[0] < 60 and middle[2] < 60  # only the green third survives
