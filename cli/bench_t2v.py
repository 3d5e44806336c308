"""`genav bench t2v` / `genav bench a2v`: seconds per generated second of video and peak memory."""

from __future__ import annotations

import typer

from genav.cli.common import echo_table, emit_json


def register(app: typer.Typer) -> None:
    @app.command("t2v")
    def bench_t2v_command(
        model: str = typer.Option("genav-t2v-tiny", "--model", "-m", help="Model name or folder."),
        seconds: float = typer.Option(4.0, "--seconds", help="Seconds of video to generate."),
        steps: int = typer.Option(25, "--steps", "--num-steps"),
        cfg: float = typer.Option(4.5, "--cfg", "--guidance-scale"),
        size: int = typer.Option(0, "--size", help="Frame height and width (0: the model's)."),
        device: str = typer.Option("cpu", "--device"),
        threads: int = typer.Option(0, "--threads", help="torch threads (0: torch's default)."),
        as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    ) -> None:
        """Time text-to-video in a fresh process: s per generated second, phases, peak memory."""
        from genav.bench.video import bench_t2v

        result = bench_t2v(model, seconds=seconds, num_steps=steps, guidance_scale=cfg, device=device,
                           threads=threads, size=size)
        _report(result, as_json)

    @app.command("a2v")
    def bench_a2v_command(
        model: str = typer.Option("genav-a2v-tiny", "--model", "-m", help="Model name or adaptor folder."),
        seconds: float = typer.Option(4.0, "--seconds", help="Seconds of sound (a click track) to turn into video."),
        steps: int = typer.Option(25, "--steps", "--num-steps"),
        cfg: float = typer.Option(3.0, "--cfg", "--guidance-scale", help="Audio guidance scale."),
        size: int = typer.Option(0, "--size", help="Frame height and width (0: the backbone's)."),
        device: str = typer.Option("cpu", "--device"),
        threads: int = typer.Option(0, "--threads", help="torch threads (0: torch's default)."),
        as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    ) -> None:
        """Time audio-to-video in a fresh process: s per generated second, phases, peak memory."""
        from genav.bench.video import bench_a2v

        result = bench_a2v(model, seconds=seconds, num_steps=steps, guidance_scale=cfg, device=device,
                           threads=threads, size=size)
        _report(result, as_json)


def _report(result: dict, as_json: bool) -> None:
    """The benchmark as JSON, or as two tables (totals, then seconds per phase)."""
    if as_json:
        emit_json(result)
        return
    flat = {k: v for k, v in result.items() if not isinstance(v, dict)}
    echo_table([flat], list(flat))
    echo_table([result["phases_s"]], list(result["phases_s"]))
