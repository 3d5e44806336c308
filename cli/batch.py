"""Batch generation for the CLI: expand inputs into jobs, skip finished ones, survive bad items.

An input is one item (a prompt or a video file), a folder of videos, or a CSV/JSONL manifest with
per-row settings. A job is finished when its output and its JSON sidecar both exist, so a rerun
of an interrupted batch resumes where it stopped and produces the same files (seeds are fixed
per row). A failing item is reported and the batch goes on; the command exits non-zero at the end.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from genav import __version__
from genav.errors import GenavError, InputError, OutputExistsError

log = logging.getLogger(__name__)

VIDEO_SUFFIXES = {".mp4", ".mov", ".mkv", ".webm", ".avi", ".m4v"}
MANIFEST_SUFFIXES = {".jsonl", ".csv"}
AUDIO_SUFFIXES = {".wav", ".flac", ".ogg", ".oga", ".mp3", ".m4a", ".aac", ".opus"}


@dataclass
class Job:
    """One output to make. ``source`` is a prompt (t2a) or a video path (v2a)."""

    name: str
    source: str
    output: Path
    settings: dict[str, Any] = field(default_factory=dict)

    @property
    def sidecar(self) -> Path:
        return sidecar_path(self.output)


@dataclass
class BatchResult:
    done: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)


def sidecar_path(output: Path) -> Path:
    """``clip.mp4`` -> ``clip.mp4.json``: one sidecar per output, whatever its format."""
    return output.with_name(output.name + ".json")


def is_manifest(path: str) -> bool:
    p = Path(path)
    return p.suffix.lower() in MANIFEST_SUFFIXES and p.is_file()


def manifest_rows(path: Path) -> list[tuple[int, dict[str, Any]]]:
    """Rows of a CSV/JSONL manifest with their 1-based row numbers (header is row 0 in CSV)."""
    from genav.data import read_manifest_rows

    return read_manifest_rows(path)


def expand_video_inputs(source: str, output: Path, *, suffix: str, settings: dict[str, Any]) -> list[Job]:
    """A video file, a folder of videos, or a manifest (column ``file`` or ``video``) -> jobs."""
    return expand_media_inputs(source, output, suffix=suffix, settings=settings)


def expand_media_inputs(
    source: str, output: Path, *, suffix: str, settings: dict[str, Any], kinds: frozenset[str] | set[str] = VIDEO_SUFFIXES,
    column: str = "video", what: str = "videos",
) -> list[Job]:
    """A media file, a folder of files with a suffix in ``kinds``, or a manifest (column ``column``
    or ``file``; relative paths from the manifest's folder) -> jobs."""
    src = Path(source)
    if is_manifest(source):
        jobs = []
        for row_no, row in manifest_rows(src):
            file = row.get(column) or row.get("file")
            if not file:
                raise InputError(f"{src} row {row_no}: no '{column}' or 'file' value")
            path = Path(file) if Path(file).is_absolute() else src.parent / file
            jobs.append(_row_job(row, row_no, str(path), Path(file).stem, output, suffix, settings))
        return jobs
    if src.is_dir():
        files = sorted(p for p in src.iterdir() if p.suffix.lower() in kinds and ".silent" not in p.suffixes[:-1])
        if not files:
            raise InputError(f"no {what} ({', '.join(sorted(kinds))}) in folder {src}")
        return [Job(p.stem, str(p), output / f"{p.stem}{suffix}", dict(settings)) for p in files]
    return [Job(src.stem, source, output, dict(settings))]


def expand_prompt_inputs(source: str, output: Path, *, suffix: str, settings: dict[str, Any]) -> list[Job]:
    """A prompt, or a manifest with a ``prompt`` (or ``caption``) column -> jobs."""
    if is_manifest(source):
        jobs = []
        for row_no, row in manifest_rows(Path(source)):
            prompt = row.get("prompt") or row.get("caption")
            if not prompt:
                raise InputError(f"{source} row {row_no}: no 'prompt' value")
            name = str(row.get("name") or row.get("id") or f"{row_no:05d}")
            jobs.append(_row_job(row, row_no, str(prompt), name, output, suffix, settings))
        return jobs
    return [Job("prompt", source, output, dict(settings))]


def _row_job(
    row: dict[str, Any], row_no: int, source: str, name: str, out_dir: Path, suffix: str, settings: dict[str, Any]
) -> Job:
    per_row = dict(settings)
    for key in ("prompt", "negative_prompt", "seed", "duration"):
        value = row.get(key)
        if value not in (None, ""):
            per_row[key] = _typed(key, value, row_no)
    if per_row.get("seed") is not None and "seed" not in row:
        per_row["seed"] = int(per_row["seed"]) + row_no  # distinct, reproducible per row
    return Job(name, source, out_dir / f"{name}{suffix}", per_row)


def _typed(key: str, value: Any, row_no: int) -> Any:
    try:
        return {"seed": int, "duration": float}.get(key, str)(value)
    except ValueError:
        raise InputError(f"manifest row {row_no}: {key}={value!r} is not a valid {key}") from None


def run_batch(
    jobs: list[Job], make: Callable[[Job], dict[str, Any]], *, overwrite: bool, single: bool, progress: bool = True
) -> BatchResult:
    """Run ``make(job)`` for each unfinished job; ``make`` writes ``job.output`` and returns sidecar data.

    ``single``: one item given directly, so an existing output is an error, not a finished job.
    """
    result = BatchResult()
    names = [j.name for j in jobs]
    if len(set(names)) != len(names):
        dupes = sorted({n for n in names if names.count(n) > 1})
        raise InputError(f"several inputs would write the same output names: {', '.join(dupes[:5])}")
    for job in _progress(jobs, progress and not single):
        if not overwrite and job.output.exists():
            if single:
                raise OutputExistsError(job.output)
            if job.sidecar.exists():
                result.skipped.append(job.name)
                continue
        try:
            started = time.perf_counter()
            data = make(job)
            data.setdefault("timings", {})["total_s"] = round(time.perf_counter() - started, 4)
            write_sidecar(job, data)
            result.done.append(job.name)
        except GenavError as exc:
            if single:
                raise
            result.failed.append((job.name, str(exc)))
            log.debug("item %s failed", job.name, exc_info=True)
    return result


def write_sidecar(job: Job, data: dict[str, Any]) -> None:
    from genav.atomic import atomic_write_text

    record = {"genav_version": __version__, "name": job.name, "input": job.source, "output": str(job.output)}
    record.update(data)
    atomic_write_text(job.sidecar, json.dumps(record, indent=2, default=str) + "\n", overwrite=True)


def _progress(jobs: list[Job], enabled: bool) -> Iterable[Job]:
    if not enabled or len(jobs) < 2:
        return jobs
    from tqdm import tqdm

    return tqdm(jobs, desc="items", unit="item")
