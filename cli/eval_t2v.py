"""`genav eval t2v`: class/colour shown and timed-caption motion F1 on held-out synthetic captions."""

from __future__ import annotations

from pathlib import Path

import typer

from genav.cli.common import emit_json, write_example_plots


def register(app: typer.Typer) -> None:
    @app.command("t2v")
    def eval_t2v_command(
        model: str = typer.Option("genav-t2v-tiny", "--model", "-m", help="Model name or folder."),
        n: int = typer.Option(100, "--n", min=1, help="Held-out captions."),
        seconds: float = typer.Option(1.6, "--seconds", help="Seconds per clip (1.6 = one window of genav-t2v-tiny)."),
        steps: int = typer.Option(25, "--steps", "--num-steps"),
        cfg: float = typer.Option(4.5, "--cfg", "--guidance-scale"),
        seed: int = typer.Option(0, "--seed"),
        batch: int = typer.Option(10, "--batch", min=1, help="Captions generated together."),
        device: str = typer.Option("cpu", "--device"),
        threads: int = typer.Option(None, "--threads", min=1, help="torch CPU threads."),
        out: Path = typer.Option(None, "--out", help="Write the JSON report here (atomically) instead of stdout."),
        plots: Path = typer.Option(None, "--plots", help="Write PNGs (frames + motion curves) of the first clips here."),
        n_plots: int = typer.Option(6, "--n-plots", min=1, help="How many clips --plots draws."),
    ) -> None:
        """Generate from held-out captions: does the video show the named object and colour, and do
        its motion peaks fall on the timed captions' event times (AV-Align's flow detector, +-1 frame)?"""
        import torch

        from genav.pipelines.eval_t2v import eval_t2v

        if threads is not None:
            torch.set_num_threads(threads)
        report = eval_t2v(model, n=n, seconds=seconds, num_steps=steps, guidance_scale=cfg, seed=seed,
                          batch=batch, device=device, keep=n_plots if plots else 0)
        from genav.eval.plots.video import plot_t2v_example

        write_example_plots(report.pop("examples", []), report["fps"], plots, plot_t2v_example)
        emit_json(report, out)
