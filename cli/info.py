"""`genav info`: what this environment can do (versions, devices, attention backends, ffmpeg)."""

from __future__ import annotations

import platform
from pathlib import Path

import typer

from genav import __version__
from genav.cli.common import emit_json


def collect_info() -> dict:
    """Environment facts; every probe that fails reports its reason instead of raising."""
    info: dict = {"genav": __version__, "python": platform.python_version(), "platform": platform.platform()}
    try:
        import torch

        from genav.runtime import available_devices

        info["torch"] = torch.__version__
        info["devices"] = available_devices()
        info["cuda"] = torch.cuda.get_device_name(0) if torch.cuda.is_available() else None
        info["threads"] = torch.get_num_threads()
    except Exception as exc:  # noqa: BLE001 - report, don't crash
        info["torch"] = f"unavailable: {exc}"
    try:
        from genav.attention import backend_status

        info["attention_backends"] = backend_status()
    except Exception as exc:  # noqa: BLE001
        info["attention_backends"] = f"unavailable: {exc}"
    try:
        from genav.media import ffmpeg_exe, ffmpeg_version

        info["ffmpeg"] = {"path": ffmpeg_exe(), "version": ffmpeg_version()}
    except Exception as exc:  # noqa: BLE001
        info["ffmpeg"] = f"unavailable: {exc}"
    from genav.pipelines import list_models  # importing pipelines registers the debug-* models

    info["models"] = [e.name for e in list_models()]
    return info


def register(app: typer.Typer) -> None:
    @app.command("info")
    def info_command(
        as_json: bool = typer.Option(False, "--json", help="Print JSON instead of text."),
        out: Path | None = typer.Option(None, "--out", help="Write the JSON to this file."),
    ) -> None:
        """Show genav, torch, devices, attention backends, ffmpeg and the known models."""
        data = collect_info()
        if as_json or out:
            emit_json(data, out)
            return
        for key, value in data.items():
            if isinstance(value, dict):
                typer.echo(f"{key}:")
                for k, v in value.items():
                    typer.echo(f"  {k}: {v}")
            else:
                typer.echo(f"{key}: {value}")
