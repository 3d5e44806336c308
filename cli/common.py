"""Helpers shared by the CLI commands: output paths, JSON output, progress."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import typer

SYNC_PHASES = typer.Option(
    None, "--sync-phases", min=1,
    help="Read a picture faster than the model's frame rate in this many phases (finer timing; "
    "default: about one per native frame in each model frame; 1: a plain read).",
)  # fmt: skip


WINDOW = typer.Option(
    None, "--window", min=0.1,
    help="Seconds per generated window; longer sounds are made in overlapping windows (genav models; "
    "default: the model's generation window).",
)  # fmt: skip


def emit_json(data: Any, out: Path | None = None) -> None:
    """Print JSON to stdout, or write it atomically to ``out``."""
    text = json.dumps(data, indent=2, sort_keys=False, default=str) + "\n"
    if out is None:
        sys.stdout.write(text)
        return
    from genav.atomic import atomic_write_text

    atomic_write_text(Path(out), text)


def write_example_plots(examples: list[Any], fps: float, folder: Path | None, plot: Any) -> None:
    """Draw each kept example of an eval report with ``plot(example, fps, path)`` into
    ``folder/clip-NN.png`` (nothing when ``folder`` is None)."""
    if folder is None:
        return
    folder.mkdir(parents=True, exist_ok=True)
    for i, example in enumerate(examples):
        plot(example, fps, folder / f"clip-{i:02d}.png")


def echo_table(rows: list[dict[str, Any]], columns: list[str]) -> None:
    """Print rows as a markdown table (readable in a terminal, pasteable into docs)."""
    typer.echo("| " + " | ".join(columns) + " |")
    typer.echo("|" + "|".join("---" for _ in columns) + "|")
    for row in rows:
        typer.echo("| " + " | ".join(_fmt(row.get(c)) for c in columns) + " |")


def _fmt(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def set_threads(value: str) -> int:
    """Apply ``--threads``: a number, or ``auto``: ``OMP_NUM_THREADS`` when it is set (the user's
    or a launcher's choice: ``accelerate launch`` / ``torchrun`` set it per process), otherwise
    every core on an idle machine shared among the processes of a multi-process launch
    (``LOCAL_WORLD_SIZE``) but 1 thread when the load average already fills the cores (OpenMP
    threads that share busy cores spin at their barriers: a 4 s clip took 109 s with 2 threads
    against 17 s with 1 on a loaded 2-core machine). Returns the thread count set."""
    import os

    import torch

    from genav.errors import InputError

    if value == "auto":
        cores = os.cpu_count() or 1
        busy = hasattr(os, "getloadavg") and os.getloadavg()[0] >= cores
        chosen = os.environ.get("OMP_NUM_THREADS", "")
        launched = os.environ.get("LOCAL_WORLD_SIZE", "")
        processes = int(launched) if launched.isdigit() and int(launched) > 0 else 1
        threads = int(chosen) if chosen.isdigit() and int(chosen) > 0 else 1 if busy else max(1, cores // processes)
    else:
        try:
            threads = int(value)
        except ValueError:
            raise InputError(f"--threads must be 'auto' or a number, got {value!r}") from None
        if threads < 1:
            raise InputError(f"--threads must be at least 1, got {threads}")
    torch.set_num_threads(threads)
    return threads


# -- option checks: everything a command is given is checked before any model loads ----------------
SEED_RANGE = (0, 2**63 - 1)


def check_steps(steps: int) -> None:
    """``--steps``: a whole number from 1 to :data:`genav.sampling.checks.MAX_STEPS`."""
    from genav.sampling.checks import check_num_steps

    check_num_steps(steps, "--steps")


def check_scale(flag: str, value: float | None) -> None:
    """A guidance scale: finite and >= 0 (None: not given)."""
    from genav.sampling.checks import check_guidance_scale

    check_guidance_scale(flag, value)


def check_seed(seed: int | None, where: str = "--seed") -> None:
    from genav.errors import InputError

    if seed is not None and not SEED_RANGE[0] <= seed <= SEED_RANGE[1]:
        raise InputError(f"{where} must be in {SEED_RANGE[0]}..{SEED_RANGE[1]}, got {seed}")


def check_prompt(flag: str, prompt: str | None) -> None:
    from genav.errors import InputError

    if prompt is not None and not prompt.strip():
        raise InputError(f"{flag} is empty: describe the sound")


def check_runtime(method: str, device: str, dtype: str, num_outputs: int) -> None:
    """Solver, device (it must exist here), dtype and output count."""
    from genav.errors import InputError
    from genav.runtime import select_device, select_dtype
    from genav.sampling import METHODS

    if method not in METHODS:
        raise InputError(f"--method must be one of {', '.join(METHODS)}, got {method!r}")
    if num_outputs < 1:
        raise InputError(f"--num-outputs must be at least 1, got {num_outputs}")
    select_dtype(dtype, select_device(device))


def mix_gain_to_attenuation(gain_db: float | None) -> float | None:
    """``--mix-original`` is the original sound's gain in dB (<= 0); the mux takes an attenuation."""
    import math

    from genav.errors import InputError

    if gain_db is None:
        return None
    if not (math.isfinite(gain_db) and gain_db <= 0):
        raise InputError(
            f"--mix-original is the clip's own sound's gain in dB and must be finite and <= 0 "
            f"(e.g. -12 for 12 dB under the new sound, 0 for the same level), got {gain_db:g}"
        )
    return -gain_db


def exit_on_failed_clips(report: dict[str, Any]) -> None:
    """End an evaluation whose report lists failed clips as a one-line error naming the first
    failure and its reason (the table above lists them all); nothing happens without failures."""
    if not report.get("n_failed"):
        return
    first = next((row for row in report.get("clips", []) if row.get("error")), None)
    reason = f" (first: {first['name']}: {first['error']})" if first else ""
    typer.echo(f"genav: error: {report['n_failed']} of {report['n_clips']} clips failed{reason}", err=True)
    raise typer.Exit(code=1)
