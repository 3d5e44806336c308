"""The MM-DiT attention-kernel check: runs on the CPU's flash kernel, skips what cannot run; the
CUDA script skips cleanly without a GPU."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import torch

from genav.bench.kernels import bench_mmdit_kernels
from genav.models import debug_config

REPO = Path(__file__).resolve().parents[2]


def test_kernels_agree_and_unavailable_ones_are_skipped() -> None:
    rows = {
        r["kernel"]: r
        for r in bench_mmdit_kernels(
            debug_config(), seconds=0.8, batch=3, device="cpu", dtype="float32", repeats=1
        )
    }
    assert rows["flash"]["status"] == "ok" and rows["math"]["status"] == "ok"  # mask=None: flash can run
    assert rows["math"]["loss"] == pytest.approx(rows["flash"]["loss"], abs=1e-5)
    assert rows["math"]["max_grad_diff"] < 1e-5
    assert rows["xformers"]["status"] == "skipped" and "CUDA" in rows["xformers"]["reason"]
    if not torch.cuda.is_available():
        assert rows["mem-efficient"]["status"] == "skipped"


@pytest.mark.skipif(torch.cuda.is_available(), reason="runs the real check on a GPU")
def test_cuda_check_skips_cleanly_without_a_gpu() -> None:
    proc = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "cuda_check.py")], capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0 and proc.stdout.strip() == "skipped: no CUDA", proc.stderr
