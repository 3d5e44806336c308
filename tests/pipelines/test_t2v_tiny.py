"""The embedded genav-t2v-tiny: per-frame locality (default suite) and what it shows (slow)."""

from __future__ import annotations

import pytest
import torch

from genav.data.synth.timed import event_phrase, t2v_clips
from genav.models.flow import flow_interpolate
from genav.models.t2v_backbone import frames_to_unit
from genav.models.video_backbone import FrameContext, timed_slot_tokens
from genav.registry import list_models

# The committed genav-t2v-tiny shows the captioned object and colour but does not yet follow timed
# captions (issue 10's timing bar); its MODEL_CARD.md has the numbers. strict: once a retrained
# model passes, these markers must go.
NOT_YET = pytest.mark.xfail(strict=True, reason="genav-t2v-tiny does not meet this yet (see its MODEL_CARD.md)")


@pytest.fixture(scope="module")
def tiny():
    if "genav-t2v-tiny" not in {e.name for e in list_models(family="t2v")}:
        pytest.skip("checkpoints/genav-t2v-tiny is not installed")
    from genav.pipelines import TextToVideoPipeline

    return TextToVideoPipeline.from_pretrained("genav-t2v-tiny", device="cpu", dtype="float32")


@pytest.mark.parametrize("f", [4, 8, 11])
def test_an_event_phrase_moves_its_own_frame(tiny, f):
    """Adding the phrase to slot f changes the velocity at frame f >= 20x more than 3+ frames away."""
    bb = tiny.backbone
    clip, subject = t2v_clips(1, first_seed=3_000_000 + f)[0]
    window = bb.max_frames
    layout = bb.slots_for(window)
    ctx = bb.encode_prompt(["a red ball bounces"])
    tokens, mask = timed_slot_tokens(bb, [[(f / bb.fps, event_phrase(subject))]], layout)
    data = frames_to_unit(torch.from_numpy(clip.frames[None, :window]))
    x = flow_interpolate(data, torch.randn(data.shape, generator=torch.Generator().manual_seed(f)), torch.tensor([0.5]))
    t = torch.tensor([0.5])
    with torch.no_grad():
        with_phrase = bb.velocity(x, t, FrameContext(ctx.tokens, ctx.mask, tokens, mask, layout.times, ctx.pooled))
        without = bb.velocity(x, t, FrameContext(ctx.tokens, ctx.mask, tokens, torch.zeros_like(mask),
                                                  layout.times, ctx.pooled))
    d = (with_phrase - without).abs().mean(dim=(0, 1, 3, 4))
    far = max(d[s] for s in range(window) if abs(s - f) >= 3)
    assert d[f] >= 20 * far


@pytest.fixture(scope="module")
def report(tiny):
    """`genav eval t2v` on 30 held-out captions (the README reports the full 100)."""
    from genav.pipelines.eval_t2v import eval_t2v

    return eval_t2v("genav-t2v-tiny", n=30, seconds=1.6, num_steps=20)


@pytest.mark.slow
def test_shows_the_captioned_class_and_colour(report):
    assert report["detector_on_true_clips"]["both"] >= 0.95
    assert report["prompt"]["both"] >= 0.8
    assert report["timed_prompt"]["both"] >= 0.8


@pytest.mark.slow
@NOT_YET
def test_follows_timed_captions(report):
    assert report["timed_f1"]["f1"] >= 0.6
    assert report["timed_f1"]["f1"] > report["timed_f1_shuffled_truth"]["f1"] + 0.2
