"""Time and peak memory of each attention backend across sequence lengths.

Memory is measured honestly per case (:class:`genav.bench.measure.PeakMemory`):

- **CPU**: each case runs in a fresh worker process (``python -m genav.bench.attention <cases>``).
  After building its inputs and a tiny warm-up call (thread pools, kernel caches), the worker
  resets the kernel's peak-RSS counter
  (``/proc/self/clear_refs`` <- ``5``, Linux >= 4.0), runs the case once and reports
  ``VmHWM - VmRSS_before``: every page the call touched, whoever allocated it (torch, oneDNN,
  OpenMP). The worker runs with glibc's mmap threshold fixed at 1 MiB (``MALLOC_MMAP_THRESHOLD_``,
  unless already set), so a freed large buffer goes back to the OS at once; with glibc's adaptive
  default the peak also depended on heap reuse and varied by up to two score blocks from run to
  run. With ``isolate=False`` the cases share one worker, shortest first (large buffers a case
  freed are gone before the next starts, smaller ones may be reused). Where the counter cannot be
  reset, the peak is ``ru_maxrss`` above the baseline RSS, an upper bound, and cases never share
  a worker (``memory_method`` says which).
- **CUDA**: in process, ``torch.cuda.max_memory_allocated`` above ``memory_allocated`` before.

Time is the best of up to ``repeats`` calls after the measured one (the machine is shared; the
minimum is the least disturbed), stopping early once ``time_budget_s`` is spent.
"""

from __future__ import annotations

import gc
import json
import math
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from genav.bench.measure import PeakMemory, peak_resettable
from genav.errors import BackendUnavailableError, InputError

DEFAULT_LENGTHS: tuple[int, ...] = (256, 512, 1024, 2048, 4096, 8192, 16384)
DEFAULT_MEMORY_BUDGET = 2**30
MIB = 2**20
_REPO_ROOT = Path(__file__).resolve().parents[2]


def bench_attention(
    lengths: tuple[int, ...] | list[int] = DEFAULT_LENGTHS,
    heads: int = 8,
    dim: int = 64,
    *,
    batch: int = 1,
    backends: list[str] | None = None,
    device: str = "cpu",
    dtype: str = "float32",
    memory_budget_bytes: int = DEFAULT_MEMORY_BUDGET,
    repeats: int = 3,
    time_budget_s: float = 5.0,
    isolate: bool = True,
) -> list[dict[str, Any]]:
    """Benchmark self-attention (N = M = length, no mask) for each backend and length.

    Returns one row per (backend, length): ``backend``, ``length``, ``status`` (ok, skipped,
    error), ``time_ms`` (best of ``runs``), ``runs``, ``peak_mib`` (measured, above the inputs),
    ``expected_mib`` (analytic working set for ``chunked``/``math``, else None), ``reason``.
    ``math`` is skipped when its (B, H, N, N) fp32 score matrix exceeds ``memory_budget_bytes``.
    On CPU, ``isolate=False`` runs all cases in one worker process (faster; buffers under 1 MiB
    that an earlier case freed may be reused uncounted).
    """
    from genav.attention.core import available_backends
    from genav.runtime import select_device, select_dtype

    dev = select_device(device)
    torch_dtype = select_dtype(dtype, dev)
    dtype_name = str(torch_dtype).removeprefix("torch.")
    able = available_backends(dev)
    names = list(backends) if backends else able
    for name in names:
        if name not in able:
            raise BackendUnavailableError(
                f"attention backend {name!r} cannot run on {dev.type}; backends that can run: {', '.join(able)}"
            )
    if not lengths or min(lengths) < 1 or heads < 1 or dim < 1 or batch < 1:
        raise InputError("benchmark lengths, heads, dim and batch must be positive")
    rows, todo = [], []
    for name in names:
        for length in sorted(int(n) for n in lengths):
            case = {
                "backend": name,
                "length": length,
                "heads": heads,
                "dim": dim,
                "batch": batch,
                "device": str(dev),
                "dtype": dtype_name,
                "repeats": repeats,
                "time_budget_s": time_budget_s,
            }
            row = {
                "backend": name,
                "length": length,
                "status": "ok",
                "time_ms": None,
                "runs": 0,
                "peak_mib": None,
                "expected_mib": _expected_mib(case),
                "reason": None,
            }
            scores = batch * heads * length * length * 4
            if name == "math" and scores > memory_budget_bytes:
                row.update(
                    status="skipped",
                    reason=f"score matrix {scores / MIB:.0f} MiB exceeds the "
                    f"memory budget {memory_budget_bytes / MIB:.0f} MiB",
                )
            else:
                todo.append((row, case))
            rows.append(row)
    cases = [case for _, case in todo]
    results = _run_in_workers(cases, isolate) if dev.type == "cpu" else [run_case(case) for case in cases]
    for (row, _), result in zip(todo, results, strict=True):
        row.update(result)
    return rows


def memory_growth(rows: list[dict[str, Any]], floor_mib: float = 1.0) -> dict[str, float | None]:
    """Per backend, the exponent ``p`` of peak ~ length**p: least-squares slope in log-log.

    1 means linear, 2 quadratic. A fit over all lengths, not the worst pair, so a few hundred KiB
    of noise on the smallest case does not read as growth; peaks are floored at ``floor_mib``.
    None where fewer than two lengths were measured.
    """
    out: dict[str, float | None] = {}
    for name in dict.fromkeys(r["backend"] for r in rows):
        points = [
            (math.log(r["length"]), math.log(max(r["peak_mib"], floor_mib)))
            for r in rows
            if r["backend"] == name and r["status"] == "ok" and r["peak_mib"] is not None
        ]
        xs = [x for x, _ in points]
        if len(set(xs)) < 2:
            out[name] = None
            continue
        mx, my = sum(xs) / len(xs), sum(y for _, y in points) / len(points)
        slope = sum((x - mx) * (y - my) for x, y in points) / sum((x - mx) ** 2 for x in xs)
        out[name] = round(slope, 2)
    return out


