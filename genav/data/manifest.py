"""Manifests: a JSONL or CSV file with one media file per row.

Columns: ``file`` (required; relative to ``root``, by default the manifest's folder),
``caption``, and optionally ``start`` / ``end`` (seconds), ``split``, ``label``, ``events`` (a
list of objects with a ``time``; in CSV a JSON string) and ``audio`` (or ``audio_file``: a
separate sound for a video, e.g. the exact wav beside an mp4). Other keys are kept.

Errors name the row: in JSONL the line number, in CSV the record number (the header is row 0,
the first record row 1).
"""

from __future__ import annotations

import csv
import dataclasses
import json
import logging
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from genav.errors import DataError

log = logging.getLogger(__name__)

AUDIO_SUFFIXES = {".wav", ".flac", ".ogg", ".oga", ".mp3", ".m4a", ".aac", ".opus", ".aif", ".aiff"}


@dataclasses.dataclass(frozen=True)
class ManifestRow:
    """One valid row; ``row`` is its number as in error messages (see the module docstring)."""

    row: int
    file: Path
    caption: str
    start: float | None = None
    end: float | None = None
    split: str | None = None
    label: str | None = None
    events: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    audio_file: Path | None = None
    data: dict[str, Any] = dataclasses.field(default_factory=dict)

    @property
    def name(self) -> str:
        return str(self.data.get("id") or self.file.stem)

    @property
    def is_audio_only(self) -> bool:
        return self.file.suffix.lower() in AUDIO_SUFFIXES


def read_manifest_rows(path: str | Path) -> list[tuple[int, dict[str, Any]]]:
    """The raw rows of a JSONL/CSV manifest as (row number, dict), without checking files or
    columns; a malformed row raises DataError naming its row."""
    return list(iter_manifest_rows(path))


def iter_manifest_rows(
    path: str | Path, *, require: tuple[str, ...] = ()
) -> Iterator[tuple[int, dict[str, Any]]]:
    """:func:`read_manifest_rows` one row at a time (the file is read as a stream).

    Args:
        path: a ``.jsonl``/``.csv``/``.tsv`` manifest.
        require: columns every row must carry, non-empty (e.g. ``("file",)``).

    Returns:
        An iterator of (row number, row dict); empty CSV cells are left out of the dict.

    Raises:
        DataError: the file is missing or not a manifest, a row is malformed, or a row lacks a
            ``require`` column (the message names the row).
    """
    path = _check_path(path)
    for number, raw in _records(path, require_file="file" in require):
        if isinstance(raw, _BadRow):
            raise DataError(f"{path} row {number}: {raw}")
        missing = [key for key in require if raw.get(key) in (None, "")]
        if missing:
            raise DataError(f"{path} row {number} has no '{missing[0]}'")
        yield number, raw


def _check_path(path: str | Path) -> Path:
    path = Path(path)
    if not path.is_file():
        raise DataError(f"manifest not found: {path}")
    return path


class _BadRow(Exception):
    """A row-level problem; turned into a DataError naming the row, or skipped."""


def read_manifest(
    path: str | Path,
    *,
    root: str | Path | None = None,
    split: str | None = None,
    skip_bad_rows: bool = False,
    check_files: bool = True,
) -> tuple[list[ManifestRow], list[tuple[int, str]]]:
    """Parse and validate a manifest. Returns (rows, bad_rows); ``bad_rows`` lists (row, reason)
    of the rows skipped with ``skip_bad_rows`` (otherwise the first bad row raises DataError).
    Rows of other splits are left out when ``split`` is given."""
    path = _check_path(path)
    bad: list[tuple[int, str]] = []
    rows = list(iter_manifest(path, root=root, split=split, skip_bad_rows=skip_bad_rows,
                              check_files=check_files, bad=bad))
    if bad:
        log.warning(
            "%s: skipped %d bad row(s), the first is row %d: %s", path, len(bad), bad[0][0], bad[0][1]
        )
    if not rows:
        which = f" of split {split!r}" if split is not None else ""
        raise DataError(f"{path}: no usable rows{which}" + (f" ({len(bad)} bad)" if bad else ""))
    return rows, bad


def iter_manifest(
    path: str | Path,
    *,
    root: str | Path | None = None,
    split: str | None = None,
    skip_bad_rows: bool = False,
    check_files: bool = True,
    bad: list[tuple[int, str]] | None = None,
) -> Iterator[ManifestRow]:
    """The valid rows of a manifest, one at a time (the file is read as a stream, so a manifest
    of any size needs the memory of one row). Bad rows raise DataError, or with
    ``skip_bad_rows`` are appended to ``bad`` as (row, reason)."""
    path = _check_path(path)
    base = Path(root) if root is not None else path.parent
    for number, raw in _records(path):
        try:
            if isinstance(raw, _BadRow):
                raise raw
            row = _parse(raw, number, base, check_files)
        except _BadRow as exc:
            if not skip_bad_rows:
                raise DataError(f"{path} row {number}: {exc}") from None
            if bad is not None:
                bad.append((number, str(exc)))
            continue
        if split is None or row.split == split:
            yield row


