"""Guidance algebra: scale 1 is conditional, 0 unconditional; separate text/video scales."""

from __future__ import annotations

import pytest
import torch

from genav.sampling import cfg, guided_velocity, guided_velocity_separate, plan_guidance, sample

X = torch.randn(2, 3, 4)
T = torch.full((2,), 0.3)
BRANCH_V = {"full": torch.randn(2, 3, 4), "video": torch.randn(2, 3, 4), "null": torch.randn(2, 3, 4)}


def _fns() -> dict:
    return {name: (lambda x, t, v=v: v) for name, v in BRANCH_V.items()}


def test_cfg_scale_one_is_conditional_and_zero_unconditional() -> None:
    fns = _fns()
    torch.testing.assert_close(cfg(fns["full"], fns["null"], 1.0)(X, T), BRANCH_V["full"])
    torch.testing.assert_close(cfg(fns["full"], fns["null"], 0.0)(X, T), BRANCH_V["null"])
    expected = BRANCH_V["null"] + 4.5 * (BRANCH_V["full"] - BRANCH_V["null"])
    torch.testing.assert_close(cfg(fns["full"], fns["null"], 4.5)(X, T), expected)


def test_separate_scales_formula() -> None:
    plan = plan_guidance(text_scale=2.0, video_scale=5.0, has_video=True)
    assert plan.branches == ("full", "video", "null")
    v = guided_velocity_separate(_fns(), plan)(X, T)
    n, vid, full = BRANCH_V["null"], BRANCH_V["video"], BRANCH_V["full"]
    torch.testing.assert_close(v, n + 5.0 * (vid - n) + 2.0 * (full - vid))


def test_separate_scales_reduce_to_cfg_when_equal() -> None:
    plan3 = plan_guidance(text_scale=3.0, video_scale=3.0 + 1e-9, has_video=True)
    plan2 = plan_guidance(text_scale=3.0, video_scale=3.0, has_video=True)
    assert plan2.branches == ("full", "null")
    a = guided_velocity_separate(_fns(), plan3)(X, T)
    b = guided_velocity_separate(_fns(), plan2)(X, T)
    torch.testing.assert_close(a, b)


@pytest.mark.parametrize(
    "kwargs,branches,scale",
    [
        (dict(text_scale=1.0, has_video=False), ("full",), 1.0),
        (dict(text_scale=4.0, has_video=False), ("full", "null"), 4.0),
        (dict(text_scale=4.0, video_scale=2.0, has_video=False), ("full", "null"), 4.0),
        (dict(text_scale=4.0, video_scale=2.0, has_video=True, text_differs=False), ("full", "null"), 2.0),
        (dict(text_scale=4.0, has_video=False, text_differs=False), ("full",), 1.0),
        (dict(text_scale=1.0, video_scale=1.0, has_video=True), ("full",), 1.0),
    ],
)
def test_plan_uses_fewest_branches(kwargs: dict, branches: tuple, scale: float) -> None:
    plan = plan_guidance(**kwargs)
    assert plan.branches == branches
    assert plan.scale == scale


def test_batched_equals_separate_and_is_one_call() -> None:
    plan = plan_guidance(text_scale=2.0, video_scale=5.0, has_video=True)
    weights = {"full": 1.0, "video": 2.0, "null": 3.0}
    calls = []

    def batched(x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        calls.append(x.shape[0])
        w = torch.cat([torch.full((2,), weights[b]) for b in plan.branches])
        return x * w[:, None, None] + t[:, None, None]

    separate = {b: (lambda x, t, w=w: x * w + t[:, None, None]) for b, w in weights.items()}
    a = guided_velocity(batched, plan)(X, T)
    b = guided_velocity_separate(separate, plan)(X, T)
    torch.testing.assert_close(a, b)
    assert calls == [6]


def test_guided_velocity_drives_a_solver() -> None:
    plan = plan_guidance(text_scale=0.0, has_video=False)
    target = torch.ones(2, 3, 4)

    def batched(x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        full, null = x.chunk(2)
        return torch.cat([target - full, -null])

    out = sample(guided_velocity(batched, plan), torch.zeros(2, 3, 4), steps=4)
    torch.testing.assert_close(out, torch.zeros(2, 3, 4))  # scale 0: the unconditional path