def machine_info(device: str = "cpu") -> dict[str, Any]:
    """Where the numbers came from: CPU model and cores, torch and its threads, the GPU if used."""
    import platform

    import torch

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    info: dict[str, Any] = {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "torch": torch.__version__,
        "torch_threads": torch.get_num_threads(),
        "platform": platform.platform(),
    }
    if device.startswith("cuda") and torch.cuda.is_available():
        info["gpu"] = torch.cuda.get_device_name(torch.device(device))
    return info


def working_set_bytes(
    backend: str, batch: int, n: int, m: int, heads: int, kv_heads: int, dim: int, itemsize: int
) -> int | None:
    """Analytic extra memory of one call, inputs excluded (``chunked`` and ``math``; else None)."""
    from genav.attention.backends import chunk_rows

    out = batch * n * heads * dim * itemsize
    if backend == "chunked":
        c = chunk_rows(batch, heads, n, m)
        block = batch * heads * c * m  # one (B, H, C, M) score block
        # scores in the input dtype + fp32 probabilities (+ their cast back when not fp32)
        blocks = block * (itemsize + 4 + (itemsize if itemsize != 4 else 0))
        kv_copies = 2 * batch * m * kv_heads * dim * itemsize
        return out + kv_copies + blocks + 3 * batch * c * heads * dim * itemsize  # q chunk x2, o_c
    if backend == "math":
        upcast = 0 if itemsize == 4 else 4 * batch * (n * heads + 2 * m * kv_heads) * dim
        expand = 2 * batch * m * heads * dim * 4 if kv_heads != heads else 0
        # scores and their scaled copy (or probabilities) coexist; fp32 output, then downcast
        return upcast + expand + 2 * batch * heads * n * m * 4 + batch * n * heads * dim * 4 + out
    return None


def _expected_mib(case: dict[str, Any]) -> float | None:
    import torch

    itemsize = torch.empty((), dtype=getattr(torch, case["dtype"])).element_size()
    b, n, h, d = case["batch"], case["length"], case["heads"], case["dim"]
    ws = working_set_bytes(case["backend"], b, n, n, h, h, d, itemsize)
    return None if ws is None else round(ws / MIB, 2)


# ------------------------------------------------------------------------------------- measurement


def run_case(case: dict[str, Any]) -> dict[str, Any]:
    """Run one case in this process and measure it; see the module docstring for how."""
    import torch

    from genav.attention.core import attention

    dev, dt = torch.device(case["device"]), getattr(torch, case["dtype"])
    gen = torch.Generator(device="cpu").manual_seed(0)
    shape = (case["batch"], case["length"], case["heads"], case["dim"])
    q, k, v = (torch.randn(shape, generator=gen).to(dev, dt) for _ in range(3))

    def call(a: torch.Tensor, b: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
        out = attention(a, b, c, backend=case["backend"])
        if dev.type == "cuda":
            torch.cuda.synchronize(dev)
        return out

    call(q[:, :16], k[:, :16], v[:, :16])  # warm-up: thread pools and kernel caches, not per-case memory
    gc.collect()
    try:
        with PeakMemory(dev) as mem:
            out = call(q, k, v)
        del out
        times: list[float] = []
        while len(times) < max(1, case["repeats"]) and (not times or sum(times) < case["time_budget_s"]):
            t0 = time.perf_counter()
            call(q, k, v)
            times.append(time.perf_counter() - t0)
    except (RuntimeError, MemoryError) as exc:  # out of memory, unsupported kernel: report, go on
        return {"status": "error", "reason": f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}"}
    return {
        "status": "ok",
        "time_ms": round(min(times) * 1e3, 3),
        "runs": len(times),
        "peak_mib": round(mem.peak / MIB, 2),
        "memory_method": mem.method,
    }


def _run_in_workers(cases: list[dict[str, Any]], isolate: bool) -> list[dict[str, Any]]:
    """Run ``cases`` in fresh worker processes: one each, or one for all when the peak can be reset."""
    env = dict(
        os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(_REPO_ROOT), os.environ.get("PYTHONPATH")]))
    )
    env.setdefault("MALLOC_MMAP_THRESHOLD_", str(MIB))
    batches = [cases] if not isolate and peak_resettable() else [[case] for case in cases]
    return [result for batch in batches for result in _worker(batch, env)]


def _worker(cases: list[dict[str, Any]], env: dict[str, str]) -> list[dict[str, Any]]:
    """One worker for ``cases``; after a crash the failed case gets an error row and the rest a new worker."""
    results: list[dict[str, Any]] = []
    while len(results) < len(cases):
        rest = cases[len(results) :]
        proc = subprocess.run(
            [sys.executable, "-m", "genav.bench.attention", json.dumps(rest)],
            capture_output=True,
            text=True,
            env=env,
            timeout=1800 * len(rest),
        )
        done = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
        results += done
        if len(done) < len(rest):
            tail = (proc.stderr.strip().splitlines() or [f"exit code {proc.returncode}"])[-1]
            if proc.returncode < 0:
                tail = f"worker killed by signal {-proc.returncode} (out of memory?)"
            results.append({"status": "error", "reason": tail[:200]})
    return results


if __name__ == "__main__":  # the worker: one JSON line per case, written as soon as it is measured
    for _case in json.loads(sys.argv[1]):
        sys.stdout.write(json.dumps(run_case(_case)) + "\n")
        sys.stdout.flush()
