"""Batch generation for the CLI: expand inputs into jobs, skip finished ones, survive bad items.

An input is one item (a prompt or a video file), a folder of videos, or a CSV/JSONL manifest with
per-row settings. A job is finished when its output and its JSON sidecar both exist, so a rerun
of an interrupted batch resumes where it stopped and produces the same files (seeds are fixed
per row). A failing item is reported and the batch goes on; the command exits non-zero at the end.

Under ``accelerate launch`` (or ``torchrun``) each process takes every N-th job of the same
ordered list (``RANK``/``WORLD_SIZE`` from the launcher), so each item is made by exactly one
process, whatever the machine; a rerun with any number of processes skips what is done.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from genav import __version__
from genav.errors import GenavError, InputError, OutputExistsError

log = logging.getLogger(__name__)

# every picture format FFmpeg reads that users keep clips in (animated GIFs included: never skipped)
VIDEO_SUFFIXES = {".mp4", ".mov", ".mkv", ".webm", ".avi", ".m4v", ".gif", ".mpg", ".mpeg", ".ts", ".mts",
                  ".m2ts", ".flv", ".wmv", ".3gp", ".ogv", ".mxf"}  # fmt: skip
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


@dataclass(frozen=True)
class ProcessShard:
    """This process's share of a batch: jobs ``index``, ``index + count``, ... of the list."""

    index: int = 0
    count: int = 1

    @classmethod
    def from_env(cls) -> ProcessShard:
        """``RANK``/``WORLD_SIZE`` as set by ``accelerate launch`` and ``torchrun``; one process otherwise."""
        try:
            count, index = int(os.environ.get("WORLD_SIZE") or 1), int(os.environ.get("RANK") or 0)
        except ValueError:
            raise InputError("RANK and WORLD_SIZE must be integers") from None
        if not 0 <= index < count:
            raise InputError(f"RANK {index} is not in 0..WORLD_SIZE-1 ({count})")
        return cls(index, count)

    def take(self, jobs: list[Job]) -> list[Job]:
        return jobs[self.index :: self.count]


def process_device(device: str) -> str:
    """``auto`` under several processes on a CUDA machine: this process's own GPU (``LOCAL_RANK``)."""
    if device != "auto" or ProcessShard.from_env().count == 1:
        return device
    from genav.runtime import available_devices

    return f"cuda:{int(os.environ.get('LOCAL_RANK') or 0)}" if "cuda" in available_devices() else device


@dataclass
class BatchResult:
    """Names of the jobs done, skipped and failed (with the reason); ``written``: output files."""

    done: list[str] = field(default_factory=list)
    written: list[str] = field(default_factory=list)
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


def check_unique(jobs: list[Job]) -> None:
    names = [j.name for j in jobs]
    if len(set(names)) != len(names):
        dupes = sorted({n for n in names if names.count(n) > 1})
        raise InputError(f"several inputs would write the same output names: {', '.join(dupes[:5])}")


def precheck(
    jobs: list[Job],
    check: Callable[[Job], None],
    *,
    overwrite: bool,
    single: bool,
    shard: ProcessShard | None = None,
) -> tuple[list[Job], list[tuple[str, str]]]:
    """Check every job of this process's shard (default: from the launcher's environment) before any
    model loads: ``check(job)`` raises GenavError for a bad one. Returns the shard's jobs to run and
    ``(name, reason)`` of the rejected ones; a single item raises instead (and so does an existing
    output without ``overwrite``). Finished jobs of a batch are left for :func:`run_batch` to skip,
    unchecked."""
    check_unique(jobs)
    keep, rejected = [], []
    for job in (shard or ProcessShard.from_env()).take(jobs):
        if single and not overwrite:
            refuse_existing_outputs(job)
        if not overwrite and job.output.exists():
            if job.sidecar.exists():
                keep.append(job)
                continue
        try:
            check(job)
        except GenavError as exc:
            if single:
                raise
            rejected.append((job.name, str(exc)))
            continue
        keep.append(job)
    return keep, rejected


def refuse_existing_outputs(job: Job) -> None:
    """A single item replaces no file without ``overwrite``: neither its output nor its sidecar (a
    ``clip.mp4.json`` beside a missing ``clip.mp4`` may be the user's own; in a batch an orphaned
    sidecar is genav's record of an unfinished job and is rewritten).

    Raises:
        OutputExistsError: the output or the sidecar exists.
    """
    for path in (job.output, job.sidecar):
        if path.exists():
            raise OutputExistsError(path)


def run_batch(
    jobs: list[Job],
    make: Callable[[Job], dict[str, Any]],
    *,
    overwrite: bool,
    single: bool,
    progress: bool = True,
    rejected: list[tuple[str, str]] | None = None,
    shard: ProcessShard | None = None,
) -> BatchResult:
    """Run ``make(job)`` for each unfinished job; ``make`` writes ``job.output`` and returns sidecar data.

    ``jobs`` are this process's share as :func:`precheck` returned them; ``shard`` (default: from the
    launcher's environment) is recorded in each sidecar. ``single``: one item given directly, so an
    existing output is an error, not a finished job. ``rejected``: jobs :func:`precheck` turned down,
    listed as failed.
    """
    result = BatchResult(failed=list(rejected or []))
    check_unique(jobs)
    shard = shard or ProcessShard.from_env()
    for job in _progress(jobs, progress and not single):
        if single and not overwrite:
            refuse_existing_outputs(job)
        if not overwrite and job.output.exists():
            if job.sidecar.exists():
                result.skipped.append(job.name)
                continue
        try:
            started = time.perf_counter()
            data = make(job)
            data.setdefault("timings", {})["total_s"] = round(time.perf_counter() - started, 4)
            data.update(process_index=shard.index, num_processes=shard.count)
            write_sidecar(job, data)
            result.done.append(job.name)
            result.written += [str(p) for p in data.get("outputs", [job.output])]
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
