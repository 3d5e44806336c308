"""One measure per clip over a process pool, shared by the dataset runners (AV-Align, sync).

Every clip gives one report row in input order: a clip that cannot be measured (no video, an
unreadable file, a decoder bug, a dead worker) becomes a row with ``error`` set and never stops
the run; a plot that fails is logged and left out, since it is not a metric failure.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from genav.errors import GenavError

if TYPE_CHECKING:
    from genav.eval.runners.av_align_dataset import ClipSpec

logger = logging.getLogger(__name__)

__all__ = ["map_clips", "measure_clip", "safe_name", "worker_init"]

FailedRow = Callable[["ClipSpec", str], dict[str, Any]]


def worker_init(threads: int | None) -> None:
    """Pool initializer: OpenCV's own thread count (one process per core: no oversubscription)."""
    import cv2

    if threads is not None:
        cv2.setNumThreads(threads)


def safe_name(name: str) -> str:
    """``name`` with everything but letters, digits and ``-_.`` replaced by ``_`` (a file name)."""
    return "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in name)


def measure_clip(
    clip: ClipSpec,
    measure: Callable[..., Any],
    failed_row: FailedRow,
    plot: Callable[[Any, Path], Path] | None = None,
    plot_dir: str | None = None,
) -> dict[str, Any]:
    """``measure(video, audio, name=, keep_curves=)`` of one clip -> its report row (``result.row()``).

    Every error is caught and becomes ``failed_row(clip, reason)``. With ``plot_dir``, ``plot(result,
    png_path)`` draws the clip into ``plot_dir`` and the row gets its ``plot`` path.
    """
    if clip.error is not None or clip.video is None:
        return failed_row(clip, clip.error or "no video")
    try:
        result = measure(clip.video, clip.audio, name=clip.name, keep_curves=plot_dir is not None)
    except GenavError as exc:
        return failed_row(clip, str(exc))
    except Exception as exc:  # noqa: BLE001 - a decoder bug in one clip must not stop the run
        logger.debug("clip %s failed", clip.name, exc_info=True)
        return failed_row(clip, f"{type(exc).__name__}: {exc}")
    row = result.row()
    if plot_dir is not None and plot is not None:
        try:
            row["plot"] = str(plot(result, Path(plot_dir) / f"{safe_name(clip.name)}.png"))
        except Exception as exc:  # noqa: BLE001 - a plot failure is not a metric failure
            logger.warning("cannot plot %s: %s", clip.name, exc)
    return row


def map_clips(
    evaluate_one: Callable[[tuple], dict[str, Any]],
    clips: Sequence[ClipSpec],
    setting: Any,
    *,
    workers: int | None,
    plot_dir: str | Path | None,
    preload: Sequence[str],
    on_error: Callable[[tuple, BaseException], dict[str, Any]],
) -> list[dict[str, Any]]:
    """``evaluate_one((clip, setting, plot_dir))`` for every clip over ``workers`` processes (default
    all cores; 1 = in this process), rows in input order; ``plot_dir`` is created first."""
    from genav.eval.runners.pool import default_workers, map_ordered

    if plot_dir is not None:
        Path(plot_dir).mkdir(parents=True, exist_ok=True)
    workers = default_workers() if workers is None else workers
    jobs = [(clip, setting, str(plot_dir) if plot_dir is not None else None) for clip in clips]
    return map_ordered(
        evaluate_one,
        jobs,
        workers=workers,
        preload=preload,
        initializer=worker_init,
        initargs=(1 if workers > 1 else None,),
        on_error=on_error,
        log_every=max(1, len(jobs) // 10),
    )
