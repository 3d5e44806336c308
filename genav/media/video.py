"""Encoding frames to video files with the ffmpeg binary: H.264 in mp4/m4v/mov/mkv, VP9 in webm
(reading is :mod:`genav.media.decode`)."""

from __future__ import annotations

import contextlib
import logging
import subprocess
import tempfile
from collections.abc import Iterable, Iterator
from fractions import Fraction
from pathlib import Path

import numpy as np

from genav.errors import InputError
from genav.media import _ffmpeg
from genav.media.atomic import check_output_path, media_output
from genav.media.audio import Audio
from genav.media.containers import check_video_suffix, encoder_args
from genav.media.mux import mux_into
from genav.media.probe import probe

log = logging.getLogger(__name__)

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
    """Encode frames (each (H, W, 3) uint8 RGB, or float in [0, 1]) to yuv420p video, atomically:
    H.264 at ``crf`` in .mp4/.m4v/.mov/.mkv, VP9 in .webm (lossless for ``crf`` 0, else at VP9's
    CRF 32); another suffix is a MediaError, raised before anything is made.

    Frames are streamed to ffmpeg one at a time; the file has exactly as many frames as given, at
    exactly ``fps`` (as the rational :func:`_rate` makes of it). yuv420p needs even sizes: an odd
    width or height is padded by repeating the last column/row (right/bottom). With ``audio``, an
    AAC track cut or padded to the video's length is added (see :func:`mux_audio`).
    """
    suffix = check_video_suffix(path)  # before check_output_path, which makes missing folders
    path = check_output_path(path, overwrite=overwrite)
    if not fps > 0:
        raise InputError(f"fps must be > 0, got {fps}")
    if not 0 <= crf <= 51:
        raise InputError(f"crf must be in 0..51, got {crf}")
    with media_output(path, overwrite=overwrite) as tmp:
        if audio is None:
            _encode(tmp, path, frames, fps, encoder_args(suffix, crf))
        else:
            with tempfile.TemporaryDirectory(prefix=".genav-", dir=path.parent) as work:
                silent = Path(work) / f"video{path.suffix}"
                _encode(silent, path, frames, fps, encoder_args(suffix, crf))
                mux_into(probe(silent), audio, tmp, target=path)
    return path


def _encode(tmp: Path, target: Path, frames: Iterable[np.ndarray] | np.ndarray, fps: float, codec: list[str]) -> int:
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
           *codec, "-pix_fmt", "yuv420p", "-r", rate,
           *(["-movflags", "+faststart"] if target.suffix.lower() in (".mp4", ".m4v", ".mov") else []),
           _ffmpeg.file_arg(tmp)]  # fmt: skip
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
