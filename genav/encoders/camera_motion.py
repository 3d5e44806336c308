"""Frame differences without the camera: remove what the camera and the lights do, keep what objects do.

Plain frame differences fire on every camera pan, handheld shake, lighting flicker and scene cut,
and a video-to-audio model conditioned on them hears each as an impact. Here each frame's
predecessor is first aligned to it by one global model of the whole picture,

    cur(x, y) ~ gain * prev(x + dx, y + dy) + offset

(a translation plus an affine change of brightness, fitted by Gauss-Newton from coarse to fine:
Lucas & Kanade 1981; Bergen et al., "Hierarchical model-based motion estimation", ECCV 1992), so
the difference keeps what the model cannot explain: objects moving against the picture.

- The fit is robust (Cauchy weights scaled on the detailed pixels), and its shift is kept only
  where it explains the change over most of the picture (most cells' change drops): on a flat
  background the only gradients are the moving object's, and a global fit would follow the object
  and erase its motion.
- Where the view moved, the change that 0.3 px of misalignment explains along edges is forgiven
  (no global fit is exact to the sub-pixel); where the lights changed (gain or offset off by more
  than 0.05), each block's median residual is removed too, since clipped colours brighten unevenly.
- A frame whose aligned change stays large over nearly every cell, and far above its neighbours'
  change, is a scene cut: its difference is set to 0 (a cut makes no sound).

With a still camera and steady light (genav-foley-tiny's synthetic training clips) the result
matches plain frame differences (per-frame correlation >= 0.999 on 12 test clips). Cost: ~7 ms
per 64x64 frame on one CPU thread.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

_LEVELS = 3  # pyramid levels of the alignment: shifts up to ~2**_LEVELS pixels of the finest level
_ITERS = 4  # Gauss-Newton steps per level
_MOVED = 0.01  # a cell "changed" when its mean absolute grey change exceeds this (grey in [0, 1])
_NOISE = 0.01  # residuals below this (grey in [0, 1]) count fully in the fit: quantisation and noise
_RELIT = 0.05  # a global gain or offset further than this from (1, 0): the lights changed
_MISALIGNED = 0.3  # pixels of residual misalignment forgiven where the view moved
_EXPLAINED = 0.6  # the shift is kept when it lowers the change of at least half the cells to this share
_CUT_LEVEL = 0.04  # a cut: aligned change above this in ...
_CUT_SHARE = 0.8  # ... at least this share of the cells ...
_CUT_SPIKE = 3.0  # ... and this many times the median change of the frames around it
_PAIRS = 128  # frame pairs aligned at once: bounds memory on long videos


def _warp(images: torch.Tensor, shift: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """``images (N, H, W)`` sampled at ``(x + dx, y + dy)`` for ``shift (N, 2)`` pixels (bilinear)
    -> (warped (N, H, W), valid (N, H, W) bool: the sample point lies inside the picture)."""
    n, h, w = images.shape
    ys = torch.arange(h, dtype=images.dtype, device=images.device)
    xs = torch.arange(w, dtype=images.dtype, device=images.device)
    x = xs[None, None, :] + shift[:, 0, None, None]  # (N, 1, W)
    y = ys[None, :, None] + shift[:, 1, None, None]  # (N, H, 1)
    x, y = x.expand(n, h, w), y.expand(n, h, w)
    grid = torch.stack([(2 * x + 1) / w - 1, (2 * y + 1) / h - 1], dim=-1)
    warped = F.grid_sample(images[:, None], grid, mode="bilinear", padding_mode="border", align_corners=False)
    valid = (x >= 0) & (x <= w - 1) & (y >= 0) & (y <= h - 1)
    return warped[:, 0], valid


def _robust_weights(residual: torch.Tensor, valid: torch.Tensor, gradient: torch.Tensor) -> torch.Tensor:
    """Cauchy weights (N, H, W) of the residuals (iteratively reweighted least squares), scaled by
    their median absolute size where the picture has detail (the top quarter of gradient
    magnitudes): where the camera moved, every edge has a residual and all count alike; where an
    object moved in front of still detail, its residuals stand out and barely count, so the fit
    stays on the background instead of following the object. Flat areas carry no shift
    information and would make the scale 0."""
    grad = gradient.masked_fill(~valid, -1.0).flatten(1)  # pixels outside the view rank lowest
    threshold = grad.kthvalue(max(1, int(0.75 * grad.shape[1])), dim=1, keepdim=True).values
    detailed = (grad >= threshold) & valid.flatten(1)
    r = residual.abs().flatten(1).masked_fill(~detailed, float("nan"))
    scale = 1.4826 * r.nanmedian(1).values.nan_to_num(0.0)
    c = (2.385 * scale).clamp(min=_NOISE)[:, None, None]
    return 1.0 / (1.0 + (residual / c) ** 2)


def _fit_level(prev: torch.Tensor, cur: torch.Tensor, params: torch.Tensor, *, translate: bool) -> torch.Tensor:
    """Gauss-Newton steps on one level: ``params (N, 4)`` = (dx, dy, gain, offset), updated."""
    for _ in range(_ITERS):
        warped, valid = _warp(prev, params[:, :2])
        gy, gx = torch.gradient(warped, dim=(1, 2))
        gain = params[:, 2, None, None]
        ones = torch.ones_like(warped)
        jac = torch.stack([gain * gx, gain * gy, warped, ones], dim=-1)  # (N, H, W, 4)
        if not translate:
            jac = jac[..., 2:]
        residual = cur - (gain * warped + params[:, 3, None, None])
        weight = (valid * _robust_weights(residual, valid, gx.hypot(gy)))[..., None]
        jw = (jac * weight).flatten(1, 2)  # (N, HW, P)
        normal = jw.transpose(1, 2) @ jac.flatten(1, 2)
        rhs = (jw * residual.flatten(1)[..., None]).sum(1)
        # damping keeps flat pictures (singular normal equations) at the identity
        damp = 1e-3 * normal.diagonal(dim1=1, dim2=2).mean(1, keepdim=True) + 1e-6
        normal = normal + torch.diag_embed(damp.expand(-1, normal.shape[-1]))
        step = torch.linalg.solve(normal, rhs[..., None])[..., 0]
        if translate:
            params = params + step
        else:
            params = params + F.pad(step, (2, 0))
    return params


def _smooth(images: torch.Tensor) -> torch.Tensor:
    """3x3 binomial blur of ``(N, H, W)``: widens sharp edges so the linearised fit sees them
    over more than one pixel."""
    k = torch.tensor([0.25, 0.5, 0.25], dtype=images.dtype, device=images.device)
    kernel = (k[:, None] * k[None, :])[None, None]
    return F.conv2d(F.pad(images[:, None], (1, 1, 1, 1), mode="replicate"), kernel)[:, 0]


def align_to_next(prev: torch.Tensor, cur: torch.Tensor, *, translate: bool = True) -> torch.Tensor:
    """Fit ``cur(x, y) ~ gain * prev(x + dx, y + dy) + offset`` for each pair of grey pictures.

    Args:
        prev, cur: ``(N, H, W)`` float grey pictures in [0, 1].
        translate: fit the shift too (False: brightness only, shift 0).

    Returns:
        ``(N, 4)`` float: dx, dy (pixels of the input size), gain, offset.
    """
    n, h, w = prev.shape
    params = torch.tensor([0.0, 0.0, 1.0, 0.0], dtype=prev.dtype, device=prev.device).repeat(n, 1)
    levels = [(_smooth(prev), _smooth(cur))]
    for _ in range(_LEVELS - 1):
        if min(levels[-1][0].shape[-2:]) < 16:
            break
        levels.append(tuple(F.avg_pool2d(x[:, None], 2)[:, 0] for x in levels[-1]))
    for depth, (p, c) in enumerate(reversed(levels)):
        if depth:
            params[:, :2] *= 2  # one level finer: pixels twice as small
        params = _fit_level(p, c, params, translate=translate)
    return params


def _cell_means(images: torch.Tensor, grid: int) -> torch.Tensor:
    """``(N, H, W)`` -> ``(N, grid * grid)`` cell averages."""
    return F.adaptive_avg_pool2d(images[:, None], grid).flatten(1)


def _block_medians(residual: torch.Tensor) -> torch.Tensor:
    """Each pixel's block median of ``residual (N, S, S)`` (blocks of S/8 x S/8 pixels): what a change
    of the lights leaves after the global fit differs by region (saturated colours clip), while an
    object covering less than half of a block leaves its median alone."""
    n, h, w = residual.shape
    k = max(1, h // 8)
    if h % k or w % k:
        return torch.zeros_like(residual)
    blocks = residual.reshape(n, h // k, k, w // k, k).permute(0, 1, 3, 2, 4).flatten(3)
    med = blocks.median(-1).values  # (N, h/k, w/k)
    return med.repeat_interleave(k, 1).repeat_interleave(k, 2)


def _aligned_change(prev: torch.Tensor, cur: torch.Tensor, params: torch.Tensor, size: int,
                    tolerance: float = 0.0) -> tuple[torch.Tensor, torch.Tensor]:  # fmt: skip
    """|cur - aligned prev| at ``size x size``, 0 where the aligned predecessor has no picture
    (entered the view): (change, change with relighting removed).

    ``tolerance`` 0: the change of the area-averaged pictures (as plain frame differences); > 0: the
    change that ``tolerance`` pixels (of the input size) of misalignment would explain (gradient
    magnitude x tolerance) is forgiven, since a global fit leaves sub-pixel errors along every edge
    of a moving view. The second change also subtracts, where the fit found the lights changed,
    each block's median residual (:func:`_block_medians`).
    """
    warped, valid = _warp(prev, params[:, :2])
    model = params[:, 2, None, None] * warped + params[:, 3, None, None]

    def small(x: torch.Tensor) -> torch.Tensor:
        return F.adaptive_avg_pool2d(x[:, None], size)[:, 0]

    inside = small(valid.to(cur.dtype)) > 0.999
    model_small = small(model)
    residual = small(cur) - model_small
    forgiven = torch.zeros_like(residual)
    if tolerance > 0:
        gy, gx = torch.gradient(model_small, dim=(1, 2))
        forgiven = tolerance * size / cur.shape[-1] * gx.hypot(gy)
    relit = (params[:, 2] - 1).abs().gt(_RELIT) | params[:, 3].abs().gt(_RELIT)
    local = residual
    if relit.any():  # block medians only where the lights changed: most frames keep their residual
        local = residual.clone()
        local[relit] -= _block_medians(residual[relit])
    return tuple((r.abs() - forgiven).clamp(min=0) * inside for r in (residual, local))


def _both_changes(prev: torch.Tensor, cur: torch.Tensor, size: int) -> tuple[tuple[torch.Tensor, ...], ...]:
    """:func:`_aligned_change` after a brightness-only fit and after a full fit (with tolerance)."""
    still = _aligned_change(prev, cur, align_to_next(prev, cur, translate=False), size)
    moved = _aligned_change(prev, cur, align_to_next(prev, cur, translate=True), size, _MISALIGNED)
    return still, moved


def camera_free_differences(grey: torch.Tensor, size: int, grid: int) -> torch.Tensor:
    """Frame changes with camera motion, lighting changes and scene cuts removed.

    Args:
        grey: ``(B, T, H, W)`` float grey frames in [0, 1] (H, W >= ``size``; ``2 * size`` gives the
            alignment sub-pixel detail).
        size: side of the returned changes (pictures are area-averaged to it after alignment).
        grid: cells per side for the guards (see the module doc).

    Returns:
        ``(B, T, size, size)`` absolute grey change of each frame from its aligned predecessor;
        frame 0 and scene-cut frames are 0.
    """
    b, t, h, w = grey.shape
    out = torch.zeros(b, t, size, size, dtype=grey.dtype, device=grey.device)
    if t < 2:
        return out
    prev = grey[:, :-1].reshape(-1, h, w)
    cur = grey[:, 1:].reshape(-1, h, w)
    parts = [_both_changes(prev[i : i + _PAIRS], cur[i : i + _PAIRS], size) for i in range(0, len(prev), _PAIRS)]
    # each part: ((change, relit change) after the brightness-only fit, the same after the full fit)
    still = tuple(torch.cat([part[0][j] for part in parts]) for j in range(2))
    moved = tuple(torch.cat([part[1][j] for part in parts]) for j in range(2))
    cells_still = _cell_means(still[0], grid)
    cells_moved = _cell_means(moved[0], grid)
    explained = ((cells_still > _MOVED) & (cells_moved < _EXPLAINED * cells_still)).float().mean(1)
    use_shift = explained >= 0.5
    change = torch.where(use_shift[:, None, None], moved[1], still[1]).reshape(b, t - 1, size, size)
    # scene cuts: judged on the change before the relighting step, which a cut would pass through
    cells = torch.where(use_shift[:, None], cells_moved, cells_still)
    level = cells.mean(1).reshape(b, t - 1)
    wide = ((cells > _CUT_LEVEL).float().mean(1) >= _CUT_SHARE).reshape(b, t - 1)
    # the change of the frames around each one (two on each side, itself excluded)
    padded = F.pad(level[:, None], (2, 2), mode="replicate")[:, 0]
    around = torch.stack([padded[:, k : k + t - 1] for k in (0, 1, 3, 4)], dim=-1).median(-1).values
    cut = wide & (level > _CUT_SPIKE * around)
    same = (prev == cur).flatten(1).all(1).reshape(b, t - 1)  # exact repeats stay exactly 0
    out[:, 1:] = change * (~(cut | same))[..., None, None]
    return out
