"""Importing a benchmark changes nothing: no torch thread setting, no flop formula registered, and
no library package re-exports a benchmark."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
BENCHMARKS = sorted(f"genav.bench.{p.stem}" for p in (REPO / "genav" / "bench").glob("[!_]*.py"))

_PROBE = """
import importlib, json, sys
import torch
from torch.utils import flop_counter
before = (torch.get_num_threads(), torch.get_num_interop_threads(), len(flop_counter.flop_registry))
for name in sys.argv[1:]:
    importlib.import_module(name)
after = (torch.get_num_threads(), torch.get_num_interop_threads(), len(flop_counter.flop_registry))
print(json.dumps({"before": before, "after": after}))
"""


def test_importing_the_benchmarks_changes_no_torch_state() -> None:
    assert "genav.bench.attention" in BENCHMARKS and "genav.bench.av_align" in BENCHMARKS
    modules = [*BENCHMARKS, "genav.pipelines.bench"]
    proc = subprocess.run(
        [sys.executable, "-c", _PROBE, *modules], capture_output=True, text=True, cwd=REPO, check=False
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    state = json.loads(proc.stdout.strip().splitlines()[-1])
    assert state["after"] == state["before"], state


def test_library_packages_do_not_reexport_benchmarks() -> None:
    import genav.eval
    import genav.pipelines

    for package in (genav.eval, genav.pipelines):
        assert not [name for name in package.__all__ if name.startswith("bench")], package.__name__
