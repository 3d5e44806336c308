"""PNG plot of one clip's sync measure (matplotlib, Agg canvas; no pyplot global state)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from genav.errors import InputError
from genav.eval.plots.figures import save_figure

if TYPE_CHECKING:
    from genav.eval.detectors.sync_measure import SyncResult

__all__ = ["plot_sync"]


def plot_sync(result: SyncResult, path: str | Path, *, grid_hz: float = 100.0, dpi: int = 100) -> Path:
    """Draw the compressed motion-change and sound-onset curves (top: as given; middle: the sound
    moved back by the measured offset) and the correlation over lags (bottom). Written atomically.

    ``result`` must carry its curves (``sync_offset(..., keep_curves=True)``).
    """
    from genav.extras import require_extra

    FigureCanvasAgg = require_extra("plots", "sync plots", "matplotlib.backends.backend_agg").FigureCanvasAgg
    from matplotlib.figure import Figure

    if result.motion is None or result.sound is None or result.lags is None or result.correlation is None:
        raise InputError(f"{result.name}: no curves to plot (measure with keep_curves=True)")
    fig = Figure(figsize=(10, 7), dpi=dpi)
    FigureCanvasAgg(fig)
    ax_raw, ax_aligned, ax_c = fig.subplots(3, 1)
    t_m = np.arange(len(result.motion)) / grid_hz
    t_s = np.arange(len(result.sound)) / grid_hz
    scale = lambda x: x / (x.max() + 1e-12)  # noqa: E731 - both curves on one axis
    ax_raw.plot(t_m, scale(result.motion), color="tab:blue", lw=1, label="motion change |dF|")
    ax_raw.plot(t_s, -scale(result.sound), color="tab:purple", lw=1, label="sound onset strength (negated)")
    ax_raw.legend(loc="upper right", fontsize=8)
    ax_raw.set_title(f"{result.name}: as given")
    offset = result.offset_s or 0.0
    ax_aligned.plot(t_m, scale(result.motion), color="tab:blue", lw=1)
    ax_aligned.plot(t_s - offset, -scale(result.sound), color="tab:purple", lw=1)
    ax_aligned.set_title(f"sound moved by {-offset:+.2f} s (the measured offset)")
    ax_aligned.set_xlabel("time (s)")
    ax_c.plot(result.lags, result.correlation, color="tab:green", lw=1)
    ax_c.axvline(0.0, color="k", lw=0.8)
    if result.offset_s is not None:
        ax_c.axvline(result.offset_s, color="tab:red", lw=0.8, ls="--")
    score = "undefined" if result.score is None else f"{result.score:.2f}"
    off = "undefined" if result.offset_s is None else f"{result.offset_s:+.3f} s"
    ax_c.set_title(f"correlation over lags: offset {off} (audio late > 0), score {score}")
    ax_c.set_xlabel("lag (s)")
    return save_figure(fig, path)
