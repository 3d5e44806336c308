"""`genav bench eval`: ``genav eval av-align`` side by side with one process of the reference computation.

Clips: ``n_clips`` synthetic-world clips (:mod:`genav.data.synth`: objects struck, bounced,
rolled, with textured walls, camera pans/shake, sensor noise and lighting flicker), ``seconds``
long at ``fps`` and ``width`` x ``height``, each an H.264 ``clip_XXX.mp4`` with a 44.1 kHz
``clip_XXX.wav`` beside it (the reference script's layout).

Sides, each a fresh program on the same folder: the yardstick
(:mod:`genav.bench.av_align_yardstick`, the published script's computation, one process), and
``python -m genav eval av-align FOLDER`` with protocol ``reference`` and ``genav`` (default
workers: all cores). Each run's wall time, CPU time (the program and every process it started,
all threads) and peak memory (the sum of the resident sizes of its whole process tree, sampled
every 250 ms) are measured from outside, so start-up, imports and decoding are all counted.
Sides take turns ``repeats`` times; ``speedup`` is the median over turns of the script's wall time
over genav's in the same turn, ``speedup_cpu`` the ratio of median CPU times. On a machine shared
with other jobs, wall times move with their load (and Linux shares CPU per session, so a pool
gains only the cores nobody else is using: ``cores_used`` shows each side's share).
"""

from __future__ import annotations

import json
import logging
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

from genav.bench.measure import run_measured

logger = logging.getLogger(__name__)

__all__ = ["make_eval_clips", "bench_eval"]


def make_eval_clips(
    folder: Path, n_clips: int, *, seconds: float = 4.0, width: int = 640, height: int = 360, fps: int = 25
) -> list[Path]:
    """Write ``n_clips`` synthetic-world clips ``clip_XXX.mp4`` + ``clip_XXX.wav`` into ``folder``."""
    from genav.data.synth import SynthSettings, generate_clip
    from genav.media import Audio, write_audio, write_video

    settings = SynthSettings(
        duration=seconds, fps=fps, width=width, height=height, sample_rate=44100, n_events=(2, 6),
        difficulty=0.3, p_pan=0.3, p_noise=0.3, p_flicker=0.2, p_textured=0.5,
    )  # fmt: skip
    paths = []
    for i in range(n_clips):
        clip = generate_clip(i, settings)
        video = write_video(folder / f"clip_{i:03d}.mp4", clip.frames, clip.fps)
        write_audio(folder / f"clip_{i:03d}.wav", Audio(clip.audio, clip.sample_rate))
        paths.append(Path(video))
    return paths


def _sides(folder: Path, work: Path, workers: int | None) -> dict[str, list[str]]:
    yardstick = Path(__file__).with_name("av_align_yardstick.py")
    extra = [] if workers is None else ["--workers", str(workers)]
    genav = [sys.executable, "-m", "genav", "eval", "av-align", str(folder), *extra, "--overwrite"]
    return {
        "reference_script": [
            sys.executable,
            str(yardstick),
            str(folder),
            str(work / "reference_script.json"),
        ],
        "genav_reference": [*genav, "--protocol", "reference", "--json", str(work / "genav_reference.json")],
        "genav_genav": [*genav, "--protocol", "genav", "--json", str(work / "genav_genav.json")],
    }


def _scores(work: Path) -> dict[str, dict[str, float | None]]:
    """Per-clip scores each side wrote."""
    out = {"reference_script": json.loads((work / "reference_script.json").read_text())["scores"]}
    for side in ("genav_reference", "genav_genav"):
        report = json.loads((work / f"{side}.json").read_text())
        out[side] = {row["name"]: row["score"] for row in report["clips"]}
    return out


def _summary(runs: list[dict]) -> dict:
    wall, cpu = statistics.median(r["wall_s"] for r in runs), statistics.median(r["cpu_s"] for r in runs)
    return {
        "wall_s": round(wall, 2),
        "cpu_s": round(cpu, 2),
        "cores_used": round(cpu / wall, 2),  # below the core count: other jobs took the rest
        "peak_rss_mb": round(max(r["peak_rss_mb"] for r in runs), 1),
        "runs_wall_s": [round(r["wall_s"], 2) for r in runs],
    }


def machine() -> str:
    """The machine in words: CPU model, cores usable, OS."""
    from genav.eval.runners.pool import default_workers

    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as fh:
            model = next(line.split(":", 1)[1].strip() for line in fh if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return f"{default_workers()}-core CPU ({model}), {platform.system()}, no GPU used"


def bench_eval(
    n_clips: int = 12,
    *,
    seconds: float = 4.0,
    width: int = 640,
    height: int = 360,
    fps: int = 25,
    workers: int | None = None,
    repeats: int = 1,
    workdir: str | Path | None = None,
) -> dict:
    """Make the clips, run the three sides ``repeats`` times in turn, and report medians and ratios.

    Returns a dict with ``clips`` (what was measured), one entry per side (``wall_s``, ``cpu_s``,
    ``peak_rss_mb``), ``speedup`` (reference-script wall time over each genav protocol's) and
    ``scores_equal`` (genav ``reference`` gave the script's score on every clip).
    """
    with tempfile.TemporaryDirectory(prefix="genav-bench-eval-", dir=workdir) as tmp:
        work, folder = Path(tmp), Path(tmp) / "clips"
        folder.mkdir()
        t0 = time.perf_counter()
        make_eval_clips(folder, n_clips, seconds=seconds, width=width, height=height, fps=fps)
        made = time.perf_counter() - t0
        sides = _sides(folder, work, workers)
        runs: dict[str, list[dict]] = {name: [] for name in sides}
        for turn in range(max(1, repeats)):
            for name, cmd in sides.items():
                runs[name].append(run_measured(cmd, what=f"benchmark side {name}"))
                logger.info("turn %d, %s: %.1f s", turn + 1, name, runs[name][-1]["wall_s"])
        scores = _scores(work)
    summary = {name: _summary(r) for name, r in runs.items()}
    return {
        "machine": machine(),
        "clips": {
            "n": n_clips,
            "seconds": seconds,
            "width": width,
            "height": height,
            "fps": fps,
            "audio": "44.1 kHz wav beside each mp4",
            "kind": "synthetic world (genav.data.synth)",
        },  # fmt: skip
        "make_clips_s": round(made, 1),
        "workers": workers if workers is not None else "all cores",
        "repeats": max(1, repeats),
        **summary,
        "speedup": {protocol: _speedup(runs, f"genav_{protocol}") for protocol in ("reference", "genav")},
        "speedup_cpu": {
            protocol: round(summary["reference_script"]["cpu_s"] / summary[f"genav_{protocol}"]["cpu_s"], 2)
            for protocol in ("reference", "genav")
        },
        "scores_equal": scores["reference_script"] == scores["genav_reference"],
        "mean_score": {k: _mean(v) for k, v in scores.items()},
        "note": "wall/CPU/memory measured from outside each program (start-up, imports, decoding "
        "included); sides took turns in one run on a machine that may be shared, so compare ratios",
    }


def _speedup(runs: dict[str, list[dict]], side: str) -> float:
    """Median over turns of the script's wall time over ``side``'s in the same turn (neighbouring
    runs share the machine's load best)."""
    ratios = [y["wall_s"] / g["wall_s"] for y, g in zip(runs["reference_script"], runs[side], strict=True)]
    return round(statistics.median(ratios), 2)


def _mean(scores: dict[str, float | None]) -> float | None:
    values = [s for s in scores.values() if s is not None]
    return round(sum(values) / len(values), 6) if values else None
