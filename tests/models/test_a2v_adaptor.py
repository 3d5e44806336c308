"""The audio-to-video adaptor: exact slot-centred windows, token layout, null tokens, size, gradients."""

from __future__ import annotations

import pytest
import torch

from genav.errors import ConfigError, InputError
from genav.models.a2v_adaptor import A2VAdaptor, A2VAdaptorConfig, audio_context, token_norm_penalty
from genav.models.video_backbone import FrameContext

SR = 16000


def click(seconds: float, total: float = 3.0) -> torch.Tensor:
    """A short noise burst starting at ``seconds`` in ``total`` s of silence, ``(1, N)``."""
    wave = torch.zeros(1, int(total * SR))
    start = int(round(seconds * SR))
    wave[0, start : start + 400] = torch.randn(400, generator=torch.Generator().manual_seed(0)) * 0.5
    return wave


@pytest.fixture(scope="module")
def adaptor():
    torch.manual_seed(0)
    return A2VAdaptor(A2VAdaptorConfig(context_dim=48, hidden=32, n_mels=16)).eval()


def test_size_of_the_default_adaptor_for_the_tiny_backbone():
    config = A2VAdaptorConfig(context_dim=384)
    assert A2VAdaptor(config).num_parameters() <= 1_000_000
    assert config.tokens_per_slot == config.local_tokens + len(config.scales) + 1 == 5
    assert config.window_samples % (2 * config.hop) == 0


@pytest.mark.parametrize("fps", [10.0, 24.0, 7.3])
def test_windows_are_centred_on_each_slot_time_at_any_fps(adaptor, fps):
    # the same sound moved by three frames, read at slot times moved by three frames, gives the
    # same per-slot tokens (the pooled token averages over the clip and is left out)
    times = torch.arange(12, dtype=torch.float64) / fps
    shift = round(3 / fps * SR) / SR  # three frames, to the nearest sample
    with torch.no_grad():
        a = adaptor(click(0.5), times)
        b = adaptor(click(0.5 + shift), times + shift)
    assert torch.allclose(a[..., :-1, :], b[..., :-1, :], atol=1e-4)


def test_the_slot_at_the_onset_differs_from_slots_far_away(adaptor):
    fps = 10.0
    times = torch.arange(20, dtype=torch.float64) / fps
    with torch.no_grad():
        tok = adaptor(click(1.0), times)[0, :, : adaptor.config.local_tokens]  # (S, K, D) local tokens
        quiet = adaptor(torch.zeros(1, 3 * SR), times)[0, :, : adaptor.config.local_tokens]
    change = (tok - quiet).norm(dim=(-1, -2))
    assert change[10] > 5 * change[:5].max()  # far before the click: no change at all
    assert change[10] > 5 * change[16:].max()
    assert int(change.argmax()) in (9, 10)


def test_null_tokens_replace_dropped_rows_and_context_layout(adaptor):
    times = torch.arange(8) / 8.0
    wave = torch.cat([click(0.3), click(0.6)])
    with torch.no_grad():
        tok = adaptor(wave, times, keep_audio=torch.tensor([True, False]))
    assert tok.shape == (2, 8, adaptor.config.tokens_per_slot, 48)
    assert torch.equal(tok[1], adaptor.null(1, 8)[0])
    prompt = FrameContext(torch.zeros(2, 5, 48), torch.zeros(2, 5, dtype=torch.bool))
    ctx = audio_context(prompt, tok, times)
    assert ctx.num_slots == 8 and torch.equal(ctx.slot_times, times.float())
    with pytest.raises(InputError, match="prompt rows"):
        audio_context(FrameContext(torch.zeros(1, 5, 48)), tok, times)
    with pytest.raises(InputError, match="wave"):
        adaptor(torch.zeros(3 * SR), times)


def test_gradients_reach_the_adaptor_through_a_frozen_backbone():
    from genav.pipelines.video_backbones import load_video_backbone

    backbone = load_video_backbone("debug-t2v").backbone.requires_grad_(False)
    adaptor = A2VAdaptor(A2VAdaptorConfig(context_dim=32, hidden=16, n_mels=8, layers=2))
    layout = backbone.slots_for(8)
    tokens = adaptor(click(0.4, 1.5), layout.times)
    ctx = audio_context(backbone.encode_prompt([""]), tokens, layout.times)
    video = torch.randint(0, 256, (1, 8, 32, 32, 3), dtype=torch.uint8)
    loss = backbone.training_loss(video, ctx, torch.Generator().manual_seed(0)) + token_norm_penalty(tokens)
    loss.backward()
    assert adaptor.conv_in.weight.grad is not None and adaptor.conv_in.weight.grad.abs().sum() > 0
    assert all(p.grad is None for p in backbone.parameters())


def test_bad_configs():
    with pytest.raises(ConfigError, match="half a window"):
        A2VAdaptorConfig(scales=(1.0,))
    with pytest.raises(ConfigError, match="odd kernel"):
        A2VAdaptorConfig(kernel=4)
    with pytest.raises(ConfigError, match="probabilities"):
        A2VAdaptorConfig(p_drop_audio=1.5)
