"""Null embeddings instead of masked null tokens: mask=None without padding, same outputs as the
masked formulation, and the version-1 (masked token) checkpoints still computing what they did."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
import torch

from genav.checkpoint import load_model_folder, load_state_strict
from genav.errors import CheckpointError, ConfigError
from genav.models import AudioMMDiT, AudioMMDiTConfig, Conditioning, debug_config, mmdit_blocks

TINY = Path(__file__).resolve().parents[2] / "checkpoints" / "genav-foley-tiny"


@pytest.fixture()
def masks_seen(monkeypatch: pytest.MonkeyPatch) -> list:
    seen: list = []
    real = mmdit_blocks.attention

    def spy(q, k, v, *, mask=None, **kw):
        seen.append(mask)
        return real(q, k, v, mask=mask, **kw)

    monkeypatch.setattr(mmdit_blocks, "attention", spy)
    return seen


def _batch(model: AudioMMDiT, frames: int = 50) -> tuple[torch.Tensor, Conditioning]:
    """Four rows of 0.8 s: text+video, dropped text, dropped video, a short caption (padded tokens)."""
    g = torch.Generator().manual_seed(0)
    video = model.encode_video(torch.randint(0, 256, (4, 8, 32, 32, 3), dtype=torch.uint8, generator=g))
    mask = torch.ones(4, 6, dtype=torch.bool)
    mask[3, 2:] = False
    cond = Conditioning(
        duration=torch.full((4,), 0.8),
        text_tokens=torch.randn(4, 6, 32, generator=g),
        text_mask=mask,
        text_pooled=torch.randn(4, 32, generator=g),
        video=video,
        drop_text=torch.tensor([False, True, False, False]),
        drop_video=torch.tensor([False, False, True, False]),
    )
    return torch.randn(4, 32, frames, generator=g), cond


def test_unpadded_batches_attend_without_masks_and_equal_the_masked_formulation(model, masks_seen) -> None:
    x, cond = _batch(model)
    t = torch.tensor([0.2, 0.4, 0.6, 0.8])
    with torch.no_grad():
        plain = model(x, t, cond)
        assert masks_seen and all(m is None for m in masks_seen)
        masks_seen.clear()
        # The same rows with 13 padded audio frames: now every call is masked.
        padded = dataclasses.replace(cond, audio_mask=torch.arange(63)[None].expand(4, -1) < 50)
        masked = model(torch.cat([x, 50 * torch.randn(4, 32, 13)], -1), t, padded)
    assert masks_seen and all(m is not None for m in masks_seen)
    torch.testing.assert_close(masked[..., :50], plain, atol=1e-5, rtol=0)


def test_absent_conditions_equal_dropped_ones_and_rows_do_not_mix(model) -> None:
    x, cond = _batch(model)
    t = torch.full((4,), 0.5)
    with torch.no_grad():
        full = model(x, t, cond)
        no_video = model(x, t, dataclasses.replace(cond, video=None))
        no_text = model(x, t, dataclasses.replace(cond, text_tokens=None, text_mask=None, text_pooled=None))
        alone = model(
            x[3:],
            t[3:],
            Conditioning(
                duration=cond.duration[3:],
                text_tokens=cond.text_tokens[3:, :2],
                text_pooled=cond.text_pooled[3:],
                video=dataclasses.replace(
                    cond.video,
                    **{
                        k: getattr(cond.video, k)[3:]
                        for k in ("semantic", "semantic_mask", "sync", "sync_mask")
                    },
                ),
            ),
        )
    torch.testing.assert_close(full[2], no_video[2], atol=1e-5, rtol=0)  # dropped video == no video
    torch.testing.assert_close(full[1], no_text[1], atol=1e-5, rtol=0)  # dropped text == no text
    torch.testing.assert_close(full[3:], alone, atol=1e-5, rtol=0)  # padded text positions == short prompt
    assert not torch.allclose(full[0], no_video[0], atol=1e-3)
    assert not torch.allclose(full[0], no_text[0], atol=1e-3)


def test_null_embeddings_layout_and_version_1_configs() -> None:
    c = debug_config()
    model = AudioMMDiT(c)
    assert c.null_conditions == "embeddings" and c.to_dict()["version"] == 2
    assert model.null_text.shape == (1, c.text_length, c.hidden)
    assert model.null_semantic.shape == model.null_sync.shape == (1, 1, c.hidden)
    old = {k: v for k, v in c.to_dict().items() if k not in ("null_conditions", "text_length")}
    legacy = AudioMMDiTConfig.from_dict({**old, "version": 1})
    assert legacy.null_conditions == "token" and legacy.to_dict()["version"] == 2
    legacy_model = AudioMMDiT(legacy)
    assert legacy_model.null_video.shape == (1, 1, c.hidden) and not hasattr(legacy_model, "null_sync")
    with pytest.raises(CheckpointError):  # a layout change is loud, never silent
        load_state_strict(model, legacy_model.state_dict())
    with pytest.raises(ConfigError, match="version 1"):
        AudioMMDiTConfig.from_dict({**old, "version": 1, "null_conditions": "embeddings"})


def test_the_embedded_default_still_computes_what_it_was_trained_with() -> None:
    """genav-foley-tiny (a version-1 config) loads as the masked-token formulation, and its
    velocity on fixed inputs equals the values recorded with the code it was trained with."""
    cfg, state = load_model_folder(TINY, AudioMMDiTConfig)
    assert cfg.null_conditions == "token" and cfg.video.camera_compensation
    # that code knew plain frame differences only
    cfg = dataclasses.replace(cfg, video=dataclasses.replace(cfg.video, camera_compensation=False))
    model = AudioMMDiT(cfg)
    load_state_strict(model, state)
    model.eval()
    g = torch.Generator().manual_seed(0)
    x = torch.randn(3, 64, 40, generator=g)
    frames = torch.randint(0, 256, (3, 6, 64, 64, 3), dtype=torch.uint8, generator=g)
    tokens = torch.randn(3, 5, 384, generator=g)
    text_mask = torch.tensor([[1, 1, 1, 1, 1], [1, 1, 1, 0, 0], [1, 1, 1, 1, 1]], dtype=torch.bool)
    pooled = torch.randn(3, 384, generator=g)
    with torch.no_grad():
        cond = Conditioning(
            duration=torch.full((3,), 40 / 62.5),
            text_tokens=tokens,
            text_mask=text_mask,
            text_pooled=pooled,
            video=model.encode_video(frames),
            drop_text=torch.tensor([False, False, True]),
            drop_video=torch.tensor([False, True, False]),
        )
        out = model(x, torch.tensor([0.1, 0.5, 0.9]), cond)
    # Recorded with the code of commit d8a1fa7 (before null embeddings existed), on the current
    # weights (stage 6) and that commit's config file of this model.
    assert out.sum().item() == pytest.approx(-2658.2451171875, abs=2e-2)
    assert out.abs().mean().item() == pytest.approx(1.1365642547607422, abs=1e-5)
    expected = torch.tensor(
        [
            [-0.8880760073661804, 1.0571283102035522, 0.48223793506622314, 0.5414586663246155],
            [-1.1099456548690796, -0.008492114022374153, 1.1077009439468384, 1.029101014137268],
            [-2.0289738178253174, -0.8454340100288391, -0.21468305587768555, 0.6648826003074646],
        ]
    )
    torch.testing.assert_close(out[:, 0, :4], expected, atol=1e-5, rtol=0)
