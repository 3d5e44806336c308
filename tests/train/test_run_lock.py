"""One training run per run folder: a second process is turned away with a one-line error while
the first lives, and the folder is free again the moment it dies (even by SIGKILL) or its entry
point returns or raises."""

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
from genav.train.run_lock import LOCK_NAME, lock_run_folder, releases_run_folders

pytest.importorskip("fcntl")

HOLDER = """
import sys, time
from pathlib import Path
from genav.train.accelerated import make_accelerator
from genav.train.run_lock import lock_run_folder
lock_run_folder(Path(sys.argv[1]), make_accelerator("no", "cpu"))
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
"""


def _hold_in_other_process(run_dir: Path, seconds: float = 600) -> subprocess.Popen[str]:
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(run_dir), str(seconds)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)  # fmt: skip
    assert proc.stdout is not None and proc.stdout.readline().strip() == "locked", proc.stderr.read()
    return proc


def _free(run_dir: Path) -> bool:
    """Whether another process can lock ``run_dir`` now."""
    proc = subprocess.run([sys.executable, "-c", HOLDER, str(run_dir), "0"], capture_output=True, text=True,
                          timeout=120)  # fmt: skip
    if proc.returncode == 0 and "locked" in proc.stdout:
        return True
    assert "another training run is writing" in proc.stderr, proc.stderr[-2000:]
    return False


@releases_run_folders
def _entry(out: Path, fail: bool = False) -> Path:
    run_dir = prepare_out_dir(out, resume=True, overwrite=False, accelerator=make_accelerator("no", "cpu"))
    assert not _free(run_dir)  # held while the entry point runs
    lock_run_folder(run_dir, make_accelerator("no", "cpu"))  # the same process may lock again
    if fail:
        raise RuntimeError("data loading failed")
    return run_dir


def test_second_process_is_turned_away_until_the_first_dies(tmp_path: Path) -> None:
    acc = make_accelerator("no", "cpu")
    holder = _hold_in_other_process(tmp_path / "train")
    try:
        with pytest.raises(OutputBusyError, match=f"another training run is writing to .*process {holder.pid} on "):
            prepare_out_dir(tmp_path, resume=True, overwrite=False, accelerator=acc)
    finally:
        os.kill(holder.pid, signal.SIGKILL)
        holder.wait()
    run_dir = _entry(tmp_path)  # no stale lock after a SIGKILL
    assert (run_dir / LOCK_NAME).read_text().startswith(f"process {os.getpid()} on ")


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


def test_the_entry_point_lets_go_when_it_returns_or_raises(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    run_dir = _entry(Path("relative"))  # a relative folder; the cwd changes below
    assert _free(tmp_path / run_dir)
    monkeypatch.chdir("/")
    with pytest.raises(RuntimeError, match="data loading failed"):
        _entry(tmp_path / "other", fail=True)
    assert _free(tmp_path / "other" / "train")
