"""Resumable training checkpoints: ``accelerator.save_state`` folders, committed atomically.

A checkpoint is a folder ``step-000123/`` under the run's ``checkpoints/`` folder holding what
``accelerator.save_state`` writes (model and optimizer state in the strategy's own layout --
``model.safetensors`` under DDP, sharded files under FSDP/DeepSpeed --, RNG states, and the
registered objects: the EMA and the trainer's progress) plus ``state.json`` (step, recipe
fingerprint). Every process writes into a temporary folder; the main process adds
``state.json`` and renames it when all are done, and the file ``latest`` (replaced atomically)
names the newest, so an interrupted save never leaves a checkpoint that looks complete.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

from genav.atomic import atomic_write_text
from genav.errors import CheckpointError

LATEST = "latest"
STATE = "state.json"


def checkpoint_name(step: int) -> str:
    return f"step-{step:06d}"


def temporary_folder(folder: Path, step: int) -> Path:
    """Where every process writes the checkpoint of ``step`` before it is committed."""
    return folder / f".{checkpoint_name(step)}.tmp"


def commit_checkpoint(folder: Path, step: int, state: dict[str, Any], *, keep: int) -> Path:
    """Add ``state.json`` to the temporary folder of ``step``, rename it into place, point
    ``latest`` at it and prune to the ``keep`` newest (main process only)."""
    tmp = temporary_folder(folder, step)
    (tmp / STATE).write_text(json.dumps({"step": step, **state}, indent=2) + "\n")
    final = folder / checkpoint_name(step)
    if final.exists():
        shutil.rmtree(final)
    os.replace(tmp, final)
    atomic_write_text(folder / LATEST, final.name + "\n", overwrite=True)
    for old in list_checkpoints(folder)[:-keep]:
        shutil.rmtree(old, ignore_errors=True)
    return final


def read_state(path: Path) -> dict[str, Any]:
    """The ``state.json`` of a checkpoint folder."""
    try:
        return json.loads((path / STATE).read_text())
    except (OSError, ValueError) as exc:
        raise CheckpointError(f"cannot read training checkpoint {path}: {exc}") from None


def list_checkpoints(folder: Path) -> list[Path]:
    """Complete checkpoints under ``folder``, oldest first."""
    if not folder.is_dir():
        return []
    found = [p for p in folder.glob("step-*") if p.is_dir() and (p / STATE).exists()]
    return sorted(found, key=lambda p: p.name)


def latest_checkpoint(folder: Path) -> Path | None:
    """The checkpoint ``latest`` names, or the newest complete one."""
    pointer = folder / LATEST
    if pointer.exists():
        candidate = folder / pointer.read_text().strip()
        if (candidate / STATE).exists():
            return candidate
    found = list_checkpoints(folder)
    return found[-1] if found else None
