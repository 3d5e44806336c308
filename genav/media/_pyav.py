"""Reading media with PyAV: opening files, the file's timeline, one-line errors.

PyAV binds FFmpeg's libraries (its wheels ship them), so streams are read with their own
timestamps: per-packet presentation times, stream start times, and libavformat's handling of
edit lists (packets outside an mp4's edit are flagged *discard* and never shown). Every time
genav reports or accepts is a **timeline** time: seconds from the file's start, i.e. the
container's presentation time minus the earliest stream start (``AVFormatContext.start_time``),
which is how players and ``ffmpeg -ss`` count.

PyAV's FFmpeg log stays off (its default): a log callback into Python can deadlock FFmpeg's
decoder threads. When a file cannot be opened, FFmpeg's reason (e.g. "moov atom not found") is
taken from the ffmpeg binary's description of the file instead, in that failure path only.
"""

from __future__ import annotations

import contextlib
import functools
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from genav.errors import MediaError


@functools.lru_cache(maxsize=1)
def _av() -> Any:
    """The ``av`` module, imported on first use with FFmpeg's error log routed as described above."""
    try:
        import av
    except ImportError:
        raise MediaError("reading media needs PyAV: pip install av") from None
    return av


def open_failure(path: Path) -> MediaError:
    """Why FFmpeg cannot open ``path``, one line naming it (FFmpeg's reason from the binary)."""
    from genav.media import _ffmpeg

    return _ffmpeg.failure(path, _ffmpeg.probe_text(path).splitlines())


def corrupt(path: Path, what: str) -> MediaError:
    return MediaError(f"{path} is truncated or corrupt ({what})")


def check_complete(path: Path, what: str, decoded_end: float, expected_end: float | None) -> None:
    """Raise when a stream's decoded part ends well before where the file says it ends."""
    if expected_end is None or not math.isfinite(expected_end):
        return
    if decoded_end < expected_end - max(0.5, 0.02 * expected_end):
        raise corrupt(path, f"the {what} ends at {decoded_end:.2f} s, the file says {expected_end:.2f} s")


@contextlib.contextmanager
def open_input(path: Path) -> Iterator[Any]:
    """An open PyAV input container for ``path``; FFmpeg errors become one-line MediaErrors."""
    av = _av()
    try:
        container = av.open(str(path), mode="r", metadata_errors="replace")
    except av.error.FFmpegError:
        raise open_failure(path) from None
    try:
        yield container
    except av.error.FFmpegError as exc:
        raise corrupt(path, _reason(exc)) from None
    finally:
        container.close()


def _reason(exc: BaseException) -> str:
    return getattr(exc, "strerror", None) or str(exc)


def origin(container: Any) -> float:
    """The container time (seconds) of timeline 0: the earliest stream start (0 when unknown).

    Taken from the streams in their own time bases: the container's microsecond value would put
    the first stream a rounding error away from 0."""
    starts = [seconds(s, s.start_time) for s in container.streams if s.start_time is not None]
    if starts:
        return min(starts)
    return 0.0 if container.start_time is None else container.start_time / 1_000_000


def codec_name(stream: Any) -> str:
    """The codec's name (``h264``, ``vp9``, ``mp3``), not the decoder's (``mp3float``)."""
    codec = stream.codec_context.codec
    return codec.canonical_name or codec.name


def seconds(stream: Any, pts: int | None) -> float | None:
    """A stream's ``pts`` in container seconds (None stays None)."""
    return None if pts is None else float(pts * stream.time_base)


def stream_start(stream: Any, zero: float) -> float | None:
    """Timeline time at which ``stream`` starts (None when the container does not say)."""
    start = seconds(stream, stream.start_time)
    return None if start is None else start - zero


def stream_end(stream: Any, zero: float) -> float | None:
    """Timeline time at which ``stream`` ends by its declared duration (None when not declared)."""
    if stream.duration is None or stream.start_time is None:
        return None
    return float((stream.start_time + stream.duration) * stream.time_base) - zero


def is_audio_stream(stream: Any) -> bool:
    return stream.type == "audio"


def attached_picture(stream: Any) -> bool:
    """A cover image stored as a video stream (mp3/m4a artwork), not a picture track."""
    return bool(stream.disposition & _av().stream.Disposition.attached_pic)
