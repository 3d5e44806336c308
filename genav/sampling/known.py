"""Sampling with known frames: keep a prefix of the latents fixed while the rest is generated.

Used for long clips made of overlapping windows: a window's first frames are the previous
window's latents, and the model fills in what follows (replacement inpainting).
"""

from __future__ import annotations

from torch import Tensor

from genav.sampling.solvers import VelocityFn


def with_known_prefix(velocity_fn: VelocityFn, known: Tensor, noise: Tensor, *, dim: int = -1) -> VelocityFn:
    """Keep the first ``K = known.shape[dim]`` frames on the straight path from ``noise`` to ``known``.

    ``known`` ``(B, ..., K)``: where those frames must end; ``noise`` ``(B, ..., T)``, ``T >= K``:
    the sampler's starting point. Their velocity is replaced by ``known - noise[..., :K]``, so at
    every solver evaluation they sit exactly at ``(1 - t) noise + t known`` (for Euler, Heun and
    midpoint alike) and end at ``known``; the model sees them as context while it generates the
    rest. ``K == 0`` returns ``velocity_fn`` itself. ``dim``: the time axis (video latents
    ``(B, C, T, H, W)`` use ``dim=2``).
    """
    k = known.shape[dim]
    if k == 0:
        return velocity_fn
    if k > noise.shape[dim]:
        raise ValueError(f"{k} known frames but only {noise.shape[dim]} frames to sample")
    fixed = known.to(noise.device, noise.dtype) - noise.narrow(dim, 0, k)

    def velocity(x: Tensor, t: Tensor) -> Tensor:
        v = velocity_fn(x, t).clone()
        v.narrow(dim, 0, k).copy_(fixed)
        return v

    return velocity
