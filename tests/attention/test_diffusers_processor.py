"""The diffusers processor gives the same outputs as diffusers' default processors."""

from __future__ import annotations

import pytest
import torch
from diffusers import Transformer2DModel, UNet2DConditionModel
from diffusers.models.attention_processor import Attention, AttnProcessor2_0

from genav.attention import GenavAttnProcessor, set_genav_attention, use_backend
from genav.attention import backends as backends_mod
from genav.errors import BackendUnavailableError


@pytest.fixture(scope="module")
def unet_case():
    """A tiny UNet, its inputs (a cross-attention padding mask included) and default-processor outputs."""
    torch.manual_seed(0)
    unet = UNet2DConditionModel(
        sample_size=8,
        in_channels=4,
        out_channels=4,
        layers_per_block=1,
        block_out_channels=(32, 64),
        down_block_types=("CrossAttnDownBlock2D", "DownBlock2D"),
        up_block_types=("UpBlock2D", "CrossAttnUpBlock2D"),
        cross_attention_dim=16,
        attention_head_dim=8,
        norm_num_groups=8,
    ).eval()
    gen = torch.Generator().manual_seed(1)
    inputs = {
        "sample": torch.randn(2, 4, 8, 8, generator=gen),
        "timestep": 3,
        "encoder_hidden_states": torch.randn(2, 5, 16, generator=gen),
        "encoder_attention_mask": torch.tensor([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]]),
    }
    with torch.no_grad():
        ref = unet(**inputs).sample
        unmasked = unet(**{**inputs, "encoder_attention_mask": None}).sample
    assert (ref - unmasked).abs().max() > 1e-3  # the mask matters, so matching it means something
    return unet, inputs, ref


@pytest.mark.parametrize("backend", ["sdpa", "chunked", "math"])
def test_unet_with_cross_attention_mask_matches_default(unet_case, backend: str) -> None:
    unet, inputs, ref = unet_case
    assert set_genav_attention(unet, backend=backend) == 8  # 4 transformer blocks x (self + cross)
    assert all(
        isinstance(p, GenavAttnProcessor) and p.backend == backend for p in unet.attn_processors.values()
    )
    with torch.no_grad():
        out = unet(**inputs).sample
    torch.testing.assert_close(out, ref, atol=2e-5, rtol=0)


def test_transformer2d_routes_every_call_through_genav(monkeypatch: pytest.MonkeyPatch) -> None:
    torch.manual_seed(0)
    model = Transformer2DModel(
        num_attention_heads=2,
        attention_head_dim=8,
        in_channels=16,
        norm_num_groups=8,
        cross_attention_dim=12,
        num_layers=1,
    ).eval()
    gen = torch.Generator().manual_seed(2)
    x, ctx = torch.randn(2, 16, 4, 4, generator=gen), torch.randn(2, 3, 12, generator=gen)
    with torch.no_grad():
        ref = model(x, encoder_hidden_states=ctx).sample
        set_genav_attention(model)
        seen = []
        chunked = backends_mod.KERNELS["chunked"]
        monkeypatch.setitem(backends_mod.KERNELS, "chunked", lambda *a: seen.append(1) or chunked(*a))
        with use_backend("chunked"):  # backend=None follows genav's selection at call time
            out = model(x, encoder_hidden_states=ctx).sample
    assert len(seen) == 2  # self- and cross-attention
    torch.testing.assert_close(out, ref, atol=2e-5, rtol=0)


@pytest.mark.parametrize("qk_norm", [None, "layer_norm"])
def test_image_attention_with_group_norm_residual_and_rescale(qk_norm: str | None) -> None:
    torch.manual_seed(0)
    attn = Attention(
        query_dim=32,
        heads=4,
        dim_head=8,
        norm_num_groups=8,
        residual_connection=True,
        rescale_output_factor=2.0,
        bias=True,
        qk_norm=qk_norm,
        processor=AttnProcessor2_0(),
    ).eval()
    x = torch.randn(2, 32, 4, 5)  # (B, C, H, W)
    with torch.no_grad():
        ref = attn(x)
        attn.set_processor(GenavAttnProcessor("chunked"))
        out = attn(x)
    assert out.shape == x.shape
    torch.testing.assert_close(out, ref, atol=2e-5, rtol=0)


def test_processor_rejects_unknown_backend_and_keeps_special_processors() -> None:
    from diffusers.models.attention_processor import AttnAddedKVProcessor

    with pytest.raises(BackendUnavailableError, match="unknown attention backend"):
        GenavAttnProcessor("fast")
    plain = Attention(query_dim=16, heads=2, dim_head=8)
    special = Attention(
        query_dim=16, heads=2, dim_head=8, added_kv_proj_dim=16, processor=AttnAddedKVProcessor()
    )
    model = torch.nn.ModuleList([plain, special])
    assert set_genav_attention(model) == 1
    assert isinstance(plain.processor, GenavAttnProcessor) and isinstance(
        special.processor, AttnAddedKVProcessor
    )


@pytest.fixture(scope="module")
def stable_audio_case():
    """A tiny Stable Audio DiT (rotary, grouped-query), inputs with a text padding mask, and its
    output with diffusers' own ``StableAudioAttnProcessor2_0``."""
    from diffusers import StableAudioDiTModel
    from diffusers.models.embeddings import get_1d_rotary_pos_embed

    torch.manual_seed(0)
    dit = StableAudioDiTModel(
        sample_size=64, in_channels=8, num_layers=2, attention_head_dim=8, num_attention_heads=2,
        num_key_value_attention_heads=1, out_channels=8, cross_attention_dim=16, time_proj_dim=8,
        global_states_input_dim=16, cross_attention_input_dim=8,
    ).eval()
    gen = torch.Generator().manual_seed(1)
    inputs = {
        "hidden_states": torch.randn(2, 8, 20, generator=gen),
        "timestep": torch.tensor([0.3, 0.7]),
        "encoder_hidden_states": torch.randn(2, 5, 8, generator=gen),
        "global_hidden_states": torch.randn(2, 1, 16, generator=gen),
        # the DiT prepends one global token: rotary positions for 21 tokens, half of each head rotated
        "rotary_embedding": get_1d_rotary_pos_embed(4, 21, use_real=True, repeat_interleave_real=False),
        "encoder_attention_mask": torch.tensor([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]], dtype=torch.bool),
        "return_dict": False,
    }
    with torch.no_grad():
        ref = dit(**inputs)[0]
        unmasked = dit(**{**inputs, "encoder_attention_mask": None})[0]
    assert (ref - unmasked).abs().max() > 1e-4  # the mask matters
    return dit, inputs, ref


@pytest.mark.parametrize("backend", ["sdpa", "chunked"])
def test_stable_audio_rotary_layers_match_diffusers(stable_audio_case, backend: str) -> None:
    from genav.attention import GenavStableAudioAttnProcessor

    dit, inputs, ref = stable_audio_case
    assert set_genav_attention(dit, backend=backend) == 4  # 2 blocks x (self + cross)
    assert all(
        isinstance(p, GenavStableAudioAttnProcessor) and p.backend == backend
        for p in dit.attn_processors.values()
    )
    with torch.no_grad():
        out = dit(**inputs)[0]
    torch.testing.assert_close(out, ref, atol=2e-5, rtol=0)
