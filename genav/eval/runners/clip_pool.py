"""One measure per clip over a process pool, shared by the dataset runners (AV-Align, sync).

Every clip gives one report row in input order: a clip that cannot be measured (no video, an
unreadable file, a decoder bug, a dead worker) becomes a row with ``error`` set and never stops
the run; a plot that fails is logged and left out, since it is not a metric failure.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from genav.errors import GenavError

if TYPE_CHECKING:
    from genav.eval.runners.av_align_dataset import ClipSpec

logger = logging.getLogger(__name__)

__all__ = ["ClipMeasure", "map_clips", "measure_clip", "safe_name", "worker_init"]


def worker_init(threads: int | None) -> None:
    """Pool initializer: OpenCV's own thread count (one process per core: no oversubscription)."""
    import cv2

    if threads is not None:
        cv2.setNumThreads(threads)


def safe_name(name: str) -> str:
    """``name`` with everything but letters, digits and ``-_.`` replaced by ``_`` (a file name)."""
    return "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in name)


@dataclass(frozen=True)
class ClipMeasure:
    """What a dataset runner measures on every clip. Module-level functions only: jobs are pickled.

    ``measure(video, audio, name=, keep_curves=, **options)`` returns a result with ``.row()``;
    ``failed_row(clip, reason)`` is the row of a clip that could not be measured; ``plot(result,
    png_path)`` draws one clip (used when the run has a plot folder).
    """

    measure: Callable[..., Any]
    failed_row: Callable[[ClipSpec, str], dict[str, Any]]
    plot: Callable[[Any, Path], Path] | None = None
    options: dict[str, Any] = field(default_factory=dict)


def measure_clip(job: tuple[ClipSpec, ClipMeasure, str | None]) -> dict[str, Any]:
    """One clip's report row (``result.row()``, plus its ``plot`` path when drawn); every error is
    caught and becomes the measure's ``failed_row``."""
    clip, spec, plot_dir = job
    if clip.error is not None or clip.video is None:
        return spec.failed_row(clip, clip.error or "no video")
    try:
        result = spec.measure(
            clip.video, clip.audio, name=clip.name, keep_curves=plot_dir is not None, **spec.options
        )
    except GenavError as exc:
        return spec.failed_row(clip, str(exc))
    except Exception as exc:  # noqa: BLE001 - a decoder bug in one clip must not stop the run
        logger.debug("clip %s failed", clip.name, exc_info=True)
        return spec.failed_row(clip, f"{type(exc).__name__}: {exc}")
    row = result.row()
    if plot_dir is not None and spec.plot is not None:
        try:
            row["plot"] = str(spec.plot(result, Path(plot_dir) / f"{safe_name(clip.name)}.png"))
        except Exception as exc:  # noqa: BLE001 - a plot failure is not a metric failure
            logger.warning("cannot plot %s: %s", clip.name, exc)
    return row


def _crashed(job: tuple[ClipSpec, ClipMeasure, str | None], exc: BaseException) -> dict[str, Any]:
    return job[1].failed_row(job[0], f"worker process failed: {type(exc).__name__}: {exc}")


def map_clips(
    clips: Sequence[ClipSpec],
    spec: ClipMeasure,
    *,
    workers: int | None,
    plot_dir: str | Path | None,
    preload: Sequence[str],
) -> list[dict[str, Any]]:
    """:func:`measure_clip` of every clip over ``workers`` processes (default all cores; 1 = in this
    process), rows in input order; ``plot_dir`` is created first."""
    from genav.eval.runners.pool import default_workers, map_ordered

    if plot_dir is not None:
        Path(plot_dir).mkdir(parents=True, exist_ok=True)
    workers = default_workers() if workers is None else workers
    jobs = [(clip, spec, str(plot_dir) if plot_dir is not None else None) for clip in clips]
    return map_ordered(
        measure_clip,
        jobs,
        workers=workers,
        preload=preload,
        initializer=worker_init,
        initargs=(1 if workers > 1 else None,),
        on_error=_crashed,
        log_every=max(1, len(jobs) // 10),
    )
