"""`genav bench startup`: how long `genav --help` takes, and that it does not import torch."""

from __future__ import annotations

import typer

from genav.cli.common import echo_table, emit_json

# Runs in a fresh interpreter (measure_in_fresh_process): the CLI's own import and --help time.
_HELP = """
import sys, time
t0 = time.perf_counter()
from genav.cli.app import app
from typer.testing import CliRunner
r = CliRunner().invoke(app, ['--help'])
result = {"exit_code": r.exit_code, "help_in_process_s": time.perf_counter() - t0,
          "torch_imported": "torch" in sys.modules, "has_commands": "Commands" in r.output}
"""


def bench_startup(repeats: int = 5) -> dict:
    """Time ``python -m genav --help`` as a user runs it (a new interpreter each time, ``repeats``
    times: median and best wall seconds) and, in one more fresh process, the import + ``--help``
    time alone and whether torch was imported (it must not be: the CLI stays quick to start).

    Raises:
        GenavError: ``--help`` failed.
    """
    import statistics
    import subprocess
    import sys
    import time

    from genav.bench.attention import machine_info
    from genav.bench.measure import measure_in_fresh_process
    from genav.errors import GenavError

    walls = []
    for _ in range(max(1, repeats)):
        t0 = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "genav", "--help"], capture_output=True, text=True)
        walls.append(time.perf_counter() - t0)
        if proc.returncode != 0:
            raise GenavError(f"genav --help failed: {proc.stderr.strip().splitlines()[-1:]}")
    inner = measure_in_fresh_process(_HELP, what="--help benchmark")
    return {
        "repeats": len(walls),
        "help_wall_s_median": round(statistics.median(walls), 3),
        "help_wall_s_best": round(min(walls), 3),
        "help_in_process_s": round(inner["help_in_process_s"], 3),
        "torch_imported": inner["torch_imported"],
        "has_commands": inner["exit_code"] == 0 and inner["has_commands"],
        "peak_rss_mib": round(inner["python_kib"] / 1024, 1),
        "machine": machine_info(),
    }


def register(app: typer.Typer) -> None:
    @app.command("startup")
    def bench_startup_command(
        repeats: int = typer.Option(5, "--repeats", min=1, help="Fresh `genav --help` runs (median, best)."),
        as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    ) -> None:
        """Time `genav --help` in fresh processes; report whether it imports torch."""
        result = bench_startup(repeats)
        if as_json:
            emit_json(result)
        else:
            flat = {k: v for k, v in result.items() if not isinstance(v, dict)}
            echo_table([flat], list(flat))
