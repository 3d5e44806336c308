"""The video backbone interface and genav's tiny text-to-video DiT."""

from __future__ import annotations

import pytest
import torch

from genav.attention import attention
from genav.attention.frame_context import frame_keys, pack_context
from genav.encoders.text import TextEncoderConfig
from genav.errors import InputError
from genav.models.t2v_backbone import TinyT2VBackbone, dit_flow_loss, frames_to_unit, unit_to_frames
from genav.models.t2v_blocks import FrameCrossAttention
from genav.models.t2v_dit import T2VDiT, T2VDiTConfig
from genav.models.video_backbone import (
    FrameContext,
    VideoBackbone,
    concat_contexts,
    frame_slots,
    timed_slot_tokens,
)
from tests.eval._threads import one_torch_thread  # noqa: F401  (one torch thread on a shared CPU)

from .conftest import randomize

CONFIG = T2VDiTConfig(frame_size=32, patch=8, fps=8.0, max_frames=8, hidden=32, depth=2, heads=2, mlp_ratio=2.0,
                      text_dim=32, text_encoder=TextEncoderConfig(kind="hash", dim=32))


@pytest.fixture(scope="module")
def backbone() -> TinyT2VBackbone:
    torch.manual_seed(0)
    return TinyT2VBackbone(randomize(T2VDiT(CONFIG)).eval())


def slot_change_ratio(backbone, frames: int, f: int, *, seed: int = 0) -> float:
    """|change of the velocity at slot f| / max |change at slots 3+ away| when slot f's tokens change."""
    g = torch.Generator().manual_seed(seed)
    ctx = backbone.encode_prompt(["a red ball bounces"])
    layout = backbone.slots_for(frames)
    slots = torch.randn(1, layout.count, 4, backbone.context_dim, generator=g)
    x = torch.randn(1, *backbone.latent_shape(frames, *backbone.frame_size), generator=g)
    t = torch.tensor([0.5])
    changed = slots.clone()
    changed[:, f] = torch.randn(1, 4, backbone.context_dim, generator=g)
    with torch.no_grad():
        v0 = backbone.velocity(x, t, FrameContext(ctx.tokens, ctx.mask, slots, None, layout.times))
        v1 = backbone.velocity(x, t, FrameContext(ctx.tokens, ctx.mask, changed, None, layout.times))
    d = (v1 - v0).abs().mean(dim=(0, 1, 3, 4))
    return float(d[f] / max(d[s] for s in range(layout.count) if abs(s - f) >= 3))


def test_is_a_video_backbone(backbone):
    assert isinstance(backbone, VideoBackbone)
    assert backbone.latent_shape(5, 32, 32) == (3, 5, 32, 32)
    assert backbone.slots_for(5).count == 5
    with pytest.raises(InputError, match="32x32"):
        backbone.latent_shape(5, 64, 64)


@pytest.mark.parametrize("f", [0, 4, 7])
def test_slot_tokens_reach_their_own_frame(backbone, f):
    # a random network mixes frames through temporal attention; the trained genav-t2v-tiny is held to
    # 20x in tests/pipelines/test_t2v_tiny.py
    assert slot_change_ratio(backbone, 8, f) >= 10


def test_frame_cross_attention_is_the_masked_cross_attention():
    torch.manual_seed(0)
    layer = randomize(FrameCrossAttention(16, 2))
    b, t, p = 2, 5, 3
    x = torch.randn(b, t, p, 16)
    packed, mask, layout = pack_context(torch.randn(b, 4, 16), torch.tensor([[1, 1, 1, 0], [1, 1, 1, 1]]).bool(),
                                        torch.randn(b, t, 2, 16), torch.rand(b, t, 2) < 0.6)
    out = layer(x, packed, mask, layout)
    # reference: every query token attends to all packed keys through a (query frame, key) mask
    q = layer.q(x).reshape(b, t * p, 2, 8)
    k, v = layer.kv(packed).reshape(b, -1, 2, 2, 8).unbind(2)
    key_frame = torch.full((layout.total,), -1)
    key_frame[layout.global_len:] = torch.arange(t).repeat_interleave(layout.per_slot)
    query_frame = torch.arange(t).repeat_interleave(p)
    allowed = (key_frame[None] == -1) | (key_frame[None] == query_frame[:, None])
    full = allowed[None] & mask[:, None, :]
    ref = layer.out(attention(q, k, v, mask=full[:, None], backend="math").flatten(2)).reshape(b, t, p, 16)
    assert torch.allclose(out, ref, atol=1e-5)
    assert frame_keys(mask, layout).shape == (b, t, layout.keys_per_frame)


def test_empty_prompt_is_unconditional_and_slotless_equals_empty_slots(backbone):
    ctx = backbone.encode_prompt(["", "a box"])
    assert not ctx.mask[0].any() and ctx.mask[1].any()
    x, t = torch.randn(1, 3, 4, 32, 32), torch.tensor([0.3])
    one = backbone.encode_prompt(["a box"])
    empty = FrameContext(one.tokens, one.mask, torch.randn(1, 4, 3, 32), torch.zeros(1, 4, 3, dtype=torch.bool),
                         pooled=one.pooled)
    with torch.no_grad():
        assert torch.allclose(backbone.velocity(x, t, one), backbone.velocity(x, t, empty), atol=1e-5)


