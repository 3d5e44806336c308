"""Benchmarks of audio generation: ``bench_sample`` (speed, FLOP/s) and ``bench_v2a_memory``.

``bench_sample`` times one generation phase by phase (load, encode conditions, sampling, decode,
and mux when a video is written), counts the model's FLOPs per forward with
``torch.utils.flop_counter.FlopCounterMode`` (plus a formula for the fused attention kernels,
which it does not know on CPU and cannot count with grouped K/V heads on CUDA), times every model
forward, and compares the achieved FLOP/s with a large matmul measured on the same device.
Real-time factor: ``rtf`` = generation wall time / audio seconds (below 1 is faster than real
time); ``x_realtime`` is its inverse.
"""

from __future__ import annotations

import logging
import math
import tempfile
import time
from collections.abc import Callable
from contextlib import nullcontext
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils.flop_counter import FlopCounterMode, register_flop_formula

from genav.codecs import build_codec
from genav.config import keyword_default
from genav.models.audio_mmdit import AudioMMDiTConfig, debug_config
from genav.pipelines.audio_mmdit_pipeline import (
    AudioMMDiTComponents,
    AudioMMDiTPipeline,
    state_checksum,
    text_encoder_for,
)
from genav.pipelines.debug import random_model
from genav.pipelines.settings import steps_and_scale
from genav.pipelines.text_to_audio import TextToAudioPipeline
from genav.pipelines.video_to_audio import VideoToAudioPipeline
from genav.runtime import select_device, select_dtype

log = logging.getLogger(__name__)

RECIPES = Path(__file__).resolve().parent / "recipes"


def recipe_architecture(name: str) -> AudioMMDiTConfig:
    """The model architecture a training recipe in ``pipelines/recipes`` declares (its ``model``)."""
    from genav.train.recipe import load_recipe

    return AudioMMDiTConfig.from_dict(load_recipe(RECIPES / f"{name}.json").model)


# Random-weight configurations by name (the architecture is what a speed benchmark needs); the
# recipes are the source of each architecture.
PRESETS: dict[str, Callable[[], AudioMMDiTConfig]] = {
    "mmdit-10m": lambda: recipe_architecture("foley-10m"),  # ~10.4M parameters
    "tiny": lambda: recipe_architecture("foley-10m"),  # an older alias of mmdit-10m
    "debug": debug_config,
}
BENCH_PROMPT = "footsteps on gravel, then a door slams"


# The fused attention kernels' forward ops; PyTorch counts the CUDA ones only when K/V have as many
# heads as Q (its formula asserts it), so grouped K/V (GQA, ``enable_gqa``) would stop the count.
_SDPA_OPS = (
    "_scaled_dot_product_flash_attention_for_cpu",
    "_scaled_dot_product_flash_attention",
    "_scaled_dot_product_efficient_attention",
    "_scaled_dot_product_cudnn_attention",
)


def _sdpa_flops(query_shape, key_shape, value_shape, *args, out_shape=None, **kwargs) -> int:  # noqa: ANN001
    b, h, n, d = query_shape  # two matmuls per query head: q k^T and p v (K/V heads may be fewer)
    return 2 * b * h * n * key_shape[-2] * (d + value_shape[-1])


def register_sdpa_flops() -> None:
    """Teach ``FlopCounterMode`` the fused attention kernels (CPU flash, CUDA flash / mem-efficient /
    cuDNN) with grouped K/V heads: the FLOPs of both matmuls per query head. Idempotent.

    Called by :meth:`ForwardProbe.flops`, not on import: importing a benchmark changes no torch state.
    """
    from torch.utils import flop_counter

    for name in _SDPA_OPS:
        op = getattr(torch.ops.aten, name, None)
        if op is None or getattr(flop_counter.flop_registry.get(op), "__wrapped__", None) is _sdpa_flops:
            continue
        flop_counter.flop_registry.pop(op, None)  # PyTorch's own: equal heads only
        register_flop_formula(op)(_sdpa_flops)


