"""`genav bench media`: streaming read of a long 720p clip (time and peak memory)."""

from __future__ import annotations

import typer

from genav.cli.common import echo_table, emit_json


def register(app: typer.Typer) -> None:
    @app.command("media")
    def bench_media(
        minutes: float = typer.Option(10.0, "--minutes", help="Length of the generated 720p test clip."),
        fps: float = typer.Option(8.0, "--fps", help="Frame rate to read at."),
        size: int = typer.Option(64, "--size", help="Square frame size to read at."),
        repeats: int = typer.Option(3, "--repeats", min=1, help="Reads of each reader, taking turns (medians)."),
        as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    ) -> None:
        """Read a long 720p clip as a stream at low fps/size; report time and peak RSS, next to the
        ffmpeg binary's own pipe on the same clip."""
        from genav.bench.media import bench_stream_read

        result = bench_stream_read(minutes=minutes, fps=fps, size=(size, size), repeats=repeats)
        if as_json:
            emit_json(result)
        else:
            flat = {f"{k}.{sub}" if isinstance(v, dict) else k: x for k, v in result.items()
                    for sub, x in (v.items() if isinstance(v, dict) else [(None, v)])}  # fmt: skip
            echo_table([{"measure": k, "value": v} for k, v in flat.items()], ["measure", "value"])
