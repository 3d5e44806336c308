"""Benchmark smoke tests run tiny cases: one torch thread in this process (the measured work runs
in fresh processes that set their own)."""

from tests.eval._threads import one_torch_thread  # noqa: F401 (autouse fixture)
