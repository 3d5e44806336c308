"""Which attention kernel runs the audio MM-DiT fastest: a training step under each one.

Batches without padded audio call attention with ``mask=None`` (null embeddings, fixed-length
streams), so PyTorch's SDPA may pick its flash kernel and xformers its fastest path. This times one
training step (forward + backward of the rectified-flow loss, conditions dropped at random) with
SDPA restricted to one kernel (``flash``, ``mem-efficient``, ``math``) or with genav's ``xformers``
backend, and compares each kernel's loss and gradients with the first kernel's. A kernel that cannot
run (e.g. ``mem-efficient`` on a CPU, or any kernel handed a mask it does not support) is reported
as skipped with PyTorch's reason. Run on a GPU by ``scripts/cuda_check.py``.
"""

from __future__ import annotations

import contextlib
import time
from typing import Any

import torch

from genav.attention import use_backend
from genav.errors import GenavError
from genav.models.audio_mmdit import AudioMMDiT, AudioMMDiTConfig
from genav.models.conditioning import Conditioning

KERNELS = ("flash", "mem-efficient", "math", "xformers")


def _kernel(name: str) -> contextlib.AbstractContextManager:
    from torch.nn.attention import SDPBackend, sdpa_kernel

    if name == "xformers":
        return use_backend("xformers")
    chosen = {
        "flash": SDPBackend.FLASH_ATTENTION,
        "mem-efficient": SDPBackend.EFFICIENT_ATTENTION,
        "math": SDPBackend.MATH,
    }[name]
    stack = contextlib.ExitStack()
    stack.enter_context(use_backend("sdpa"))
    stack.enter_context(sdpa_kernel([chosen]))
    return stack


def _batch(model: AudioMMDiT, batch: int, seconds: float, device: torch.device, dtype: torch.dtype) -> tuple:
    c = model.config
    g = torch.Generator(device).manual_seed(0)
    frames = round(seconds * c.audio_frame_rate)
    video = None
    if c.video is not None:
        n = round(seconds * c.video.fps)
        pixels = torch.randint(
            0,
            256,
            (batch, n, c.video.frame_size, c.video.frame_size, 3),
            generator=g,
            device=device,
            dtype=torch.uint8,
        )
        with torch.no_grad():
            video = model.encode_video(pixels)
    cond = Conditioning(
        duration=torch.full((batch,), seconds, device=device),
        text_tokens=torch.randn(batch, 12, c.text_dim, generator=g, device=device, dtype=dtype),
        text_pooled=torch.randn(batch, c.text_dim, generator=g, device=device, dtype=dtype),
        video=video,
        drop_text=torch.arange(batch, device=device) % 3 == 1,
        drop_video=torch.arange(batch, device=device) % 3 == 2,
    )
    return torch.randn(batch, c.latent_dim, frames, generator=g, device=device, dtype=dtype), cond


def bench_mmdit_kernels(
    config: AudioMMDiTConfig,
    *,
    seconds: float = 8.0,
    batch: int = 4,
    device: str = "cuda",
    dtype: str = "bfloat16",
    kernels: tuple[str, ...] = KERNELS,
    repeats: int = 3,
) -> list[dict[str, Any]]:
    """One row per kernel: ``kernel``, ``status`` (ok/skipped), ``reason``, ``step_ms`` (best of
    ``repeats`` forward+backward), ``peak_mib`` (CUDA), ``loss``, ``max_grad_diff`` against the
    first kernel that ran."""
    dev = torch.device(device)
    dt = getattr(torch, dtype)
    torch.manual_seed(0)
    model = AudioMMDiT(config)
    with torch.no_grad():  # adaLN-Zero gates start at 0, which would hide attention from the gradients
        for param in model.parameters():
            if not param.any():
                param.normal_(0.0, 0.05)
    model = model.to(dev, dt).train()
    x, cond = _batch(model, batch, seconds, dev, dt)
    rows: list[dict[str, Any]] = []
    reference: list[torch.Tensor] | None = None
    for name in kernels:
        try:
            with _kernel(name):
                loss, grads, ms, peak = _time_step(model, x, cond, dev, repeats)
        except (RuntimeError, NotImplementedError, ValueError, GenavError) as exc:  # "No available kernel"
            rows.append({"kernel": name, "status": "skipped", "reason": str(exc).splitlines()[0][:200]})
            continue
        diff = None
        if reference is None:
            reference = grads
        else:
            diff = max(
                float((a.float() - b.float()).abs().max()) for a, b in zip(grads, reference, strict=True)
            )
        rows.append(
            {
                "kernel": name,
                "status": "ok",
                "reason": None,
                "step_ms": ms,
                "peak_mib": peak,
                "loss": loss,
                "max_grad_diff": diff,
            }
        )
    return rows


def _time_step(
    model: AudioMMDiT, x: torch.Tensor, cond: Conditioning, dev: torch.device, repeats: int
) -> tuple[float, list[torch.Tensor], float, float | None]:
    best, peak = float("inf"), None
    for _ in range(repeats + 1):
        model.zero_grad(set_to_none=True)
        if dev.type == "cuda":
            torch.cuda.synchronize()
            torch.cuda.reset_peak_memory_stats()
        start = time.perf_counter()
        loss = model.flow_loss(x, cond, generator=torch.Generator(dev).manual_seed(1))
        loss.backward()
        if dev.type == "cuda":
            torch.cuda.synchronize()
            peak = torch.cuda.max_memory_allocated() / 2**20
        best = min(best, (time.perf_counter() - start) * 1000)
    grads = [p.grad.detach().clone() for p in model.parameters() if p.grad is not None]
    return float(loss.detach()), grads, best, peak
