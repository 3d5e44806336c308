"""The one measurement harness of genav's benchmarks: time, CPU and peak memory, each kind once.

What each number means (Linux; elsewhere the fallbacks named below):

- **own peak** (:func:`own_peak_kib`, ``python_kib``): the largest resident size this process
  reached, ``VmHWM`` of ``/proc/self/status``. Not ``ru_maxrss``: Linux counts a forked child's
  ``ru_maxrss`` from the parent's size at the fork (a measuring parent of 900 MB made a 70 MB
  child read 930 MB). Without /proc it falls back to ``ru_maxrss``, an upper bound.
- **children upper bound** (:func:`children_peak_kib`, ``children_kib``): ``ru_maxrss`` of the
  largest child this process waited for, which includes this process's size at the fork, so an
  upper bound. A measured child can report a tighter number itself by sampling its child's VmHWM
  (:func:`process_peak_kib`).
- **peak above a baseline** (:class:`PeakMemory`, in process): ``VmHWM`` after resetting it
  (``/proc/self/clear_refs`` <- ``5``, Linux >= 4.0) minus ``VmRSS`` at entry, every page touched
  whoever allocated it; where the counter cannot be reset, ``ru_maxrss`` minus the baseline (an
  upper bound); on CUDA ``torch.cuda.max_memory_allocated`` above ``memory_allocated``.
- **sampled tree** (:func:`run_measured`): wall seconds, CPU seconds and the largest sum of the
  resident sizes of a program and all its descendants, sampled every 250 ms from outside (a peak
  shorter than a sample can be missed: a lower bound of the true tree peak).
- **CPU seconds** (:func:`cpu_seconds`): user + system time of this process (all threads) and of
  the children it waited for.

:func:`measure_in_fresh_process` runs Python code in a new interpreter so that its own peak covers
only the measured work, not the caller's history.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from genav.errors import GenavError

__all__ = [
    "PeakMemory",
    "children_peak_kib",
    "cpu_seconds",
    "measure_in_fresh_process",
    "own_peak_kib",
    "peak_resettable",
    "proc_status_kib",
    "process_peak_kib",
    "run_measured",
]

_REPO_ROOT = Path(__file__).resolve().parents[2]  # the folder holding the genav package
_SAMPLE_S = 0.25  # a /proc scan costs ~5 ms of CPU on a busy machine: ~2% of a core


def proc_status_kib(field: str, pid: int | str = "self") -> int:
    """A memory field (``VmRSS``, ``VmHWM``...) of ``/proc/<pid>/status`` in KiB; 0 where the
    process or /proc is gone."""
    try:
        with open(f"/proc/{pid}/status") as fh:
            return next(int(line.split()[1]) for line in fh if line.startswith(field + ":"))
    except (OSError, StopIteration, ValueError):
        return 0


def own_peak_kib() -> int:
    """This process's own peak resident size in KiB (VmHWM; ``ru_maxrss`` where /proc is absent)."""
    return proc_status_kib("VmHWM") or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def children_peak_kib() -> int:
    """Upper bound in KiB of the peak of the largest child this process waited for (its
    ``ru_maxrss``, which counts this process's size at the fork)."""
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss


def process_peak_kib(pid: int) -> int:
    """Peak resident size in KiB so far of the live process ``pid`` (its VmHWM; 0 once it is gone).
    Sample it while the process runs for a child's own peak without the parent's size."""
    return proc_status_kib("VmHWM", pid)


def cpu_seconds() -> float:
    """User + system seconds of this process (all threads) and of the children it waited for."""
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def peak_resettable() -> bool:
    """Reset this process's VmHWM to its current RSS; False where the kernel does not allow it."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


class PeakMemory:
    """Peak memory in bytes (``peak``) above the level at entry, measured in this process.

    CUDA devices: allocator statistics. CPU: VmHWM after a reset minus VmRSS at entry, or, where
    the reset is refused, ``ru_maxrss`` minus VmRSS at entry (an upper bound). ``method`` names
    which one was used.
    """

    def __init__(self, device: Any) -> None:
        self.device, self.peak, self.method, self.base = device, 0, "", 0

    def __enter__(self) -> PeakMemory:
        if self.device.type == "cuda":
            import torch

            torch.cuda.synchronize(self.device)
            torch.cuda.reset_peak_memory_stats(self.device)
            self.base, self.method = torch.cuda.memory_allocated(self.device), "cuda max_memory_allocated"
            return self
        self.base = proc_status_kib("VmRSS") * 1024
        self.method = "peak RSS (VmHWM, reset)" if peak_resettable() else "ru_maxrss (upper bound)"
        return self

    def __exit__(self, *exc: object) -> None:
        if self.device.type == "cuda":
            import torch

            self.peak = torch.cuda.max_memory_allocated(self.device) - self.base
        elif self.method.startswith("peak RSS"):
            self.peak = proc_status_kib("VmHWM") * 1024 - self.base
        else:
            self.peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - self.base
        self.peak = max(0, self.peak)


# Appended to the measured code in the fresh process; the peaks are read after the work.
_MEASURE_TAIL = """
import json as _json, os as _os
from genav.bench.measure import children_peak_kib as _children_peak_kib, own_peak_kib as _own_peak_kib
result["python_kib"] = _own_peak_kib()
result.setdefault("children_kib", _children_peak_kib())
with open(_os.environ["GENAV_MEASURE_OUT"], "w") as _fh:
    _json.dump(result, _fh)
