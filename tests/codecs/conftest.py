"""Codec tests run tiny spectral ops: one torch thread is much faster than two fighting over a
shared CPU (the 24 mel-codec tests: 84 s with two threads on a loaded 2-core machine, 20 s with one)."""

from tests.eval._threads import one_torch_thread  # noqa: F401 (autouse fixture)
