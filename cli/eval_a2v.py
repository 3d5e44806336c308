"""`genav eval a2v`: AV-Align, event F1, lag and shift test of audio-to-video on held-out synthetic sounds."""

from __future__ import annotations

from pathlib import Path

import typer

from genav.cli.common import emit_json, write_example_plots


def register(app: typer.Typer) -> None:
    @app.command("a2v")
    def eval_a2v_command(
        model: str = typer.Option("genav-a2v-tiny", "--model", "-m", help="Model name or adaptor folder."),
        n: int = typer.Option(100, "--n", min=2, help="Held-out clips."),
        seconds: float = typer.Option(1.6, "--seconds", help="Seconds per clip (1.6 = one window of genav-t2v-tiny)."),
        steps: int = typer.Option(25, "--steps", "--num-steps"),
        cfg: float = typer.Option(3.0, "--cfg", "--guidance-scale", help="Audio (and text) guidance scale."),
        shift: float = typer.Option(0.5, "--shift", help="Delay (s) of the shift test and the shifted-audio control."),
        seed: int = typer.Option(0, "--seed"),
        device: str = typer.Option("cpu", "--device"),
        threads: int = typer.Option(None, "--threads", min=1, help="torch CPU threads."),
        out: Path = typer.Option(None, "--out", help="Write the JSON report here (atomically) instead of stdout."),
        plots: Path = typer.Option(None, "--plots", help="Write PNGs (frames, motion curves, onsets) of the first clips."),
        n_plots: int = typer.Option(6, "--n-plots", min=1, help="How many clips --plots draws."),
    ) -> None:
        """Generate video from held-out sounds: does its motion land on the sound's events (AV-Align
        against true, shuffled and shifted pairs; event F1 +-1 frame; lag; 0.5 s shift test), and
        with a caption, does it show the captioned object and colour?"""
        import logging

        import torch

        from genav.pipelines.eval_a2v import eval_a2v

        if threads is not None:
            torch.set_num_threads(threads)
        logging.basicConfig(level=logging.INFO, format="%(message)s")
        report = eval_a2v(model, n=n, seconds=seconds, num_steps=steps, guidance_scale=cfg, shift_s=shift, seed=seed,
                          device=device, keep=n_plots if plots else 0)
        from genav.eval.plots.a2v import plot_a2v_example

        write_example_plots(report.pop("examples", []), report["fps"], plots, plot_a2v_example)
        emit_json(report, out)
