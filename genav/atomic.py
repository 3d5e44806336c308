"""Atomic outputs: write to a temporary file beside the target, then rename.

An interrupted or failed run never leaves a half-written file under the final name, and an
existing output is replaced only when overwriting was asked for.
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path

from genav.errors import MediaError, OutputExistsError


def check_output_path(path: str | Path, *, overwrite: bool = False) -> Path:
    """Validate an output path before any work is done; returns it as a Path."""
    path = Path(path)
    if path.exists() and not overwrite:
        raise OutputExistsError(path)
    if path.is_dir():
        raise MediaError(f"output path is a folder: {path}")
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.exists():
        try:
            parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise MediaError(f"cannot create output folder {parent}: {exc.strerror}") from None
    if not os.access(parent, os.W_OK):
        raise MediaError(f"output folder is not writable: {parent}")
    return path


@contextlib.contextmanager
def atomic_output(path: str | Path, *, overwrite: bool = False) -> Iterator[Path]:
    """Yield a temporary path with the target's suffix; on success it replaces ``path``.

    >>> with atomic_output("out.wav") as tmp:   # doctest: +SKIP
    ...     write_something(tmp)
    """
    path = check_output_path(path, overwrite=overwrite)
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=f".part{path.suffix}", dir=path.parent)
    except OSError as exc:
        raise MediaError(f"cannot write in {path.parent}: {exc.strerror}") from None
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        if not tmp.exists() or tmp.stat().st_size == 0:
            raise MediaError(f"writing {path} produced no data")
        if path.exists() and not overwrite:  # appeared while we worked
            raise OutputExistsError(path)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600 files; outputs get the usual mode
        os.replace(tmp, path)
        _remove_stale_parts(path)
    finally:
        tmp.unlink(missing_ok=True)


def _remove_stale_parts(path: Path) -> None:
    """Temporary files of ``path`` left by a writer that was killed (SIGKILL skips ``finally``);
    the target is now written whole, so they are garbage. Only mkstemp's exact pattern matches."""
    stale = re.compile(rf"\.{re.escape(path.stem)}\.[a-z0-9_]{{8}}\.part{re.escape(path.suffix)}")
    for other in path.parent.iterdir():
        if stale.fullmatch(other.name):
            other.unlink(missing_ok=True)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write_bytes(path: str | Path, data: bytes, *, overwrite: bool = True) -> None:
    with atomic_output(path, overwrite=overwrite) as tmp:
        tmp.write_bytes(data)


def atomic_write_text(path: str | Path, text: str, *, overwrite: bool = True) -> None:
    atomic_write_bytes(path, text.encode("utf-8"), overwrite=overwrite)
