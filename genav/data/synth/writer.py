"""Writing a synthetic data set: media files per clip and a JSONL manifest.

Clip ``i`` of split ``s`` uses seed ``SPLIT_OFFSETS[s] * 10**7 + seed + i``: the splits never
share a clip, and a clip's files depend only on its seed and the settings, so an interrupted run
resumes where it stopped (existing files are complete: every write is atomic).
"""

from __future__ import annotations

import collections
import concurrent.futures
import json
import logging
import multiprocessing
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from genav.data.synth.generate import SynthClip, generate_clip
from genav.data.synth.settings import SynthSettings
from genav.errors import DataError, InputError, OutputExistsError

log = logging.getLogger(__name__)

SPLIT_OFFSETS = {"train": 0, "val": 1, "test": 2}
SEED_STRIDE = 10**7
MANIFEST = "manifest.jsonl"
SETTINGS_FILE = "synth_settings.json"


def clip_seed(split: str, seed: int, index: int) -> int:
    """The generator seed of clip ``index`` of ``split`` in a data set started at ``seed``."""
    return SPLIT_OFFSETS[split] * SEED_STRIDE + seed + index


def clip_id(split: str, seed: int) -> str:
    return f"{split}-{seed:08d}"


def manifest_row(clip: SynthClip, split: str, *, silent: bool) -> dict[str, Any]:
    """The manifest row of one clip; ``file`` is the video with sound, as the readers expect."""
    cid = clip_id(split, clip.seed)
    files = {"video": f"{cid}.mp4", "audio": f"{cid}.wav"}
    if silent:
        files["silent"] = f"{cid}.silent.mp4"
    # the label names what is heard: a dubbed source's voice, not what is seen
    visible = [clip.voices.get(e.source, e.type) for e in clip.events if e.on_screen and e.audible]
    label = collections.Counter(visible).most_common(1)[0][0] if visible else None
    st = clip.settings
    dubbed = {"voices": {str(k): v for k, v in clip.voices.items()}} if clip.voices else {}
    return {
        "id": cid,
        "file": files["video"],
        "audio": files["audio"],
        "files": files,
        "caption": clip.caption,
        "label": label,
        "split": split,
        "duration": clip.duration,
        "fps": clip.fps,
        "width": st.width,
        "height": st.height,
        "sample_rate": clip.sample_rate,
        "seed": clip.seed,
        "events": [e.to_dict() for e in clip.events],
        "textures": clip.textures,
        "settings": st.to_dict(),
        **dubbed,
    }


def write_clip(
    out: Path,
    seed: int,
    split: str,
    settings: SynthSettings,
    *,
    silent: bool = False,
    overwrite: bool = False,
) -> dict[str, Any]:
    """Generate clip ``seed`` and write its files into ``out`` (skipping files that exist unless
    ``overwrite``); returns its manifest row."""
    from genav.media import Audio, mux_audio, write_audio, write_video

    clip = generate_clip(seed, settings)
    row = manifest_row(clip, split, silent=silent)
    files = {k: out / v for k, v in row["files"].items()}
    audio = Audio(clip.audio, clip.sample_rate)
    if overwrite or not files["audio"].exists():
        write_audio(files["audio"], audio, overwrite=overwrite)
    if silent and (overwrite or not files["silent"].exists()):
        write_video(files["silent"], clip.frames, clip.fps, overwrite=overwrite)
    if overwrite or not files["video"].exists():
        if silent:  # the picture is encoded once; the sound goes in by stream copy
            mux_audio(files["silent"], audio, files["video"], overwrite=overwrite)
        else:
            write_video(files["video"], clip.frames, clip.fps, audio=audio, overwrite=overwrite)
    return row


def _write_one(job: tuple[Path, int, str, SynthSettings, bool, bool]) -> dict[str, Any]:
    out, seed, split, settings, silent, overwrite = job
    return write_clip(out, seed, split, settings, silent=silent, overwrite=overwrite)


def write_synth_dataset(
    out: str | Path,
    n: int,
    seed: int = 0,
    split: str = "train",
    settings: SynthSettings | None = None,
    *,
    silent: bool = False,
    overwrite: bool = False,
    workers: int | None = None,
    progress: bool = True,
) -> Path:
    """Write ``n`` clips of ``split`` into the folder ``out``: ``<id>.mp4`` (picture and sound),
    ``<id>.wav``, ``<id>.silent.mp4`` (only with ``silent``) and ``manifest.jsonl``.

    ``workers`` processes generate and encode in parallel (default: the CPU count; 0 or 1: this
    process). A run that stopped part-way resumes (clips whose files exist are kept) as long as
    the settings are the same. Returns the manifest path.
    """
    settings = settings or SynthSettings()
    out = Path(out)
    _check_args(n, seed, split)
    manifest = out / MANIFEST
    if manifest.exists() and not overwrite:
        raise OutputExistsError(manifest)
    if out.exists() and not out.is_dir():
        raise DataError(f"output is not a folder: {out}")
    out.mkdir(parents=True, exist_ok=True)
    _check_settings_file(out, settings, split, seed, overwrite)
    jobs = [(out, clip_seed(split, seed, i), split, settings, silent, overwrite) for i in range(n)]
    rows = list(_run(jobs, workers, progress))
    from genav.media.atomic import atomic_write_text

    atomic_write_text(manifest, "".join(json.dumps(r, sort_keys=False) + "\n" for r in rows))
    log.info("wrote %d clips and %s", n, manifest)
    return manifest


def _check_args(n: int, seed: int, split: str) -> None:
    if split not in SPLIT_OFFSETS:
        raise InputError(f"unknown split {split!r}; choose one of {', '.join(SPLIT_OFFSETS)}")
    if n < 1:
        raise InputError(f"--n must be at least 1, got {n}")
    if seed < 0 or seed + n > SEED_STRIDE:
        raise InputError(
            f"seed + n must stay in 0..{SEED_STRIDE} so that the splits stay disjoint, got seed={seed}, n={n}"
        )


def _check_settings_file(out: Path, settings: SynthSettings, split: str, seed: int, overwrite: bool) -> None:
    """Refuse to resume into a folder whose clips were made with other settings."""
    from genav.media.atomic import atomic_write_text

    path = out / SETTINGS_FILE
    record = {"split": split, "seed": seed, "settings": settings.to_dict()}
    if path.exists() and not overwrite:
        try:
            old = json.loads(path.read_text())
        except json.JSONDecodeError:
            old = None
        if old != record:
            raise DataError(
                f"{out} holds clips made with other settings or seed ({path}); "
                "pass --overwrite or choose another folder"
            )
        log.info("resuming in %s", out)
        return
    atomic_write_text(path, json.dumps(record, indent=2) + "\n")


def _run(jobs: list[tuple], workers: int | None, progress: bool) -> Iterator[dict[str, Any]]:
    from tqdm.auto import tqdm

    workers = os.cpu_count() or 1 if workers is None else workers
    bar = tqdm(total=len(jobs), unit="clip", desc="synth", disable=not progress)
    try:
        if workers <= 1 or len(jobs) == 1:
            for job in jobs:
                yield _write_one(job)
                bar.update()
            return
        context = multiprocessing.get_context("spawn")  # no fork of a threaded parent
        with concurrent.futures.ProcessPoolExecutor(min(workers, len(jobs)), mp_context=context) as pool:
            for row in pool.map(_write_one, jobs, chunksize=4):
                yield row
                bar.update()
    finally:
        bar.close()
