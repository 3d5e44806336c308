"""`genav train a2v`: the audio-to-video adaptor on a frozen text-to-video backbone, from a recipe."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

import typer


def a2v(
    backbone: str = typer.Option(
        ..., "--backbone", help="Text-to-video backbone: genav-t2v-tiny, debug-t2v, or a folder (genav, UNet3D, Wan)."
    ),
    recipe: Path = typer.Option(..., "--recipe", help="Training recipe (JSON), e.g. pipelines/recipes/a2v-tiny.json."),
    out: Path = typer.Option(..., "--out", "-o", help="Output adaptor folder (training state goes to OUT/train)."),
    steps: int = typer.Option(None, "--steps", min=1, help="Total optimiser steps (default: the recipe's)."),
    resume: bool = typer.Option(False, "--resume", help="Continue from the last checkpoint in OUT."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Discard a previous run in OUT and start over."),
    stop_after: int = typer.Option(None, "--stop-after", min=1, help="Stop (with a checkpoint) after this many steps."),
    device: str = typer.Option("auto", "--device", help="auto|cpu|cuda."),
    cache_dir: Path = typer.Option(None, "--cache-dir", help="Cache for the generated clips (default OUT/train/cache)."),
    threads: int = typer.Option(None, "--threads", min=1, help="torch CPU threads."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
) -> None:
    """Train the audio-to-video adaptor through a frozen text-to-video backbone on synthetic clips with sound."""
    import logging

    from genav.pipelines.video_backbones import load_video_backbone
    from genav.train.a2v import train_a2v
    from genav.train.recipe import load_recipe

    if threads is not None:
        import torch

        torch.set_num_threads(threads)
    loaded_recipe = load_recipe(recipe)  # a bad recipe fails before the backbone loads
    logging.basicConfig(level=logging.WARNING if quiet else logging.INFO, format="%(message)s")
    loaded = load_video_backbone(backbone)
    name = str(Path(backbone).resolve()) if Path(backbone).is_dir() else backbone  # loadable from anywhere
    run = train_a2v(
        loaded_recipe, out, loaded.backbone, backbone_name=name, checksum=loaded.checksum, steps=steps,
        resume=resume, overwrite=overwrite, stop_after=stop_after, device=device, cache_dir=cache_dir,
        command="genav " + shlex.join(sys.argv[1:]) if sys.argv[1:] else None, progress=not quiet,
    )
    if run.main_process:
        res = run.result
        typer.echo(
            f"trained {run.parameters:,} adaptor parameters for {res.step} steps in {res.seconds:.1f} s "
            f"({run.train_clips} clips, {run.window}-frame windows); validation loss {res.val_loss}; "
            f"model folder: {run.model_dir}"
        )


def register(app: typer.Typer) -> None:
    app.command("a2v")(a2v)
