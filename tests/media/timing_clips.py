"""Clips made the way users make them, with ffmpeg (lavfi sources, stream-copy trims, offsets).

Each builder writes real files with the bundled ffmpeg binary and knows its ground truth: the
frames a selection keeps, the container times of clicks and of visual jumps.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from genav.media import _ffmpeg

SR = 48000
AAC_FRAME = 1024 / SR  # the granularity of an AAC track's start and end
CLICK_S = 0.003  # click length; onsets and peak search see its start


def ffmpeg(*args: str, out: Path) -> Path:
    _ffmpeg.run([*args, _ffmpeg.file_arg(out)], out, action="write")
    return out


def issue_vfr(path: Path) -> Path:
    """Issue 8's input 1: testsrc at 30 fps for 3 s, then every 6th frame (5 fps): 105 frames,
    5.833 s, made with ``select`` and ``-fps_mode vfr`` as screen recorders and editors do."""
    return ffmpeg("-f", "lavfi", "-i", "testsrc=size=96x64:rate=30:duration=6",
                  "-vf", "select='lt(t,3)+not(mod(n,6))'", "-fps_mode", "vfr", *video_codec_args(path), out=path)  # fmt: skip


def gop_source(path: Path, *, audio: bool) -> Path:
    """6 s of testsrc at 25 fps with a keyframe every 2 s (and a 440 Hz AAC track): a clip to
    trim at a non-keyframe."""
    sound = (
        ["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration=6", "-c:a", "aac"]
        if audio
        else []
    )
    return ffmpeg("-f", "lavfi", "-i", "testsrc=size=96x64:rate=25:duration=6", *sound, "-g", "50",
                  *video_codec_args(path), out=path)  # fmt: skip


def _count(times: Sequence[float], var: str = "t") -> str:
    """An ffmpeg expression counting how many of ``times`` are <= ``var``."""
    return "+".join(f"gte({var},{t:.6f})" for t in times) or "0"


def vfr_select(changes: Sequence[tuple[float, int]]) -> str:
    """A ``select`` expression: from each change time on, keep every ``k``-th source frame.

    ``changes`` = [(0, k0), (t1, k1), ...]. Source frame n (time t) is kept when n % k == 0 for the
    segment t falls in.
    """
    expr = f"not(mod(n,{changes[-1][1]}))"
    for i in range(len(changes) - 2, -1, -1):
        expr = f"if(lt(t,{changes[i + 1][0]:.6f}),not(mod(n,{changes[i][1]})),{expr})"
    return expr


def kept_times(rate: float, seconds: float, changes: Sequence[tuple[float, int]]) -> np.ndarray:
    """Source frame times the :func:`vfr_select` expression keeps."""
    n = np.arange(int(round(seconds * rate)))
    t = n / rate
    keep = np.zeros(n.size, bool)
    for i, (start, k) in enumerate(changes):
        end = changes[i + 1][0] if i + 1 < len(changes) else np.inf
        seg = (t >= start - 1e-9) & (t < end - 1e-9)
        keep |= seg & (n % k == 0)
    return t[keep]


def video_codec_args(path: Path) -> list[str]:
    if path.suffix == ".webm":
        return ["-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8", "-b:v", "400k"]
    return ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"]


def jump_video(path: Path, *, seconds: float, rate: float, jumps: Sequence[float] = (), size: int = 64,
               select: str | None = None, gop: int | None = None) -> Path:  # fmt: skip
    """A white square on black that jumps sideways at each time in ``jumps`` (a step, so the flow
    trajectory has one peak there); optionally thinned to a variable rate by ``select``."""
    side = max(8, size // 4)
    graph = (f"color=c=black:s={size}x{size}:r={rate}:d={seconds}[bg];"
             f"color=c=white:s={side}x{side}:r={rate}:d={seconds}[sq];"
             f"[bg][sq]overlay=x='{side // 2}+{size // 2}*mod({_count(jumps)},2)':y={size // 3}")  # fmt: skip
    filters = ["-vf", f"select='{select}'", "-fps_mode", "vfr"] if select else []
    keyframes = ["-g", str(gop)] if gop else []
    return ffmpeg("-f", "lavfi", "-i", graph, *filters, *video_codec_args(path), *keyframes, out=path)


def click_wav(path: Path, *, seconds: float, clicks: Sequence[float], level: float = 0.9) -> Path:
    """A mono 48 kHz wav: silence with 3 ms clicks at ``clicks`` (seconds of its own time)."""
    expr = "+".join(f"between(t,{c:.6f},{c + CLICK_S:.6f})" for c in clicks) or "0"
    return ffmpeg("-f", "lavfi", "-i", f"aevalsrc='{level}*({expr})':s={SR}:d={seconds}", out=path)


def combine(
    out: Path, video: Path, audio: Path, *, video_offset: float = 0.0, audio_offset: float = 0.0
) -> Path:
    """Picture copied, audio as AAC (Opus for webm), each stream shifted by its offset."""
    codec = ["-c:a", "libopus"] if out.suffix == ".webm" else ["-c:a", "aac"]
    return ffmpeg("-itsoffset", f"{video_offset:.6f}", "-i", _ffmpeg.file_arg(video),
                  "-itsoffset", f"{audio_offset:.6f}", "-i", _ffmpeg.file_arg(audio),
                  "-map", "0:v:0", "-map", "1:a:0", "-c:v", "copy", *codec, out=out)  # fmt: skip


def trim_copy(src: Path, out: Path, at: float) -> Path:
    """A lossless trim as users make it: ``ffmpeg -ss AT -i SRC -c copy OUT`` (an mp4 edit list)."""
    return ffmpeg("-ss", f"{at:.6f}", "-i", _ffmpeg.file_arg(src), "-c", "copy", out=out)


def click_times(
    samples: np.ndarray, sample_rate: int, *, start: float = 0.0, level: float = 0.2
) -> np.ndarray:
    """Times (seconds, ``start`` + offset in ``samples``) where clicks begin: the first sample above
    ``level`` after at least 50 ms below it."""
    mono = np.abs(np.asarray(samples, dtype=np.float64)).reshape(-1, samples.shape[-1]).max(axis=0)
    loud = np.flatnonzero(mono > level)
    if loud.size == 0:
        return np.zeros(0)
    gaps = np.diff(loud) > 0.05 * sample_rate
    firsts = loud[np.concatenate([[True], gaps])]
    return start + firsts / sample_rate


def jump_frames(frames: np.ndarray) -> np.ndarray:
    """Indices of frames where the square's position differs from the previous frame's."""
    column = frames[:, frames.shape[1] // 3 + 2, :, 0].astype(int).argmax(axis=1)
    return np.flatnonzero(np.abs(np.diff(column)) > 2) + 1
