"""`genav train tagger`: train the genav tagger (the evaluators' judge) from a recipe."""

from __future__ import annotations

import shlex
from pathlib import Path

import typer

DEFAULT_RECIPE = "pipelines/recipes/genav-tagger.json"


def register(app: typer.Typer) -> None:
    app.command("tagger")(tagger_command)


def tagger_command(
    recipe: Path = typer.Option(
        Path(DEFAULT_RECIPE), "--recipe", help="Tagger recipe (JSON, task 'tagger')."
    ),
    out: Path = typer.Option(Path("checkpoints/genav-tagger"), "--out", "-o", help="Output model folder."),
    data: list[str] = typer.Option(
        None, "--data", help="Manifest to train on instead of the recipe's; repeatable."
    ),
    steps: int = typer.Option(None, "--steps", min=1, help="Total optimiser steps (default: the recipe's)."),
    resume: bool = typer.Option(False, "--resume", help="Continue from the last checkpoint in OUT/train."),
    overwrite: bool = typer.Option(
        False, "--overwrite", help="Discard a previous run in OUT and start over."
    ),
    threads: int = typer.Option(
        1,
        "--threads",
        min=1,
        help="Torch CPU threads (1: no OpenMP spinning when other jobs share the cores).",
    ),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Only the result line."),
) -> None:
    """Train the genav tagger on labelled recordings + synthetic-world events; writes config, weights, model card."""
    import logging

    import torch

    from genav.train.recipe import load_recipe
    from genav.train.tagger_run import train_tagger

    logging.basicConfig(level=logging.WARNING if quiet else logging.INFO, format="%(message)s")
    torch.set_num_threads(threads)
    run = train_tagger(
        load_recipe(recipe), out, manifests=data or None, steps=steps, resume=resume, overwrite=overwrite,
        command=_command(recipe, out, data, steps), progress=not quiet,
    )  # fmt: skip
    rec = run.report.get("recorded", {})
    top1 = "n/a" if rec.get("top1") is None else f"{rec['top1']:.3f}"
    top3 = "n/a" if rec.get("top3") is None else f"{rec['top3']:.3f}"
    typer.echo(
        f"trained on {len(run.train_clips)} clips for {run.result.step} steps in {run.result.seconds:.0f} s; "
        f"held-out top-1 {top1}, top-3 {top3} on {rec.get('n', 0)} recorded clips; wrote {out}"
    )


def _command(recipe: Path, out: Path, data: list[str] | None, steps: int | None) -> str:
    """The command that reproduces this run, for the model card."""
    args = ["genav", "train", "tagger", "--recipe", str(recipe), "--out", str(out)]
    for m in data or []:
        args += ["--data", m]
    if steps is not None:
        args += ["--steps", str(steps)]
    return shlex.join(args)
