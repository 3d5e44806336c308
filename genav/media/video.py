"""Video frames: decode as a stream (ffmpeg pipe), encode to H.264 mp4.

Decoding never holds more than one frame of the output size in Python (plus ffmpeg's own small
buffers), so a 10-minute 720p clip read at 8 fps, 64x64 stays far below 500 MB (see
:mod:`genav.media.bench`). Frame rate conversion is ffmpeg's ``fps`` filter (nearest frame in
time); resizing is ffmpeg's scaler (area averaging when shrinking, bicubic otherwise).
"""

from __future__ import annotations

import contextlib
import logging
import math
import subprocess
import tempfile
from collections.abc import Iterable, Iterator
from fractions import Fraction
from pathlib import Path

import numpy as np

from genav.errors import InputError, MediaError
from genav.media import _ffmpeg
from genav.media.atomic import check_output_path, media_output
from genav.media.audio import Audio
from genav.media.mux import mux_into
from genav.media.probe import MediaInfo, probe, require_video

log = logging.getLogger(__name__)

DEFAULT_MAX_FRAME_BYTES = 4 << 30  # read_frames refuses to hold more than 4 GiB of frames


def iter_frames(
    path: str | Path,
    *,
    fps: float | None = None,
    size: tuple[int, int] | None = None,
    start: float = 0.0,
    duration: float | None = None,
) -> Iterator[np.ndarray]:
    """Yield frames (H, W, 3) uint8 RGB one at a time from an ffmpeg pipe.

    ``fps``: resample the frame rate (ffmpeg fps filter); ``size``: (width, height) to scale to
    (aspect ratio not kept); ``start``/``duration``: the window in seconds. Stopping early (break,
    ``close()``) ends the ffmpeg process.
    """
    path = _ffmpeg.check_input(path)
    args, (width, height), _ = _decode_args(path, fps=fps, size=size, start=start, duration=duration)
    return _frames(args, path, width, height)


def _frames(args: list[str], path: Path, width: int, height: int) -> Iterator[np.ndarray]:
    frame_bytes = width * height * 3
    for chunk in _ffmpeg.stream(args, path, chunk_bytes=frame_bytes):
        if len(chunk) < frame_bytes:
            raise MediaError(f"{path} is truncated or corrupt (incomplete last frame)")
        yield np.frombuffer(chunk, dtype=np.uint8).reshape(height, width, 3).copy()


def _decode_args(path: Path, *, fps: float | None, size: tuple[int, int] | None, start: float,
                 duration: float | None) -> tuple[list[str], tuple[int, int], MediaInfo]:  # fmt: skip
    """ffmpeg arguments to decode ``path`` to raw RGB, the (width, height) of its frames, its info."""
    if not math.isfinite(start) or start < 0:
        raise InputError(f"start must be >= 0 seconds, got {start}")
    if duration is not None and not duration > 0:
        raise InputError(f"duration must be > 0 seconds, got {duration}")
    if fps is not None and not fps > 0:
        raise InputError(f"fps must be > 0, got {fps}")
    info = probe(path, count_frames=False)
    require_video(info)
    filters = [f"fps={_rate(fps)}"] if fps is not None else []
    if size is not None:
        width, height = (int(v) for v in size)
        if width <= 0 or height <= 0:
            raise InputError(f"size must be (width, height) > 0, got {size}")
        shrink = width <= info.width and height <= info.height
        filters.append(f"scale={width}:{height}:flags={'area' if shrink else 'bicubic'}")
    else:
        width, height = info.width, info.height
    window = ["-ss", f"{start:.6f}"] if start > 0 else []
    if duration is not None:
        window += ["-t", f"{duration:.6f}"]
    args = [*window, "-i", _ffmpeg.file_arg(path), "-map", "0:v:0", "-an", "-sn", "-dn",
            *(["-vf", ",".join(filters)] if filters else []), "-f", "rawvideo", "-pix_fmt", "rgb24", "pipe:1"]  # fmt: skip
    return args, (width, height), info


