"""Safe reading of released PyTorch checkpoints (tensors and numpy arrays only, no arbitrary pickles)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from genav.errors import CheckpointError

log = logging.getLogger(__name__)

__all__ = ["load_released_model", "read_checkpoint", "read_state_dict"]


def read_state_dict(path: Path, what: str, *, allow_arrays: bool = False) -> dict[str, Any]:
    """A flat ``{name: tensor}`` dict from ``path`` via ``torch.load(weights_only=True)``.

    ``allow_arrays``: values may also be numpy arrays (the VGGish PCA file). Raises
    :class:`CheckpointError` naming the file for a missing, unreadable or differently shaped file.
    """
    import numpy as np
    import torch

    path = Path(path)
    state = read_checkpoint(path, missing=f"{what} checkpoint not found: {path}")
    kinds = (torch.Tensor, np.ndarray) if allow_arrays else (torch.Tensor,)
    if not isinstance(state, dict) or not all(isinstance(v, kinds) for v in state.values()):
        raise CheckpointError(f"{path}: expected a {what} state dict of tensors (the released layout)")
    return state


def load_released_model(path: Path, what: str, build: Callable[[dict[str, Any], Path], Any]) -> Any:
    """A frozen model in eval mode from a released plain state dict: :func:`read_state_dict`, then
    ``build(state, path)`` (the architecture sized from the tensors), then a strict load.

    Raises CheckpointError (from reading, ``build`` or the strict load, which names missing,
    unexpected and mis-shaped tensors).
    """
    from genav.checkpoint import load_state_strict

    state = read_state_dict(path, what)
    model = build(state, path)
    load_state_strict(model, state, source=str(path))
    for p in model.parameters():
        p.requires_grad_(False)
    log.info(
        "loaded %s from %s (%.1fM parameters)", what, path, sum(p.numel() for p in model.parameters()) / 1e6
    )
    return model.eval()


def read_checkpoint(path: Path, *, missing: str) -> Any:
    """:func:`_torch_load_safe` of ``path`` with one-line errors: CheckpointError(``missing``) when
    the file is absent, CheckpointError naming the file when torch cannot read it."""
    if not path.is_file():
        raise CheckpointError(missing)
    try:
        return _torch_load_safe(path)
    except CheckpointError:
        raise
    except Exception as exc:  # noqa: BLE001 - torch raises many types for a corrupt file
        raise CheckpointError(
            f"{path}: not a readable PyTorch checkpoint ({type(exc).__name__}: {exc})"
        ) from None


def _torch_load_safe(path: Path) -> Any:
    """``torch.load(weights_only=True)`` of ``path``; numpy array globals (e.g. a sampler state) are
    allow-listed. Raises CheckpointError naming any other global the file would unpickle."""
    import numpy as np
    import torch
    from torch.serialization import get_unsafe_globals_in_checkpoint, safe_globals

    needed = get_unsafe_globals_in_checkpoint(str(path))
    refused = [g for g in needed if not _is_numpy_array_global(g)]
    if refused:
        raise CheckpointError(
            f"{path}: refusing to unpickle {', '.join(refused)} (only tensors and numpy arrays are loaded)"
        )
    allowed = [_resolve_global(g) for g in needed]
    if allowed:  # array dtypes are rebuilt from their classes, which the scan above does not list
        allowed += [
            getattr(np.dtypes, n) for n in dir(np.dtypes) if n.endswith("DType") and n != "StringDType"
        ]
    with safe_globals(allowed):
        return torch.load(str(path), map_location="cpu", weights_only=True)


_NUMPY_GLOBALS = {
    "numpy.core.multiarray._reconstruct",
    "numpy._core.multiarray._reconstruct",
    "numpy.core.multiarray.scalar",
    "numpy._core.multiarray.scalar",
    "numpy.ndarray",
    "numpy.dtype",
}


def _is_numpy_array_global(name: str) -> bool:
    return name in _NUMPY_GLOBALS or (name.startswith("numpy.dtypes.") and name.endswith("DType"))


def _resolve_global(name: str) -> Any:
    import importlib

    module_name, _, attr = name.rpartition(".")
    return getattr(importlib.import_module(module_name), attr)
