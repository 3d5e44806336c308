"""The attention benchmark: honest peak memory, linear chunked memory, math skipped over budget, CLI."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from genav.attention.backends import chunk_rows
from genav.bench.attention import MIB, bench_attention, memory_growth, working_set_bytes
from genav.errors import BackendUnavailableError

FAST = {"memory_budget_bytes": 300 * MIB, "repeats": 1, "time_budget_s": 0.1, "isolate": False}


def test_chunked_working_set_is_linear_in_length() -> None:
    lengths = [2**p for p in range(8, 18)]  # 256 .. 131072
    sets = [working_set_bytes("chunked", 1, n, n, 8, 8, 64, 4) for n in lengths]
    for i in range(1, len(lengths)):
        assert sets[i] <= sets[i - 1] * (lengths[i] / lengths[i - 1]) * 1.0001, lengths[i]
    maths = [working_set_bytes("math", 1, n, n, 8, 8, 64, 4) for n in lengths]
    assert maths[-1] / maths[-2] > 3.9  # the reference is quadratic
    assert chunk_rows(1, 8, 10, 16384) == 10 and chunk_rows(1, 8, 10**6, 10**6) == 2


def test_measured_peaks_are_reported_and_math_skipped_over_budget() -> None:
    # Cases share a worker process; math at 4096 would need 512 MiB of scores > the 300 MiB budget.
    # How close the peaks come to the analytic working set depends on the machine's allocator:
    # tests/benchmarks checks that (and the growth exponents) on the same run.
    rows = bench_attention((512, 1024, 4096), backends=["chunked", "math"], **FAST)
    by = {(r["backend"], r["length"]): r for r in rows}
    skipped = by[("math", 4096)]
    assert skipped["status"] == "skipped" and "exceeds the memory budget" in skipped["reason"]
    for r in rows:
        if r["status"] == "ok":
            assert r["time_ms"] > 0 and r["runs"] == 1 and r["memory_method"].startswith("peak RSS")
            assert r["peak_mib"] > 0 and r["expected_mib"] > 0
    assert set(memory_growth(rows)) == {"chunked", "math"}


def test_explicit_backend_that_cannot_run_is_an_error() -> None:
    with pytest.raises(BackendUnavailableError, match="backends that can run: sdpa, chunked, math"):
        bench_attention((64,), backends=["xformers"])


def test_memory_growth_exponent() -> None:
    quadratic = [(100, 10.0), (200, 40.0), (400, 160.0)]
    rows = [{"backend": "q", "length": n, "status": "ok", "peak_mib": p} for n, p in quadratic]
    rows += [
        {"backend": "lin", "length": n, "status": "ok", "peak_mib": p} for n, p in [(100, 5.0), (1000, 50.0)]
    ]
    rows.append({"backend": "lin", "length": 4000, "status": "skipped", "peak_mib": None})
    rows.append({"backend": "one", "length": 10, "status": "ok", "peak_mib": 3.0})
    assert memory_growth(rows) == {"q": 2.0, "lin": 1.0, "one": None}


def test_cli_table_and_json() -> None:
    from genav.cli.app import app

    runner = CliRunner()
    result = runner.invoke(
        app,
        [
            "bench",
            "attention",
            "--lengths",
            "2048,1024",
            "--backends",
            "math",
            "--memory-budget-mib",
            "1",
            "--repeats",
            "1",
        ],
    )
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("| backend | length | status | time_ms")
    # no worker runs: both are over the budget (the JSON run below measures a real case)
    assert lines[2].startswith("| math | 1024 | skipped |") and "memory budget 1 MiB" in lines[2]
    assert lines[3].startswith("| math | 2048 | skipped |") and "score matrix 128 MiB" in lines[3]
    assert "machine:" in result.output and "growth exponent" in result.output

    result = runner.invoke(
        app,
        [
            "bench",
            "attention",
            "--json",
            "--lengths",
            "16",
            "--backends",
            "sdpa",
            "--dtype",
            "bfloat16",
            "--repeats",
            "1",
        ],
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["settings"]["dtype"] == "bfloat16" and data["machine"]["cores"] >= 1
    (row,) = data["results"]
    assert row["backend"] == "sdpa" and row["status"] == "ok" and row["peak_mib"] >= 0


def test_cli_bad_lengths_is_a_user_error() -> None:
    from genav.cli.app import app
    from genav.errors import InputError

    result = CliRunner().invoke(app, ["bench", "attention", "--lengths", "0,5"])
    assert isinstance(result.exception, InputError)  # main() prints it as one `genav: error:` line
    assert str(result.exception) == "--lengths must be positive integers, got '0,5'"
