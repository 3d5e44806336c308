"""`genav bench attention`: time and peak memory of each attention backend across lengths."""

from __future__ import annotations

from pathlib import Path

import typer

from genav.cli.common import echo_table, emit_json

COLUMNS = ["backend", "length", "status", "time_ms", "runs", "peak_mib", "expected_mib", "reason"]


def _int_list(text: str, what: str) -> list[int]:
    from genav.errors import InputError

    try:
        values = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise InputError(f"{what} must be comma-separated integers, got {text!r}") from None
    if not values or min(values) < 1:
        raise InputError(f"{what} must be positive integers, got {text!r}")
    return values


def register(app: typer.Typer) -> None:
    @app.command("attention")
    def attention_command(
        as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a markdown table."),
        out: Path | None = typer.Option(None, "--out", help="Write the JSON to this file (atomic)."),
        lengths: str = typer.Option(
            "256,512,1024,2048,4096,8192,16384", help="Sequence lengths, comma-separated."
        ),
        device: str = typer.Option("auto", help="auto, cpu or cuda."),
        dtype: str = typer.Option(
            "auto", help="auto (float32 on cpu, bfloat16 on cuda), float32, float16, bfloat16."
        ),
        backends: str | None = typer.Option(
            None, help="Comma-separated backends; default: all that can run."
        ),
        heads: int = typer.Option(8, min=1, help="Attention heads."),
        dim: int = typer.Option(64, min=1, help="Head dimension."),
        batch: int = typer.Option(1, min=1, help="Batch size."),
        memory_budget_mib: int = typer.Option(
            1024, min=1, help="Skip `math` when its score matrix exceeds this."
        ),
        repeats: int = typer.Option(3, min=1, help="Timed calls per case (fewer once 5 s are spent)."),
    ) -> None:
        """Time and peak memory per backend and length (self-attention, no mask).

        On CPU each case runs in its own process and peak memory is its peak RSS above the inputs;
        on CUDA it is torch.cuda.max_memory_allocated above the inputs.
        """
        from genav.bench.attention import bench_attention, machine_info, memory_growth
        from genav.runtime import select_device, select_dtype

        dev = select_device(device)
        dtype = str(select_dtype(dtype, dev)).removeprefix("torch.")
        names = [b.strip() for b in backends.split(",") if b.strip()] if backends else None
        rows = bench_attention(
            _int_list(lengths, "--lengths"),
            heads,
            dim,
            batch=batch,
            backends=names,
            device=str(dev),
            dtype=dtype,
            memory_budget_bytes=memory_budget_mib * 2**20,
            repeats=repeats,
        )
        growth = memory_growth(rows)
        settings = {
            "heads": heads,
            "dim": dim,
            "batch": batch,
            "device": str(dev),
            "dtype": dtype,
            "memory_budget_mib": memory_budget_mib,
            "repeats": repeats,
        }
        if as_json or out:
            emit_json(
                {
                    "machine": machine_info(str(dev)),
                    "settings": settings,
                    "results": rows,
                    "memory_growth_exponent": growth,
                },
                out,
            )
            return
        echo_table(rows, COLUMNS)
        machine = machine_info(str(dev))
        typer.echo(
            f"\nmachine: {machine.get('gpu') or machine['cpu']}, {machine['cores']} cores, "
            f"torch {machine['torch']} ({machine['torch_threads']} threads)"
        )
        typer.echo(
            "peak-memory growth exponent, log-log fit over lengths (1 = linear, 2 = quadratic): "
            + ", ".join(f"{k} {v}" for k, v in growth.items())
        )
