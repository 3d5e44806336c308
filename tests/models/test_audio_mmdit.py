"""The audio MM-DiT: shapes, masks, determinism, condition dropout, batching of branches."""

from __future__ import annotations

import dataclasses

import pytest
import torch

from genav.errors import ConfigError, InputError
from genav.models import (
    AudioMMDiT,
    AudioMMDiTConfig,
    Conditioning,
    VideoTokens,
    concat_conditionings,
    debug_config,
    make_conditioning,
)

FPS = 62.5
ATOL = 2e-5


def _frames(b: int, t: int, seed: int = 0) -> torch.Tensor:
    return torch.randint(0, 256, (b, t, 32, 32, 3), dtype=torch.uint8, generator=torch.Generator().manual_seed(seed))


def _cond(model, text_encoder, *, video: bool = True, text: bool = True, seconds: float = 2.0) -> Conditioning:
    emb = text_encoder.encode(["a ball bounces twice", "heavy rain on a tin roof at night"]) if text else None
    feats = model.encode_video(_frames(2, int(seconds * 10))) if video else None
    return make_conditioning(seconds, text=emb, video=feats, frame_rate=FPS, batch=2)


def _x(cond: Conditioning, seed: int = 1) -> torch.Tensor:
    return torch.randn(2, 32, cond.audio_mask.shape[1], generator=torch.Generator().manual_seed(seed))


T = torch.tensor([0.3, 0.7])


@pytest.mark.parametrize("video,text", [(True, True), (False, True), (True, False), (False, False)])
def test_shapes_with_and_without_conditions(model, text_encoder, video: bool, text: bool) -> None:
    cond = _cond(model, text_encoder, video=video, text=text)
    x = _x(cond)
    v = model(x, T, cond)
    assert v.shape == x.shape == (2, 32, 125)
    assert torch.isfinite(v).all() and v.abs().max() > 0


def test_padded_audio_frames_do_not_change_valid_outputs(model, text_encoder) -> None:
    cond = _cond(model, text_encoder)
    x = _x(cond)
    ref = model(x, T, cond)
    padded = dataclasses.replace(cond, audio_mask=torch.cat([cond.audio_mask, torch.zeros(2, 17, dtype=torch.bool)], 1))
    out = model(torch.cat([x, 100 * torch.randn(2, 32, 17)], -1), T, padded)
    torch.testing.assert_close(out[..., :125], ref, atol=ATOL, rtol=1e-4)


def test_padded_text_tokens_do_not_change_outputs(model, text_encoder) -> None:
    cond = _cond(model, text_encoder)
    ref = model(_x(cond), T, cond)
    tokens = torch.cat([cond.text_tokens, 50 * torch.randn(2, 5, 32)], 1)
    mask = torch.cat([cond.text_mask, torch.zeros(2, 5, dtype=torch.bool)], 1)
    out = model(_x(cond), T, dataclasses.replace(cond, text_tokens=tokens, text_mask=mask))
    torch.testing.assert_close(out, ref, atol=ATOL, rtol=1e-4)


def test_padded_video_frames_do_not_change_outputs(model, text_encoder) -> None:
    cond = _cond(model, text_encoder)
    ref = model(_x(cond), T, cond)
    frames = torch.cat([_frames(2, 20), _frames(2, 10, seed=5)], 1)
    mask = torch.zeros(2, 30, dtype=torch.bool)
    mask[:, :20] = True
    feats = model.encode_video(frames, mask)
    assert feats.semantic.shape[1] > cond.video.semantic.shape[1]
    out = model(_x(cond), T, dataclasses.replace(cond, video=feats))
    torch.testing.assert_close(out, ref, atol=ATOL, rtol=1e-4)


def test_video_and_text_change_the_output(model, text_encoder) -> None:
    cond = _cond(model, text_encoder)
    ref = model(_x(cond), T, cond)
    other_video = dataclasses.replace(cond, video=model.encode_video(_frames(2, 20, seed=9)))
    assert not torch.allclose(model(_x(cond), T, other_video), ref, atol=1e-3)
    other_text = make_conditioning(2.0, text=text_encoder.encode(["a door slams", "wind"]), video=cond.video,
                                   frame_rate=FPS)
    assert not torch.allclose(model(_x(cond), T, other_text), ref, atol=1e-3)


def test_deterministic(model, text_encoder) -> None:
    cond = _cond(model, text_encoder)
    assert torch.equal(model(_x(cond), T, cond), model(_x(cond), T, cond))
    torch.manual_seed(3)
    a = AudioMMDiT(debug_config()).state_dict()
    torch.manual_seed(3)
    b = AudioMMDiT(debug_config()).state_dict()
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_dropped_conditions_equal_absent_ones(model, text_encoder) -> None:
    cond = _cond(model, text_encoder)
    x = _x(cond)
    flags = torch.tensor([True, False])
    dropped = model(x, T, cond.with_flags(drop_text=flags))
    no_text = model(x, T, dataclasses.replace(cond, text_tokens=None, text_mask=None, text_pooled=None))
    full = model(x, T, cond)
    torch.testing.assert_close(dropped[0], no_text[0], atol=ATOL, rtol=1e-4)
    torch.testing.assert_close(dropped[1], full[1], atol=ATOL, rtol=1e-4)
    assert not torch.allclose(dropped[0], full[0], atol=1e-3)
    dropped = model(x, T, cond.with_flags(drop_video=flags))
    no_video = model(x, T, dataclasses.replace(cond, video=None))
    torch.testing.assert_close(dropped[0], no_video[0], atol=ATOL, rtol=1e-4)
    torch.testing.assert_close(dropped[1], full[1], atol=ATOL, rtol=1e-4)


