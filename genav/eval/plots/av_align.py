"""PNG plots of evaluation results (matplotlib, Agg canvas; no pyplot global state)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from genav.errors import InputError
from genav.eval.plots.figures import save_figure

if TYPE_CHECKING:
    from genav.eval.detectors.av_align_clip import AVAlignResult

__all__ = ["plot_av_align"]


def plot_av_align(result: AVAlignResult, path: str | Path, *, dpi: int = 100) -> Path:
    """Draw one clip's AV-Align: flow trajectory with video peaks (top), onset envelope with audio
    peaks (bottom), matched pairs joined by green lines, unmatched peaks in red. Written atomically.

    ``result`` must carry its curves (``av_align(..., keep_curves=True)``).
    """
    from genav.extras import require_extra

    FigureCanvasAgg = require_extra("plots", "AV-Align plots", "matplotlib.backends.backend_agg").FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.patches import ConnectionPatch

    from genav.eval.detectors.onsets import HOP_LENGTH, SAMPLE_RATE

    if result.trajectory is None or result.onset_envelope is None or not result.fps:
        raise InputError(f"{result.name}: no curves to plot (evaluate with keep_curves=True)")
    fig = Figure(figsize=(10, 5), dpi=dpi)
    FigureCanvasAgg(fig)
    ax_v, ax_a = fig.subplots(2, 1, sharex=True)
    traj_t = np.arange(len(result.trajectory)) / result.fps
    env_t = np.arange(len(result.onset_envelope)) * HOP_LENGTH / SAMPLE_RATE
    ax_v.plot(traj_t, result.trajectory, color="tab:blue", lw=1)
    ax_a.plot(env_t, result.onset_envelope, color="tab:purple", lw=1)
    matched_v = {vi for _, vi in result.matches}
    matched_a = {ai for ai, _ in result.matches}
    v_y = np.interp(result.video_peaks, traj_t, result.trajectory) if result.video_peaks else []
    a_y = np.interp(result.audio_peaks, env_t, result.onset_envelope) if result.audio_peaks else []
    for i, (t, y) in enumerate(zip(result.video_peaks, v_y, strict=True)):
        ax_v.plot(t, y, "o", color="tab:green" if i in matched_v else "tab:red", ms=5)
    for i, (t, y) in enumerate(zip(result.audio_peaks, a_y, strict=True)):
        ax_a.plot(t, y, "o", color="tab:green" if i in matched_a else "tab:red", ms=5)
    for ai, vi in result.matches:
        fig.add_artist(
            ConnectionPatch(
                xyA=(result.audio_peaks[ai], a_y[ai]), coordsA=ax_a.transData,
                xyB=(result.video_peaks[vi], v_y[vi]), coordsB=ax_v.transData,
                color="tab:green", lw=0.8, alpha=0.7,
            )
        )  # fmt: skip
    score = "undefined" if result.score is None else f"{result.score:.3f}"
    ax_v.set_title(
        f"{result.name}: AV-Align {score} ({result.protocol}; {result.n_matched} matched, "
        f"{result.n_audio_peaks} audio / {result.n_video_peaks} video peaks)"
    )
    ax_v.set_ylabel("mean flow (px)")
    ax_a.set_ylabel("onset strength")
    ax_a.set_xlabel("time (s)")
    return save_figure(fig, path)
