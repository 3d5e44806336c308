"""One training run per run folder: a second process is turned away with a one-line error while
the first lives, and the folder is free again the moment it dies (even by SIGKILL)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from genav.errors import OutputBusyError
from genav.train.accelerated import make_accelerator
from genav.train.run import prepare_out_dir
from genav.train.run_lock import LOCK_NAME, lock_run_folder, release_run_folder

pytest.importorskip("fcntl")

HOLDER = """
import sys, time
from pathlib import Path
from genav.train.accelerated import make_accelerator
from genav.train.run_lock import lock_run_folder
lock_run_folder(Path(sys.argv[1]), make_accelerator("no", "cpu"))
print("locked", flush=True)
time.sleep(600)
"""


def _hold_in_other_process(run_dir: Path) -> subprocess.Popen[str]:
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(run_dir)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "locked"
    return proc


def test_second_process_is_turned_away_until_the_first_dies(tmp_path: Path) -> None:
    acc = make_accelerator("no", "cpu")
    holder = _hold_in_other_process(tmp_path / "train")
    try:
        with pytest.raises(OutputBusyError, match=f"another training run is writing to .*process {holder.pid}"):
            prepare_out_dir(tmp_path, resume=True, overwrite=False, accelerator=acc)
    finally:
        os.kill(holder.pid, signal.SIGKILL)
        holder.wait()
    run_dir = prepare_out_dir(tmp_path, resume=True, overwrite=False, accelerator=acc)  # no stale lock
    assert (run_dir / LOCK_NAME).read_text().strip() == f"process {os.getpid()}"
    release_run_folder(run_dir)


def test_overwrite_of_a_busy_folder_deletes_nothing(tmp_path: Path) -> None:
    checkpoint = tmp_path / "train" / "checkpoints" / "step-000010"
    checkpoint.mkdir(parents=True)
    holder = _hold_in_other_process(tmp_path / "train")
    try:
        with pytest.raises(OutputBusyError):
            prepare_out_dir(tmp_path, resume=False, overwrite=True, accelerator=make_accelerator("no", "cpu"))
        assert checkpoint.is_dir()
    finally:
        holder.kill()
        holder.wait()


def test_the_same_process_may_lock_again_and_release_frees_the_folder(tmp_path: Path) -> None:
    acc = make_accelerator("no", "cpu")
    lock_run_folder(tmp_path, acc)
    lock_run_folder(tmp_path, acc)  # a second train call in one process (a notebook, a resume test)
    release_run_folder(tmp_path)
    proc = subprocess.run(
        [sys.executable, "-c", HOLDER.replace("time.sleep(600)", ""), str(tmp_path)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 0 and "locked" in proc.stdout, proc.stderr[-2000:]
    release_run_folder(tmp_path / "never-locked")  # nothing held: nothing happens