def read_frames(
    path: str | Path,
    *,
    fps: float | None = None,
    size: tuple[int, int] | None = None,
    start: float = 0.0,
    duration: float | None = None,
    max_bytes: int | None = DEFAULT_MAX_FRAME_BYTES,
) -> np.ndarray:
    """All frames of :func:`iter_frames` in one array (T, H, W, 3) uint8.

    Refuses (MediaError) when the frames would exceed ``max_bytes`` (None: no limit); use
    :func:`iter_frames` for long videos.
    """
    path = _ffmpeg.check_input(path)
    args, (width, height), info = _decode_args(path, fps=fps, size=size, start=start, duration=duration)
    seconds = max(0.0, info.duration - start) if duration is None else duration
    estimate = int(math.ceil(seconds * (fps or info.fps or 30.0))) + 1
    frame_bytes = width * height * 3
    if max_bytes is not None and estimate * frame_bytes > max_bytes:
        raise MediaError(
            f"refusing to load ~{estimate} frames of {width}x{height} from {path} "
            f"({estimate * frame_bytes / 2**30:.1f} GiB > max_bytes); use iter_frames, a lower fps/size, or a shorter window"
        )
    out = np.empty((estimate, height, width, 3), dtype=np.uint8)  # filled in place: no list + stack copy
    n = 0
    for frame in _frames(args, path, width, height):
        if n == len(out):  # the estimate was short (variable frame rate): grow by a quarter
            if max_bytes is not None and (n + 1) * frame_bytes > max_bytes:
                raise MediaError(f"{path} decodes to more than max_bytes={max_bytes} of frames")
            out = np.concatenate([out, np.empty((n // 4 + 1, height, width, 3), dtype=np.uint8)])
        out[n] = frame
        n += 1
    return out[:n]


def _rate(fps: float) -> Fraction:
    """Exact rational for a frame rate: 30 -> 30, 29.97 or 30000/1001 -> 30000/1001, 12.5 -> 25/2."""
    return Fraction(fps).limit_denominator(1001)


def _as_uint8(frame: np.ndarray, index: int) -> np.ndarray:
    frame = np.asarray(frame)
    if frame.ndim != 3 or frame.shape[2] != 3:
        raise InputError(f"frame {index} must be (H, W, 3) RGB, got shape {frame.shape}")
    if frame.dtype == np.uint8:
        return frame
    if np.issubdtype(frame.dtype, np.floating):  # floats are taken as [0, 1]
        return (np.clip(frame, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)
    raise InputError(f"frame {index} must be uint8 (or float in [0, 1]), got {frame.dtype}")


def write_video(
    path: str | Path,
    frames: Iterable[np.ndarray] | np.ndarray,
    fps: float,
    *,
    audio: Audio | None = None,
    overwrite: bool = False,
    crf: int = 18,
) -> Path:
    """Encode frames (each (H, W, 3) uint8 RGB, or float in [0, 1]) to H.264 yuv420p mp4, atomically.

    Frames are streamed to ffmpeg one at a time; the file has exactly as many frames as given, at
    exactly ``fps`` (as the rational :func:`_rate` makes of it). yuv420p needs even sizes: an odd
    width or height is padded by repeating the last column/row (right/bottom). With ``audio``, an
    AAC track cut or padded to the video's length is added (see :func:`mux_audio`).
    """
    path = check_output_path(path, overwrite=overwrite)
    if not fps > 0:
        raise InputError(f"fps must be > 0, got {fps}")
    if not 0 <= crf <= 51:
        raise InputError(f"crf must be in 0..51, got {crf}")
    with media_output(path, overwrite=overwrite) as tmp:
        if audio is None:
            _encode(tmp, path, frames, fps, crf)
        else:
            with tempfile.TemporaryDirectory(prefix=".genav-", dir=path.parent) as work:
                silent = Path(work) / f"video{path.suffix}"
                _encode(silent, path, frames, fps, crf)
                mux_into(silent, audio, tmp, target=path)
    return path


def _encode(tmp: Path, target: Path, frames: Iterable[np.ndarray] | np.ndarray, fps: float, crf: int) -> int:
    """Stream frames into ffmpeg writing ``tmp``; returns the number of frames written."""
    iterator = iter(frames)
    first = next(iterator, None)
    if first is None:
        raise InputError(f"cannot write {target}: no frames")
    first = _as_uint8(first, 0)
    height, width = first.shape[:2]
    odd = (0, height % 2), (0, width % 2), (0, 0)
    if height % 2 or width % 2:
        log.info("padding %dx%d frames to even size for yuv420p in %s", width, height, target)
    rate = str(_rate(fps))
    cmd = [_ffmpeg.ffmpeg_exe(), "-hide_banner", "-nostats", "-v", "error", "-y",
           "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{width + width % 2}x{height + height % 2}", "-framerate", rate, "-i", "pipe:0",
           "-c:v", "libx264", "-crf", str(crf), "-pix_fmt", "yuv420p", "-r", rate,
           "-movflags", "+faststart", _ffmpeg.file_arg(tmp)]  # fmt: skip
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    drain = _ffmpeg.StderrDrain(proc.stderr)
    drain.start()
    count = 0
    try:
        for count, frame in enumerate(_chain(first, iterator), start=1):
            frame = _as_uint8(frame, count - 1)
            if frame.shape != first.shape:
                raise InputError(f"frame {count - 1} has shape {frame.shape}, frame 0 had {first.shape}")
            if height % 2 or width % 2:  # repeat the edge: a black border would bleed into the chroma
                frame = np.pad(frame, odd, mode="edge")
            proc.stdin.write(np.ascontiguousarray(frame).data)
        proc.stdin.close()
    except BrokenPipeError:
        pass  # ffmpeg died; its exit code and stderr say why
    except BaseException:
        proc.kill()
        raise
    finally:
        rc = proc.wait()
        drain.join()
        with contextlib.suppress(OSError):  # already closed, or ffmpeg gone with data unflushed
            proc.stdin.close()
    if rc != 0:
        raise _ffmpeg.failure(target, list(drain.lines), action="write")
    return count


def _chain(first: np.ndarray, rest: Iterator[np.ndarray]) -> Iterator[np.ndarray]:
    yield first
    yield from rest
