"""Solvers integrate known ODEs; schedules are well-formed."""

from __future__ import annotations

import math

import pytest
import torch

from genav.sampling import METHODS, sample, time_grid


@pytest.mark.parametrize("method", METHODS)
def test_constant_velocity_is_exact_in_one_step(method: str) -> None:
    # The ideal rectified-flow path: straight line from noise to data.
    noise, data = torch.randn(3, 4, 5), torch.randn(3, 4, 5)
    out = sample(lambda x, t: data - noise, noise, steps=1, method=method)
    torch.testing.assert_close(out, data)


@pytest.mark.parametrize("method", ["heun", "midpoint"])
def test_second_order_solvers_exact_for_linear_in_time(method: str) -> None:
    x0 = torch.zeros(2, 3, dtype=torch.float64)
    out = sample(lambda x, t: t[:, None].to(x.dtype).expand_as(x), x0, steps=3, method=method)
    torch.testing.assert_close(out, torch.full_like(x0, 0.5))


def test_euler_error_for_linear_in_time_matches_theory() -> None:
    x0 = torch.zeros(1, 1, dtype=torch.float64)
    out = sample(lambda x, t: t[:, None].to(x.dtype).expand_as(x), x0, steps=10, method="euler")
    assert out.item() == pytest.approx(0.5 - 1 / 20, abs=1e-6)


@pytest.mark.parametrize("method,steps,tol", [("euler", 400, 5e-3), ("heun", 40, 1e-3), ("midpoint", 40, 1e-3)])
def test_exponential_growth_to_exact_answer(method: str, steps: int, tol: float) -> None:
    lam = -1.5
    x0 = torch.randn(4, 2, dtype=torch.float64)
    out = sample(lambda x, t: lam * x, x0, steps=steps, method=method)
    torch.testing.assert_close(out, x0 * math.exp(lam), rtol=tol, atol=tol)


def test_heun_beats_euler_at_equal_steps() -> None:
    x0 = torch.ones(1, 1, dtype=torch.float64)

    def field(x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        return -1.5 * x

    err = {m: (sample(field, x0, steps=8, method=m) - math.exp(-1.5)).abs().item() for m in ("euler", "heun")}
    assert err["heun"] < err["euler"] / 10


def test_callback_sees_every_step_and_ends_at_one() -> None:
    seen = []
    sample(lambda x, t: x * 0, torch.zeros(1, 1), steps=5, callback=lambda i, n, t, x: seen.append((i, n, t)))
    assert [s[0] for s in seen] == [1, 2, 3, 4, 5]
    assert all(s[1] == 5 for s in seen)
    assert seen[-1][2] == pytest.approx(1.0)


def test_velocity_fn_gets_batch_of_times() -> None:
    shapes = []

    def field(x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        shapes.append(tuple(t.shape))
        return torch.zeros_like(x)

    sample(field, torch.zeros(3, 2, 7), steps=2, method="midpoint")
    assert shapes == [(3,)] * 4


def test_time_grids() -> None:
    lin = time_grid(4)
    torch.testing.assert_close(lin, torch.tensor([0, 0.25, 0.5, 0.75, 1], dtype=torch.float64))
    shifted = time_grid(10, "shifted", shift=3.0)
    assert shifted[0] == 0 and shifted[-1] == 1
    assert torch.all(shifted.diff() > 0)
    # shift > 1 spends more steps near noise: the first step is shorter than a linear one
    assert shifted[1] < lin[1] * 4 / 10
    torch.testing.assert_close(time_grid(10, "shifted", shift=1.0), time_grid(10))


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="solver"):
        sample(lambda x, t: x, torch.zeros(1), steps=1, method="rk4")
    with pytest.raises(ValueError, match="schedule"):
        time_grid(3, "cosine")
    with pytest.raises(ValueError, match="steps"):
        time_grid(0)
