"""Batches split over processes (``RANK``/``WORLD_SIZE`` as ``accelerate launch`` sets them): each
item made once, by the process the sidecar names, the same bytes as one process makes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from genav.errors import InputError
from tests.cli.conftest import FAST, make_clip
from tests.cli.test_generate import genav

REPO = Path(__file__).resolve().parents[2]


def _clips(folder: Path, n: int) -> Path:
    for k in range(n):
        make_clip(folder / f"clip{k:02d}.mp4", seconds=1.0, seed=k)
    return folder


def _by_process(out: Path) -> dict[int, list[str]]:
    found: dict[int, list[str]] = {}
    for sidecar in sorted(out.glob("*.mp4.json")):
        data = json.loads(sidecar.read_text())
        found.setdefault(data["process_index"], []).append(sidecar.name.removesuffix(".json"))
        assert data["num_processes"] == 2
    return found


def test_processes_share_a_folder_and_resume(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    src = _clips(tmp_path / "videos", 3)
    whole = genav("foley", str(src), "-o", str(tmp_path / "one"), *FAST)
    assert whole.returncode == 0, whole.stderr
    monkeypatch.setenv("WORLD_SIZE", "2")
    for rank in (1, 0):
        monkeypatch.setenv("RANK", str(rank))
        part = genav("foley", str(src), "-o", str(tmp_path / "two"), *FAST)
        assert part.returncode == 0, part.stderr
    assert _by_process(tmp_path / "two") == {0: ["clip00.mp4", "clip02.mp4"], 1: ["clip01.mp4"]}
    for k in range(3):
        name = f"clip{k:02d}.mp4"
        assert (tmp_path / "two" / name).read_bytes() == (tmp_path / "one" / name).read_bytes()
    again = genav("foley", str(src), "-o", str(tmp_path / "two"), *FAST)  # a rerun resumes: nothing left
    assert again.returncode == 0 and "done 0, skipped 2" in again.stderr
    monkeypatch.setenv("RANK", "2")
    with pytest.raises(InputError, match="RANK 2 is not in 0..WORLD_SIZE-1"):
        genav("foley", str(src), "-o", str(tmp_path / "x"), *FAST)


@pytest.mark.slow
def test_accelerate_launch_two_processes_over_twelve_clips(tmp_path: Path) -> None:
    src = _clips(tmp_path / "videos", 12)
    env = {**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1", "CUDA_VISIBLE_DEVICES": ""}
    env.pop("RANK", None), env.pop("WORLD_SIZE", None)
    launch = [
        sys.executable,
        "-m",
        "accelerate.commands.launch",
        "--num_machines",
        "1",
        "--mixed_precision",
        "no",
        "--dynamo_backend",
        "no",
    ]
    for mode, out in (("--cpu", "one"), ("--multi_gpu", "two")):  # --multi_gpu: torchrun's launcher, CPU here
        cmd = [
            *launch,
            mode,
            "--num_processes",
            "1" if out == "one" else "2",
            "-m",
            "genav",
            "foley",
            str(src),
            "-o",
            str(tmp_path / out),
            *FAST,
        ]
        proc = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO, env=env, timeout=900)
        assert proc.returncode == 0, proc.stderr[-3000:]
    two = _by_process(tmp_path / "two")
    assert sorted(two) == [0, 1] and [len(v) for v in two.values()] == [6, 6]
    assert sorted(two[0] + two[1]) == sorted(p.name for p in src.glob("*.mp4"))
    for name in two[0] + two[1]:
        assert (tmp_path / "two" / name).read_bytes() == (tmp_path / "one" / name).read_bytes(), name
