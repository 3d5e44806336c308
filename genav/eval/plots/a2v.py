"""PNG plots for audio-to-video results: frame strips, motion curves and the sound's onset envelope."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from genav.eval.detectors.onsets import HOP_LENGTH, SAMPLE_RATE, onset_envelope
from genav.eval.detectors.optical_flow import detect_video_peaks, frames_trajectory
from genav.eval.metrics.lag import envelope_per_frame
from genav.eval.plots.figures import save_figure
from genav.eval.plots.video import frame_strip

ROWS = (("true", "true", "black"), ("from sound", "audio", "tab:red"), ("sound delayed 0.5 s", "shifted", "tab:orange"),
        ("sound + caption", "audio_prompt", "tab:green"), ("caption only", "control", "tab:blue"))


def plot_a2v_example(example: dict[str, Any], fps: float, path: str | Path, *, dpi: int = 100) -> Path:
    """One held-out clip: frame strips of the true clip and the four generations (sound, delayed
    sound, sound + caption, caption only), their flow trajectories (AV-Align's detector; dots:
    peaks), the sound's onset envelope per frame (grey fill) and the true event times (dashed).
    ``example`` holds ``caption``, ``events`` (s), ``wave`` (22050 Hz) and the frames ``(T, H, W, 3)``
    under ``true``, ``audio``, ``shifted``, ``audio_prompt`` and ``control``. Written atomically."""
    from matplotlib.figure import Figure

    frames = min(len(example[key]) for _, key, _ in ROWS)
    fig = Figure(figsize=(max(8.0, frames * 0.45), 10.0), dpi=dpi)
    grid = fig.add_gridspec(len(ROWS) + 1, 1, height_ratios=[1] * len(ROWS) + [2.0])
    for i, (name, key, _) in enumerate(ROWS):
        frame_strip(fig.add_subplot(grid[i]), example[key][:frames], name)
    ax = fig.add_subplot(grid[len(ROWS)])
    times = np.arange(frames) / fps
    env = envelope_per_frame(onset_envelope(example["wave"], SAMPLE_RATE), SAMPLE_RATE / HOP_LENGTH, fps, frames)
    top = max(float(frames_trajectory(example["true"][:frames]).max()), 1e-6)
    ax.fill_between(times, 0, env / max(env.max(), 1e-9) * top, color="grey", alpha=0.3, label="onset envelope")
    for name, key, colour in ROWS:
        curve = frames_trajectory(example[key][:frames])
        peaks = detect_video_peaks(curve)
        ax.plot(times, curve, color=colour, label=name)
        ax.plot(peaks / fps, curve[peaks], "o", color=colour)
    for t in example["events"]:
        ax.axvline(t, color="grey", linestyle="--")
    ax.set_xlabel("seconds (dashed: true event times)")
    ax.set_ylabel("mean flow (px)")
    ax.legend(fontsize=7, ncol=3)
    fig.suptitle(example["caption"], fontsize=10)
    return save_figure(fig, path)
