"""Decoding video frames by presentation time, as a stream.

Frames are decoded with PyAV (FFmpeg's libraries, frame-threaded) and placed by their own
timestamps: with ``fps``, output frame ``k`` is **the frame shown at** ``t_k = t0 + k / fps``, i.e.
the last frame whose presentation time is <= ``t_k`` (within one time-base tick), so a variable
frame rate, a lossless trim (edit list) or a late-starting picture sample the right frames; a
frame is shown until the next one starts, the last one until its own end. Without ``fps`` every
shown frame in the window is returned with its own time. Times are seconds on the file's
timeline (see :mod:`genav.media._pyav`).

Why PyAV directly and not imageio's v3 ``pyav`` plugin: the plugin yields frames by index and
hides the per-frame timestamps and the seek-then-skip this module needs, so it would not serve.

Only the frame being shown (plus FFmpeg's few decoder buffers) is held, and only frames that are
output are converted and scaled, so a 10-minute 720p clip read at 8 fps, 64x64 stays far below
500 MB (see :mod:`genav.bench.media`). Scaling is swscale's: area averaging when shrinking,
bicubic otherwise; display rotation (phone clips) is applied, as players do.
"""

from __future__ import annotations

import dataclasses
import math
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from genav.errors import InputError, MediaError
from genav.media import _ffmpeg, _pyav
from genav.media.probe import MediaInfo, first_streams, probe, require_video

DEFAULT_MAX_FRAME_BYTES = 4 << 30  # read_frames refuses to hold more than 4 GiB of frames


@dataclass(frozen=True)
class _Request:
    fps: float | None
    size: tuple[int, int]  # displayed (width, height) of the output frames
    rotation: int
    shrink: bool
    begin: float  # window on the timeline, seconds
    end: float
    tolerance: float = 1e-6  # timestamps are rounded to the stream's time base: half a tick


def _tolerance(stream: Any) -> float:
    """Half a time-base tick (at most 1 ms): how far a rounded timestamp may be from the true time."""
    return min(0.5 * float(stream.time_base), 1e-3) + 1e-9


def iter_frames(
    path: str | Path,
    *,
    fps: float | None = None,
    size: tuple[int, int] | None = None,
    start: float = 0.0,
    duration: float | None = None,
) -> Iterator[np.ndarray]:
    """Yield frames ``(H, W, 3)`` uint8 RGB one at a time (see :func:`iter_timed_frames`)."""
    for _, frame in iter_timed_frames(path, fps=fps, size=size, start=start, duration=duration):
        yield frame


def iter_timed_frames(
    path: str | Path,
    *,
    fps: float | None = None,
    size: tuple[int, int] | None = None,
    start: float = 0.0,
    duration: float | None = None,
) -> Iterator[tuple[float, np.ndarray]]:
    """Yield ``(time, frame)``: timeline seconds and ``(H, W, 3)`` uint8 RGB, in presentation order.

    ``fps``: sample the frame shown at ``t0 + k / fps`` (``time`` is that sample time); None:
    every shown frame (``time`` is its presentation time). ``size``: (width, height) to scale to
    (aspect ratio not kept). ``start``/``duration``: the window on the timeline, in seconds,
    clipped to the picture's span (``t0`` = the later of ``start`` and the first frame).
    Stopping early (break, ``close()``) releases the file. Raises InputError for bad arguments,
    MediaError for files without video or damaged ones.
    """
    path = _ffmpeg.check_input(path)
    info = probe(path, count_frames=False)
    request = _request(info, fps=fps, size=size, start=start, duration=duration)
    return _decode(path, request)


def _request(info: MediaInfo, *, fps: float | None, size: tuple[int, int] | None, start: float,
             duration: float | None) -> _Request:  # fmt: skip
    if not math.isfinite(start) or start < 0:
        raise InputError(f"start must be >= 0 seconds, got {start}")
    if duration is not None and not (math.isfinite(duration) and duration > 0):
        raise InputError(f"duration must be > 0 seconds, got {duration}")
    if fps is not None and not (math.isfinite(fps) and fps > 0):
        raise InputError(f"fps must be > 0, got {fps}")
    require_video(info)
    width, height = info.width, info.height
    if size is not None:
        width, height = (int(v) for v in size)
        if width <= 0 or height <= 0:
            raise InputError(f"size must be (width, height) > 0, got {size}")
    shrink = width <= info.width and height <= info.height
    begin = max(start, info.video_start or 0.0)
    end = math.inf if duration is None else start + duration
    return _Request(fps, (width, height), info.rotation, shrink, begin, end)


def _decode(path: Path, request: _Request) -> Iterator[tuple[float, np.ndarray]]:
    with _pyav.open_input(path) as container:
        stream, _ = first_streams(container)
        stream.thread_type = "AUTO"  # frame + slice threads, as the ffmpeg binary decodes
        # FFmpeg's automatic count is cores + 1; a few more keep the decoder busy while this thread
        # converts the frames it outputs (faster on 2 cores, see `genav bench media`); 16: FFmpeg's cap
        stream.codec_context.thread_count = min((os.cpu_count() or 1) + 4, 16)
        zero = _pyav.origin(container)
        request = dataclasses.replace(request, tolerance=_tolerance(stream))
        if request.begin > (_pyav.stream_start(stream, zero) or 0.0):
            container.seek(int((request.begin + zero) / stream.time_base), stream=stream, backward=True)
        progress = _Progress(_shown_frames(container, stream, zero, path))
        picks = _sample(progress, request) if request.fps else _native(progress, request)
        reformatter = _pyav._av().video.reformatter.VideoReformatter()  # one scaler for all frames
        for when, frame in picks:
            yield when, _to_rgb(frame, request, reformatter)
        declared = _pyav.stream_end(stream, zero)  # mp4/mov say where the picture ends; mkv does not
        if declared is not None:
            _pyav.check_complete(path, "picture", progress.end, min(request.end, declared))


