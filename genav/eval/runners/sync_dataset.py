"""The weight-free sync measure over a dataset: the same inputs and report layout as AV-Align.

Inputs are resolved by :func:`genav.eval.runners.av_align_dataset.resolve_clips` (videos with their own track,
folders of ``<stem>.mp4`` + optional ``<stem>.wav``, ``.jsonl``/``.csv`` manifests); one bad clip
becomes a row with ``error`` set and never stops the run; rows keep input order.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from genav.eval.detectors.sync_measure import SyncResult, SyncSettings
from genav.eval.runners.av_align_dataset import ClipSpec, resolve_clips
from genav.eval.runners.clip_pool import ClipMeasure, map_clips

logger = logging.getLogger(__name__)

__all__ = ["evaluate_sync", "summarize_sync"]

_PRELOAD = [
    "numpy", "scipy.ndimage", "cv2", "soundfile", "soxr", "av", "genav.media", "genav.eval.detectors.sync_measure",
]  # fmt: skip


def _failed_row(clip: ClipSpec, error: str) -> dict[str, Any]:
    row = SyncResult(name=clip.name, error=error).row()
    row.update(video=str(clip.video) if clip.video else None, audio=str(clip.audio) if clip.audio else None)
    return row


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def summarize_sync(rows: list[dict[str, Any]], settings: SyncSettings) -> dict[str, Any]:
    """The report around per-clip rows: mean score, mean |offset| (weight-free DeSync), lists."""
    from genav.eval.runners.report import versions

    failed = [r["name"] for r in rows if r.get("error")]
    undefined = [r["name"] for r in rows if not r.get("error") and r.get("score") is None]
    scored = [r for r in rows if r.get("score") is not None]
    return {
        "metric": "sync",
        "definition": "lag of the best normalised cross-correlation of motion changes (|dF|, Farneback flow) "
        "and librosa onset strength within +-max_lag_s; offset_s > 0: audio late; score: zero-lag "
        "correlation as a z-score over all lags (higher = more in sync)",
        "settings": settings.to_dict(),
        "versions": versions(),
        "mean": _mean([r["score"] for r in scored]),
        "mean_abs_offset_s": _mean([r["abs_offset_s"] for r in scored if r.get("abs_offset_s") is not None]),
        "n_clips": len(rows),
        "n_scored": len(scored),
        "n_undefined": len(undefined),
        "n_failed": len(failed),
        "undefined": undefined,
        "failed": failed,
        "note": (
            f"means over {len(scored)} scored clips; {len(undefined)} undefined (no motion change or no "
            f"sound change) and {len(failed)} failed clips left out"
        ),
        "clips": rows,
    }


def evaluate_sync(
    paths: list[str | Path],
    *,
    workers: int | None = None,
    plot_dir: str | Path | None = None,
    settings: SyncSettings | None = None,
) -> dict[str, Any]:
    """The sync measure of every clip under ``paths``, as a report dict (see :func:`summarize_sync`).

    Args:
        paths: videos (with their own track), folders of ``<stem>.mp4`` + optional ``<stem>.wav``,
            or ``.jsonl``/``.csv`` manifests (:func:`~genav.eval.runners.av_align_dataset.resolve_clips`).
        workers: processes (default all cores; 1 = in this process).
        plot_dir: write one PNG per clip there (None: no plots).
        settings: the measure's settings (default :class:`SyncSettings`).

    Returns:
        Keys: metric, definition, settings, versions, mean (score over scored clips),
        mean_abs_offset_s (seconds), n_clips, n_scored, n_undefined, n_failed, undefined, failed,
        note, clips (one row per clip: offset_s in seconds, score, confidence, error, ...).

    Raises:
        DataError: a path that does not exist or is of an unknown kind, a malformed manifest.
        InputError: settings out of range. A bad clip is a row with ``error``, never an exception.

    Source: see :func:`~genav.eval.detectors.sync_measure.score_sync`.
    """
    from genav.eval.detectors.sync_measure import sync_offset
    from genav.eval.plots.sync import plot_sync

    settings = (settings or SyncSettings()).check()
    spec = ClipMeasure(sync_offset, _failed_row, plot_sync, {"settings": settings})
    rows = map_clips(resolve_clips(list(paths)), spec, workers=workers, plot_dir=plot_dir, preload=_PRELOAD)
    report = summarize_sync(rows, settings)
    logger.info("sync: %s", report["note"])
    return report