class ForwardProbe:
    """Times every ``model.forward`` (synchronising CUDA) and counts FLOPs per distinct input shape."""

    def __init__(self, model: torch.nn.Module, device: torch.device) -> None:
        self.model = model
        self.cuda = device.type == "cuda"
        self.seconds = 0.0
        self.calls: dict[tuple, int] = {}
        self.examples: dict[tuple, tuple] = {}
        self._begin = 0.0
        self._handles: list[Any] = []

    def _sync(self) -> None:
        if self.cuda:
            torch.cuda.synchronize()

    def _pre(self, _module: Any, args: tuple, kwargs: dict) -> None:
        key = (tuple(args[0].shape), args[2].text_tokens.shape[1] if args[2].text_tokens is not None else 0)
        self.calls[key] = self.calls.get(key, 0) + 1
        self.examples.setdefault(key, (args, kwargs))
        self._sync()
        self._begin = time.perf_counter()

    def _post(self, _module: Any, _args: tuple, _out: Any) -> None:
        self._sync()
        self.seconds += time.perf_counter() - self._begin

    def __enter__(self) -> ForwardProbe:
        self._handles = [
            self.model.register_forward_pre_hook(self._pre, with_kwargs=True),
            self.model.register_forward_hook(self._post),
        ]
        return self

    def __exit__(self, *exc: Any) -> None:
        for h in self._handles:
            h.remove()

    def flops(self) -> tuple[int, int]:
        """(FLOPs of the first forward shape, FLOPs of all recorded forwards)."""
        register_sdpa_flops()
        total, first = 0, None
        for key, (args, kwargs) in self.examples.items():
            with FlopCounterMode(display=False) as counter, torch.no_grad():
                self.model(*args, **kwargs)
            flops = int(counter.get_total_flops())
            first = flops if first is None else first
            total += flops * self.calls[key]
        return first or 0, total


def measure_matmul_flops(
    device: torch.device, dtype: torch.dtype = torch.float32, *, n: int = 2048, repeats: int = 3
) -> float:
    """Best FLOP/s of an ``n x n`` matmul on ``device`` in ``dtype`` (2 n^3 FLOPs each)."""
    a = torch.randn(n, n, device=device, dtype=dtype)
    b = torch.randn(n, n, device=device, dtype=dtype)
    inner = 10 if device.type == "cuda" else 1
    best = math.inf
    for _ in range(repeats + 1):  # the first round warms up
        if device.type == "cuda":
            torch.cuda.synchronize()
        begin = time.perf_counter()
        for _ in range(inner):
            a @ b
        if device.type == "cuda":
            torch.cuda.synchronize()
        best = min(best, (time.perf_counter() - begin) / inner)
    return 2 * n**3 / best


def build_bench_pipeline(model: str, *, video: bool, device: str, dtype: str) -> AudioMMDiTPipeline:
    """A pipeline for ``model``: a preset of :data:`PRESETS` (random weights) or a name/folder."""
    cls = VideoToAudioPipeline if video else TextToAudioPipeline
    if model not in PRESETS:
        return cls.from_pretrained(model, device=device, dtype=dtype)
    begin = time.perf_counter()
    config = PRESETS[model]()
    net = random_model(config)
    comps = AudioMMDiTComponents(
        net, build_codec(config.codec), text_encoder_for(config), f"{model}-random", state_checksum(net)
    )
    return cls(comps, device=device, dtype=dtype, load_seconds=time.perf_counter() - begin)


def _noise_clip(path: Path, seconds: float, fps: float, size: tuple[int, int]) -> Path:
    """A clip of random frames (``size`` = (width, height)), streamed to the encoder."""
    from genav.media import write_video

    rng = np.random.default_rng(0)
    frames = (
        (rng.random((size[1], size[0], 3)) * 255).astype(np.uint8) for _ in range(int(round(seconds * fps)))
    )
    return write_video(path, frames, fps)


