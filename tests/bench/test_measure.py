"""The measurement harness (genav.bench.measure) measures what it says: a child's own peak,
a sampled process tree's peak, and wall vs CPU seconds of sleeping and busy work."""

from __future__ import annotations

import mmap
import sys

import pytest

from genav.bench.measure import (
    PeakMemory,
    cpu_seconds,
    measure_in_fresh_process,
    own_peak_kib,
    proc_status_kib,
    run_measured,
)
from genav.errors import GenavError

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")

# argv[1]: MB to allocate (touched, so resident); reports the own peak and RSS before allocating
_ALLOC = """
import sys
from genav.bench.measure import own_peak_kib
base = own_peak_kib()
buf = bytearray(int(sys.argv[1]) * 1_000_000)  # bytearray(n) writes its zeros: every page resident
result = {"base_kib": base}
"""

_SLEEP = "import time; time.sleep(0.5)"
_BUSY = "import time\nt = time.process_time()\nwhile time.process_time() - t < 0.5:\n    pass"


@linux_only
def test_fresh_process_peak_sees_a_50_mb_allocation() -> None:
    small = measure_in_fresh_process(_ALLOC, 1, what="probe")
    big = measure_in_fresh_process(_ALLOC, 50, what="probe")
    # the 50 MB buffer is in the child's own peak, above its baseline and above a 1 MB run's peak
    assert big["python_kib"] - big["base_kib"] >= 50_000 / 1.024 * 0.95
    assert big["python_kib"] - small["python_kib"] >= 45_000
    assert big["children_kib"] >= 0


def test_fresh_process_failure_is_one_line() -> None:
    with pytest.raises(GenavError, match="probe failed in its measuring process: .*ZeroDivisionError"):
        measure_in_fresh_process("1 / 0", what="probe")


def test_run_measured_counts_the_whole_process_tree():
    child = "import subprocess, sys; subprocess.run([sys.executable, '-c', 'x = bytearray(80_000_000); import time; time.sleep(0.4)'])"
    res = run_measured([sys.executable, "-c", child], what="probe")
    assert res["wall_s"] >= 0.4 and res["cpu_s"] > 0
    assert res["peak_rss_mb"] >= 80  # the grandchild's 80 MB buffer is seen
    with pytest.raises(GenavError, match="probe failed"):
        run_measured([sys.executable, "-c", "raise SystemExit(3)"], what="probe")


def test_wall_and_cpu_of_a_sleeping_and_a_busy_child() -> None:
    sleeping = run_measured([sys.executable, "-c", _SLEEP], what="sleep")
    busy = run_measured([sys.executable, "-c", _BUSY], what="busy")
    assert sleeping["wall_s"] >= 0.5 and busy["wall_s"] >= 0.5
    assert busy["cpu_s"] >= 0.5  # spinning costs its wall time in CPU
    assert sleeping["cpu_s"] < busy["cpu_s"] - 0.3  # sleeping costs only the interpreter's start


@linux_only
def test_peak_memory_in_process_sees_a_buffer_above_the_baseline() -> None:
    import torch

    before = cpu_seconds()
    with PeakMemory(torch.device("cpu")) as mem:
        # fresh anonymous pages, each written once: a bytearray may reuse pages freed by earlier
        # tests that are still resident, which raises no peak (seen in the full suite)
        buf = mmap.mmap(-1, 40_000_000)
        for offset in range(0, len(buf), mmap.PAGESIZE):
            buf[offset] = 1
        buf.close()
    assert mem.peak >= 40_000_000 * 0.95, mem.method
    assert proc_status_kib("VmRSS") > 0 and own_peak_kib() >= proc_status_kib("VmRSS")
    assert cpu_seconds() >= before
