"""`genav eval t2v`: class/colour shown and timed-caption motion F1 on held-out synthetic captions."""

from __future__ import annotations

from pathlib import Path

import typer

from genav.cli.common import emit_json


def register(app: typer.Typer) -> None:
    @app.command("t2v")
    def eval_t2v_command(
        model: str = typer.Option("genav-t2v-tiny", "--model", "-m", help="Model name or folder."),
        n: int = typer.Option(100, "--n", min=1, help="Held-out captions."),
        seconds: float = typer.Option(4.0, "--seconds", help="Seconds per generated clip."),
        steps: int = typer.Option(25, "--steps"),
        cfg: float = typer.Option(4.5, "--cfg"),
        seed: int = typer.Option(0, "--seed"),
        batch: int = typer.Option(10, "--batch", min=1, help="Captions generated together."),
        device: str = typer.Option("cpu", "--device"),
        threads: int = typer.Option(None, "--threads", min=1, help="torch CPU threads."),
        out: Path = typer.Option(None, "--out", help="Write the JSON report here (atomically) instead of stdout."),
    ) -> None:
        """Generate from held-out captions: does the video show the named object and colour, and do
        its motion peaks fall on the timed captions' event times (AV-Align's flow detector, +-1 frame)?"""
        import torch

        from genav.pipelines.eval_t2v import eval_t2v

        if threads is not None:
            torch.set_num_threads(threads)
        emit_json(eval_t2v(model, n=n, seconds=seconds, num_steps=steps, guidance_scale=cfg, seed=seed,
                           batch=batch, device=device), out)
