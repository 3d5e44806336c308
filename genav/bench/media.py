"""Streaming benchmark: read a long 720p clip at low fps and size, measure time and peak memory.

The clip is made cheaply: 10 s of ffmpeg's ``testsrc`` pattern encoded once, then repeated by
stream copy (``-stream_loop``) to the requested length (a constant frame rate). The read runs in a
fresh Python process so its own peak RSS (VmHWM, :mod:`genav.bench.measure`) measures the read alone, not whatever the
caller imported before; child processes (an ffmpeg binary) are reported separately.

Two readers are timed on the same clip, taking turns ``repeats`` times: genav's
(:func:`iter_frames`: PyAV, frames picked by presentation time) and, as the yardstick, the ffmpeg
binary piping raw frames through its ``fps`` and ``scale`` filters, which is how genav read video
before it used timestamps. Reported: medians of the wall time, of ``decode_fps`` (source frames
decoded per second) and of the CPU seconds (the process and its children, all threads: the work
done, which other jobs on a shared machine disturb far less than wall time);
``speed_vs_ffmpeg_pipe`` is the ratio of the median decode rates. ``mux_copy_s`` is the time to
put a tone under the clip with :func:`mux_audio` (the video stream is copied, not re-encoded).
"""

from __future__ import annotations

import logging
import math
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from genav.bench.measure import measure_in_fresh_process
from genav.media import ffmpeg_exe, ffmpeg_file_arg, run_ffmpeg
from genav.media.audio import Audio
from genav.media.mux import mux_audio
from genav.media.probe import probe

log = logging.getLogger(__name__)

_SEGMENT_SECONDS = 10

# Runs in the child process: argv = path, fps, width, height.
_READER = """
import sys, time
from genav.media import iter_frames
path, fps, w, h = sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
t0 = time.perf_counter()
n = 0
for frame in iter_frames(path, fps=fps, size=(w, h)):
    n += 1
result = {"frames": n, "seconds": time.perf_counter() - t0, "cpu": _cpu_seconds()}
"""

# The yardstick, also in a fresh process: argv = ffmpeg, path, fps, width, height.
_FFMPEG_PIPE = """
import subprocess, sys, time
import numpy as np
exe, path, fps, w, h = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
cmd = [exe, "-v", "error", "-nostdin", "-i", path, "-an", "-vf", f"fps={fps},scale={w}:{h}:flags=area",
       "-f", "rawvideo", "-pix_fmt", "rgb24", "pipe:1"]
t0 = time.perf_counter()
proc = subprocess.Popen(cmd, stdout=subprocess.PIPE)
n, size, peak = 0, w * h * 3, 0
while len(chunk := proc.stdout.read(size)) == size:
    frame = np.frombuffer(chunk, np.uint8).reshape(h, w, 3).copy()
    n += 1
    if n % 32 == 1:  # ffmpeg's own peak so far (its ru_maxrss would include this process's size)
        peak = max(peak, _peak_kib(proc.pid))
proc.wait()
result = {"frames": n, "seconds": time.perf_counter() - t0, "cpu": _cpu_seconds(), "children_kib": peak}
"""

# Both child scripts start with this: the harness's CPU-seconds and live-process peak readers.
_CPU = """
from genav.bench.measure import cpu_seconds as _cpu_seconds, process_peak_kib as _peak_kib
"""


def make_test_clip(
    path: Path, minutes: float, *, width: int = 1280, height: int = 720, fps: int = 25
) -> Path:
    """Write an H.264 testsrc clip of ``minutes`` to ``path`` (encodes 10 s, loops it by stream copy)."""
    segment = path.with_name(f"segment{path.suffix}")
    src = f"testsrc=size={width}x{height}:rate={fps}:duration={_SEGMENT_SECONDS}"
    run_ffmpeg(["-f", "lavfi", "-i", src, "-c:v", "libx264", "-preset", "ultrafast", "-g", str(2 * fps),
                "-pix_fmt", "yuv420p", ffmpeg_file_arg(segment)], segment, action="write")  # fmt: skip
    loops = max(0, math.ceil(minutes * 60 / _SEGMENT_SECONDS) - 1)
    run_ffmpeg(["-stream_loop", str(loops), "-i", ffmpeg_file_arg(segment), "-c", "copy",
                "-t", f"{minutes * 60:.3f}", ffmpeg_file_arg(path)], path, action="write")  # fmt: skip
    segment.unlink()
    return path


