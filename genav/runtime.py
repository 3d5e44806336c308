"""Seeding and device/dtype selection shared by pipelines, training and benchmarks."""

from __future__ import annotations

import os
import random
from typing import TYPE_CHECKING

from genav.errors import BackendUnavailableError

if TYPE_CHECKING:
    import torch

DEVICE_CHOICES = ("auto", "cpu", "cuda", "mps")
DTYPE_CHOICES = ("auto", "float32", "float16", "bfloat16")


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and torch (all devices) for a reproducible run."""
    import numpy as np
    import torch

    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    os.environ.setdefault("PYTHONHASHSEED", str(seed))


def select_device(name: str = "auto") -> "torch.device":
    """``auto`` picks cuda, then mps, then cpu; an explicit device that is missing is an error."""
    import torch

    if name not in DEVICE_CHOICES and not name.startswith("cuda:"):
        raise BackendUnavailableError(f"unknown device {name!r}; choose one of {', '.join(DEVICE_CHOICES)}")
    available = available_devices()
    if name == "auto":
        return torch.device(available[0])
    if name.split(":")[0] not in available:
        raise BackendUnavailableError(
            f"device {name!r} is not available here; available: {', '.join(available)}"
        )
    return torch.device(name)


def available_devices() -> list[str]:
    """Devices usable in this process, best first."""
    import torch

    found = []
    if torch.cuda.is_available():
        found.append("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        found.append("mps")
    found.append("cpu")
    return found


def select_dtype(name: str, device: "torch.device") -> "torch.dtype":
    """``auto`` is bfloat16 on CUDA GPUs that support it, float16 on mps, float32 on cpu."""
    import torch

    if name not in DTYPE_CHOICES:
        raise BackendUnavailableError(f"unknown dtype {name!r}; choose one of {', '.join(DTYPE_CHOICES)}")
    if name == "auto":
        if device.type == "cuda":
            return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
        return torch.float16 if device.type == "mps" else torch.float32
    return getattr(torch, name)


def module_device(module: "torch.nn.Module") -> "torch.device":
    """The device a module's tensors live on (cpu for a module without any)."""
    import torch

    for tensor in module.buffers():
        return tensor.device
    for tensor in module.parameters():
        return tensor.device
    return torch.device("cpu")