def bench_sample(
    model: str = "debug-foley",
    *,
    duration: float = 8.0,
    num_steps: int = keyword_default(25),
    guidance_scale: float = keyword_default(4.5),
    device: str = "cpu",
    dtype: str = "float32",
    video: bool = True,
    method: str = "euler",
    attention: str | None = None,
    warmup: bool = True,
    matmul_size: int = 2048,
    **deprecated: Any,
) -> dict[str, Any]:
    """Time one generation of ``duration`` s at ``num_steps`` steps and CFG ``guidance_scale``; returns a
    JSON-ready dict.

    ``video``: video-to-audio on a generated clip (the output muxed into it, which is timed),
    else text-to-audio. ``attention``: a genav attention backend for the run.
    ``warmup``: one short untimed generation first (kernels, caches, the prompt's embedding).
    ``matmul_size``: side of the square matmul that measures the device's FLOP/s.
    """
    from genav.attention import use_backend
    from genav.media import mux_audio

    num_steps, guidance_scale = steps_and_scale(deprecated, "bench_sample", num_steps, guidance_scale)
    dev = select_device(device)
    pipe = build_bench_pipeline(model, video=video, device=str(dev), dtype=dtype)
    backend = use_backend(attention) if attention else nullcontext()
    with tempfile.TemporaryDirectory(prefix="genav-bench-") as tmp, backend:
        clip = (
            _noise_clip(Path(tmp) / "bench.mp4", duration, pipe.config.video.fps, (128, 96))
            if video
            else None
        )

        def run(steps_: int) -> Any:
            if video:
                return pipe(
                    clip,
                    prompt=BENCH_PROMPT,
                    duration=duration,
                    num_steps=steps_,
                    guidance_scale=guidance_scale,
                    seed=0,
                    method=method,
                )
            return pipe(
                BENCH_PROMPT, duration=duration, num_steps=steps_, guidance_scale=guidance_scale, seed=0, method=method
            )

        if warmup:
            run(1)
        with ForwardProbe(pipe.model, dev) as probe:
            out = run(num_steps)
        mux_seconds = None
        if video:
            begin = time.perf_counter()
            mux_audio(clip, out.to_audio(0), Path(tmp) / "out.mp4")
            mux_seconds = time.perf_counter() - begin
    return _report(
        pipe,
        out,
        probe,
        dev,
        dtype,
        mux_seconds,
        matmul_size,
        model=model,
        num_steps=num_steps,
        guidance_scale=guidance_scale,
        video=video,
        attention=attention,
    )


def _report(
    pipe: AudioMMDiTPipeline,
    out: Any,
    probe: ForwardProbe,
    dev: torch.device,
    dtype: str,
    mux_seconds: float | None,
    matmul_size: int,
    **settings: Any,
) -> dict[str, Any]:
    timings = dict(out.metadata["timings"])
    if mux_seconds is not None:
        timings["mux"] = round(mux_seconds, 6)
    generation = sum(v for k, v in timings.items() if k != "load")
    flops_forward, flops_total = probe.flops()
    matmul_fp32 = measure_matmul_flops(dev, torch.float32, n=matmul_size)
    run_dtype = select_dtype(dtype, dev)
    matmul_run = (
        matmul_fp32 if run_dtype == torch.float32 else measure_matmul_flops(dev, run_dtype, n=matmul_size)
    )
    achieved = flops_total / probe.seconds if probe.seconds > 0 else 0.0
    return {
        **settings,
        "model_name": pipe.model_name,
        "parameters": pipe.model.num_parameters(),
        "device": str(dev),
        "dtype": str(run_dtype).replace("torch.", ""),
        "torch_threads": torch.get_num_threads(),
        "audio_seconds": out.duration,
        "timings": timings,
        "generation_seconds": generation,
        "rtf": generation / out.duration,
        "x_realtime": out.duration / generation,
        "model_forwards": sum(probe.calls.values()),
        "model_forward_seconds": probe.seconds,
        "flops_per_forward": flops_forward,
        "model_flops": flops_total,
        "achieved_flops_per_s": achieved,
        "matmul_fp32_flops_per_s": matmul_fp32,
        "matmul_run_dtype_flops_per_s": matmul_run,
        "model_vs_matmul_fp32": achieved / matmul_fp32,
        "model_vs_matmul_run_dtype": achieved / matmul_run,
        "sampling_overhead_fraction": 1.0 - probe.seconds / timings["sampling"],
        "non_model_fraction": 1.0 - probe.seconds / generation,
        "phase_fractions": {k: v / generation for k, v in timings.items() if k != "load"},
        "condition_cache": condition_cache_saving(pipe.model, probe, dev),
    }


