"""AV-Align over a dataset: clip discovery, a process pool, and the report.

A path is a video with its own audio track, a folder of ``<stem>.mp4`` + optional ``<stem>.wav``
(a video without a wav uses its own track), or a manifest (``.jsonl`` / ``.csv`` with a ``file``
column, optional ``audio`` and ``name`` columns; relative paths are relative to the manifest).
One bad clip never stops the run: it becomes a row with ``error`` set. Rows keep input order
(paths in order given, folders sorted by name, manifests in row order).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from genav.data.manifest import iter_manifest_rows
from genav.errors import DataError
from genav.eval.runners.clip_pool import ClipMeasure, map_clips

logger = logging.getLogger(__name__)

__all__ = ["ClipSpec", "VIDEO_SUFFIXES", "AUDIO_SUFFIXES", "resolve_clips", "evaluate_av_align"]

VIDEO_SUFFIXES = (".mp4", ".mov", ".mkv", ".webm", ".avi", ".m4v")
AUDIO_SUFFIXES = (".wav", ".flac", ".ogg")
MANIFEST_SUFFIXES = (".jsonl", ".csv")
# imported once in the fork server, so workers start with them; the genav protocol's matching adds
# scipy.optimize (~0.8 s of CPU to import), which the reference does not need
_PRELOAD = ["numpy", "cv2", "soundfile", "soxr", "av", "genav.media", "genav.eval.detectors.av_align_clip"]
_PRELOAD_GENAV = ["scipy.optimize"]


@dataclass(frozen=True)
class ClipSpec:
    """One clip to evaluate: a video, an optional separate audio file, or why it cannot be."""

    name: str
    video: Path | None
    audio: Path | None = None
    error: str | None = None


def _folder_clips(folder: Path) -> list[ClipSpec]:
    files = sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))
    videos = {p.stem: p for p in files if p.suffix.lower() in VIDEO_SUFFIXES}
    audios: dict[str, Path] = {}
    for p in files:  # first audio suffix in AUDIO_SUFFIXES order wins
        if p.suffix.lower() in AUDIO_SUFFIXES and p.stem not in audios:
            audios[p.stem] = p
    clips = []
    for stem in sorted(set(videos) | set(audios)):
        if stem in videos:
            clips.append(ClipSpec(stem, videos[stem], audios.get(stem)))
        else:
            clips.append(ClipSpec(stem, None, audios[stem], error=f"no video for {audios[stem].name}"))
    if not clips:
        raise DataError(f"no videos ({', '.join(VIDEO_SUFFIXES)}) in folder {folder}")
    return clips


def _manifest_clips(path: Path) -> list[ClipSpec]:
    clips = []
    for _, row in iter_manifest_rows(path, require=("file",)):
        video = path.parent / str(row["file"])
        audio = path.parent / str(row["audio"]) if row.get("audio") else None
        clips.append(ClipSpec(str(row.get("name") or video.stem), video, audio))
    if not clips:
        raise DataError(f"manifest {path} has no rows")
    return clips


def resolve_clips(paths: list[str | Path]) -> list[ClipSpec]:
    """Expand PATHS (videos, folders, manifests) into clips in a deterministic order.

    Duplicate names get their path as the name so every report row is unique.

    Args:
        paths: video files (with their own audio track), folders of ``<stem>.mp4`` + optional
            ``<stem>.wav``, or ``.jsonl``/``.csv`` manifests (``file``, optional ``audio``/``name``;
            relative paths are relative to the manifest).

    Returns:
        One :class:`ClipSpec` per clip: paths in order given, folders sorted by name, manifests in
        row order; an orphan wav is a clip with ``error`` set.

    Raises:
        DataError: no paths, a path that does not exist or is of an unknown kind, an empty folder or
            manifest, or a malformed manifest row (before any work).

    Source: none (input handling for AV-Align and the sync measure).
    """
    if not paths:
        raise DataError("no input paths given")
    clips: list[ClipSpec] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            clips.extend(_folder_clips(path))
        elif not path.exists():
            raise DataError(f"input path does not exist: {path}")
        elif path.suffix.lower() in MANIFEST_SUFFIXES:
            clips.extend(_manifest_clips(path))
        elif path.suffix.lower() in VIDEO_SUFFIXES:
            clips.append(ClipSpec(path.stem, path, None))
        else:
            raise DataError(
                f"{path}: not a video ({', '.join(VIDEO_SUFFIXES)}), folder or manifest (.jsonl/.csv)"
            )
    seen: set[str] = set()
    unique = []
    for clip in clips:
        name = clip.name if clip.name not in seen else str(clip.video or clip.audio)
        seen.add(name)
        unique.append(ClipSpec(name, clip.video, clip.audio, clip.error))
    return unique


def _failed_row(clip: ClipSpec, error: str) -> dict[str, Any]:
    return {
        "name": clip.name,
        "score": None,
        "n_audio_peaks": None,
        "n_video_peaks": None,
        "n_matched": None,
        "fps": None,
        "frames": None,
        "vfr": None,
        "timing": None,
        "note": None,
        "error": error,
        "audio_peaks": [],
        "video_peaks": [],
        "video": str(clip.video) if clip.video else None,
        "audio": str(clip.audio) if clip.audio else None,
    }


def summarize(rows: list[dict[str, Any]], protocol: str) -> dict[str, Any]:
    """The AV-Align report around per-clip rows: mean over defined scores, undefined and failed lists."""
    from genav.eval.detectors.av_align_clip import protocol_settings
    from genav.eval.runners.report import versions

    failed = [r["name"] for r in rows if r.get("error")]
    undefined = [r["name"] for r in rows if not r.get("error") and r.get("score") is None]
    scores = [r["score"] for r in rows if r.get("score") is not None]
    mean = sum(scores) / len(scores) if scores else None
    noted = [f"{r['name']}: {r['note']}" for r in rows if r.get("note")]
    return {
        "metric": "av_align",
        "protocol": protocol,
        "settings": protocol_settings(protocol),
        "versions": versions(),
        "mean": mean,
        "n_clips": len(rows),
        "n_scored": len(scores),
        "n_undefined": len(undefined),
        "n_failed": len(failed),
        "undefined": undefined,
        "failed": failed,
        "note": (
            f"mean over {len(scores)} scored clips; {len(undefined)} undefined "
            f"(no audio onsets and no video peaks) and {len(failed)} failed clips left out"
        ),
        "n_vfr": sum(1 for r in rows if r.get("vfr")),
        "timing_notes": noted,
        "clips": rows,
    }


def evaluate_av_align(
    paths: list[str | Path],
    *,
    protocol: str = "reference",
    workers: int | None = None,
    plot_dir: str | Path | None = None,
) -> dict[str, Any]:
    """AV-Align of every clip under ``paths``, as a report dict (see :func:`summarize`).

    Args:
        paths: videos, folders or manifests (:func:`resolve_clips`).
        protocol: ``reference`` (the published script) or ``genav`` (see
            :mod:`genav.eval.detectors.av_align_clip`).
        workers: processes (default all cores; 1 = in this process).
        plot_dir: write one PNG per clip there (None: no plots).

    Returns:
        Keys: metric, protocol, settings, versions, mean (over defined scores, in [0, 1]), n_clips,
        n_scored, n_undefined, n_failed, undefined, failed, note, n_vfr, timing_notes, clips (one
        row per clip: score, peak counts and times in seconds, fps, error).

    Raises:
        InputError: an unknown protocol. BackendUnavailableError: ``reference`` with an old OpenCV.
        DataError: unusable paths (see :func:`resolve_clips`). A bad clip is a row with ``error``,
            never an exception.

    Source: AV-Align, Yariv et al., "Diverse and Aligned Audio-to-Video Generation via Text-to-Video
    Model Adaptation" (AAAI 2024, TempoTokens).
    """
    from genav.eval.detectors.av_align_clip import av_align, check_protocol
    from genav.eval.plots.av_align import plot_av_align

    check_protocol(protocol)
    spec = ClipMeasure(av_align, _failed_row, plot_av_align, {"protocol": protocol})
    preload = _PRELOAD + (_PRELOAD_GENAV if protocol == "genav" else [])
    rows = map_clips(resolve_clips(list(paths)), spec, workers=workers, plot_dir=plot_dir, preload=preload)
    report = summarize(rows, protocol)
    logger.info("AV-Align (%s): %s", protocol, report["note"])
    return report
