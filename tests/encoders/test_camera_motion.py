"""Camera-compensated motion: pans, shakes, flicker and cuts give no motion; objects still do."""

import torch
import torch.nn.functional as F

from genav.encoders.camera_motion import align_to_next, camera_free_differences
from genav.encoders.video import VideoEncoder, VideoEncoderConfig, motion_features


def _texture(size: int, seed: int = 0) -> torch.Tensor:
    """A smooth random grey texture (size, size) in [0.2, 0.8]."""
    g = torch.Generator().manual_seed(seed)
    noise = torch.rand(1, 1, size // 8, size // 8, generator=g)
    tex = F.interpolate(noise, size=(size, size), mode="bicubic", align_corners=False)[0, 0]
    return 0.2 + 0.6 * (tex - tex.min()) / (tex.max() - tex.min())


def _crop_path(big: torch.Tensor, shifts: list[tuple[float, float]], size: int) -> torch.Tensor:
    """Frames (T, size, size) viewing ``big`` through a window moved by sub-pixel ``shifts`` (x, y)."""
    frames = []
    for dx, dy in shifts:
        ys = torch.arange(size, dtype=torch.float32) + 16 + dy
        xs = torch.arange(size, dtype=torch.float32) + 16 + dx
        h, w = big.shape
        grid = torch.stack(torch.meshgrid((2 * xs + 1) / w - 1, (2 * ys + 1) / h - 1, indexing="xy"), -1)
        frames.append(F.grid_sample(big[None, None], grid[None], align_corners=False)[0, 0])
    return torch.stack(frames)


def _to_video(grey: torch.Tensor) -> torch.Tensor:
    """(T, H, W) grey in [0, 1] -> (1, T, H, W, 3) uint8."""
    return (grey.clamp(0, 1) * 255).round().to(torch.uint8)[None, ..., None].expand(-1, -1, -1, -1, 3).contiguous()


def _square(frames: torch.Tensor, xs: list[int], y: int = 40, side: int = 12, value: float = 0.95) -> torch.Tensor:
    out = frames.clone()
    for t, x in enumerate(xs):
        out[t, y : y + side, x : x + side] = value
    return out


def test_alignment_recovers_a_known_shift_and_brightness_change():
    big = _texture(160)
    pair = _crop_path(big, [(0.0, 0.0), (2.5, -1.25)], 64)
    prev, cur = pair[:1], 0.8 * pair[1:] + 0.05
    dx, dy, gain, offset = align_to_next(prev, cur)[0].tolist()
    assert abs(dx - 2.5) < 0.15 and abs(dy + 1.25) < 0.15
    assert abs(gain - 0.8) < 0.05 and abs(offset - 0.05) < 0.03


def test_pan_shake_and_flicker_make_no_motion_but_plain_differences_do():
    big = _texture(160, seed=1)
    t = 30
    shifts = [(1.3 * k, 0.4 * k) for k in range(15)] + [(19.5 + 3 * (-1) ** k, 5.6) for k in range(15)]
    grey = _crop_path(big, shifts, 64)
    gains = torch.ones(t)
    gains[[5, 12, 21]] = torch.tensor([0.6, 1.3, 0.7])
    video = _to_video(grey * gains[:, None, None])
    plain = motion_features(video)[0]
    comp = motion_features(video, camera_compensation=True)[0]
    assert plain[1:, -1].mean() > 0.3
    assert comp[1:, -1].mean() < 0.25 * plain[1:, -1].mean()
    assert comp[1:, -1].max() < 0.5 * plain[1:, -1].max()


def test_an_object_on_a_still_flat_background_keeps_its_motion():
    t = 20
    flat = torch.full((t, 64, 64), 0.3)
    xs = [2 + 2 * k for k in range(10)] + [22] * 10  # moves, then stops
    video = _to_video(_square(flat, xs))
    plain = motion_features(video)[0]
    comp = motion_features(video, camera_compensation=True)[0]
    assert torch.allclose(comp, plain, atol=0.02)
    assert comp[1:10, -1].min() > 0.05 and comp[11:, -1].max() == 0


def test_an_object_moving_over_a_panning_textured_background_stands_out():
    big = _texture(160, seed=2)
    t = 16
    grey = _crop_path(big, [(1.1 * k, 0.0) for k in range(t)], 64)
    video = _to_video(_square(grey, [50 - 3 * k for k in range(t)], y=4))
    comp = motion_features(video, camera_compensation=True, grid=4)[0]
    background = motion_features(_to_video(grey), camera_compensation=True, grid=4)[0]
    # the square lies in the top row of cells (y 4..16): its move shows there, not in the bottom rows
    top, bottom = comp[1:, 0:4].amax(-1).mean(), comp[1:, 12:16].amax(-1).mean()
    assert top > 0.2 and top > 4 * bottom
    assert top > 4 * background[1:, 0:4].amax(-1).mean()


def test_a_scene_cut_gives_no_motion():
    a, b = _texture(64, seed=3), _texture(64, seed=4)
    t = 20
    flat = torch.stack([a] * 10 + [b] * 10)
    video = _to_video(_square(flat, [10 + k for k in range(t)], y=20))
    plain = motion_features(video)[0]
    comp = motion_features(video, camera_compensation=True)[0]
    assert plain[10, -1] > 3 * plain[5, -1]
    assert comp[10].max() == 0
    assert comp[5, -1] > 0.5 * plain[5, -1]  # the object's motion either side of the cut stays


def test_differences_shape_and_exact_repeats():
    grey = torch.rand(2, 5, 64, 64)
    grey[:, 2] = grey[:, 1]
    out = camera_free_differences(grey, 32, 4)
    assert out.shape == (2, 5, 32, 32)
    assert (out[:, 0] == 0).all() and (out[:, 2] == 0).all()


def test_encoder_config_switches_it_on():
    big = _texture(160, seed=5)
    video = _to_video(_crop_path(big, [(1.5 * k, 0.0) for k in range(12)], 64))
    plain = VideoEncoder(VideoEncoderConfig(fps=10, sync_fps=10)).prepare_inputs(video).motion
    comp = VideoEncoder(VideoEncoderConfig(fps=10, sync_fps=10, camera_compensation=True)).prepare_inputs(video).motion
    assert comp[0, 1:, -1].mean() < 0.25 * plain[0, 1:, -1].mean()


def test_flicker_that_clips_saturated_colours_is_mostly_removed():
    """Brightness added to every channel and clipped (as ffmpeg's eq filter on colour bars) changes
    each colour's grey level differently: no global gain/offset explains it, block medians do."""
    # grey 0.1 -> 0.4, 0.43 -> 0.67, 0.5 -> 0.8, 0.95 -> 1.0 once 0.3 is added: not affine
    bars = torch.tensor([[0.1, 0.1, 0.1], [0.9, 0.2, 0.2], [0.5, 0.5, 0.5], [0.95, 0.95, 0.95]])
    picture = bars.repeat_interleave(16, 0)[None].expand(64, -1, -1).clone()  # (64, 64, 3) four bars
    t = 12
    frames = picture[None].repeat(t, 1, 1, 1)
    for k in (3, 7, 8):
        frames[k] = (frames[k] + 0.3).clamp(0, 1)
    video = (frames * 255).round().to(torch.uint8)[None]
    plain = motion_features(video)[0]
    comp = motion_features(video, camera_compensation=True)[0]
    for k in (3, 4, 7, 9):  # into and out of each flash
        assert plain[k, -1] > 0.4
        assert comp[k, -1] < 0.25 * plain[k, -1]


def test_aligning_in_chunks_of_frame_pairs_changes_nothing(monkeypatch):
    """Long videos are aligned a chunk of frame pairs at a time (bounded memory): same result."""
    import genav.encoders.camera_motion as camera_motion

    big = _texture(160, seed=6)
    grey = _crop_path(big, [(0.9 * k, 0.3 * k) for k in range(11)], 64)[None]
    whole = camera_free_differences(grey, 32, 4)
    monkeypatch.setattr(camera_motion, "_PAIRS", 3)
    torch.testing.assert_close(camera_free_differences(grey, 32, 4), whole, atol=1e-6, rtol=0)


def test_with_repeat_spread_a_lower_rate_video_has_no_pulse_train():
    """Both options together (the foley-small recipe): repeats left by frame-rate conversion share
    the next new frame's compensated change."""
    t = 20
    flat = torch.full((t, 64, 64), 0.3)
    xs = [4 + 2 * (k // 2) for k in range(t)]  # a 12.5 fps move read at 25 fps: every frame shown twice
    video = _to_video(_square(flat, xs))
    comp = motion_features(video, camera_compensation=True)[0, :, -1]
    spread = motion_features(video, camera_compensation=True, repeat_spread=4)[0, :, -1]
    assert (comp[2:-1] == 0).any() and (spread[2:-1] > 0).all()  # frame 1 repeats a still frame 0
