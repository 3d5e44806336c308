"""Frame-context processors: diffusers' outputs without slots; per-frame keys with them."""

from __future__ import annotations

import pytest
import torch

pytest.importorskip("diffusers")

from diffusers import UNet3DConditionModel, WanTransformer3DModel  # noqa: E402

from genav.attention.frame_context import pack_context  # noqa: E402
from genav.attention.frame_processors import (  # noqa: E402
    FrameContextAttnProcessor,
    GenavWanAttnProcessor,
    frame_context,
    set_unet3d_frame_attention,
    set_wan_frame_attention,
)
from tests.eval._threads import one_torch_thread  # noqa: F401  (one torch thread on a shared CPU)


def _unet():
    torch.manual_seed(0)
    return UNet3DConditionModel(
        sample_size=8, in_channels=4, out_channels=4, down_block_types=("CrossAttnDownBlock3D", "DownBlock3D"),
        up_block_types=("UpBlock3D", "CrossAttnUpBlock3D"), block_out_channels=(16, 32), layers_per_block=1,
        norm_num_groups=4, cross_attention_dim=16, attention_head_dim=8,
    ).eval()


def _wan():
    torch.manual_seed(0)
    return WanTransformer3DModel(
        patch_size=(1, 2, 2), num_attention_heads=2, attention_head_dim=12, in_channels=4, out_channels=4,
        text_dim=16, freq_dim=32, ffn_dim=32, num_layers=2, rope_max_seq_len=32,
    ).eval()


CASES = {
    "unet3d": (_unet, set_unet3d_frame_attention, (2, 4, 5, 8, 8), lambda m, x, c: m(x, 3, encoder_hidden_states=c).sample),
    "wan": (_wan, set_wan_frame_attention, (2, 4, 5, 4, 4), lambda m, x, c: m(x, torch.tensor([300, 300]), c).sample),
}


@pytest.mark.parametrize("name", CASES)
def test_without_slots_the_outputs_are_diffusers(name):
    build, install, shape, run = CASES[name]
    model = build()
    g = torch.Generator().manual_seed(1)
    x, ctx = torch.randn(*shape, generator=g), torch.randn(2, 6, 16, generator=g)
    with torch.no_grad():
        ref = run(model, x, ctx)
        count = install(model)
        ours = run(model, x, ctx)
    assert count == 4  # UNet3D: the spatial attn2 of down, mid and up blocks; Wan: attn1 + attn2 of 2 blocks
    if name == "unet3d":  # temporal attention keeps plain (genav) attention
        temporal = [m.processor for n, m in model.named_modules() if "temp_attentions" in n and hasattr(m, "processor")]
        assert temporal and not any(isinstance(p, FrameContextAttnProcessor) for p in temporal)
    assert torch.allclose(ref, ours, atol=1e-5)


@pytest.mark.parametrize("name", CASES)
def test_identical_slots_equal_one_longer_context(name):
    """When every frame's slot holds the same tokens, per-frame keys are global + those tokens."""
    build, install, shape, run = CASES[name]
    model = build()
    install(model)
    g = torch.Generator().manual_seed(2)
    x, glob, extra = torch.randn(*shape, generator=g), torch.randn(2, 6, 16, generator=g), torch.randn(2, 3, 16, generator=g)
    slots = extra[:, None].expand(2, shape[2], 3, 16)
    packed, mask, layout = pack_context(glob, None, slots, None)
    with torch.no_grad():
        ref = run(model, x, torch.cat([glob, extra], 1))
        with frame_context(model, layout, mask):
            ours = run(model, x, packed)
        other = slots.clone()
        other[:, 0] = torch.randn(2, 3, 16, generator=g)
        with frame_context(model, layout, mask):
            changed = run(model, x, pack_context(glob, None, other, None)[0])
    assert torch.allclose(ref, ours, atol=1e-4)
    assert (changed - ours).abs().max() > 1e-4  # slot 0's own tokens do matter
    states = [m.processor for m in model.modules() if isinstance(getattr(m, "processor", None),
                                                                 (FrameContextAttnProcessor, GenavWanAttnProcessor))]
    assert states and all(s.layout is None for s in states)  # reset after the block
