"""Bad input: each case is one MediaError line naming the file, and no output is left behind."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
import pytest

from genav.errors import MediaError, OutputExistsError
from genav.media import (
    Audio,
    _ffmpeg,
    iter_frames,
    mux_audio,
    probe,
    read_audio,
    read_frames,
    write_audio,
    write_video,
)
from tests.media.media_helpers import sine

SOUND = Audio(sine(440, 1.0, 16000), 16000)
FRAMES = np.zeros((4, 16, 16, 3), np.uint8)


def _mux(path: Path) -> Path:
    return mux_audio(path, SOUND, path.parent / "muxed.mp4")


READERS = {
    "probe": probe,
    "read_audio": read_audio,
    "read_frames": read_frames,
    "iter_frames": lambda p: list(iter_frames(p)),
    "mux_audio": _mux,
}
WRITERS = {
    "write_audio": lambda p, **kw: write_audio(p.with_suffix(".wav"), SOUND, **kw),
    "write_video": lambda p, **kw: write_video(p, FRAMES, 8, **kw),
    "mux_audio": None,  # needs the clip: filled in by the tests
}


@pytest.fixture(scope="module")
def bad_files(tmp_path_factory, clip_av) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("bad")
    data = clip_av.read_bytes()  # moov at the end: cutting it loses the index
    (folder / "truncated.mp4").write_bytes(data[: len(data) // 2])
    faststart = folder / "faststart.mp4"  # moov first: the index survives, the data does not
    _ffmpeg.run(["-i", _ffmpeg.file_arg(clip_av), "-c", "copy", "-movflags", "+faststart",
                 _ffmpeg.file_arg(faststart)], faststart, action="write")  # fmt: skip
    data = faststart.read_bytes()
    (folder / "truncated_faststart.mp4").write_bytes(data[: len(data) // 2])
    faststart.unlink()
    (folder / "empty.mp4").write_bytes(b"")
    (folder / "text.mp4").write_text("this is not a video\n" * 20)
    return {p.stem: p for p in folder.iterdir()} | {"missing": folder / "missing.mp4"}


def _one_line(exc: pytest.ExceptionInfo, path: Path) -> None:
    message = str(exc.value)
    assert "\n" not in message and str(path) in message, message


@pytest.mark.parametrize("reader", READERS)
@pytest.mark.parametrize(
    ("case", "match"),
    [
        ("missing", "not found"),
        ("empty", "empty"),
        ("text", "not a media file"),
        ("truncated", "not a media file"),
        ("truncated_faststart", "truncated or corrupt"),
    ],
)
def test_bad_inputs(bad_files, reader, case, match):
    path = bad_files[case]
    before = sorted(path.parent.iterdir())
    with pytest.raises(MediaError, match=match) as exc:
        READERS[reader](path)
    _one_line(exc, path)
    assert sorted(path.parent.iterdir()) == before  # no partial output


def test_no_audio_track(tmp_path, clip_silent, clip_av):
    with pytest.raises(MediaError, match="has no audio track") as exc:
        read_audio(clip_silent)
    _one_line(exc, clip_silent)
    with pytest.raises(MediaError, match="has no audio track"):
        mux_audio(clip_av, clip_silent, tmp_path / "out.mp4")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("reader", ["read_frames", "iter_frames", "mux_audio"])
def test_audio_file_where_video_is_needed(audio_mp3, reader, tmp_path):
    path = tmp_path / "tone.mp3"
    path.write_bytes(audio_mp3.read_bytes())
    with pytest.raises(MediaError, match="has no video stream") as exc:
        READERS[reader](path)
    _one_line(exc, path)
    assert list(tmp_path.iterdir()) == [path]


def _writers(clip: Path) -> dict:
    return WRITERS | {"mux_audio": lambda p, **kw: mux_audio(clip, SOUND, p, **kw)}


def _unwritable_targets(tmp_path: Path) -> list[Path]:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    targets = [blocker / "out.mp4"]  # a parent that is a file: unwritable even for root
    if sys.platform.startswith("linux"):
        targets.append(Path("/proc/genav-out.mp4"))  # exists and "writable" by access(), yet is not
    if os.geteuid() != 0:  # permissions do not stop root
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o555)
        targets.append(locked / "out.mp4")
    return targets


@pytest.mark.parametrize("writer", WRITERS)
def test_unwritable_output_folder(tmp_path, clip_silent, writer):
    for target in _unwritable_targets(tmp_path):
        with pytest.raises(MediaError) as exc:
            _writers(clip_silent)[writer](target)
        assert "\n" not in str(exc.value) and str(target.parent) in str(exc.value)
    assert sorted(p.name for p in tmp_path.iterdir() if p.name != "locked") == ["file"]


@pytest.mark.parametrize("writer", WRITERS)
def test_existing_output_needs_overwrite(tmp_path, clip_silent, writer):
    target = tmp_path / "out.mp4"
    write = _writers(clip_silent)[writer]
    first = write(target)
    before = first.read_bytes()
    with pytest.raises(OutputExistsError, match="overwrite"):
        write(target)
    assert first.read_bytes() == before
    assert write(target, overwrite=True) == first
    assert sorted(tmp_path.iterdir()) == [first]
