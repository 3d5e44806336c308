"""Build a .ipynb from a plain Python file whose cells are separated by '# %%' lines.

Markdown cells start with '# %% [markdown]' and hold '# ' comment lines. Keeps notebooks reviewable
as Python and runnable in Jupyter:  python scripts/make_notebook.py notebooks/src/x.py notebooks/x.ipynb
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def cells_from_script(text: str) -> list[dict]:
    cells, kind, lines = [], "code", []

    def flush() -> None:
        body = "\n".join(lines).strip("\n")
        if body:
            if kind == "markdown":
                body = "\n".join(
                    line[2:] if line.startswith("# ") else line.lstrip("#") for line in body.splitlines()
                )
            source = [line + "\n" for line in body.splitlines()]
            source[-1] = source[-1].rstrip("\n")
            cell = {"cell_type": kind, "metadata": {}, "source": source}
            if kind == "code":
                cell.update(execution_count=None, outputs=[])
            cells.append(cell)

    for line in text.splitlines():
        if line.startswith("# %%"):
            flush()
            kind, lines = ("markdown" if "[markdown]" in line else "code"), []
        else:
            lines.append(line)
    flush()
    return cells


def main(src: str, dst: str) -> None:
    notebook = {
        "cells": cells_from_script(Path(src).read_text()),
        "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    Path(dst).write_text(json.dumps(notebook, indent=1) + "\n")


if __name__ == "__main__":
    main(*sys.argv[1:3])
