"""`genav train ...`: training from JSON recipes (one GPU, several, or several machines).

Several GPUs or machines go through ``accelerate launch`` with the package's entry module::

    accelerate launch --multi_gpu --num_processes 4 -m genav train foley --recipe R.json --out OUT
    accelerate launch --multi_gpu --num_machines 2 --machine_rank 0 --main_process_ip HOST \\
        --main_process_port 29500 --num_processes 16 -m genav train foley --recipe R.json --out OUT

The recipe's batch size is global (split across processes), so the same recipe trains the same
model whatever the number of GPUs. Without a GPU, ``--multi_gpu`` starts CPU processes (gloo).
"""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

import typer

from genav.cli import train_a2v, train_t2v, train_tagger

app = typer.Typer(no_args_is_help=True)
train_tagger.register(app)  # `genav train tagger` (the evaluators' classifier)
train_t2v.register(app)  # `genav train t2v` / `genav train objects` (text-to-video, issue 10)
train_a2v.register(app)  # `genav train a2v` (the audio-to-video adaptor, issue 11)


@app.command("foley")
def foley(
    recipe: Path = typer.Option(..., "--recipe", help="Training recipe (JSON), e.g. pipelines/recipes/foley-debug.json."),
    out: Path = typer.Option(..., "--out", "-o", help="Output model folder (training state goes to OUT/train)."),
    data: list[str] = typer.Option(
        None, "--data", help="Manifest (JSONL/CSV) to train on instead of the recipe's data; repeatable."
    ),
    steps: int = typer.Option(None, "--steps", min=1, help="Total optimiser steps (default: the recipe's)."),
    resume: bool = typer.Option(False, "--resume", help="Continue from the last checkpoint in OUT."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Discard a previous run in OUT and start over."),
    stop_after: int = typer.Option(
        None, "--stop-after", min=1, help="Stop (with a checkpoint) after this many steps in this call."
    ),
    device: str = typer.Option("auto", "--device", help="auto|cpu|cuda (under accelerate launch: auto)."),
    cache_dir: Path = typer.Option(None, "--cache-dir", help="Cache for synthetic clips and latents (default OUT/train/cache)."),
    threads: str = typer.Option(
        "auto", "--threads", help="CPU threads: a number, or auto (OMP_NUM_THREADS if set, as launchers set it per process; else the cores shared among the processes, 1 when the load average fills them)."
    ),
    init_from: str = typer.Option(
        None, "--init-from", help="Fine-tune: start from this model's weights (name or folder) instead of the recipe's init_from."
    ),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
) -> None:
    """Train an audio MM-DiT (text/video-to-audio) from a recipe."""
    import logging

    from genav.cli.common import set_threads
    from genav.runtime import DEVICE_CHOICES
    from genav.train.foley import train_foley
    from genav.train.recipe import load_recipe

    if device not in DEVICE_CHOICES:
        from genav.errors import InputError

        raise InputError(f"unknown device {device!r}; choose one of {', '.join(DEVICE_CHOICES)}")
    # OpenMP threads on busy cores spin at their barriers: a foley-small step took 13-20 s with 2
    # threads and 1.7 s with 1 on a loaded 2-core machine
    set_threads(threads)
    logging.basicConfig(level=logging.WARNING if quiet else logging.INFO, format="%(message)s")
    logging.getLogger("accelerate").setLevel(logging.WARNING)  # one line per saved file otherwise
    spec = load_recipe(recipe)
    if init_from:
        spec = spec.replace(init_from=init_from)
    run = train_foley(
        spec,
        out,
        data=data or None,
        steps=steps,
        resume=resume,
        overwrite=overwrite,
        stop_after=stop_after,
        device=device,
        cache_dir=cache_dir,
        command="genav " + shlex.join(sys.argv[1:]) if sys.argv[1:] else None,
        progress=not quiet,
    )
    res = run.result
    if not run.main_process:
        return
    loss = "n/a" if res.val_loss is None else f"{res.val_loss:.4f}"
    typer.echo(
        f"trained {run.parameters:,} parameters for {res.step} steps in {res.seconds:.1f} s "
        f"({run.train_items} clips); validation loss {loss}; model folder: {run.model_dir}"
    )


@app.command("step-time")
def step_time(
    recipe: Path = typer.Option(..., "--recipe", help="Training recipe (JSON)."),
    batch_size: int = typer.Option(16, "--batch-size", min=1, help="Clips per step."),
    seconds: float = typer.Option(None, "--seconds", help="Clip length (default: the recipe's crop)."),
    steps: int = typer.Option(3, "--steps", min=1, help="Timed steps (after one warm-up step)."),
    device: str = typer.Option("auto", "--device", help="auto|cpu|cuda|mps."),
    json_out: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Time one training step of a recipe's model on random inputs (no data needed)."""
    from genav.bench.train import time_train_step
    from genav.cli.common import emit_json
    from genav.train.recipe import load_recipe

    res = time_train_step(load_recipe(recipe), batch_size=batch_size, seconds=seconds, steps=steps, device=device)
    if json_out:
        emit_json(res)
    else:
        typer.echo(
            f"{res['parameters']:,} parameters, batch {res['batch_size']} x {res['seconds_of_audio']:g} s on "
            f"{res['device']}: {res['step_seconds']:.3f} s per training step"
        )



@app.command("vocoder")
def vocoder(
    recipe: Path = typer.Option(..., "--recipe", help="Vocoder recipe (JSON, task 'vocoder'; model = mel codec config)."),
    out: Path = typer.Option(..., "--out", "-o", help="Output codec folder (training state goes to OUT/train)."),
    steps: int = typer.Option(None, "--steps", min=1, help="Total optimiser steps (default: the recipe's)."),
    resume: bool = typer.Option(False, "--resume", help="Continue from the last checkpoint in OUT/train."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Discard a previous run in OUT and start over."),
    threads: int = typer.Option(1, "--threads", min=1, help="Torch CPU threads."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
) -> None:
    """Train the mel codec's small vocoder (a magnitude refiner before Griffin-Lim)."""
    import logging

    import torch

    from genav.train.recipe import load_recipe
    from genav.train.vocoder import train_vocoder

    logging.basicConfig(level=logging.WARNING if quiet else logging.INFO, format="%(message)s")
    torch.set_num_threads(threads)
    run = train_vocoder(load_recipe(recipe), out, steps=steps, resume=resume, overwrite=overwrite, progress=not quiet)
    typer.echo(f"trained the vocoder on {run.clips} clips for {run.result.step} steps in {run.result.seconds:.0f} s; "
               f"wrote {out}")  # fmt: skip
