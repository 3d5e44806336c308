"""Commands registered onto a sub-app by :func:`register`."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    pass
