"""`genav bench sample`: end-to-end generation speed, per phase, against the machine's matmul speed."""

from __future__ import annotations

import typer

from genav.cli.common import echo_table, emit_json


def register(app: typer.Typer) -> None:
    @app.command("sample")
    def bench_sample_command(
        model: str = typer.Option("debug-foley", "--model", "-m", help="Model name/folder, or the preset 'mmdit-10m'."),
        duration: float = typer.Option(8.0, "--duration", help="Seconds of audio."),
        steps: int = typer.Option(25, "--steps", "--num-steps"),
        cfg: float = typer.Option(4.5, "--cfg", "--guidance-scale"),
        video: bool = typer.Option(True, "--video/--no-video", help="Condition on a generated video (V2A)."),
        device: str = typer.Option("cpu", "--device"),
        dtype: str = typer.Option("float32", "--dtype"),
        attention: str = typer.Option(None, "--attention", help="Attention backend (sdpa, chunked, xformers, ...)."),
        as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    ) -> None:
        """Time one generation: real-time factor, phases, model FLOP/s vs measured matmul FLOP/s."""
        from genav.pipelines.bench import bench_sample

        result = bench_sample(
            model, duration=duration, num_steps=steps, guidance_scale=cfg, device=device, dtype=dtype, video=video, attention=attention
        )
        if as_json:
            emit_json(result)
        else:
            flat = {k: v for k, v in result.items() if not isinstance(v, (dict, list))}
            echo_table([flat], list(flat))
            for value in result.values():
                if isinstance(value, dict):
                    echo_table([value], list(value))
