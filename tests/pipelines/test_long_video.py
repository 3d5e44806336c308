"""Long videos: windows, known-frame context, crossfades, one continuous soundtrack."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from genav.pipelines.windows import WaveAssembler, crossfade, equal_power_gains, plan_windows


def db(x: np.ndarray) -> float:
    return 10 * np.log10(np.mean(np.square(x, dtype=np.float64)) + 1e-30)


def test_plan_windows_cover_everything_with_overlap():
    assert plan_windows(100, 625, 62) == [plan_windows(100, 625, 62)[0]]
    wins = plan_windows(3750, 625, 62)
    assert wins[0].start == 0 and wins[-1].end == 3750
    assert all(w.frames == 625 for w in wins)
    for a, b in zip(wins, wins[1:], strict=False):
        assert b.context == a.end - b.start >= 62 and b.start > a.start
    assert [w.context for w in wins[1:-1]] == [62] * (len(wins) - 2)


def test_equal_power_gains():
    out, inn = equal_power_gains(1000)
    np.testing.assert_allclose(out**2 + inn**2, 1.0)
    assert out[0] > 0.99 and inn[-1] > 0.99


def test_crossfade_keeps_level_for_independent_and_identical_sides():
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((2, 1, 16000)) * 0.1
    mixed = crossfade(a, b)
    for part in np.array_split(mixed[0], 8):  # independent: no dip in the middle (linear fades dip 3 dB)
        assert abs(db(part) - db(a)) < 0.5
    np.testing.assert_allclose(crossfade(a, a.copy()), a, atol=1e-6)  # identical: unchanged, no +3 dB bump
    tone = np.sin(np.arange(16000) * 0.05)[None].astype(np.float32)
    np.testing.assert_allclose(crossfade(tone, tone), tone, atol=1e-5)


def test_assembler_rebuilds_a_continuous_signal_from_overlapping_pieces():
    signal = np.sin(np.arange(50000) * 0.01)[None, None].astype(np.float32)
    asm = WaveAssembler(1, 1, 50000)
    for start, end in [(0, 20000), (15000, 35000), (30000, 50000)]:
        asm.add(start, signal[..., start:end].copy())
    np.testing.assert_allclose(asm.wave, signal, atol=1e-5)
    # independent noise pieces: no level change over the joins
    rng = np.random.default_rng(1)
    asm = WaveAssembler(1, 1, 48000)
    for start in (0, 14000, 28000):
        asm.add(start, (rng.standard_normal((1, 1, 20000)) * 0.1).astype(np.float32))
    for join in (14000, 28000):
        assert abs(db(asm.wave[..., join : join + 6000]) - db(asm.wave[..., join - 6000 : join])) < 1.0


def test_known_prefix_is_kept_exactly(t2a):
    from genav.models.audio_mmdit_generate import make_conditioning
    from genav.pipelines.generation_common import seeded_noise

    text = t2a.encode_prompts(["rain"], 1)
    cond = make_conditioning(2.0, text=text, frame_rate=t2a.frame_rate, batch=1)
    noise = seeded_noise([0], (t2a.config.latent_dim, cond.audio_mask.shape[1]))
    known = torch.randn(1, t2a.config.latent_dim, 30)
    for method in ("euler", "heun"):
        out = t2a.sample_latents(
            cond,
            noise,
            negative=None,
            num_steps=3,
            method=method,
            guidance_scale=4.5,
            video_guidance_scale=None,
            known=known,
        )
        torch.testing.assert_close(out[..., :30], known, atol=1e-5, rtol=0)
    free = t2a.sample_latents(
        cond, noise, negative=None, num_steps=3, method="euler", guidance_scale=4.5, video_guidance_scale=None
    )
    assert not torch.allclose(free[..., 30:], out[..., 30:])  # the context steers the rest


def test_windows_follow_the_video_and_continue(v2a, tmp_path, video_maker):
    clip = video_maker(tmp_path / "c.mp4", 6.0, fps=4.0, size=(16, 16))
    out = v2a(clip, num_steps=2, seed=0, window=2.5, overlap=0.5)
    assert out.audio.shape[-1] == 6 * v2a.sample_rate
    wins = out.metadata["settings"]["windows"]
    assert len(wins) == 3 and wins[0][0] == 0 and wins[-1][1] >= 6.0
    # the first window alone (same frames, same video span) sounds like the start of the long run
    first = v2a(clip, num_steps=2, seed=0, duration=wins[0][1])
    until = int(round(wins[1][0] * v2a.sample_rate))  # where the next window's crossfade begins
    np.testing.assert_allclose(first.audio[0, :, :until], out.audio[0, :, :until], atol=1e-6)


def test_sixty_second_video_has_no_seams(v2a, tmp_path, video_maker):
    """60 s of low-fps video -> exactly 60 s of audio from 7 windows; level steady over every join."""
    clip = video_maker(tmp_path / "long.mp4", 60.0, fps=2.0, size=(16, 16))
    out = v2a(clip, num_steps=2, seed=0)
    sr = v2a.sample_rate
    wave = out.audio[0, 0]
    assert wave.shape == (60 * sr,) and np.isfinite(wave).all()
    wins = out.metadata["settings"]["windows"]
    assert len(wins) == 7
    steps = np.abs(np.diff(wave))
    for start, _ in wins[1:]:
        a = int(round(start * sr))
        join = wave[a : a + sr]  # the crossfaded second
        around = np.concatenate([wave[a - sr : a], wave[a + sr : a + 2 * sr]])
        assert abs(db(join) - db(around)) < 3.0, f"level jump at the join at {start:.2f} s"
        for centre in (a, a + sr):  # no click where the fade starts or ends
            assert steps[centre - 200 : centre + 200].max() < 4 * np.percentile(steps, 99.9)


@pytest.mark.slow
def test_v2a_memory_is_bounded():
    from genav.pipelines.bench import bench_v2a_memory

    result = bench_v2a_memory(durations=(8.0, 60.0), num_steps=2)
    assert result["ratio"] <= 1.5, result
