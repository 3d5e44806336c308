"""Running the ffmpeg binary shipped by the imageio-ffmpeg wheel.

Everything that runs the binary goes through here (writing video, muxing, encoding audio; reading
is PyAV's, see :mod:`genav.media._pyav`): locating the binary, checking input paths, running a
command to completion, and a thread that drains a running process's stderr (so its pipe never
fills up and stalls it). ffmpeg's stderr is turned into one-line :class:`MediaError` messages that
name the file.
"""

from __future__ import annotations

import functools
import logging
import re
import subprocess
import threading
from collections import deque
from collections.abc import Sequence
from pathlib import Path
from typing import IO

from genav.errors import MediaError

log = logging.getLogger(__name__)

# ffmpeg reports a file cut short (or damaged) with these, sometimes still exiting with 0.
_PREFIX = re.compile(r"^(\[[^\]]*\]\s*)+")
_STDERR_LINES = 40


@functools.lru_cache(maxsize=1)
def ffmpeg_exe() -> str:
    """Path of the ffmpeg binary bundled with imageio-ffmpeg (or named by ``IMAGEIO_FFMPEG_EXE``)."""
    try:
        import imageio_ffmpeg
    except ImportError:
        raise MediaError("ffmpeg is unavailable: the imageio-ffmpeg package is not installed") from None
    try:
        return imageio_ffmpeg.get_ffmpeg_exe()
    except RuntimeError as exc:
        raise MediaError(f"ffmpeg is unavailable: {exc}") from None


@functools.lru_cache(maxsize=1)
def ffmpeg_version() -> str:
    """Version string of :func:`ffmpeg_exe`, e.g. ``"n7.1-..."``."""
    out = subprocess.run([ffmpeg_exe(), "-version"], capture_output=True, text=True, check=False).stdout
    match = re.match(r"ffmpeg version (\S+)", out)
    return match.group(1) if match else out.split("\n", 1)[0].strip()


def check_input(path: str | Path) -> Path:
    """Fail early, with one line, for inputs that are missing, empty or not a file."""
    path = Path(path)
    if not path.exists():
        raise MediaError(f"media file not found: {path}")
    if path.is_dir():
        raise MediaError(f"expected a media file, got a folder: {path}")
    if path.stat().st_size == 0:
        raise MediaError(f"media file is empty: {path}")
    return path


def file_arg(path: Path) -> str:
    """``file:`` URL so names with ':' or a leading '-' are never read as protocols or options."""
    return "file:" + str(path.absolute())


def _clean(line: str) -> str:
    return _PREFIX.sub("", line.strip()).strip()


def failure(path: Path, lines: Sequence[str], *, action: str = "read") -> MediaError:
    """A one-line error for a failed ffmpeg run on ``path``, quoting ffmpeg's most useful line."""
    cleaned = [c for c in (_clean(x) for x in lines) if c]
    for marker in ("moov atom not found", "no such file", "permission denied", "invalid data found"):
        hit = next((c for c in cleaned if marker in c.lower()), None)
        if hit is not None:
            break
    else:
        hit = cleaned[-1] if cleaned else "ffmpeg failed without a message"
    if "moov atom not found" in hit:
        hit += ": truncated, or not an mp4/mov file"
    if action == "read":
        return MediaError(f"cannot read {path}: not a media file ffmpeg can decode ({hit})")
    return MediaError(f"cannot {action} {path}: {hit}")


def run(args: Sequence[str], path: Path, *, action: str = "read", stdin: bytes | None = None) -> str:
    """Run ``ffmpeg args`` to completion; returns stdout. Failure -> MediaError naming ``path``."""
    quiet = ["-hide_banner", "-nostats", "-v", "error", "-y"]  # -y: atomic_output pre-creates the temp file
    cmd = [ffmpeg_exe(), *quiet, *(["-nostdin"] if stdin is None else []), *args]
    log.debug("ffmpeg: %s", " ".join(cmd))
    proc = subprocess.run(cmd, input=stdin, capture_output=True, check=False)
    err = proc.stderr.decode("utf-8", "replace").splitlines()
    if proc.returncode != 0:
        raise failure(path, err, action=action)
    return proc.stdout.decode("utf-8", "replace")


def probe_text(path: Path) -> str:
    """ffmpeg's description of ``path`` (stderr of ``ffmpeg -i``, which always 'fails': no output)."""
    cmd = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-i", file_arg(path)]
    proc = subprocess.run(cmd, capture_output=True, check=False)
    return proc.stderr.decode("utf-8", "replace")


class StderrDrain(threading.Thread):
    """Keeps the last lines of a process's stderr without ever blocking it."""

    def __init__(self, stream: IO[bytes]) -> None:
        super().__init__(daemon=True)
        self.stream = stream
        self.lines: deque[str] = deque(maxlen=_STDERR_LINES)

    def run(self) -> None:
        for raw in self.stream:
            self.lines.append(raw.decode("utf-8", "replace").rstrip())
