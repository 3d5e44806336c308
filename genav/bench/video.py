"""``genav bench t2v`` / ``genav bench a2v``: text- and audio-to-video speed (seconds per generated
second) and peak memory.

The generation runs in a fresh Python process, so its peak RSS covers only loading the model and
generating; on CUDA the peak allocated GPU memory is reported too.
"""

from __future__ import annotations

from typing import Any

from genav.bench.measure import measure_in_fresh_process

BENCH_PROMPT = "a red ball bounces"

_CHILD = r"""
import sys, time
import torch
model, seconds, steps, cfg, device, threads, size = sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), sys.argv[5], int(sys.argv[6]), int(sys.argv[7])
if threads > 0:
    torch.set_num_threads(threads)
from genav.pipelines import PIPELINE
begin = time.perf_counter()
pipe = PIPELINE.from_pretrained(model, device=device)
load = time.perf_counter() - begin
side = size or None
begin = time.perf_counter()
out = CALL
generate = time.perf_counter() - begin
result = {"model": pipe.model_name, "device": str(pipe.device), "threads": torch.get_num_threads(),
          "seconds_of_video": out.duration, "frames": out.num_frames, "height": int(out.frames.shape[2]),
          "width": int(out.frames.shape[3]), "fps": out.fps, "num_steps": steps, "guidance_scale": cfg,
          "load_s": round(load, 3), "generate_s": round(generate, 3), "phases_s": out.metadata["timings"],
          "cuda_peak_mib": round(torch.cuda.max_memory_allocated() / 2**20, 1) if pipe.device.type == "cuda" else None}
"""


def bench_t2v(model: str = "genav-t2v-tiny", *, seconds: float = 4.0, num_steps: int = 25, guidance_scale: float = 4.5,
              device: str = "cpu", threads: int = 0, size: int = 0) -> dict[str, Any]:
    """Generate ``seconds`` of video with ``model`` in a fresh process; returns the timings,
    ``s_per_video_s`` (generation seconds per second of video) and ``peak_rss_mib`` (the process's
    peak resident memory, model loading included). ``threads`` 0 keeps torch's default; ``size``
    0 the model's frame size."""
    call = f"pipe({BENCH_PROMPT!r}, duration=seconds, num_steps=steps, guidance_scale=cfg, seed=0, height=side, width=side)"
    return _run(_CHILD.replace("PIPELINE", "TextToVideoPipeline").replace("CALL", call), model, seconds, num_steps,
                guidance_scale, device, threads, size, what="text-to-video benchmark")


def bench_a2v(model: str = "genav-a2v-tiny", *, seconds: float = 4.0, num_steps: int = 25, guidance_scale: float = 3.0,
              device: str = "cpu", threads: int = 0, size: int = 0) -> dict[str, Any]:
    """As :func:`bench_t2v`, for audio-to-video from a click track (a 50 ms noise burst every 0.5 s,
    :func:`genav.data.synth.calibration.click_track`) of ``seconds``, without a prompt (two guidance
    branches)."""
    call = ("pipe(__import__('genav.data.synth.calibration', fromlist=['_']).click_track([k / 2 for k in range(int(2 * seconds))], "
            "sample_rate=16000, duration=seconds), sample_rate=16000, num_steps=steps, audio_guidance_scale=cfg, "
            "seed=0, height=side, width=side)")
    return _run(_CHILD.replace("PIPELINE", "AudioToVideoPipeline").replace("CALL", call), model, seconds, num_steps,
                guidance_scale, device, threads, size, what="audio-to-video benchmark")


def _run(code: str, *args: Any, what: str) -> dict[str, Any]:
    result = measure_in_fresh_process(code, *args, what=what)
    result["s_per_video_s"] = round(result["generate_s"] / result["seconds_of_video"], 3)
    result["peak_rss_mib"] = round(result.pop("python_kib") / 1024, 1)
    result.pop("children_kib", None)
    return result
