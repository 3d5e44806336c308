"""Video encoder: shapes, rates, masks, determinism, motion peaks at jolts, CLIP folders."""

from __future__ import annotations

import pytest
import torch

from genav.encoders import (
    CLIPVisionEncoder,
    VideoEncoder,
    VideoEncoderConfig,
    motion_features,
    num_frames_at,
    window_centre_indices,
)
from genav.errors import CheckpointError, ConfigError, InputError

EVENTS = (10, 27, 40)


def jolting_square(t: int = 50, size: int = 64, events=EVENTS) -> torch.Tensor:
    """``(1, T, size, size, 3)`` uint8: a static scene whose square jolts right at ``events``
    and settles back over three frames (offsets 6, 3, 1, 0 px)."""
    offsets = [0] * t
    for e in events:
        for k, off in enumerate((6, 3, 1)):
            if e + k < t:
                offsets[e + k] = off
    frames = torch.full((1, t, size, size, 3), 40, dtype=torch.uint8)
    frames[..., 40:, :, 2] = 90  # some static texture
    for i, off in enumerate(offsets):
        frames[0, i, 2:14, 2 + off : 14 + off] = 230
    return frames


def test_rates_and_indices():
    assert num_frames_at(50, 25.0, 8.0) == 16 and num_frames_at(1, 25.0, 8.0) == 1
    idx = window_centre_indices(50, 25.0, 8.0)
    assert idx[0] == 1 and idx[-1] == 48 and torch.all(idx[1:] > idx[:-1])


def test_shapes_and_masks():
    torch.manual_seed(0)
    enc = VideoEncoder()
    frames = torch.randint(0, 256, (2, 50, 48, 80, 3), dtype=torch.uint8)
    mask = torch.ones(2, 50, dtype=torch.bool)
    mask[1, 30:] = False  # the second clip is shorter
    out = enc(frames, mask)
    assert out.semantic.shape == (2, 16, 128) and out.semantic_mask.shape == (2, 16)
    assert out.sync.shape == (2, 50, 64) and out.motion.shape == (2, 50, 17)
    assert (out.semantic_fps, out.sync_fps) == (8.0, 25.0)
    assert out.sync_mask[1].sum() == 30 and not out.semantic_mask[1, 10:].any()
    assert torch.all(out.sync[1, 30:] == 0) and torch.all(out.semantic[1, 10:] == 0)
    assert torch.all(out.motion[1, 30:] == 0) and torch.all(out.motion[:, 0] == 0)

    low_enc = VideoEncoder(VideoEncoderConfig(sync_fps=10.0))
    assert (low_enc.semantic_frames(50), low_enc.sync_frames(50)) == (16, 20)
    low = low_enc(frames, mask)
    assert low.sync.shape == (2, 20, 64) and low.sync_mask[1].sum() == 12


def test_deterministic_and_trainable():
    frames = jolting_square(t=20)
    torch.manual_seed(3)
    a = VideoEncoder()
    torch.manual_seed(3)
    b = VideoEncoder()
    fa, fb = a(frames), b(frames)
    assert torch.equal(fa.semantic, fb.semantic) and torch.equal(fa.sync, fb.sync)
    (fa.semantic.sum() + fa.sync.sum()).backward()
    assert a.frame_encoder.head.weight.grad is not None and a.sync_proj[0].weight.grad is not None


def test_motion_peaks_at_jolts():
    feats = motion_features(jolting_square())[0]  # (T, 17)
    glob = feats[:, -1]
    peaks = [t for t in range(1, len(glob) - 1) if glob[t] > glob[t - 1] and glob[t] >= glob[t + 1]
             and glob[t] > 0.5 * glob.max()]
    assert peaks == list(EVENTS)
    quiet = [t for t in range(len(glob)) if all(abs(t - e) > 3 for e in EVENTS)]
    assert torch.all(glob[quiet] == 0)
    cells = feats[:, :16].reshape(-1, 4, 4)
    at_events = cells[list(EVENTS)]
    assert torch.all(at_events[:, 2:, :] == 0) and torch.all(at_events[:, :, 2:] == 0)  # far cells still
    assert torch.all(at_events[:, 0, 0] > 0.5)
    # Through the encoder the raw features ride along unchanged at the input rate.
    out = VideoEncoder()(jolting_square())
    assert torch.allclose(out.motion[0], feats)


def gliding_square(fps: float, seconds: float = 2.0, size: int = 64) -> torch.Tensor:
    """``(1, T, size, size, 3)`` uint8 at ``fps``: a square gliding right at 50 px/s."""
    n = round(seconds * fps)
    frames = torch.full((1, n, size, size, 3), 40, dtype=torch.uint8)
    for i in range(n):
        x = round(4 + 50 * i / fps) % (size - 16)
        frames[0, i, 20:32, x : x + 12] = 230
    return frames


def read_at(frames: torch.Tensor, fps: float, out_fps: float) -> torch.Tensor:
    """The frames a reader at ``out_fps`` shows: the latest source frame at each output time."""
    n = round(frames.shape[1] * out_fps / fps)
    return frames[:, [min(int(k * fps / out_fps + 1e-9), frames.shape[1] - 1) for k in range(n)]]


