"""One training run per run folder at a time.

A second writer would interleave its checkpoints and metrics with the first one's and a resume
would read a mix of both. The case that is easy to miss: ``torchrun`` starts its workers in
sessions of their own, so killing the launcher (a job's time limit, ``kill -9``) can leave the
workers training on while the user resumes. The lock is an advisory ``flock`` on
``<run folder>/.lock``, taken by the main process; the kernel drops it when that process dies, so
a crash never leaves a stale lock. Where ``fcntl`` is missing (Windows) runs are not locked.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import IO, Any

from genav.errors import OutputBusyError

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

LOCK_NAME = ".lock"
_held: dict[Path, IO[str]] = {}  # run folders this process holds (a second call in-process reuses it)


def _try_lock(run_dir: Path) -> str | None:
    """Lock ``run_dir`` for this process; returns None, or who holds it."""
    key = run_dir.resolve()
    if fcntl is None or key in _held:
        return None
    run_dir.mkdir(parents=True, exist_ok=True)
    handle = (run_dir / LOCK_NAME).open("a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        holder = handle.read().strip() or "another process"
        handle.close()
        return holder
    handle.truncate(0)
    handle.write(f"process {os.getpid()}\n")
    handle.flush()
    _held[key] = handle
    return None


def lock_run_folder(run_dir: Path, accelerator: Any) -> None:
    """Hold ``run_dir`` for this run until :func:`release_run_folder` (or the process ends).

    Every process calls it: the main process takes the lock and tells the others the outcome.

    Raises:
        OutputBusyError: another live process holds the folder (on every process).
    """
    from accelerate.utils import broadcast_object_list

    holder = [_try_lock(run_dir) if accelerator.is_main_process else None]
    if accelerator.num_processes > 1:
        broadcast_object_list(holder, from_process=0)
    if holder[0] is not None:
        raise OutputBusyError(
            f"another training run is writing to {run_dir} ({holder[0]})",
            hint="wait for it to end or stop it (a killed launcher's workers may still run: see `ps`)",
        )


def release_run_folder(run_dir: Path) -> None:
    """Let go of ``run_dir`` if this process holds it (otherwise nothing happens)."""
    handle = _held.pop(run_dir.resolve(), None)
    if handle is not None:
        handle.close()  # closing the last descriptor drops the flock


__all__ = ["LOCK_NAME", "lock_run_folder", "release_run_folder"]
