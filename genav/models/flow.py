"""Rectified flow (flow matching with straight paths) for training velocity models.

Convention, shared with :mod:`genav.sampling`: ``x_t = (1 - t) * noise + t * data``; ``t = 0``
is noise, ``t = 1`` is data; the target velocity is ``dx_t/dt = data - noise``. Samplers
integrate from 0 to 1.
"""

from __future__ import annotations

import torch
from torch import Tensor

T_SAMPLINGS = ("logit_normal", "uniform")


def sample_flow_times(
    batch: int,
    kind: str = "logit_normal",
    *,
    generator: torch.Generator | None = None,
    device: torch.device | str | None = None,
    mean: float = 0.0,
    std: float = 1.0,
) -> Tensor:
    """Training times ``(batch,)`` in (0, 1), float32.

    ``logit_normal``: ``sigmoid(N(mean, std))`` (SD3: ``N(0, 1)``), which concentrates training on
    the middle of the path where the velocity is hardest to predict (a negative ``mean`` moves it
    towards noise); ``uniform``: U(0, 1).

    Raises:
        ValueError: an unknown ``kind``.

    Source: logit-normal sampling from Esser et al. (2024), "Scaling Rectified Flow Transformers".
    """
    if kind == "logit_normal":
        return torch.sigmoid(torch.randn(batch, generator=generator, device=device) * std + mean)
    if kind == "uniform":
        return torch.rand(batch, generator=generator, device=device)
    raise ValueError(f"unknown time sampling {kind!r}; choose one of {', '.join(T_SAMPLINGS)}")


def flow_interpolate(data: Tensor, noise: Tensor, t: Tensor) -> Tensor:
    """``x_t = (1 - t) * noise + t * data`` with ``t`` ``(B,)`` broadcast over ``data`` ``(B, ...)``.

    Source: rectified flow, Liu et al. (2022), "Flow Straight and Fast"; flow matching, Lipman et
    al. (2022).
    """
    tb = t.to(data.dtype).reshape(-1, *([1] * (data.dim() - 1)))
    return (1 - tb) * noise + tb * data


def flow_velocity_target(data: Tensor, noise: Tensor) -> Tensor:
    """The straight-path velocity ``data - noise`` (rectified flow, Liu et al., 2022)."""
    return data - noise


def masked_mse(pred: Tensor, target: Tensor, mask: Tensor | None = None) -> Tensor:
    """Mean squared error over valid frames: ``pred``/``target`` ``(B, C, T)``, ``mask`` ``(B, T)``.

    Each valid element weighs the same (a long clip counts more than a short one); computed in
    float32.
    """
    err = (pred.float() - target.float()).pow(2)
    if mask is None:
        return err.mean()
    m = mask[:, None, :].to(err.dtype)
    denom = (m.sum() * err.shape[1]).clamp(min=1.0)
    return (err * m).sum() / denom