def manifest_splits(path: str | Path) -> set[str]:
    """The ``split`` values a manifest's rows carry (empty: the manifest has no split column)."""
    found: set[str] = set()
    for _, raw in _records(_check_path(path)):
        if isinstance(raw, dict) and raw.get("split"):
            found.add(str(raw["split"]))
    return found


def _records(path: Path, require_file: bool = True) -> Iterator[tuple[int, dict[str, Any] | _BadRow]]:
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".tsv", ".jsonl", ".json", ".ndjson"):
        raise DataError(f"{path}: a manifest must be .jsonl or .csv, got {suffix or 'no suffix'!r}")
    with path.open(encoding="utf-8-sig", newline="") as fh:
        if suffix in (".csv", ".tsv"):
            yield from _csv_records(path, fh, suffix, require_file)
            return
        for line, content in enumerate(fh, start=1):
            if not content.strip():
                continue
            try:
                record = json.loads(content)
            except json.JSONDecodeError as exc:
                yield line, _BadRow(f"not valid JSON ({exc.msg} at column {exc.colno})")
                continue
            yield line, record if isinstance(record, dict) else _BadRow("a row must be a JSON object")


def _csv_records(path: Path, fh: Any, suffix: str, require_file: bool) -> Iterator[tuple[int, dict[str, Any]]]:
    reader = csv.DictReader(fh, delimiter="\t" if suffix == ".tsv" else ",")
    columns = reader.fieldnames or []
    if require_file and "file" not in columns:
        raise DataError(f"{path} row 0 (the header): no 'file' column (columns: {', '.join(columns) or 'none'})")
    for number, record in enumerate(reader, start=1):
        yield number, {k: v for k, v in record.items() if k is not None and v not in ("", None)}


def _parse(raw: dict[str, Any], number: int, base: Path, check_files: bool) -> ManifestRow:
    name = raw.get("file")
    if not isinstance(name, str) or not name.strip():
        raise _BadRow("missing 'file'")
    file = _resolve(base, name, check_files)
    audio_name = raw.get("audio_file") or raw.get("audio")
    audio_file = (
        _resolve(base, audio_name, check_files) if isinstance(audio_name, str) and audio_name else None
    )
    start, end = _seconds(raw, "start"), _seconds(raw, "end")
    if start is not None and end is not None and end <= start:
        raise _BadRow(f"end ({end:g}) must be after start ({start:g})")
    return ManifestRow(
        row=number,
        file=file,
        caption=str(raw.get("caption") or ""),
        start=start,
        end=end,
        split=None if raw.get("split") is None else str(raw["split"]),
        label=None if raw.get("label") is None else str(raw["label"]),
        events=_events(raw.get("events")),
        audio_file=audio_file,
        data=dict(raw),
    )


def _resolve(base: Path, name: str, check: bool) -> Path:
    path = Path(name).expanduser()
    path = path if path.is_absolute() else base / path
    if check and not path.is_file():
        raise _BadRow(f"file not found: {path}")
    return path


def _seconds(raw: dict[str, Any], key: str) -> float | None:
    value = raw.get(key)
    if value is None:
        return None
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        raise _BadRow(f"{key} must be a number of seconds, got {value!r}") from None
    if not math.isfinite(seconds) or seconds < 0:
        raise _BadRow(f"{key} must be a finite number >= 0, got {value!r}")
    return seconds


def _events(value: Any) -> list[dict[str, Any]]:
    if value is None:
        return []
    if isinstance(value, str):  # CSV: a JSON list in one cell
        try:
            value = json.loads(value)
        except json.JSONDecodeError as exc:
            raise _BadRow(f"events is not valid JSON ({exc.msg})") from None
    if not isinstance(value, list) or not all(isinstance(e, dict) for e in value):
        raise _BadRow("events must be a list of objects")
    return value


def licence_summary(manifest: str | Path) -> list[tuple[str, int]]:
    """``("licence — source", clip count)`` pairs of a manifest, most common first (for model cards)."""
    from collections import Counter

    counts: Counter[str] = Counter()
    for _, row in iter_manifest_rows(manifest):  # a stream: any manifest size
        counts[f"{row.get('licence', 'unknown licence')} — {row.get('source', 'unknown source')}"] += 1
    return counts.most_common()