def bench_stream_read(
    minutes: float = 10.0,
    *,
    fps: float = 8.0,
    size: tuple[int, int] = (64, 64),
    width: int = 1280,
    height: int = 720,
    repeats: int = 3,
    workdir: str | Path | None = None,
) -> dict:
    """Make a ``minutes``-long ``width``x``height`` clip, read it with :func:`iter_frames` at
    ``fps`` and ``size`` and with the ffmpeg-pipe yardstick, ``repeats`` times each in turn, and
    report frames, median times and CPU seconds, and the peak RSS (MB) of the reading processes."""
    with tempfile.TemporaryDirectory(prefix="genav-bench-media-", dir=workdir) as work:
        clip = Path(work) / "clip.mp4"
        t0 = time.perf_counter()
        make_test_clip(clip, minutes, width=width, height=height)
        made = time.perf_counter() - t0
        t0 = time.perf_counter()
        info = probe(clip)
        probe_seconds = time.perf_counter() - t0
        runs: dict[str, list[dict]] = {"genav": [], "ffmpeg_pipe": []}
        for _ in range(max(1, repeats)):
            runs["genav"].append(
                measure_in_fresh_process(_CPU + _READER, clip, fps, *size, what="streaming benchmark")
            )
            runs["ffmpeg_pipe"].append(measure_in_fresh_process(_CPU + _FFMPEG_PIPE, ffmpeg_exe(), clip, fps,
                                                                *size, what="ffmpeg pipe benchmark"))  # fmt: skip
        mux_seconds = _time_mux(clip, min(info.duration, 5.0))
    genav, pipe = (_summary(runs[k], info.n_frames) for k in ("genav", "ffmpeg_pipe"))
    return {
        "clip": {
            "minutes": minutes,
            "width": width,
            "height": height,
            "fps": info.fps,
            "frames": info.n_frames,
            "duration": info.duration,
            "variable_frame_rate": info.vfr,
        },  # fmt: skip
        "read": {
            "fps": fps,
            "size": list(size),
            "frames": genav["frames"],
            "expected_frames": math.ceil(round(info.video_duration * fps, 6)),
        },  # fmt: skip
        "repeats": max(1, repeats),
        "make_clip_s": round(made, 2),
        "probe_s": round(probe_seconds, 3),
        **{k: v for k, v in genav.items() if k != "frames"},
        "ffmpeg_pipe": pipe,
        "speed_vs_ffmpeg_pipe": round(genav["decode_fps"] / pipe["decode_fps"], 3),
        "mux_copy_s": round(mux_seconds, 3),
    }


def _time_mux(clip: Path, seconds: float, sample_rate: int = 48000) -> float:
    """Seconds to mux a ``seconds``-long 1 kHz tone under ``clip`` (video stream copied)."""
    t = np.arange(int(seconds * sample_rate), dtype=np.float32) / sample_rate
    tone = Audio((0.3 * np.sin(2 * np.pi * 1000.0 * t))[None].astype(np.float32), sample_rate)
    t0 = time.perf_counter()
    mux_audio(clip, tone, clip.with_name("muxed.mp4"))
    return time.perf_counter() - t0


def _summary(runs: list[dict], source_frames: int) -> dict:
    """Medians over runs of the read time, decode rate and CPU seconds; the largest peak RSS."""
    mb = 1024 / 1e6
    seconds = statistics.median(r["seconds"] for r in runs)
    return {
        "frames": runs[0]["frames"],
        "read_s": round(seconds, 2),
        "decode_fps": round(source_frames / seconds, 1),
        "cpu_s": round(statistics.median(r["cpu"] for r in runs), 2),
        "peak_rss_python_mb": round(max(r["python_kib"] for r in runs) * mb, 1),
        "peak_rss_children_mb": round(max(r["children_kib"] for r in runs) * mb, 1),
        "peak_rss_total_mb": round(max(r["python_kib"] + r["children_kib"] for r in runs) * mb, 1),
    }
