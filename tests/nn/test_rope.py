"""Time-aligned RoPE: the same second gives the same rotation in every modality."""

from __future__ import annotations

import torch

from genav.nn import TimeAlignedRoPE, apply_rope, rope_angles, time_positions


def test_same_second_same_rotation_across_modalities() -> None:
    rope = TimeAlignedRoPE(16, rate=25.0)
    # audio latents at 40 fps, semantic video at 8 fps, sync video at 24 fps, then 3 text tokens
    angles = rope.angles([(80, 40.0), (16, 8.0), (48, 24.0), (3, None)])[0]
    audio, sem, sync, text = angles[:80], angles[80:96], angles[96:144], angles[144:]
    torch.testing.assert_close(audio[22], sem[4])  # both centred at 0.5625 s
    torch.testing.assert_close(audio[57], sem[11])  # both centred at 1.4375 s
    torch.testing.assert_close(sync[34], sem[11])  # both centred at 1.4375 s
    assert not torch.allclose(audio[22], sem[5])
    assert torch.count_nonzero(text) == 0


def test_positions_are_centre_seconds_times_rate() -> None:
    pos = time_positions(4, 8.0, rate=10.0)
    torch.testing.assert_close(pos, torch.tensor([0.625, 1.875, 3.125, 4.375]))
    shifted = time_positions(4, 8.0, rate=10.0, offset_seconds=2.0)
    torch.testing.assert_close(shifted - pos, torch.full((4,), 20.0))


def test_relative_property_and_norm() -> None:
    head_dim = 32
    q = torch.randn(1, 1, 2, head_dim)
    k = torch.randn(1, 1, 2, head_dim)

    def score(a: float, b: float) -> torch.Tensor:
        qa = apply_rope(q, rope_angles(torch.tensor([[a]]), head_dim))
        kb = apply_rope(k, rope_angles(torch.tensor([[b]]), head_dim))
        return (qa * kb).sum(-1)

    torch.testing.assert_close(score(3.0, 1.0), score(12.5, 10.5), rtol=1e-5, atol=1e-5)
    assert not torch.allclose(score(3.0, 1.0), score(3.0, 2.0))
    rotated = apply_rope(q, rope_angles(torch.tensor([[7.3]]), head_dim))
    torch.testing.assert_close(rotated.norm(dim=-1), q.norm(dim=-1))


def test_zero_angle_is_identity_and_dtype_kept() -> None:
    x = torch.randn(2, 5, 3, 8, dtype=torch.bfloat16)
    out = apply_rope(x, torch.zeros(1, 5, 4))
    assert out.dtype == torch.bfloat16
    torch.testing.assert_close(out, x)
