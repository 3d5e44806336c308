"""Sync onset supervision: the onset target, the head's gradient path, and that it learns."""

from __future__ import annotations

import pytest
import torch

from genav.errors import ConfigError
from genav.models import AudioMMDiT, debug_config
from genav.models.onset_supervision import latent_onset_strength, onset_loss


def test_onset_strength_peaks_in_the_video_frame_of_the_sound_onset():
    latents = torch.full((2, 8, 250), -2.0)  # 4 s of silence at 62.5 frames/s
    latents[0, :, 100:140] = 1.0  # a sound from 1.6 s (video frame 16 at 10 fps)
    strength = latent_onset_strength(latents, 62.5, 10.0, 40)
    assert strength.shape == (2, 40) and int(strength[0].argmax()) == 16
    assert strength[0, 16] > 0.99 and torch.all(strength[0, :16] == 0) and torch.all(strength[0, 17:] == 0)
    assert torch.all(strength[1] == 0)  # silence: no onsets (the sound's end is no onset either)
    mask = torch.ones(2, 40, dtype=torch.bool)
    assert onset_loss(strength, latents, 62.5, 10.0, mask) == 0
    assert onset_loss(torch.zeros(2, 40), latents, 62.5, 10.0, mask) > 0
    assert onset_loss(torch.zeros(2, 40), latents, 62.5, 10.0, mask & torch.tensor([[False], [True]])) == 0


def _frames(onset_frame: int) -> torch.Tensor:
    """2 s of 10 fps video whose square lights up at ``onset_frame``."""
    frames = torch.full((1, 20, 32, 32, 3), 30, dtype=torch.uint8)
    frames[:, onset_frame:, 8:20, 8:20] = 220
    return frames


def _latents(model: AudioMMDiT, onset_frame: int) -> torch.Tensor:
    """2 s of latents, silent until the sound starts with video frame ``onset_frame``."""
    latents = torch.full((1, model.config.latent_dim, 125), -2.0)
    latents[..., round(onset_frame / 10 * 62.5) :] = 1.0
    return latents


def test_the_onset_head_trains_the_sync_path_and_learns_where_sounds_start():
    torch.manual_seed(0)
    model = AudioMMDiT(debug_config(sync_to_audio=True, onset_loss_weight=1.0))
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    rows = torch.ones(1, dtype=torch.bool)
    losses = []
    for step in range(60):
        loss = sum(model.sync_onset_loss(_latents(model, f), model.encode_video(_frames(f)), rows) for f in (5, 12))
        opt.zero_grad()
        loss.backward()
        if step == 0:
            assert model.video_encoder.sync_proj[0].weight.grad.abs().sum() > 0  # reaches the video encoder
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.2 * losses[0]
    with torch.no_grad():
        predicted = model.onset_head(model.sync_in(model.encode_video(_frames(12)).sync))[0, :, 0]
    assert int(predicted.argmax()) == 12


def test_onset_head_config():
    with pytest.raises(ConfigError, match="onset_loss_weight"):
        debug_config(onset_loss_weight=-1.0)
    with pytest.raises(ConfigError, match="onset_loss_weight"):
        debug_config(video=None, onset_loss_weight=1.0)
    plain = AudioMMDiT(debug_config())
    assert not hasattr(plain, "onset_head")
    with pytest.raises(ConfigError, match="no onset head"):
        plain.sync_onset_loss(_latents(plain, 5), plain.encode_video(_frames(5)), torch.ones(1, dtype=torch.bool))
