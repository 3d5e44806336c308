"""``attention(q, k, v)``: one entry point, several kernels, one selection rule.

Selection, first match wins: the ``backend`` argument > :func:`use_backend` (a context manager,
per thread/task) > the ``GENAV_ATTENTION`` environment variable > ``auto``. An explicit backend
that cannot run raises :class:`~genav.errors.BackendUnavailableError` naming those that can; only
``auto`` falls back, and it logs each reason once.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import math
import os
from collections.abc import Iterator
from typing import TYPE_CHECKING

from genav.attention.backends import BACKENDS, KERNELS, unavailable_reason
from genav.errors import BackendUnavailableError, InputError

if TYPE_CHECKING:
    import torch

log = logging.getLogger(__name__)

ENV_VAR = "GENAV_ATTENTION"
CHOICES: tuple[str, ...] = (*BACKENDS, "auto")

_context_backend: contextvars.ContextVar[str | None] = contextvars.ContextVar("genav_attention", default=None)
_logged_reasons: set[str] = set()


def attention(
    q: "torch.Tensor",
    k: "torch.Tensor",
    v: "torch.Tensor",
    *,
    mask: "torch.Tensor | None" = None,
    backend: str | None = None,
    scale: float | None = None,
) -> "torch.Tensor":
    """Scaled dot-product attention in the layout (batch, tokens, heads, head dim).

    Args:
        q: queries (B, N, H, D).
        k: keys (B, M, Hkv, D), with ``H % Hkv == 0`` (grouped-query attention when Hkv < H;
            query head ``h`` uses key/value head ``h // (H // Hkv)``).
        v: values (B, M, Hkv, Dv).
        mask: ``None``; a bool key-padding mask (B, M), True = attend; or a bool (True = attend)
            or float (added to the scores) mask of 3 or 4 dims broadcastable to (B, H, N, M) by
            the usual rules (pass (B, 1, N, M) for one mask per batch item).
        backend: ``sdpa``, ``chunked``, ``math``, ``xformers`` or ``auto``; ``None`` defers to
            :func:`use_backend`, then ``GENAV_ATTENTION``, then ``auto``.
        scale: score scale; default ``1 / sqrt(D)``.

    Returns:
        (B, N, H, Dv) in the dtype of ``q``. A query row with no valid key (all False, or all
        ``-inf``) gives zeros, never NaN, on every backend, and passes no gradient.
    """
    _check_shapes(q, k, v)
    scale = 1.0 / math.sqrt(q.shape[-1]) if scale is None else float(scale)
    name = resolve_backend(backend, q, mask)
    mask4, row_ok = _prepare_mask(mask, q, k)
    out = KERNELS[name](q, k, v, mask4, scale)
    if row_ok is not None:
        out = out.masked_fill(~row_ok.transpose(1, 2), 0.0)  # (B|1, N|1, H|1, 1)
    return out


# ------------------------------------------------------------------------------------------ selection


@contextlib.contextmanager
def use_backend(name: str) -> Iterator[None]:
    """Use backend ``name`` for :func:`attention` calls without a ``backend`` argument in this block."""
    _check_name(name, "use_backend()")
    token = _context_backend.set(name)
    try:
        yield
    finally:
        _context_backend.reset(token)


def requested_backend(backend: str | None = None) -> str:
    """The backend name asked for (argument > context manager > ``GENAV_ATTENTION`` > ``auto``)."""
    if backend is not None:
        _check_name(backend, "the backend argument")
        return backend
    ctx = _context_backend.get()
    if ctx is not None:
        return ctx
    env = os.environ.get(ENV_VAR, "").strip().lower()
    if env:
        _check_name(env, f"{ENV_VAR}")
        return env
    return "auto"


def resolve_backend(backend: str | None, q: "torch.Tensor", mask: "torch.Tensor | None" = None) -> str:
    """The backend that will run for these inputs; raises if an explicit one cannot run."""
    name = requested_backend(backend)
    if name == "auto":
        return _auto(q, mask)
    reason = unavailable_reason(name, q.device)
    if reason is not None:
        able = ", ".join(available_backends(q.device))
        raise BackendUnavailableError(
            f"attention backend {name!r} cannot run here: {reason}; backends that can run: {able}",
            hint=f"pass backend='auto' or set {ENV_VAR} to one of those",
        )
    return name


def _auto(q: "torch.Tensor", mask: "torch.Tensor | None") -> str:
    """xformers on CUDA when importable and the inputs suit it, else sdpa (fastest and flat on CPU)."""
    if q.device.type != "cuda":
        return "sdpa"
    reason = unavailable_reason("xformers", q.device) or _xformers_misfit(q, mask)
    if reason is None:
        return "xformers"
    if reason not in _logged_reasons:
        _logged_reasons.add(reason)
        log.info("attention auto: using sdpa instead of xformers: %s", reason)
    return "sdpa"


def _xformers_misfit(q: "torch.Tensor", mask: "torch.Tensor | None") -> str | None:
    import torch

    if mask is not None:
        return "a mask would be materialised as a dense (B, H, N, M) bias"
    if q.dtype not in (torch.float16, torch.bfloat16):
        return (
            f"its kernels are fastest in float16/bfloat16, inputs are {str(q.dtype).removeprefix('torch.')}"
        )
    if q.shape[-1] % 8 or q.shape[-1] > 256:
        return f"head dim {q.shape[-1]} is not a multiple of 8 up to 256"
    return None


def available_backends(device: "torch.device | str | None" = None) -> list[str]:
    """Backends that can run on ``device`` (default: the best device here), in preference order."""
    dev = _device(device)
    return [name for name in BACKENDS if unavailable_reason(name, dev) is None]


def backend_status(device: "torch.device | str | None" = None) -> dict[str, str]:
    """Each backend mapped to ``"ok"`` or the reason it cannot run on ``device``; for ``genav info``."""
    dev = _device(device)
    return {name: unavailable_reason(name, dev) or "ok" for name in BACKENDS}


def _device(device: "torch.device | str | None") -> "torch.device":
    import torch

    if device is None:
        from genav.runtime import select_device

        return select_device("auto")
    return torch.device(device)


def _check_name(name: str, where: str) -> None:
    if name not in CHOICES:
        raise BackendUnavailableError(
            f"unknown attention backend {name!r} in {where}; choose one of {', '.join(CHOICES)}"
        )


# ------------------------------------------------------------------------------------ inputs, masks


def _check_shapes(q: "torch.Tensor", k: "torch.Tensor", v: "torch.Tensor") -> None:
    if q.ndim != 4 or k.ndim != 4 or v.ndim != 4:
        raise InputError(
            f"attention wants 4-D (B, N, H, D) tensors; got q {tuple(q.shape)}, k {tuple(k.shape)}, v {tuple(v.shape)}"
        )
    (b, _, h, d), (bk, _, hkv, dk) = q.shape, k.shape
    if bk != b or v.shape[:3] != k.shape[:3] or dk != d:
        raise InputError(
            f"attention shapes disagree: q {tuple(q.shape)} (B, N, H, D), k {tuple(k.shape)} and "
            f"v {tuple(v.shape)} must be (B, M, Hkv, D)"
        )
    if hkv == 0 or h % hkv:
        raise InputError(f"query heads ({h}) must be a multiple of key/value heads ({hkv})")
    if not (q.dtype == k.dtype == v.dtype) or not (q.device == k.device == v.device):
        raise InputError(
            f"q, k, v must share dtype and device; got {q.dtype}/{k.dtype}/{v.dtype} on {q.device}/{k.device}/{v.device}"
        )


def _prepare_mask(
    mask: "torch.Tensor | None", q: "torch.Tensor", k: "torch.Tensor"
) -> "tuple[torch.Tensor | None, torch.Tensor | None]":
    """Normalise ``mask`` to 4-D and open fully masked rows.

    Returns ``(mask4, row_ok)``: ``mask4`` is broadcastable to (B, H, N, M) and has no fully masked
    row (such rows attend to everything, so no kernel sees an all ``-inf`` row and makes NaN);
    ``row_ok`` (B|1, H|1, N|1, 1) says which rows had a valid key, to zero the others' output.
    No host sync: rows are opened unconditionally by an elementwise op.
    """
    import torch

    if mask is None:
        return None, None
    (b, n, h, _), m = q.shape, k.shape[1]
    if mask.dtype != torch.bool and not mask.is_floating_point():
        raise InputError(
            f"attention mask must be bool (True = attend) or float (added to scores), got {mask.dtype}"
        )
    if mask.ndim == 2:
        if mask.shape[0] not in (1, b) or mask.shape[1] != m:
            raise InputError(
                f"a 2-D attention mask is a key-padding mask (B={b}, M={m}); got {tuple(mask.shape)}"
            )
        mask = mask[:, None, None, :]
    elif mask.ndim in (3, 4):
        try:
            torch.broadcast_shapes(mask.shape, (b, h, n, m))
        except RuntimeError:
            raise InputError(
                f"attention mask {tuple(mask.shape)} does not broadcast to (B, H, N, M) = {(b, h, n, m)}"
            ) from None
        if mask.ndim == 3:
            mask = mask.unsqueeze(0)
        if mask.shape[-1] != m:
            mask = mask.expand(*mask.shape[:-1], m)  # a (.., 1) mask broadcast over keys
    else:
        raise InputError(f"attention mask must have 2, 3 or 4 dims; got {tuple(mask.shape)}")
    if mask.device != q.device:
        mask = mask.to(q.device)
    if mask.dtype == torch.bool:
        row_ok = mask.any(dim=-1, keepdim=True)
        return mask | ~row_ok, row_ok
    row_ok = (mask > float("-inf")).any(dim=-1, keepdim=True)
    return mask.masked_fill(~row_ok, 0.0), row_ok
