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


_MEASURE_TAIL = """
import json as _json, os as _os, resource as _resource
_kib = lambda who: _resource.getrusage(who).ru_maxrss  # Linux: KiB
def _own_peak_kib():
    # VmHWM: this process's own peak. Linux's ru_maxrss also counts the parent's size at fork
    # (a measuring parent of 900 MB made a 70 MB child read 930 MB)
    try:
        with open("/proc/self/status") as _fh:
            return next(int(l.split()[1]) for l in _fh if l.startswith("VmHWM:"))
    except (OSError, StopIteration):
        return _kib(_resource.RUSAGE_SELF)
result["python_kib"] = _own_peak_kib()
result.setdefault("children_kib", _kib(_resource.RUSAGE_CHILDREN))
with open(_os.environ["GENAV_MEASURE_OUT"], "w") as _fh:
    _json.dump(result, _fh)
"""


def measure_in_fresh_process(code: str, *args: object, what: str) -> dict:
    """Run Python ``code`` (it must set a JSON-able dict ``result``) in a new interpreter with
    ``args`` as ``sys.argv[1:]``; return ``result`` plus the peak RSS in KiB of that process
    (``python_kib``: its own peak, VmHWM on Linux) and of its own children such as ffmpeg
    (``children_kib``: unless ``code`` measured them itself, their ``ru_maxrss``, an upper bound
    that includes the size of the process at the fork).

    A fresh process makes a memory figure cover only the measured work, not this process's history.
    The result comes back through a file, so whatever the child prints cannot garble it.
    """
    import json
    import os
    import subprocess
    import sys
    import tempfile
    from pathlib import Path

    from genav.errors import GenavError

    root = str(Path(__file__).resolve().parents[1])  # the folder holding the genav package
    script = f"import sys; sys.path.insert(0, {root!r})\n{code}\n{_MEASURE_TAIL}"
    with tempfile.TemporaryDirectory(prefix="genav-measure-") as tmp:
        out = Path(tmp) / "result.json"
        env = {**os.environ, "GENAV_MEASURE_OUT": str(out)}
        cmd = [sys.executable, "-c", script, *map(str, args)]
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False, env=env)
        if proc.returncode != 0 or not out.exists():
            lines = proc.stderr.strip().splitlines()
            raise GenavError(f"{what} failed in its measuring process: {lines[-1] if lines else 'no message'}")
        return json.loads(out.read_text())
