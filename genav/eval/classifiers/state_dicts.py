"""Safe reading of released PyTorch checkpoints (tensors and numpy arrays only, no arbitrary pickles)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from genav.errors import CheckpointError

__all__ = ["read_state_dict"]


def read_state_dict(path: Path, what: str, *, allow_arrays: bool = False) -> dict[str, Any]:
    """A flat ``{name: tensor}`` dict from ``path`` via ``torch.load(weights_only=True)``.

    ``allow_arrays``: values may also be numpy arrays (the VGGish PCA file). Raises
    :class:`CheckpointError` naming the file for a missing, unreadable or differently shaped file.
    """
    import numpy as np
    import torch

    from genav.eval.cnn14 import _safe_torch_load

    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{what} checkpoint not found: {path}")
    try:
        state = _safe_torch_load(path)
    except CheckpointError:
        raise
    except Exception as exc:  # noqa: BLE001 - torch raises many types for a corrupt file
        raise CheckpointError(
            f"{path}: not a readable PyTorch checkpoint ({type(exc).__name__}: {exc})"
        ) from None
    kinds = (torch.Tensor, np.ndarray) if allow_arrays else (torch.Tensor,)
    if not isinstance(state, dict) or not all(isinstance(v, kinds) for v in state.values()):
        raise CheckpointError(f"{path}: expected a {what} state dict of tensors (the released layout)")
    return state
