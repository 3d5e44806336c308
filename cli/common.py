"""Helpers shared by the CLI commands: output paths, JSON output, progress."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import typer


def emit_json(data: Any, out: Path | None = None) -> None:
    """Print JSON to stdout, or write it atomically to ``out``."""
    text = json.dumps(data, indent=2, sort_keys=False, default=str) + "\n"
    if out is None:
        sys.stdout.write(text)
        return
    from genav.atomic import atomic_write_text

    atomic_write_text(Path(out), text)


def echo_table(rows: list[dict[str, Any]], columns: list[str]) -> None:
    """Print rows as a markdown table (readable in a terminal, pasteable into docs)."""
    typer.echo("| " + " | ".join(columns) + " |")
    typer.echo("|" + "|".join("---" for _ in columns) + "|")
    for row in rows:
        typer.echo("| " + " | ".join(_fmt(row.get(c)) for c in columns) + " |")


def _fmt(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)