def test_training_loss_is_differentiable_in_the_context(backbone):
    video = torch.randint(0, 256, (2, 4, 32, 32, 3), dtype=torch.uint8)
    slots = torch.randn(2, 4, 3, 32, requires_grad=True)
    ctx = backbone.encode_prompt(["a", "b"])
    ctx = FrameContext(ctx.tokens, ctx.mask, slots, None, backbone.slots_for(4).times, ctx.pooled)
    loss = backbone.training_loss(video, ctx, torch.Generator().manual_seed(0))
    loss.backward()
    assert loss.ndim == 0 and slots.grad is not None and slots.grad.abs().sum() > 0
    again = backbone.training_loss(video, ctx, torch.Generator().manual_seed(0))
    assert torch.allclose(loss, again)


@pytest.mark.parametrize("weight", [0.0, 1.0])
def test_frame_difference_loss_charges_shimmer_not_a_steady_error(weight):
    """A static clip predicted with a flicker (+-d on alternate frames) and with a steady offset d
    has the same per-frame error; only the frame-difference term tells them apart."""
    config = CONFIG.replace(frame_diff_weight=weight)
    data = torch.zeros(2, 3, 4, 32, 32)
    sign = torch.tensor([1.0, -1.0, 1.0, -1.0]).view(1, 1, 4, 1, 1)

    class Fixed:  # a "model" whose clean-frame estimate is the data plus a chosen error
        def __init__(self, error):
            self.config, self.error = config, error

        def denoise(self, x_t, t, ctx):
            return data + self.error

    ctx = TinyT2VBackbone(T2VDiT(config)).encode_prompt(["a", "b"])
    steady, flicker = (float(dit_flow_loss(Fixed(e), data, ctx, torch.Generator().manual_seed(0)))
                       for e in (0.1 * torch.ones_like(data), 0.1 * sign.expand_as(data)))
    # a steady error has no frame-to-frame change; each change of the flicker is 2d: 4x the error
    assert flicker == pytest.approx(steady * (1 + weight * 4), rel=1e-5)


@pytest.mark.parametrize("frames", [1, 4])
def test_single_frames_leave_the_temporal_attention_untrained(frames):
    """Image pretraining (one-frame windows) must not train the temporal layers: over one frame
    their q/k get no gradient, and a trained value path would average frames in longer windows."""
    torch.manual_seed(0)
    model = T2VDiT(CONFIG)
    bb = TinyT2VBackbone(randomize(model))
    video = torch.randint(0, 256, (2, frames, 32, 32, 3), dtype=torch.uint8)
    bb.training_loss(video, bb.encode_prompt(["a", "b"]), torch.Generator().manual_seed(0)).backward()
    grads = [p.grad for n, p in model.named_parameters() if ".temporal." in n]
    trained = [g is not None and bool(g.abs().sum() > 0) for g in grads]
    assert trained and all(trained) == (frames > 1) and any(trained) == (frames > 1)


def test_frames_round_trip_through_unit_range():
    video = torch.randint(0, 256, (1, 3, 8, 8, 3), dtype=torch.uint8)
    x = frames_to_unit(video)
    assert x.shape == (1, 3, 3, 8, 8) and x.min() >= -1 and x.max() <= 1
    assert torch.equal(unit_to_frames(x), video)


def test_frame_slots_of_a_temporally_compressed_latent():
    layout = frame_slots(9, 16.0, first=1, stride=4)
    assert layout.frames == ((0, 1), (1, 5), (5, 9)) and layout.num_frames == 9
    assert torch.allclose(layout.times, torch.tensor([0.0, 2.5 / 16, 6.5 / 16]))
    assert layout.slot_of_frame(4) == 1 and layout.slot_of_frame(5) == 2


def test_timed_slot_tokens_land_only_in_the_event_slots(backbone):
    layout = backbone.slots_for(8)  # 8 fps
    tokens, mask = timed_slot_tokens(backbone, [[(0.25, "the ball hits the floor")], [(0.5, "hit"), (0.5, "bang")]],
                                     layout)
    assert mask.shape[:2] == (2, 8)
    assert mask[0].any(-1).nonzero().flatten().tolist() == [2]
    assert mask[1].any(-1).nonzero().flatten().tolist() == [4]
    assert mask[1, 4].sum() > mask[1, 4, :1].sum()  # two phrases share the slot
    with pytest.raises(InputError, match="outside the clip"):
        timed_slot_tokens(backbone, [[(5.0, "late")]], layout)


def test_concat_contexts_pads_tokens_and_slots():
    a = FrameContext(torch.randn(1, 2, 4), slot_tokens=torch.randn(1, 3, 2, 4), slot_times=torch.zeros(3))
    b = FrameContext(torch.randn(2, 5, 4), torch.ones(2, 5, dtype=torch.bool))
    both = concat_contexts([a, b])
    assert both.tokens.shape == (3, 5, 4) and both.mask[0].tolist() == [True, True, False, False, False]
    assert both.slot_tokens.shape == (3, 3, 2, 4) and not both.slot_mask[1:].any()
    assert both.slots(1, 3).slot_tokens.shape == (3, 2, 2, 4)
    with pytest.raises(InputError):
        FrameContext(torch.randn(1, 2, 4), slot_tokens=torch.randn(1, 3, 2, 5))


def test_window_longer_than_the_model_is_refused(backbone):
    with pytest.raises(InputError, match="at most 8 frames"):
        backbone.velocity(torch.randn(1, 3, 9, 32, 32), torch.tensor([0.5]), backbone.encode_prompt(["x"]))
