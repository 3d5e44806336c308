"""`genav bench ...`: each benchmark lives in its own module and registers here."""

from __future__ import annotations

import typer

from genav.cli import bench_attention

app = typer.Typer(no_args_is_help=True)
bench_attention.register(app)
