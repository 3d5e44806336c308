"""House rules checked on every run: lint clean and one-way imports."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def test_import_direction():
    exe = shutil.which("lint-imports")
    if exe is None:
        pytest.fail("import-linter is not installed (pip install -e '.[dev]')")
    proc = subprocess.run([exe], capture_output=True, text=True, cwd=REPO)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-1000:]


def test_ruff_clean():
    proc = subprocess.run([sys.executable, "-m", "ruff", "check", "."], capture_output=True, text=True, cwd=REPO)
    assert proc.returncode == 0, proc.stdout[-3000:]


def test_ci_runs_the_readme_test_command_with_durations():
    readme = (REPO / "README.md").read_text()
    command = next(line for line in readme.splitlines() if line.endswith("python -m pytest --durations=25"))
    assert command in (REPO / ".ci" / "run").read_text().splitlines()
