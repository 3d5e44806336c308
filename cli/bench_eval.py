"""`genav bench eval`: `genav eval av-align` side by side with one process of the reference computation."""

from __future__ import annotations

from pathlib import Path

import typer

_COLUMNS = ["side", "wall_s", "cpu_s", "cores_used", "peak_rss_mb", "speedup", "mean_score"]


def register(app: typer.Typer) -> None:
    app.command("eval")(bench_eval_command)


def bench_eval_command(
    n: int = typer.Option(12, "--n", min=1, help="Number of synthetic clips."),
    seconds: float = typer.Option(4.0, "--seconds", min=1.0, max=60.0, help="Clip length."),
    width: int = typer.Option(640, "--width", help="Frame width (even, 32..1024)."),
    height: int = typer.Option(360, "--height", help="Frame height (even, 32..1024)."),
    fps: int = typer.Option(25, "--fps", min=8, max=30, help="Frame rate."),
    workers: int | None = typer.Option(
        None, "--workers", min=1, help="genav's processes (default: all cores)."
    ),
    repeats: int = typer.Option(1, "--repeats", min=1, help="Turns of the three sides (medians)."),
    json_out: Path | None = typer.Option(None, "--json", help="Also write the JSON result here."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace an existing --json output."),
) -> None:
    """Time AV-Align (protocols reference and genav) against one process of the reference
    script's computation on the same clips: wall and CPU time, peak memory, speed ratios."""
    from genav.bench.eval import bench_eval
    from genav.cli.common import echo_table, emit_json
    from genav.media.atomic import check_output_path

    if json_out is not None:
        check_output_path(json_out, overwrite=overwrite)
    result = bench_eval(
        n, seconds=seconds, width=width, height=height, fps=fps, workers=workers, repeats=repeats
    )
    if json_out is not None:
        emit_json(result, json_out)
    speed = {"reference_script": 1.0, "genav_reference": result["speedup"]["reference"],
             "genav_genav": result["speedup"]["genav"]}  # fmt: skip
    rows = [{"side": side, **{k: result[side][k] for k in ("wall_s", "cpu_s", "cores_used", "peak_rss_mb")},
             "speedup": speed[side], "mean_score": result["mean_score"][side]} for side in speed]  # fmt: skip
    echo_table(rows, _COLUMNS)
    clips = result["clips"]
    typer.echo(
        f"\n{clips['n']} clips of {clips['seconds']:g} s, {clips['width']}x{clips['height']} at {clips['fps']} fps; "
        f"{result['machine']}; genav workers: {result['workers']}"
    )
    typer.echo(
        f"speed vs one process of the reference script: protocol reference {result['speedup']['reference']}x, "
        f"protocol genav {result['speedup']['genav']}x (CPU time: {result['speedup_cpu']['reference']}x, "
        f"{result['speedup_cpu']['genav']}x); scores equal to the script's: {result['scores_equal']}"
    )
    typer.echo(f"note: {result['note']}")
