"""AV-Align benchmarks: throughput on synthetic 4 s clips, peak memory on a long 720p clip.

Throughput: ``n_clips`` 256x256 25 fps 4 s jolt clips (:mod:`genav.data.synth.calibration`, events at
seeded random times, a wav beside each mp4) evaluated by :func:`evaluate_av_align` with 1, 2, ...
processes. Memory: a ``minutes``-long 1280x720 ffmpeg ``testsrc`` clip with a stereo 48 kHz tone
as its own audio track, evaluated in a fresh Python process whose own peak RSS (VmHWM) is
reported; the ffmpeg process that decodes the audio track is reported apart (an upper bound: see
:mod:`genav.bench.measure`). Frame rate of the
long clip is a parameter: Farneback at 720p costs ~0.3 s per frame pair on one core, so the
default 1 fps keeps the run to minutes; memory does not depend on the frame count (two grey
frames are alive at a time).
"""

from __future__ import annotations

import logging
import subprocess
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from genav.bench.measure import measure_in_fresh_process
from genav.errors import MediaError

logger = logging.getLogger(__name__)

__all__ = ["make_clips", "make_long_clip", "bench_av_align"]

_CHILD = """
import sys, time
from genav.eval.detectors.av_align_clip import av_align
t0 = time.perf_counter()
r = av_align(sys.argv[1], protocol=sys.argv[2])
result = {"seconds": time.perf_counter() - t0, "frames": r.frames, "fps": r.fps, "score": r.score,
          "n_audio_peaks": r.n_audio_peaks, "n_video_peaks": r.n_video_peaks}
"""


def make_clips(folder: Path, n_clips: int, *, seed: int = 0) -> list[Path]:
    """Write ``n_clips`` 4 s jolt clips ``clip_XXX.mp4`` + ``clip_XXX.wav`` (3-6 events each)."""
    from genav.data.synth.calibration import click_track, jolt_frames, write_jolt_video, write_wav

    rng = np.random.default_rng(seed)
    paths = []
    for i in range(n_clips):
        events = np.sort(rng.choice(np.arange(4, 92, 8), size=int(rng.integers(3, 7)), replace=False)) / 25.0
        video = write_jolt_video(folder / f"clip_{i:03d}.mp4", jolt_frames(events.tolist()))
        write_wav(
            folder / f"clip_{i:03d}.wav", click_track((events + rng.uniform(-0.03, 0.03)).tolist(), seed=i)
        )
        paths.append(video)
    return paths


def make_long_clip(
    path: Path, minutes: float = 10.0, *, fps: float = 1.0, size: tuple[int, int] = (1280, 720)
) -> Path:
    """ffmpeg ``testsrc`` video (H.264 ultrafast) + a stereo 48 kHz 440 Hz tone (AAC), ``minutes`` long."""
    from genav.media import ffmpeg_exe

    seconds = f"{minutes * 60:.3f}"
    cmd = [ffmpeg_exe(), "-v", "error", "-y",
           "-f", "lavfi", "-i", f"testsrc=size={size[0]}x{size[1]}:rate={fps}:duration={seconds}",
           "-f", "lavfi", "-i", f"sine=frequency=440:beep_factor=4:sample_rate=48000:duration={seconds}",
           "-ac", "2", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
           "-c:a", "aac", "-b:a", "128k", "-shortest", str(path)]  # fmt: skip
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise MediaError(f"cannot make benchmark clip {path}: {proc.stderr.strip()[-300:]}")
    return path


def _measure_in_child(clip: Path, protocol: str) -> dict:
    return measure_in_fresh_process(_CHILD, clip, protocol, what="AV-Align memory benchmark")


def bench_av_align(
    n_clips: int = 100,
    workers: Sequence[int] = (1, 2),
    *,
    protocol: str = "reference",
    long_minutes: float | None = 10.0,
    long_fps: float = 1.0,
    workdir: str | Path | None = None,
) -> dict:
    """Clips per second of :func:`evaluate_av_align` for each ``workers`` count, and peak RSS (MB)
    of one process evaluating a ``long_minutes`` 720p clip (``None`` skips it)."""
    from genav.eval.runners.av_align_dataset import evaluate_av_align

    out: dict = {"protocol": protocol, "n_clips": n_clips, "clip": "256x256, 25 fps, 4 s, wav beside"}
    with tempfile.TemporaryDirectory(prefix="genav-bench-av-", dir=workdir) as work:
        folder = Path(work) / "clips"
        folder.mkdir()
        t0 = time.perf_counter()
        make_clips(folder, n_clips)
        out["make_clips_s"] = round(time.perf_counter() - t0, 2)
        out["throughput"] = []
        for w in workers:
            t0 = time.perf_counter()
            report = evaluate_av_align([folder], protocol=protocol, workers=w)
            seconds = time.perf_counter() - t0
            out["throughput"].append(
                {
                    "workers": w,
                    "seconds": round(seconds, 2),
                    "clips_per_s": round(n_clips / seconds, 3),
                    "mean": report["mean"],
                    "n_failed": report["n_failed"],
                }  # fmt: skip
            )
            logger.info("AV-Align, %d workers: %.3f clips/s", w, n_clips / seconds)
        if long_minutes:
            clip = make_long_clip(Path(work) / "long.mp4", long_minutes, fps=long_fps)
            res = _measure_in_child(clip, protocol)
            out["long_clip"] = {
                "minutes": long_minutes, "size": "1280x720", "fps": res["fps"], "frames": res["frames"],
                "audio": "stereo 48 kHz AAC (own track)", "seconds": round(res["seconds"], 1),
                "peak_rss_python_mb": round(res["python_kib"] * 1024 / 1e6, 1),
                "peak_rss_ffmpeg_mb": round(res["children_kib"] * 1024 / 1e6, 1),
            }  # fmt: skip
    return out
