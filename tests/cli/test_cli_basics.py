from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

PY = [sys.executable, "-m", "genav"]


def run(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([*PY, *args], capture_output=True, text=True, env={**os.environ, **(env or {})})


def test_help_imports_no_torch():
    # The time it takes is machine-dependent: `genav bench startup` measures it (tests/benchmarks).
    from genav.cli.bench_startup import bench_startup

    result = bench_startup(repeats=1)
    assert result["torch_imported"] is False, "torch imported by --help"
    assert result["has_commands"] and result["help_wall_s_median"] > 0


def test_version():
    from genav import __version__

    proc = run("--version")
    assert proc.returncode == 0 and proc.stdout.strip() == f"genav {__version__}"


def test_info_json():
    proc = run("info", "--json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["devices"][-1] == "cpu"
    assert data["attention_backends"]["math"] == "ok"
    assert data["attention_backends"]["xformers"] != "ok"  # no CUDA on CI machines
    assert os.path.exists(data["ffmpeg"]["path"])


def test_user_error_is_one_line_and_traceback_only_with_debug():
    proc = run("models", "info", "debug-no-such-model")
    assert proc.returncode == 1
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("genav: error: unknown model")
    proc = run("models", "info", "debug-no-such-model", env={"GENAV_DEBUG": "1"})
    assert proc.returncode != 0 and "Traceback" in proc.stderr


@pytest.mark.parametrize("name", ["cli", "pipelines", "checkpoints"])
def test_mapped_folders_refuse_their_bare_names(name):
    from pathlib import Path

    repo = Path(__file__).resolve().parents[2]
    proc = subprocess.run([sys.executable, "-c", f"import {name}"], capture_output=True, text=True, cwd=repo)
    assert proc.returncode != 0 and f"import genav.{name}" in proc.stderr


def test_generation_commands_share_their_run_options():
    """t2a, v2a, t2v and a2v take the same sampling/runtime options from one place (a2v with its own
    --cfg default), and a command receives them as one RunOptions."""
    import inspect

    from genav.cli.generate import RunOptions, t2a, v2a, with_run_options
    from genav.cli.generate_video import a2v, t2v

    shared = [f for f in RunOptions.__dataclass_fields__]
    for command in (t2a, v2a, t2v, a2v):
        params = inspect.signature(command).parameters
        assert list(params)[-len(shared):] == shared and "run" not in params
    assert inspect.signature(a2v).parameters["cfg"].default.default == 3.0
    assert inspect.signature(t2v).parameters["cfg"].default.default == 4.5

    seen = {}

    @with_run_options()
    def probe(prompt: str = "x", run: RunOptions = None) -> None:
        seen.update(prompt=prompt, run=run)

    defaults = {k: 0 for k in shared}
    probe(prompt="p", **defaults)
    assert seen["prompt"] == "p" and seen["run"] == RunOptions(**defaults)
