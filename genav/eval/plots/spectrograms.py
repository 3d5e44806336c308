"""Spectrogram sheets: one log-magnitude spectrogram per named wave, stacked (for judging by eye)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from genav.eval.metrics.spectral import DB_FLOOR_EPS, magnitude

__all__ = ["spectrogram_sheet"]


def spectrogram_sheet(path: str | Path, waves: dict[str, np.ndarray], sample_rate: int, title: str = "") -> Path:
    """A PNG with one log-magnitude spectrogram per named wave, stacked (for judging by eye)."""
    from genav.extras import require_extra

    matplotlib = require_extra("plots", "spectrogram sheets")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    path = Path(path)
    fig, axes = plt.subplots(len(waves), 1, figsize=(8, 2.2 * len(waves)), squeeze=False)
    for ax, (name, w) in zip(axes[:, 0], waves.items(), strict=True):
        db = 20 * np.log10(magnitude(w) + DB_FLOOR_EPS)
        ax.imshow(db, origin="lower", aspect="auto", vmin=db.max() - 80, vmax=db.max(),
                  extent=(0, len(w) / sample_rate, 0, sample_rate / 2000))  # fmt: skip
        ax.set_ylabel("kHz")
        ax.set_title(name, fontsize=9)
    axes[-1, 0].set_xlabel("s")
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=80)
    plt.close(fig)
    return path
