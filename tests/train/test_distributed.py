"""Two processes on the CPU (gloo), started by ``accelerate launch``: train, checkpoint, get killed,
resume -- and end with the weights of a run that was never interrupted."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
import torch

from genav.checkpoint import load_safetensors

REPO = Path(__file__).resolve().parents[2]
STEPS = 40


def _launch(recipe: Path, out: Path, cache: Path, *extra: str) -> list[str]:
    return [
        # --multi_gpu is accelerate's torchrun launcher; without a GPU it starts CPU processes on gloo
        # (--cpu alone would start a single process whatever --num_processes says).
        sys.executable,
        "-m",
        "accelerate.commands.launch",
        "--multi_gpu",
        "--num_processes",
        "2",
        "--num_machines",
        "1",
        "--mixed_precision",
        "no",
        "--dynamo_backend",
        "no",
        "-m",
        "genav",
        "train",
        "foley",
        "--recipe",
        str(recipe),
        "--out",
        str(out),
        "--cache-dir",
        str(cache),
        "--steps",
        str(STEPS),
        *extra,
    ]


def _env() -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "OMP_NUM_THREADS": "1",
        "GENAV_DEBUG": "1",
        "CUDA_VISIBLE_DEVICES": "",
    }


def _run(cmd: list[str]) -> str:
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO, env=_env(), timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stderr


def _kill_after_checkpoint(cmd: list[str], checkpoints: Path, step: int) -> None:
    """Start ``cmd`` and SIGKILL it and every process under it once checkpoint ``step`` is committed,
    as a lost machine would (torchrun starts its workers in sessions of their own, so killing the
    launcher's process group alone leaves them training on)."""
    proc = subprocess.Popen(
        cmd, cwd=REPO, env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True
    )
    deadline = time.monotonic() + 900
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            latest = checkpoints / "latest"
            if latest.exists() and latest.read_text().strip() >= f"step-{step:06d}":
                break
            time.sleep(0.05)
    finally:
        workers = psutil.Process(proc.pid).children(recursive=True)
        proc.kill()
        for p in workers:
            with contextlib.suppress(psutil.NoSuchProcess):
                p.kill()
        psutil.wait_procs(workers, timeout=60)  # not the launcher: its exit status is Popen's to read
        proc.wait()
    assert proc.returncode == -signal.SIGKILL, "the run ended before it could be killed"


@pytest.mark.slow
def test_two_process_run_killed_and_resumed_equals_uninterrupted(tmp_path: Path) -> None:
    recipe = json.loads((REPO / "pipelines" / "recipes" / "foley-debug.json").read_text())
    recipe.update(ckpt_every=10, val_every=20, val_samples=0)
    recipe["data"]["num_workers"] = 1  # DataLoader workers under DDP too
    path = tmp_path / "recipe.json"
    path.write_text(json.dumps(recipe))
    cache = tmp_path / "cache"
    straight, killed = tmp_path / "straight", tmp_path / "killed"
    _run(_launch(path, straight, cache, "--quiet"))
    _kill_after_checkpoint(_launch(path, killed, cache, "--quiet"), killed / "train" / "checkpoints", 10)
    assert not (killed / "model.safetensors").exists()
    log = _run(_launch(path, killed, cache, "--resume"))
    assert "training on 2 processes (MULTI_CPU)" in log, log[-2000:]
    resumed = [line for line in log.splitlines() if line.startswith("resumed from")]
    assert resumed and int(resumed[0].rsplit("step ", 1)[1].rstrip(")")) >= 10, log[-2000:]
    for name in ("model.safetensors", f"train/checkpoints/step-{STEPS:06d}/model.safetensors"):
        a, b = load_safetensors(straight / name), load_safetensors(killed / name)
        assert a.keys() == b.keys() and a
        for k in a:
            torch.testing.assert_close(a[k], b[k], rtol=0, atol=1e-6, msg=f"{name}: {k}")
    rows = [json.loads(x)["step"] for x in (killed / "train" / "metrics.jsonl").read_text().splitlines()]
    assert rows == [
        json.loads(x)["step"] for x in (straight / "train" / "metrics.jsonl").read_text().splitlines()
    ]


@pytest.mark.slow
def test_two_process_run_into_a_busy_folder_stops_on_every_rank(tmp_path: Path) -> None:
    """The main process finds the folder locked and tells the other rank, so neither waits for the
    other at a barrier: the launch ends at once with the one-line error."""
    from tests.train.test_run_lock import _hold_in_other_process

    recipe = json.loads((REPO / "pipelines" / "recipes" / "foley-debug.json").read_text())
    path = tmp_path / "recipe.json"
    path.write_text(json.dumps(recipe))
    out = tmp_path / "busy"
    holder = _hold_in_other_process(out / "train")
    try:
        env = {**_env(), "GENAV_DEBUG": "0"}  # the one-line error, not a traceback
        proc = subprocess.run(_launch(path, out, tmp_path / "cache"), capture_output=True, text=True, cwd=REPO,
                              env=env, timeout=300)  # fmt: skip
    finally:
        holder.kill()
        holder.wait()
    assert proc.returncode != 0
    assert proc.stderr.count("genav: error: another training run is writing to") == 2, proc.stderr[-3000:]
    assert not (out / "train" / "checkpoints").exists()
