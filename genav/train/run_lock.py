"""One training run per run folder at a time.

A second writer would interleave its checkpoints and metrics with the first one's and a resume
would read a mix of both. The case that is easy to miss: ``torchrun`` starts its workers in
sessions of their own, so killing the launcher (a job's time limit, ``kill -9``) can leave the
workers training on while the user resumes. The lock is an advisory ``flock`` on
``<run folder>/.lock``, taken by the main process and held until the training entry point
returns or raises (:func:`releases_run_folders`); the kernel drops it when the last process
holding the file ends (the trainer and any data workers it forked), so a crash leaves no stale
lock. Where ``fcntl`` is missing (Windows) or the filesystem has no ``flock`` (some network
mounts), runs go unlocked, with a warning in the second case.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import logging
import os
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from genav.errors import OutputBusyError

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

log = logging.getLogger(__name__)

LOCK_NAME = ".lock"
_held: dict[Path, int] = {}  # resolved run folder -> descriptor holding its lock, in this process
_UNSUPPORTED = {errno.ENOLCK, errno.ENOSYS, errno.EOPNOTSUPP, errno.EINVAL}

F = TypeVar("F", bound=Callable[..., Any])


def _open(path: Path) -> int | None:
    """A descriptor on the lock file (read-only if another user's file is not writable)."""
    for flags in (os.O_RDWR | os.O_CREAT, os.O_RDONLY):
        try:
            return os.open(path, flags, 0o644)
        except PermissionError:
            continue
    return None


def _try_lock(run_dir: Path) -> str | None:
    """Lock ``run_dir`` for this process; returns None (locked, or not lockable here), or who holds it."""
    key = run_dir.resolve()
    if fcntl is None or key in _held:
        return None
    try:
        key.mkdir(parents=True, exist_ok=True)
        fd = _open(key / LOCK_NAME)
    except OSError as exc:
        log.warning("cannot lock %s (%s): runs writing there are not kept apart", key, exc.strerror)
        return None
    if fd is None:
        log.warning("cannot open %s: runs writing to %s are not kept apart", key / LOCK_NAME, key)
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        holder = os.pread(fd, 200, 0).decode(errors="replace").strip() if exc.errno in (
            errno.EWOULDBLOCK, errno.EAGAIN) else None  # fmt: skip
        os.close(fd)
        if holder is not None:
            return holder or "another process"
        if exc.errno not in _UNSUPPORTED:
            raise
        log.warning("%s cannot be locked (%s): runs writing there are not kept apart", key, exc.strerror)
        return None
    with contextlib.suppress(OSError):  # a read-only descriptor cannot record the holder; the lock still holds
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"process {os.getpid()} on {socket.gethostname()}\n".encode(), 0)
    _held[key] = fd
    return None


def lock_run_folder(run_dir: Path, accelerator: Any) -> None:
    """Hold ``run_dir`` for this run (until the process lets go: see :func:`releases_run_folders`).

    Every process calls it: the main process takes the lock and tells the others the outcome, so
    all of them raise together.

    Raises:
        OutputBusyError: another live process holds the folder (on every process).
    """
    from accelerate.utils import broadcast_object_list

    holder: list[Any] = [None]
    if accelerator.is_main_process:
        try:
            holder = [_try_lock(run_dir)]
        except OSError as exc:  # told to the other processes too, so that none waits for the rest
            holder = [f"cannot lock: {exc}"]
    if accelerator.num_processes > 1:
        broadcast_object_list(holder, from_process=0)
    if holder[0] is not None:
        raise OutputBusyError(
            f"another training run is writing to {run_dir} ({holder[0]})",
            hint="wait for it to end or stop it (a killed launcher's workers may still run: see `ps`)",
        )


def releases_run_folders(entry: F) -> F:
    """Decorator of training entry points: the run folders locked during the call are let go
    when it returns or raises."""

    @functools.wraps(entry)
    def call(*args: Any, **kwargs: Any) -> Any:
        before = set(_held)
        try:
            return entry(*args, **kwargs)
        finally:
            for key in set(_held) - before:
                fd = _held.pop(key)
                with contextlib.suppress(OSError):
                    fcntl.flock(fd, fcntl.LOCK_UN)  # for data workers that share the descriptor too
                os.close(fd)

    return call  # type: ignore[return-value]


__all__ = ["LOCK_NAME", "lock_run_folder", "releases_run_folders"]
