"""The sample benchmark's library side."""

from __future__ import annotations

import json

import pytest
import torch


def test_bench_sample_t2a_reports_phases_and_flops():
    from genav.pipelines.bench import bench_sample

    r = bench_sample("debug-foley", duration=1.0, num_steps=2, video=False, warmup=False, matmul_size=256)
    json.dumps(r)
    assert r["num_steps"] == 2 and r["guidance_scale"] == 4.5 and "steps" not in r and "cfg" not in r
    assert r["audio_seconds"] == pytest.approx(1.0)
    assert set(r["timings"]) == {"load", "encode_conditions", "sampling", "decode"}
    assert r["model_forwards"] == 2 and r["flops_per_forward"] > 0
    assert r["model_flops"] == 2 * r["flops_per_forward"]
    assert r["achieved_flops_per_s"] > 0 and r["matmul_fp32_flops_per_s"] > 0
    assert 0 <= r["non_model_fraction"] <= 1 and 0 <= r["sampling_overhead_fraction"] <= 1
    assert r["rtf"] == pytest.approx(1 / r["x_realtime"])
    assert sum(r["phase_fractions"].values()) == pytest.approx(1.0)
    saving = r["condition_cache"]  # the projections ran once, and the report says what that saved
    assert saving["cached"] and saving["forwards"] == 2 and saving["prepare_s"] > 0
    assert saving["saved_s"] == pytest.approx(saving["prepare_s"]) and saving["forward_uncached_s"] > 0


def test_bench_sample_v2a_times_the_mux():
    from genav.pipelines.bench import bench_sample

    r = bench_sample("debug", duration=1.0, num_steps=1, video=True, warmup=False, matmul_size=256)
    assert "mux" in r["timings"] and r["model_name"] == "debug-random"


def test_flop_count_includes_attention():
    from torch.utils.flop_counter import FlopCounterMode

    from genav.pipelines.bench import register_sdpa_flops

    register_sdpa_flops()

    q = torch.randn(1, 4, 128, 16)
    with FlopCounterMode(display=False) as counter:
        torch.nn.functional.scaled_dot_product_attention(q, q, q)
    assert counter.get_total_flops() == 4 * 4 * 128 * 128 * 16
    kv = torch.randn(1, 2, 96, 16)  # grouped K/V heads (GQA), as the audio MM-DiT's attention passes them
    with FlopCounterMode(display=False) as counter:
        torch.nn.functional.scaled_dot_product_attention(q, kv, kv, enable_gqa=True)
    assert counter.get_total_flops() == 4 * 4 * 128 * 96 * 16


def test_flop_count_of_the_cuda_kernels_accepts_grouped_kv_heads():
    # PyTorch's own formula for these asserts equal heads: `genav bench sample --device cuda` died on it
    from torch.utils.flop_counter import flop_registry

    from genav.pipelines.bench import register_sdpa_flops

    register_sdpa_flops()
    register_sdpa_flops()  # idempotent
    q = torch.empty(2, 8, 128, 16, device="meta")
    kv = torch.empty(2, 2, 96, 32, device="meta")
    for name in ("_scaled_dot_product_flash_attention", "_scaled_dot_product_efficient_attention",
                 "_scaled_dot_product_cudnn_attention"):
        op = getattr(torch.ops.aten, name, None)
        if op is not None:
            assert flop_registry[op](q, kv, kv) == 2 * 2 * 8 * 128 * 96 * (16 + 32), name


@pytest.mark.cuda
@pytest.mark.parametrize("backend", ["sdpa", "xformers"])
def test_bench_sample_cuda_bf16(backend):
    if not torch.cuda.is_available():
        pytest.skip("no CUDA GPU")
    from genav.attention import available_backends
    from genav.pipelines.bench import bench_sample

    if backend not in available_backends("cuda"):
        pytest.skip(f"attention backend {backend} is not available here")
    r = bench_sample(
        "mmdit-10m", duration=8.0, num_steps=25, device="cuda", dtype="bfloat16", video=False, attention=backend
    )
    assert r["dtype"] == "bfloat16" and r["audio_seconds"] == pytest.approx(8.0)
