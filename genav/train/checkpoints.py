"""Resumable training checkpoints, written atomically.

A checkpoint is a folder ``step-000123/`` under the run's ``checkpoints/`` folder holding
``model.safetensors``, ``ema.safetensors``, ``optimizer.pt`` (optimizer + scheduler state, loaded
with ``weights_only=True``), ``rng.pt`` (Python/NumPy/torch RNG states) and ``state.json`` (step,
recipe fingerprint). It is written under a temporary name and renamed when complete, and the file
``latest`` (also replaced atomically) names the newest one, so an interrupted save never leaves a
checkpoint that looks complete.
"""

from __future__ import annotations

import json
import os
import random
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from genav.atomic import atomic_write_text
from genav.checkpoint import load_safetensors
from genav.errors import CheckpointError

LATEST = "latest"


@dataclass
class TrainCheckpoint:
    """Everything restored on resume."""

    step: int
    fingerprint: str
    model: dict[str, torch.Tensor]
    ema: dict[str, torch.Tensor]
    ema_updates: int
    optimizer: dict[str, Any]
    scheduler: dict[str, Any]
    rng: dict[str, Any]


def rng_state() -> dict[str, Any]:
    import numpy as np

    np_state = np.random.get_state()
    state: dict[str, Any] = {
        "python": random.getstate(),
        "numpy": (np_state[0], np_state[1].tolist(), *np_state[2:]),
        "torch": torch.get_rng_state(),
    }
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict[str, Any]) -> None:
    import numpy as np

    random.setstate(state["python"])
    kind, keys, *rest = state["numpy"]
    np.random.set_state((kind, np.asarray(keys, dtype=np.uint32), *rest))
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def save_checkpoint(folder: Path, ckpt: TrainCheckpoint, *, keep: int) -> Path:
    """Write ``folder/step-XXXXXX`` atomically, point ``latest`` at it, prune to ``keep`` newest."""
    from safetensors.torch import save_file

    folder.mkdir(parents=True, exist_ok=True)
    name = f"step-{ckpt.step:06d}"
    final = folder / name
    tmp = folder / f".{name}.tmp-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    save_file(_cpu(ckpt.model), str(tmp / "model.safetensors"))
    save_file(_cpu(ckpt.ema), str(tmp / "ema.safetensors"))
    torch.save({"optimizer": ckpt.optimizer, "scheduler": ckpt.scheduler}, tmp / "optimizer.pt")
    torch.save(ckpt.rng, tmp / "rng.pt")
    state = {"step": ckpt.step, "fingerprint": ckpt.fingerprint, "ema_updates": ckpt.ema_updates}
    (tmp / "state.json").write_text(json.dumps(state, indent=2) + "\n")
    if final.exists():
        shutil.rmtree(final)
    os.replace(tmp, final)
    atomic_write_text(folder / LATEST, name + "\n")
    for old in list_checkpoints(folder)[:-keep]:
        shutil.rmtree(old, ignore_errors=True)
    return final


def list_checkpoints(folder: Path) -> list[Path]:
    """Complete checkpoints under ``folder``, oldest first."""
    if not folder.is_dir():
        return []
    found = [p for p in folder.glob("step-*") if p.is_dir() and (p / "state.json").exists()]
    return sorted(found, key=lambda p: p.name)


def latest_checkpoint(folder: Path) -> Path | None:
    """The checkpoint ``latest`` names, or the newest complete one."""
    pointer = folder / LATEST
    if pointer.exists():
        candidate = folder / pointer.read_text().strip()
        if (candidate / "state.json").exists():
            return candidate
    found = list_checkpoints(folder)
    return found[-1] if found else None


def load_checkpoint(path: Path, *, map_location: str | torch.device = "cpu") -> TrainCheckpoint:
    try:
        state = json.loads((path / "state.json").read_text())
        opt = torch.load(path / "optimizer.pt", map_location=map_location, weights_only=True)
        rng = torch.load(path / "rng.pt", map_location="cpu", weights_only=True)
    except (OSError, ValueError, RuntimeError) as exc:
        raise CheckpointError(f"cannot read training checkpoint {path}: {exc}") from None
    return TrainCheckpoint(
        step=int(state["step"]),
        fingerprint=str(state["fingerprint"]),
        model=load_safetensors(path / "model.safetensors"),
        ema=load_safetensors(path / "ema.safetensors"),
        ema_updates=int(state["ema_updates"]),
        optimizer=opt["optimizer"],
        scheduler=opt["scheduler"],
        rng=rng,
    )


def _cpu(sd: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    return {k: v.detach().contiguous().cpu() for k, v in sd.items()}
