"""`genav bench sync`: V2A sync on unseen synthetic clips (generated vs true vs shuffled)."""

from __future__ import annotations

import typer

from genav.cli.common import echo_table, emit_json


def register(app: typer.Typer) -> None:
    @app.command("sync")
    def bench_sync_command(
        model: str = typer.Option("genav-foley-tiny", "--model", "-m", help="V2A model name or folder."),
        n: int = typer.Option(24, "--n", min=2, help="Test-split clips (4 s, 10 fps, 64x64)."),
        seed: int = typer.Option(0, "--seed"),
        steps: int = typer.Option(25, "--steps"),
        cfg: float = typer.Option(4.5, "--cfg"),
        protocol: str = typer.Option("reference", "--protocol", help="AV-Align protocol: reference|genav."),
        no_caption: bool = typer.Option(False, "--no-caption", help="Video only: do not pass the caption."),
        as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    ) -> None:
        """AV-Align and onset F1 of generated sound for silent clips, next to the true and shuffled pairs."""
        from genav.pipelines.bench_sync import bench_sync

        result = bench_sync(
            model, n=n, seed=seed, steps=steps, cfg=cfg, protocol=protocol, use_caption=not no_caption
        )
        if as_json:
            emit_json(result)
            return
        rows = [
            {"pair": kind, "av_align": result[f"av_align_{kind}"], "onset_f1": result[f"onset_f1_{kind}"]}
            for kind in ("true", "generated", "shuffled")
        ]
        echo_table(rows, ["pair", "av_align", "onset_f1"])
        typer.echo(f"model {result['model']} ({result['model_checksum']}), {result['n_clips']} clips, {result['seconds']} s")
