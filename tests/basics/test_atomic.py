from __future__ import annotations

import os

import pytest

from genav.atomic import atomic_output, atomic_write_text
from genav.errors import MediaError, OutputExistsError


def test_failure_leaves_nothing(tmp_path):
    target = tmp_path / "out.txt"
    with pytest.raises(RuntimeError):
        with atomic_output(target) as tmp:
            tmp.write_text("half")
            raise RuntimeError("boom")
    assert list(tmp_path.iterdir()) == []


def test_existing_output_needs_overwrite(tmp_path):
    target = tmp_path / "out.txt"
    target.write_text("old")
    with pytest.raises(OutputExistsError, match="--overwrite"):
        atomic_write_text(target, "new", overwrite=False)
    assert target.read_text() == "old"
    atomic_write_text(target, "new", overwrite=True)
    assert target.read_text() == "new"
    assert target.stat().st_mode & 0o644 == 0o644  # readable like any file, not mkstemp's 0600


def test_empty_result_is_an_error(tmp_path):
    with pytest.raises(MediaError, match="no data"):
        with atomic_output(tmp_path / "out.bin"):
            pass
    assert list(tmp_path.iterdir()) == []


def test_unwritable_folder(tmp_path):
    # A parent that is a file cannot hold outputs, even for root (CI runs as root).
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(MediaError, match="cannot create output folder"):
        atomic_write_text(blocker / "sub" / "x.txt", "x")
    if os.geteuid() != 0:
        ro = tmp_path / "ro"
        ro.mkdir()
        ro.chmod(0o500)
        with pytest.raises(MediaError, match="not writable"):
            atomic_write_text(ro / "x.txt", "x")


def test_a_killed_writers_temporary_file_goes_when_the_output_is_written(tmp_path):
    from genav.atomic import atomic_write_bytes

    stale = tmp_path / ".v1.ypy9nsyo.part.wav"  # what SIGKILL mid-write leaves (mkstemp's pattern)
    stale.write_bytes(b"half")
    other = tmp_path / ".v1.x.ypy9nsyo.part.wav"  # belongs to the output v1.x.wav: kept
    other.write_bytes(b"half")
    atomic_write_bytes(tmp_path / "v1.wav", b"whole")
    assert (tmp_path / "v1.wav").read_bytes() == b"whole"
    assert not stale.exists() and other.exists()