def test_sample_dropout_follows_probabilities() -> None:
    model = AudioMMDiT(debug_config(p_drop_text=0.2, p_drop_video=0.3, p_drop_both=0.1))
    text, video = model.sample_dropout(20000, generator=torch.Generator().manual_seed(0))
    both = (text & video).float().mean().item()
    assert both == pytest.approx(0.1, abs=0.01)
    assert (text & ~video).float().mean().item() == pytest.approx(0.2, abs=0.01)
    assert (video & ~text).float().mean().item() == pytest.approx(0.3, abs=0.01)
    never = AudioMMDiT(debug_config(p_drop_text=0.0, p_drop_video=0.0, p_drop_both=0.0))
    text, video = never.sample_dropout(100)
    assert not text.any() and not video.any()


def test_concatenated_branches_equal_separate_calls(model, text_encoder) -> None:
    cond = _cond(model, text_encoder)
    short = _cond(model, text_encoder, video=False, seconds=1.0)
    stacked = concat_conditionings([cond, cond.with_flags(drop_text=True), short])
    x = _x(cond)
    x_all = torch.cat([x, x, torch.nn.functional.pad(_x(short), (0, 125 - 63))])
    out = model(x_all, torch.cat([T, T, T]), stacked)
    torch.testing.assert_close(out[:2], model(x, T, cond), atol=ATOL, rtol=1e-4)
    torch.testing.assert_close(out[2:4], model(x, T, cond.with_flags(drop_text=True)), atol=ATOL, rtol=1e-4)
    torch.testing.assert_close(out[4:, :, :63], model(_x(short), T, short), atol=ATOL, rtol=1e-4)


def test_flow_loss_is_masked(model, text_encoder) -> None:
    cond = _cond(model, text_encoder)
    data = _x(cond)
    a = model.flow_loss(data, cond, generator=torch.Generator().manual_seed(0))
    padded = dataclasses.replace(cond, audio_mask=torch.cat([cond.audio_mask, torch.zeros(2, 9, dtype=torch.bool)], 1))
    data_p = torch.cat([data, 1e3 * torch.ones(2, 32, 9)], -1)
    b = model.flow_loss(data_p, padded, generator=torch.Generator().manual_seed(0))
    assert a.ndim == 0 and torch.isfinite(a)
    assert b.item() < 10 * a.item()  # the huge padded frames are not in the loss
    a.backward()
    assert model.final.proj.weight.grad is not None
    model.zero_grad(set_to_none=True)


def test_text_only_model_rejects_video(text_encoder) -> None:
    model = AudioMMDiT(debug_config(video=None))
    with pytest.raises(InputError, match="without video"):
        model.encode_video(_frames(1, 10))
    cond = make_conditioning(1.0, text=text_encoder.encode(["x"]), frame_rate=FPS)
    assert model(torch.randn(1, 32, 63), torch.rand(1), cond).shape == (1, 32, 63)
    feats = VideoTokens(torch.zeros(1, 5, 16), torch.ones(1, 5, dtype=torch.bool), 5.0,
                        torch.zeros(1, 10, 16), torch.ones(1, 10, dtype=torch.bool), 10.0)
    with pytest.raises(InputError, match="without video"):
        model(torch.randn(1, 32, 63), torch.rand(1), dataclasses.replace(cond, video=feats))


def test_config_round_trip_and_strictness() -> None:
    cfg = debug_config()
    assert AudioMMDiTConfig.from_dict(cfg.to_dict()) == cfg
    data = cfg.to_dict()
    data["hiden"] = 64
    with pytest.raises(ConfigError, match="hiden"):
        AudioMMDiTConfig.from_dict(data)
    with pytest.raises(ConfigError, match="heads"):
        debug_config(hidden=50)
    with pytest.raises(ConfigError, match="drop"):
        debug_config(p_drop_text=0.6, p_drop_video=0.6)


def test_check_codec(model) -> None:
    from genav.codecs import MelCodec

    model.check_codec(MelCodec(model.config.codec))
    with pytest.raises(ConfigError, match="frames/s"):
        model.check_codec(MelCodec(model.config.codec.replace(hop_length=128)))


def test_sync_features_reach_the_audio_frames_at_their_time() -> None:
    model = AudioMMDiT(debug_config(sync_to_audio=True))
    hidden = model.config.hidden
    with torch.no_grad():
        model.sync_to_audio.weight.copy_(torch.eye(hidden))
    fps, n_sync = 10.0, 20  # 2 s of video
    sync = torch.zeros(1, n_sync, hidden)
    sync[0, 7, 0] = 1.0  # video frame 7 covers 0.7-0.8 s
    mask = torch.ones(1, n_sync, dtype=torch.bool)
    frames = int(2.0 * model.config.audio_frame_rate)
    out = model._sync_per_audio_frame(frames, sync, mask, fps)[0, :, 0]
    centres = (torch.arange(frames) + 0.5) / model.config.audio_frame_rate
    assert torch.equal(out.bool(), (centres >= 0.7) & (centres < 0.8))
    mask[0, 7] = False  # a masked (or dropped) video frame adds nothing
    assert not model._sync_per_audio_frame(frames, sync, mask, fps).any()
