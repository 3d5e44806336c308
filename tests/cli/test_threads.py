"""``--threads auto`` follows OMP_NUM_THREADS when it is set (a user's or a launcher's choice: under
``accelerate launch`` each rank ignoring it ran 2 threads on a 2-core machine, which made two-process
runs differ in the last bits from run to run) and shares the cores among a launch's processes."""

from __future__ import annotations

import os

import pytest
import torch

from genav.cli.common import set_threads
from genav.errors import InputError


@pytest.fixture(autouse=True)
def _restore_threads():
    before = torch.get_num_threads()
    yield
    torch.set_num_threads(before)


@pytest.fixture
def idle(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "cpu_count", lambda: 8)
    monkeypatch.setattr(os, "getloadavg", lambda: (0.0, 0.0, 0.0))
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    monkeypatch.delenv("LOCAL_WORLD_SIZE", raising=False)


def test_auto_uses_every_core_of_an_idle_machine(idle: None) -> None:
    assert set_threads("auto") == 8 == torch.get_num_threads()


def test_auto_follows_omp_num_threads(idle: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OMP_NUM_THREADS", "3")
    assert set_threads("auto") == 3 == torch.get_num_threads()


def test_auto_shares_the_cores_among_launched_processes(idle: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOCAL_WORLD_SIZE", "4")
    assert set_threads("auto") == 2


def test_auto_takes_one_thread_on_a_busy_machine(idle: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "getloadavg", lambda: (9.0, 9.0, 9.0))
    assert set_threads("auto") == 1


def test_a_number_wins_over_the_environment(idle: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OMP_NUM_THREADS", "3")
    assert set_threads("2") == 2
    with pytest.raises(InputError, match="at least 1"):
        set_threads("0")


def test_a_malformed_local_world_size_counts_as_one_process(idle: None, monkeypatch: pytest.MonkeyPatch) -> None:
    for value in ("0", "two", ""):
        monkeypatch.setenv("LOCAL_WORLD_SIZE", value)
        assert set_threads("auto") == 8
