"""`genav bench sync`: an alias of `genav eval v2a` (sync on unseen synthetic clips)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    from genav.cli.eval_gen import v2a_command

    app.command("sync", help="Alias of `genav eval v2a`: V2A sync on unseen synthetic clips.")(v2a_command)
