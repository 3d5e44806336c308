"""`genav bench train-data`: the streamed training-data pipeline at scale (peak RSS, steps/s)."""

from __future__ import annotations

from pathlib import Path

import typer

from genav.cli.common import echo_table, emit_json


def register(app: typer.Typer) -> None:
    @app.command("train-data")
    def bench_train_data_command(
        rows: str = typer.Option("1000,20000", "--rows", help="Manifest sizes to compare (comma-separated)."),
        workers: str = typer.Option("0,2", "--workers", help="DataLoader worker counts (comma-separated)."),
        steps: int = typer.Option(60, "--steps", min=4, help="Training steps per run."),
        batch_size: int = typer.Option(16, "--batch-size", min=1),
        repeats: int = typer.Option(
            1, "--repeats", min=1, help="Rounds of runs (best steps/s, largest RSS)."
        ),
        folder: Path = typer.Option(
            None, "--folder", help="Keep the data, shards and runs here (default: a temp folder)."
        ),
        as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    ) -> None:
        """Train the debug model on synthetic manifests of N rows: peak RSS and steps/s per N and worker count."""
        from genav.bench.train import bench_train_data

        result = bench_train_data(
            tuple(int(x) for x in rows.split(",")),
            workers=tuple(int(x) for x in workers.split(",")),
            steps=steps,
            batch_size=batch_size,
            repeats=repeats,
            folder=folder,
        )
        if as_json:
            emit_json(result)
            return
        echo_table(result["encode"], ["manifest_rows", "clips", "seconds", "python_kib"])
        echo_table(result["summary"], list(result["summary"][0]))
