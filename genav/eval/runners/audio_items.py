"""Items of an evaluation folder: files by stem, read and prepared in threads, failures kept as rows.

Items are files named ``<stem>.<ext>`` in a folder (audio, or a video's own track); one bad file
never ends a run: :func:`guarded` turns its error into a message for the report.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from genav.errors import GenavError, InputError
from genav.eval.runners.audio_prep import Preparation, prepare_audio, read_audio_channels

AUDIO_SUFFIXES = (".wav", ".flac", ".ogg", ".oga", ".mp3", ".m4a", ".aac", ".opus", ".aif", ".aiff")
VIDEO_SUFFIXES = (".mp4", ".mov", ".mkv", ".webm")
T = TypeVar("T")


@dataclass
class Item:
    name: str
    path: Path | None
    error: str | None = None


def collect_items(folder: str | Path) -> list[Item]:
    """Items of a folder by stem, sorted; an audio file wins over a video of the same stem.

    Two audio files with one stem (``a.wav`` and ``a.flac``) make an item with an error.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(f"not a folder: {folder}")
    by_stem: dict[str, list[Path]] = {}
    for path in sorted(folder.iterdir()):
        if path.is_file() and path.suffix.lower() in AUDIO_SUFFIXES + VIDEO_SUFFIXES:
            by_stem.setdefault(path.stem, []).append(path)
    items = []
    for stem, paths in sorted(by_stem.items()):
        audio = [p for p in paths if p.suffix.lower() in AUDIO_SUFFIXES]
        chosen = audio or paths
        if len(chosen) > 1:
            items.append(Item(stem, None, f"ambiguous: {', '.join(p.name for p in chosen)}"))
        else:
            items.append(Item(stem, chosen[0]))
    if not items:
        raise InputError(f"no audio or video files in {folder}")
    return items


def guarded(fn: Callable[[], T]) -> tuple[T | None, str | None]:
    """(result, None) or (None, message): one bad file must not end the run."""
    try:
        return fn(), None
    except GenavError as exc:
        return None, str(exc)
    except Exception as exc:  # noqa: BLE001 - decoders raise many types
        return None, f"{type(exc).__name__}: {exc}"


def read_item(item: Item) -> tuple[np.ndarray, int]:
    if item.error or item.path is None:
        raise InputError(item.error or "no file")
    return read_audio_channels(item.path)


def parallel_items(
    fn: Callable[[Any], T], jobs: list[Any], workers: int
) -> list[tuple[T | None, str | None]]:
    """``[guarded(fn(job)) for job in jobs]`` on ``workers`` threads, in order."""
    # threads suffice: decoding (soundfile, ffmpeg) and the torch resampler release the GIL
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        return list(pool.map(lambda job: guarded(lambda: fn(job)), jobs))


def prepared_waves(
    items: list[Item], prep: Preparation, sample_rate: int, workers: int
) -> list[tuple[np.ndarray | None, str | None]]:
    """Each item read and prepared (:func:`prepare_audio`'s first segment, mono (N,) float32 at
    ``sample_rate`` Hz), or ``(None, why)``; in item order."""
    return parallel_items(lambda item: prepare_audio(*read_item(item), prep, sample_rate)[0], items, workers)
