"""Spectrogram sheets: one log-magnitude spectrogram per named wave, stacked (for judging by eye)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from genav.eval.metrics.spectral import DB_FLOOR_EPS, magnitude
from genav.eval.plots.figures import save_figure

__all__ = ["spectrogram_sheet"]


def spectrogram_sheet(
    path: str | Path, waves: dict[str, np.ndarray], sample_rate: int, title: str = ""
) -> Path:
    """A PNG with one log-magnitude spectrogram per named wave, stacked (for judging by eye), written
    atomically; ``waves`` are mono (N,) at ``sample_rate`` Hz."""
    from genav.extras import require_extra

    require_extra("plots", "spectrogram sheets")
    from matplotlib.figure import Figure

    path = Path(path)
    fig = Figure(figsize=(8, 2.2 * len(waves)), dpi=80)
    axes = fig.subplots(len(waves), 1, squeeze=False)
    for ax, (name, w) in zip(axes[:, 0], waves.items(), strict=True):
        db = 20 * np.log10(magnitude(w) + DB_FLOOR_EPS)
        ax.imshow(db, origin="lower", aspect="auto", vmin=db.max() - 80, vmax=db.max(),
                  extent=(0, len(w) / sample_rate, 0, sample_rate / 2000))  # fmt: skip
        ax.set_ylabel("kHz")
        ax.set_title(name, fontsize=9)
    axes[-1, 0].set_xlabel("s")
    fig.suptitle(title, fontsize=10)
    path.parent.mkdir(parents=True, exist_ok=True)
    return save_figure(fig, path)
