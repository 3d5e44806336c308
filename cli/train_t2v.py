"""`genav train t2v`: the tiny text-to-video DiT from a recipe (and a timing probe to size it)."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

import typer


def t2v(
    recipe: Path = typer.Option(..., "--recipe", help="Training recipe (JSON), e.g. pipelines/recipes/t2v-tiny.json."),
    out: Path = typer.Option(None, "--out", "-o", help="Output model folder (training state goes to OUT/train)."),
    steps: int = typer.Option(None, "--steps", min=1, help="Total optimiser steps (default: the recipe's)."),
    resume: bool = typer.Option(False, "--resume", help="Continue from the last checkpoint in OUT."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Discard a previous run in OUT and start over."),
    stop_after: int = typer.Option(None, "--stop-after", min=1, help="Stop (with a checkpoint) after this many steps."),
    probe: int = typer.Option(
        None, "--probe", min=1, help="Only time this many training steps on random windows and print s/step."
    ),
    device: str = typer.Option("auto", "--device", help="auto|cpu|cuda."),
    cache_dir: Path = typer.Option(None, "--cache-dir", help="Cache for the generated clips (default OUT/train/cache)."),
    threads: int = typer.Option(
        None, "--threads", min=1, help="torch CPU threads (on a CPU shared with other jobs, 1 is often fastest)."
    ),
    init_from: str = typer.Option(
        None, "--init-from", help="Fine-tune: start from this model's weights (name or folder) instead of the recipe's init_from."
    ),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
) -> None:
    """Train the tiny text-to-video DiT (pixel-space flow, per-frame context) on the synthetic world."""
    import logging

    from genav.errors import InputError
    from genav.train.recipe import load_recipe
    from genav.train.t2v import probe_step_time, train_t2v

    if threads is not None:
        import torch

        torch.set_num_threads(threads)
    loaded = load_recipe(recipe)
    if init_from:
        loaded = loaded.replace(init_from=init_from)
    if probe is not None:
        res = probe_step_time(loaded, steps=probe, device=device)
        typer.echo(
            f"{res['parameters']:,} parameters, batch {res['batch_size']} x {res['frames']} frames on {res['device']}: "
            f"{res['step_seconds']:.3f} s per step over {probe} steps -> {res['steps_per_hour']} steps per hour"
        )
        return
    if out is None:
        raise InputError("--out is required (the model folder to write)")
    logging.basicConfig(level=logging.WARNING if quiet else logging.INFO, format="%(message)s")
    run = train_t2v(
        loaded, out, steps=steps, resume=resume, overwrite=overwrite, stop_after=stop_after, device=device,
        cache_dir=cache_dir, command="genav " + shlex.join(sys.argv[1:]) if sys.argv[1:] else None,
        progress=not quiet,
    )
    if run.main_process:
        res = run.result
        typer.echo(
            f"trained {run.parameters:,} parameters for {res.step} steps in {res.seconds:.1f} s "
            f"({run.train_clips} clips); validation loss {res.val_loss}; model folder: {run.model_dir}"
        )


def objects(
    out: Path = typer.Option(..., "--out", "-o", help="Output model folder, e.g. checkpoints/genav-objects."),
    clips: int = typer.Option(1200, "--clips", min=10, help="Training clips of the text-to-video world."),
    epochs: int = typer.Option(4, "--epochs", min=1),
    threads: int = typer.Option(None, "--threads", min=1, help="torch CPU threads."),
) -> None:
    """Train the object class and colour detector used to score text-to-video (genav-objects)."""
    import logging

    import torch

    from genav.train.video_objects import train_object_detector

    if threads is not None:
        torch.set_num_threads(threads)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    res = train_object_detector(out, clips=clips, epochs=epochs)
    h = res["held_out"]
    typer.echo(f"held-out clips: class {h['class']:.3f}, colour {h['colour']:.3f}, both {h['both']:.3f}; model folder: {out}")


def register(app: typer.Typer) -> None:
    app.command("t2v")(t2v)
    app.command("objects")(objects)