class _Progress:
    """Passes ``(start, end, frame)`` items through, remembering the last end seen."""

    def __init__(self, shown: Iterator[tuple[float, float, Any]]) -> None:
        self.shown = shown
        self.end = 0.0

    def __iter__(self) -> Iterator[tuple[float, float, Any]]:
        for item in self.shown:
            self.end = item[1]
            yield item


def _shown_frames(container: Any, stream: Any, zero: float, path: Path) -> Iterator[tuple[float, float, Any]]:
    """``(start, end, frame)`` of each shown frame in presentation order (``end``: when the next
    frame starts; for the last one its own end)."""
    tick = float(stream.time_base)
    previous: tuple[float, Any] | None = None
    for packet in container.demux(stream):
        if packet.is_corrupt:
            raise _pyav.corrupt(path, "a damaged video packet")
        for frame in packet.decode():
            when = _frame_time(frame, zero, previous, stream)
            if previous is not None:
                if when <= previous[0]:  # out of order or duplicated timestamp: keep the first
                    continue
                yield previous[0], when, previous[1]
            previous = (when, frame)
    if previous is not None:
        own = float(previous[1].duration or 0) * tick
        typical = 1.0 / float(stream.average_rate or stream.guessed_rate or 25)
        yield previous[0], previous[0] + (own if own > 0 else typical), previous[1]


def _frame_time(frame: Any, zero: float, previous: tuple[float, Any] | None, stream: Any) -> float:
    if frame.pts is not None:
        return float(frame.pts * stream.time_base) - zero
    step = 1.0 / float(stream.average_rate or stream.guessed_rate or 25)  # no timestamp: next in line
    return 0.0 if previous is None else previous[0] + step


def _native(shown: Iterable[tuple[float, float, Any]], request: _Request) -> Iterator[tuple[float, Any]]:
    """Every shown frame whose start lies in the window."""
    for begin, _, frame in shown:
        if begin >= request.end - request.tolerance:
            return
        if begin >= request.begin - request.tolerance:
            yield begin, frame


def _sample(shown: Iterable[tuple[float, float, Any]], request: _Request) -> Iterator[tuple[float, Any]]:
    """The frame shown at each ``begin + k / fps`` before the window's end. A frame stands for
    the sample times before its end (a seek may start a little early: those frames end before
    the first sample and give nothing; the first frame also stands for times before it)."""
    k = 0
    for _, end, frame in shown:
        limit = min(end - request.tolerance, request.end - 1e-9)
        while (when := request.begin + k / request.fps) < limit:
            yield when, frame
            k += 1
        if request.begin + k / request.fps >= request.end - 1e-9:
            return


def _to_rgb(frame: Any, request: _Request, reformatter: Any) -> np.ndarray:
    """Scale to the requested (displayed) size, convert to RGB, apply the display rotation.

    One reformatter serves every frame (a fresh swscale context per frame costs more than the
    scaling), on the calling thread (FFmpeg's decoder threads are busy decoding)."""
    width, height = request.size
    if request.rotation in (90, 270):
        width, height = height, width
    interpolation = "AREA" if request.shrink else "BICUBIC"
    scaled = reformatter.reformat(frame, width, height, "rgb24", interpolation=interpolation, threads=1)
    array = scaled.to_ndarray()
    if request.rotation:
        array = np.ascontiguousarray(np.rot90(array, k=request.rotation // 90))
    return array


def read_frames(
    path: str | Path,
    *,
    fps: float | None = None,
    size: tuple[int, int] | None = None,
    start: float = 0.0,
    duration: float | None = None,
    max_bytes: int | None = DEFAULT_MAX_FRAME_BYTES,
) -> np.ndarray:
    """All frames of :func:`iter_frames` in one array ``(T, H, W, 3)`` uint8.

    Refuses (MediaError) when the frames would exceed ``max_bytes`` (None: no limit); use
    :func:`iter_frames` for long videos.
    """
    path = _ffmpeg.check_input(path)
    info = probe(path, count_frames=False)
    request = _request(info, fps=fps, size=size, start=start, duration=duration)
    seconds = max(0.0, min(request.end, info.video_end or info.duration) - request.begin)
    estimate = int(math.ceil(seconds * (fps or info.fps or 30.0) - 1e-9)) + 1
    width, height = request.size
    frame_bytes = width * height * 3
    if max_bytes is not None and estimate * frame_bytes > max_bytes:
        raise MediaError(
            f"refusing to load ~{estimate} frames of {width}x{height} from {path} "
            f"({estimate * frame_bytes / 2**30:.1f} GiB > max_bytes); use iter_frames, a lower fps/size, or a shorter window"
        )
    out = np.empty((estimate, height, width, 3), dtype=np.uint8)  # filled in place: no list + stack copy
    n = 0
    for _, frame in _decode(path, request):
        if n == len(out):  # the estimate was short (variable frame rate): grow by a quarter
            if max_bytes is not None and (n + 1) * frame_bytes > max_bytes:
                raise MediaError(f"{path} decodes to more than max_bytes={max_bytes} of frames")
            out = np.concatenate([out, np.empty((n // 4 + 1, height, width, 3), dtype=np.uint8)])
        out[n] = frame
        n += 1
    return out[:n]
