"""Writing a matplotlib figure as a PNG: laid out, written atomically, no pyplot global state."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from genav.media.atomic import atomic_output

__all__ = ["save_figure"]


def save_figure(fig: Any, path: str | Path) -> Path:
    """Lay out ``fig`` (a ``matplotlib.figure.Figure``) and write it to ``path`` as a PNG at the
    figure's dpi, atomically (an existing file is replaced only once the new one is whole)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    fig.tight_layout()
    path = Path(path)
    with atomic_output(path, overwrite=True) as tmp:
        FigureCanvasAgg(fig).print_png(str(tmp))
    return path
