"""Codec tests run tiny spectral ops: one torch thread is much faster than two fighting over a
shared CPU (OpenMP threads spin at barriers when other processes hold the cores)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import torch


@pytest.fixture(autouse=True, scope="module")
def _one_thread() -> Iterator[None]:
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
