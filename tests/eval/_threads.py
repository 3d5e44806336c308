"""One torch thread in these tests: on a shared 2-core machine, two OpenMP threads competing with
other processes spin at barriers and run tiny models 10-40x slower."""

from __future__ import annotations

import pytest
import torch


@pytest.fixture(autouse=True)
def one_torch_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