@pytest.mark.parametrize("source_fps", [10.0, 15.0])
def test_motion_of_a_lower_rate_video_has_no_pulse_train(source_fps):
    """Repeats from reading a 10 or 15 fps video at 25 fps would leave a change of 0 on every
    repeated frame; spread over the repeats the motion stays continuous at the native 25 fps level."""
    native = motion_features(gliding_square(25.0))[0, 1:, -1]
    read = read_at(gliding_square(source_fps), source_fps, 25.0)
    plain = motion_features(read)[0, 1:, -1]
    spread = motion_features(read, repeat_spread=4)[0, 1:, -1]
    assert (plain == 0).float().mean() > 0.3  # the pulse train
    assert torch.all(spread[3:-3] > 0)  # (the first and last repeats have no change to share)
    assert abs(spread.mean() / native.mean() - 1) < 0.25
    assert torch.allclose(VideoEncoder(VideoEncoderConfig(repeat_spread=4))(read).motion[0, 1:, -1], spread)
    # a static scene that jolts keeps its timing: long pauses are not spread
    jolts = motion_features(jolting_square(), repeat_spread=4)
    assert torch.equal(jolts, motion_features(jolting_square()))


def test_bad_inputs():
    enc = VideoEncoder()
    with pytest.raises(InputError, match="no frames"):
        enc(torch.zeros(1, 0, 8, 8, 3, dtype=torch.uint8))
    with pytest.raises(InputError, match="uint8"):
        enc(torch.zeros(1, 4, 8, 8, 3))
    with pytest.raises(InputError, match="shape"):
        enc(torch.zeros(4, 8, 8, 3, dtype=torch.uint8))
    with pytest.raises(InputError, match="mask"):
        enc(torch.zeros(1, 4, 8, 8, 3, dtype=torch.uint8), torch.ones(1, 5, dtype=torch.bool))
    with pytest.raises(ConfigError):
        VideoEncoderConfig(backbone="clip")
    assert VideoEncoderConfig.from_dict(VideoEncoderConfig(sync_fps=12.5).to_dict()).sync_fps == 12.5


@pytest.fixture(scope="module")
def clip_dir(tmp_path_factory):
    from transformers import CLIPVisionConfig, CLIPVisionModel

    folder = tmp_path_factory.mktemp("clip")
    torch.manual_seed(0)
    cfg = CLIPVisionConfig(hidden_size=32, intermediate_size=37, num_hidden_layers=2, num_attention_heads=2,
                           image_size=32, patch_size=8)
    CLIPVisionModel(cfg).save_pretrained(folder)
    return folder


def test_clip_backbone(clip_dir):
    vis = CLIPVisionEncoder(clip_dir)
    assert vis.dim == 32 and vis.image_size == 32
    imgs = torch.randint(0, 256, (3, 40, 60, 3), dtype=torch.uint8)
    emb = vis.encode_images(imgs)
    assert emb.shape == (3, 32) and torch.equal(emb, vis.encode_images(imgs))
    assert vis.preprocess(imgs).shape == (3, 3, 32, 32)

    enc = VideoEncoder(VideoEncoderConfig(backbone="clip", backbone_path=str(clip_dir), semantic_dim=24))
    out = enc(jolting_square(t=25))
    assert out.semantic.shape == (1, 8, 24) and out.sync.shape == (1, 25, 64)
    assert not any(k.startswith("backbone") or "vision_model" in k for k in enc.state_dict())
    enc.to(torch.float64)
    assert next(enc.backbone._model.parameters()).dtype == torch.float64
    assert enc(jolting_square(t=5)).semantic.dtype == torch.float64


def test_clip_bad_folders(tmp_path):
    with pytest.raises(CheckpointError, match="not found"):
        CLIPVisionEncoder(tmp_path / "missing")
    (tmp_path / "bert").mkdir()
    (tmp_path / "bert" / "config.json").write_text('{"model_type": "bert"}')
    with pytest.raises(CheckpointError, match="expected one of"):
        CLIPVisionEncoder(tmp_path / "bert")


@pytest.mark.parametrize("sync_fps", [25.0, 12.5])
def test_precomputed_inputs_of_a_window_equal_encoding_its_frames(sync_fps):
    """Training stores ``prepare_inputs`` of whole clips and encodes windows of them: the same
    features as encoding the window's frames (frame 0 of a window has no motion)."""
    torch.manual_seed(0)
    enc = VideoEncoder(VideoEncoderConfig(sync_fps=sync_fps, frame_size=32))
    frames = jolting_square(t=50, size=32)
    inputs = enc.prepare_inputs(frames)
    assert inputs.semantic.dtype == torch.uint8 and inputs.semantic.shape == (1, 50, 32, 32, 3)
    mask = torch.ones(1, 20, dtype=torch.bool)
    mask[0, 16:] = False
    for a in (0, 7, 25):
        window = type(inputs)(inputs.semantic[:, a : a + 20], inputs.motion[:, a : a + 20])
        got, want = enc.encode_inputs(window, mask), enc(frames[:, a : a + 20], mask)
        for name in ("semantic", "sync", "motion", "semantic_mask", "sync_mask"):
            torch.testing.assert_close(getattr(got, name), getattr(want, name), rtol=0, atol=1e-6, msg=name)
    big = jolting_square(t=10, size=64)  # frames at another size: resized once, to uint8
    assert enc.prepare_inputs(big).semantic.shape == (1, 10, 32, 32, 3)
