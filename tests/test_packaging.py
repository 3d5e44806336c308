"""The wheel holds only `genav`, with pipelines/cli/checkpoints inside it, and the entry point."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-w", str(out), str(REPO)],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    (path,) = out.glob("genav-*.whl")
    return path


def test_only_genav_at_top_level(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    tops = {n.split("/")[0] for n in names if not n.split("/")[0].endswith((".dist-info", ".data"))}
    assert tops == {"genav"}


def test_every_subpackage_present(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    root = REPO / "genav"
    packages = {
        Path(d).relative_to(root).as_posix()
        for d, _, files in os.walk(root, followlinks=True)
        if "__init__.py" in files and "__pycache__" not in d
    }
    for pkg in ["cli", "pipelines", "checkpoints", "media", "attention"]:
        assert pkg in packages
    for pkg in packages:
        prefix = "genav" if pkg == "." else f"genav/{pkg}"
        assert f"{prefix}/__init__.py" in names, prefix


def test_entry_point_resolves(wheel):
    zf = zipfile.ZipFile(wheel)
    (ep,) = [n for n in zf.namelist() if n.endswith("entry_points.txt")]
    text = zf.read(ep).decode()
    assert "genav = genav.cli.app:main" in text
    assert "genav/cli/app.py" in zf.namelist()


def test_package_data_travels(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "genav/checkpoints/examples/silent_clip.mp4" in names
    assert "genav/pipelines/recipes/foley-tiny.json" in names
    for folder in (REPO / "checkpoints").iterdir():
        if (folder / "config.json").exists():
            assert f"genav/checkpoints/{folder.name}/model.safetensors" in names
