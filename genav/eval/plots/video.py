"""PNG plots for text-to-video results: frame strips and motion curves with the captioned event times."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from genav.eval.detectors.optical_flow import detect_video_peaks, frames_trajectory
from genav.eval.plots.figures import save_figure


def plot_t2v_example(example: dict[str, Any], fps: float, path: str | Path, *, dpi: int = 100) -> Path:
    """One held-out caption: frame strips (true clip, untimed and timed generation) and the three
    flow trajectories (AV-Align's detector) with the caption's event times (dashed) and the
    detected peaks (dots). ``example`` holds ``prompt``, ``events`` (s), ``true``, ``plain`` and
    ``timed`` frames ``(T, H, W, 3)`` uint8. Written atomically."""
    from matplotlib.figure import Figure

    rows = [("true", example["true"]), ("prompt only", example["plain"]), ("timed caption", example["timed"])]
    frames = min(len(f) for _, f in rows)
    fig = Figure(figsize=(max(8.0, frames * 0.45), 7.0))
    grid = fig.add_gridspec(4, 1, height_ratios=[1, 1, 1, 1.6])
    for i, (name, f) in enumerate(rows):
        frame_strip(fig.add_subplot(grid[i]), f[:frames], name)
    ax = fig.add_subplot(grid[3])
    for (name, f), colour in zip(rows, ("black", "tab:blue", "tab:red"), strict=True):
        curve = frames_trajectory(f[:frames])
        peaks = detect_video_peaks(curve)
        ax.plot(np.arange(frames) / fps, curve, color=colour, label=name)
        ax.plot(peaks / fps, curve[peaks], "o", color=colour)
    for t in example["events"]:
        ax.axvline(t, color="grey", linestyle="--")
    ax.set_xlabel("seconds (dashed: captioned event times)")
    ax.set_ylabel("mean flow (px)")
    ax.legend(fontsize=7)
    fig.suptitle(example["prompt"], fontsize=10)
    return save_figure(fig, path)


def frame_strip(ax: Any, frames: np.ndarray, name: str) -> None:
    """Frames ``(T, H, W, 3)`` side by side on ``ax``, numbered, labelled ``name``."""
    count = len(frames)
    ax.imshow(np.concatenate(list(frames), axis=1), interpolation="nearest")
    ax.set_yticks([])
    ax.set_xticks((np.arange(count) + 0.5) * frames.shape[2])
    ax.set_xticklabels([str(k) for k in range(count)], fontsize=6)
    ax.set_ylabel(name, fontsize=8)
