"""Atomic outputs live in :mod:`genav.atomic` (the base layer); re-exported here for media code,
plus :func:`media_output`, which also turns OS-level write failures into one-line MediaErrors."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from genav.atomic import atomic_output, atomic_write_bytes, atomic_write_text, check_output_path
from genav.errors import MediaError

__all__ = ["atomic_output", "atomic_write_bytes", "atomic_write_text", "check_output_path", "media_output"]


@contextlib.contextmanager
def media_output(path: str | Path, *, overwrite: bool = False) -> Iterator[Path]:
    """:func:`atomic_output`, but a failing temp file or write (read-only or virtual file system,
    disk full) raises MediaError naming ``path`` instead of a bare OSError."""
    try:
        with atomic_output(path, overwrite=overwrite) as tmp:
            yield tmp
    except OSError as exc:
        raise MediaError(f"cannot write {path}: {exc.strerror or exc}") from None
