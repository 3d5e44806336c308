"""The ``genav`` command. Heavy imports (torch, models) happen inside commands so --help is fast."""

from __future__ import annotations

import os
import sys

import typer

from genav import __version__
from genav.cli import bench, data, eval, generate, generate_video, info, models, train

app = typer.Typer(
    name="genav",
    help="Generative audio-video-text synthesis: sound for silent clips, text-to-audio, "
    "audio-to-video, and the evaluators to measure them.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"genav {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Print the version."),
) -> None:
    """genav: generative audio-video-text synthesis."""


info.register(app)
generate.register(app)
generate_video.register(app)
models.register(app)
app.add_typer(bench.app, name="bench", help="Benchmarks: attention, sampling, media, startup, ...")
app.add_typer(data.app, name="data", help="Data: the synthetic audio-visual world.")
app.add_typer(eval.app, name="eval", help="Evaluators: AV-Align, KLD, FAD/FD, IS.")
app.add_typer(train.app, name="train", help="Training recipes.")


def main() -> None:
    """Entry point: user errors print as one line; a traceback only with GENAV_DEBUG=1."""
    from genav.errors import GenavError

    debug = os.environ.get("GENAV_DEBUG", "") not in ("", "0")
    try:
        app(prog_name="genav")
    except GenavError as exc:
        if debug:
            raise
        typer.echo(f"genav: error: {exc}", err=True)
        sys.exit(1)
    except KeyboardInterrupt:
        typer.echo("genav: interrupted", err=True)
        sys.exit(130)
    except Exception as exc:  # noqa: BLE001 - the CLI must answer in one line
        if debug:
            raise
        typer.echo(
            f"genav: error: {type(exc).__name__}: {exc} (set GENAV_DEBUG=1 for a traceback)", err=True
        )
        sys.exit(1)