"""


def measure_in_fresh_process(code: str, *args: object, what: str) -> dict[str, Any]:
    """Run Python ``code`` in a new interpreter and return its ``result`` with its peaks.

    Args:
        code: Python source; it must set a JSON-able dict ``result``. It may import genav (the
            repository root is on ``sys.path``) and use this module's readers (:func:`cpu_seconds`,
            :func:`process_peak_kib`).
        args: passed as ``sys.argv[1:]`` (as strings).
        what: the measured thing, for the error message.

    Returns:
        ``result`` plus ``python_kib`` (the process's own peak RSS in KiB, :func:`own_peak_kib`)
        and ``children_kib`` (unless ``code`` set it: :func:`children_peak_kib`, an upper bound).

    Raises:
        GenavError: the process failed or wrote no result (the last line of its stderr is quoted).

    The result comes back through a file, so whatever the child prints cannot garble it.
    """
    script = f"import sys; sys.path.insert(0, {str(_REPO_ROOT)!r})\n{code}\n{_MEASURE_TAIL}"
    with tempfile.TemporaryDirectory(prefix="genav-measure-") as tmp:
        out = Path(tmp) / "result.json"
        env = {**os.environ, "GENAV_MEASURE_OUT": str(out)}
        cmd = [sys.executable, "-c", script, *map(str, args)]
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False, env=env)
        if proc.returncode != 0 or not out.exists():
            lines = proc.stderr.strip().splitlines()
            raise GenavError(
                f"{what} failed in its measuring process: {lines[-1] if lines else 'no message'}"
            )
        return json.loads(out.read_text())


def _tree_stats(root: int) -> tuple[int, dict[int, float]]:
    """Resident bytes summed over ``root`` and its descendants, and each one's CPU seconds so far."""
    parents: dict[int, int] = {}
    stats: dict[int, tuple[int, float]] = {}
    tick, page = os.sysconf("SC_CLK_TCK"), os.sysconf("SC_PAGE_SIZE")
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                fields = fh.read().rpartition(")")[2].split()
        except OSError:  # exited while we looked
            continue
        pid = int(entry)
        parents[pid] = int(fields[1])
        stats[pid] = (int(fields[21]) * page, (int(fields[11]) + int(fields[12])) / tick)
    children: dict[int, list[int]] = {}
    for pid, parent in parents.items():
        children.setdefault(parent, []).append(pid)
    tree, frontier = {root}, [root]
    while frontier:
        frontier = [c for p in frontier for c in children.get(p, ()) if c not in tree]
        tree.update(frontier)
    rss = sum(stats[p][0] for p in tree if p in stats)
    return rss, {p: stats[p][1] for p in tree if p in stats}


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_measured(cmd: list[str], *, what: str) -> dict[str, float]:
    """Run program ``cmd`` and measure its whole process tree from outside.

    Returns:
        ``wall_s`` (seconds from start to exit), ``cpu_s`` (the larger of the kernel's count for the
        program and the descendants it waited for, and the sum of the last sampled CPU time of
        every process seen in its tree: pool workers whose parent never waits for them) and
        ``peak_rss_mb`` (the largest sampled sum of resident sizes over the tree, in MB = 1e6
        bytes; sampled every 250 ms on Linux, 0 elsewhere).

    Raises:
        GenavError: the program exited non-zero (the last line of its stderr is quoted).
    """
    cpu0, t0 = _children_cpu(), time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    peak, cpu_seen = 0, {}
    while proc.poll() is None:
        if sys.platform.startswith("linux"):
            rss, cpu = _tree_stats(proc.pid)
            peak = max(peak, rss)
            cpu_seen.update(cpu)
        time.sleep(_SAMPLE_S)
    wall = time.perf_counter() - t0
    stderr = proc.stderr.read() if proc.stderr else ""
    if proc.returncode != 0:
        lines = stderr.strip().splitlines()
        raise GenavError(f"{what} failed (exit {proc.returncode}): {lines[-1] if lines else 'no message'}")
    cpu = max(_children_cpu() - cpu0, sum(cpu_seen.values()))
    return {"wall_s": wall, "cpu_s": cpu, "peak_rss_mb": peak / 1e6}