def condition_cache_saving(model: Any, probe: ForwardProbe, dev: torch.device, repeats: int = 5) -> dict[str, Any]:
    """What computing the condition projections once per generation saves, on the run's first
    forward shape: the best of ``repeats`` timings (taken in turns, so load on a shared machine
    disturbs all three alike) of ``prepare_conditions`` and of one forward with and without the
    prepared conditions; ``saved_s`` = (forwards - 1) x the prepare time."""
    (args, kwargs), forwards = next(iter(probe.examples.values())), sum(probe.calls.values())
    x, t, cond = args
    runs = {
        "prepare_s": lambda: model.prepare_conditions(cond, x.shape[0], x.shape[2], x.device),
        "forward_cached_s": lambda: model(x, t, cond, prepared=kwargs.get("prepared")),
        "forward_uncached_s": lambda: model(x, t, cond),
    }
    best = dict.fromkeys(runs, float("inf"))
    for _ in range(repeats):
        for name, fn in runs.items():
            begin = time.perf_counter()
            with torch.no_grad():
                fn()
            if dev.type == "cuda":
                torch.cuda.synchronize()
            best[name] = min(best[name], time.perf_counter() - begin)
    saved = (forwards - 1) * best["prepare_s"]
    return {
        "cached": kwargs.get("prepared") is not None,
        **best,
        "forwards": forwards,
        "saved_s": saved,
        "saved_fraction_of_model_time": saved / max(probe.seconds + saved, 1e-12),
    }


_CHILD = """
import sys, torch
torch.set_num_threads(1)
from genav.pipelines import VideoToAudioPipeline
pipe = VideoToAudioPipeline.from_pretrained(sys.argv[2], device="cpu", dtype="float32")
result = {"seconds": pipe(sys.argv[1], num_steps=int(sys.argv[3]), seed=0).duration}
"""


def bench_v2a_memory(
    durations: tuple[float, ...] = (8.0, 60.0),
    *,
    model: str = "debug-foley",
    num_steps: int = 2,
    fps: float = 25.0,
    size: tuple[int, int] = (320, 240),
) -> dict[str, Any]:
    """Peak RSS in MB of video-to-audio on clips of each duration in seconds (each in a fresh process).

    The clips are random frames of ``size`` (width, height) at ``fps``; ``ratio`` = peak for the
    longest / peak for the shortest (bounded memory means close to 1: only one window's frames are
    ever decoded at once). Raises GenavError when the child process fails.
    """
    from genav.bench.measure import measure_in_fresh_process

    peaks: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="genav-mem-") as tmp:
        for seconds in durations:
            clip = _noise_clip(Path(tmp) / f"clip{seconds:g}.mp4", seconds, fps, size)
            result = measure_in_fresh_process(_CHILD, clip, model, num_steps, what="V2A memory benchmark")
            peaks[f"{seconds:g}"] = result["python_kib"] / 1024
    values = list(peaks.values())
    return {"model": model, "peak_rss_mb": peaks, "ratio": values[-1] / values[0], "fps": fps, "size": list(size)}
