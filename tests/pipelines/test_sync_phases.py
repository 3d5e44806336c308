"""Video faster than the model's rate read in phases (genav.models.sync_phases)."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
import torch

from genav.errors import InputError
from genav.models.sync_phases import (
    MAX_SYNC_PHASES,
    auto_sync_phases,
    check_sync_phases,
    phased_video_tokens,
)

TEN = SimpleNamespace(fps=10.0, sync_fps=10.0)


@pytest.mark.parametrize(
    ("native", "phases"),
    [
        (None, 1),
        (8.0, 1),
        (10.0, 1),
        (12.0, 1),
        (15.0, 2),
        (24.0, 3),
        (25.0, 3),
        (30.0, 3),
        (60.0, MAX_SYNC_PHASES),
    ],
)
def test_auto_phases_follow_the_native_rate(native, phases):
    assert auto_sync_phases(native, TEN) == phases


def test_no_phases_when_sync_runs_at_another_rate_and_bad_counts_are_refused():
    other = SimpleNamespace(fps=10.0, sync_fps=5.0)
    assert auto_sync_phases(30.0, other) == 1
    assert check_sync_phases(1, other) == 1
    with pytest.raises(InputError, match="sync rate"):
        check_sync_phases(2, other)
    for bad in (0, -1, 2.5, True):
        with pytest.raises(InputError, match="sync_phases"):
            check_sync_phases(bad, TEN)


def _moving_square(n: int, appear: int) -> np.ndarray:
    """(n, 32, 32, 3) uint8: dark noise, a bright square from frame ``appear`` on."""
    rng = np.random.default_rng(0)
    frames = (rng.random((n, 32, 32, 3)) * 40).astype(np.uint8)
    frames[appear:, 8:20, 8:20] = 255
    return frames


def test_phases_interleave_the_sync_of_each_shifted_read(v2a):
    model = v2a.model
    frames = torch.from_numpy(_moving_square(31, 7))[None]  # 31 frames at 30 fps = 3 phases at 10 fps
    plain = model.encode_video(frames[:, ::3])
    tokens = phased_video_tokens(model, frames, 3)
    assert tokens.sync.shape[1] == 31 and tokens.sync_fps == 3 * plain.sync_fps
    for p in range(3):
        alone = model.encode_video(frames[:, p::3])
        assert torch.equal(tokens.sync[:, p::3], alone.sync)
        assert torch.equal(tokens.sync_mask[:, p::3], alone.sync_mask)
    assert torch.equal(tokens.semantic, plain.semantic) and tokens.semantic_fps == plain.semantic_fps
    one = phased_video_tokens(model, frames[:, ::3], 1)
    assert torch.equal(one.sync, plain.sync) and one.sync_fps == plain.sync_fps


def test_every_phased_token_enters_the_video_stream(v2a):
    """debug-foley's null embeddings pad the stream to the tokens its rates give; phased sync
    tokens are counted at their own rate, none is taken for padding."""
    from genav.models.audio_mmdit_generate import make_conditioning

    model = v2a.model
    tokens = phased_video_tokens(model, torch.from_numpy(_moving_square(60, 7))[None], 3)  # 2 s
    frames = int(round(2.0 * v2a.frame_rate))
    cond = make_conditioning(2.0, text=None, video=tokens, frame_rate=v2a.frame_rate, batch=1, device="cpu")
    prepared = model.prepare_conditions(cond, 1, frames, "cpu")
    assert prepared.video.mask is None
    assert prepared.video.tokens.shape[1] == tokens.semantic.shape[1] + 60


def test_phases_find_a_change_between_the_models_frames(v2a):
    """The square appears at 30 fps frame 7 (0.233 s): a plain 10 fps read first shows it at 0.3 s,
    the phased read at 0.233 s (the motion features, before any learned layer)."""
    encoder = v2a.model.video_encoder
    frames = torch.from_numpy(_moving_square(30, 7))[None]

    def first_motion(seq: torch.Tensor, fps: float) -> float:
        motion = encoder.prepare_inputs(seq).motion[0].flatten(1).abs().sum(1)
        return int(torch.nonzero(motion > 0.5 * motion.max())[0]) / fps

    assert first_motion(frames[:, ::3], 10.0) == pytest.approx(0.3)
    phase_times = [first_motion(frames[:, p::3], 10.0) + p / 30 for p in range(3)]
    assert min(phase_times) == pytest.approx(7 / 30)


def test_pipeline_reads_fast_video_in_phases_and_records_it(v2a):
    video = _moving_square(60, 20)  # 2 s at 30 fps
    auto = v2a(video, fps=30.0, num_steps=2, seed=0)
    plain = v2a(video, fps=30.0, num_steps=2, seed=0, sync_phases=1)
    assert auto.metadata["settings"]["sync_phases"] == 3
    assert plain.metadata["settings"]["sync_phases"] == 1
    assert not np.allclose(auto.audio, plain.audio)
    slow = video[::3]  # the same picture at 10 fps: nothing to gain, a plain read
    at_rate = v2a(slow, fps=10.0, num_steps=2, seed=0)
    assert at_rate.metadata["settings"]["sync_phases"] == 1
    np.testing.assert_array_equal(
        at_rate.audio, v2a(slow, fps=10.0, num_steps=2, seed=0, sync_phases=1).audio
    )
    with pytest.raises(InputError, match="sync_phases"):
        v2a(video, fps=30.0, num_steps=2, sync_phases=0)


def test_a_file_is_read_in_phases_at_its_own_rate(v2a, video_maker, tmp_path):
    clip = video_maker(tmp_path / "fast.mp4", 2.0, fps=25.0)
    out = v2a(clip, num_steps=2, seed=0)
    assert out.metadata["settings"]["sync_phases"] == 3
    assert out.metadata["settings"]["picture"]["fps"] == pytest.approx(25.0)


def test_phased_sync_tokens_weigh_in_attention_what_one_token_did():
    """P copies of a key with bias -log P get the attention one key got: the phases of one model
    frame together weigh what that frame did in training."""
    import math

    from genav.attention import attention
    from genav.models.mmdit_streams import Stream, joint_mask

    g = torch.Generator().manual_seed(0)
    q, a, b = (torch.randn(1, n, 2, 8, generator=g) for n in (5, 3, 2))
    k_one, v_one = torch.cat([a, b], 1), torch.cat([a, 2 * b], 1)
    k_three = torch.cat([a, b.repeat_interleave(3, 1)], 1)
    v_three = torch.cat([a, (2 * b).repeat_interleave(3, 1)], 1)
    streams = [
        Stream(a.flatten(2), None, []),
        Stream(k_three[:, 3:].flatten(2), None, [], torch.full((1, 6), -math.log(3))),
    ]
    mask = joint_mask(streams)
    assert mask.shape == (1, 1, 1, 9) and torch.all(mask[..., :3] == 0)
    torch.testing.assert_close(attention(q, k_three, v_three, mask=mask), attention(q, k_one, v_one))
    streams[0].mask = torch.tensor([[True, False, True]])
    assert joint_mask(streams)[0, 0, 0, 1] == float("-inf")


def test_the_model_biases_only_phased_sync_tokens():
    import math

    from genav.models.audio_mmdit_generate import make_conditioning
    from genav.pipelines import VideoToAudioPipeline

    pipe = VideoToAudioPipeline.from_pretrained("genav-foley-tiny")  # token nulls, sync added per frame
    model, rate = pipe.model, pipe.frame_rate
    frames = torch.from_numpy(_moving_square(60, 7))[None]  # 2 s at 30 fps

    def prepared(tokens):
        cond = make_conditioning(2.0, text=None, video=tokens, frame_rate=rate, batch=1, device="cpu")
        return model.prepare_conditions(cond, 1, int(round(2.0 * rate)), "cpu")

    plain = prepared(phased_video_tokens(model, frames[:, ::3], 1))
    assert plain.mask is None or plain.mask.dtype == torch.bool
    tokens = phased_video_tokens(model, frames, 3)
    phased = prepared(tokens)
    scores = phased.mask[0, 0, 0]  # keys: audio, video (null, semantic, sync), text
    text, n = phased.text.tokens.shape[1], tokens.sync.shape[1]
    sync = scores[-(text + n) : -text]
    assert torch.allclose(sync, torch.full_like(sync, -math.log(3)))
    rest = torch.cat([scores[: -(text + n)], scores[-text:]])
    assert torch.all((rest == 0) | torch.isinf(rest))
