"""CUDA check of genav.attention: accuracy of xformers/sdpa/chunked against math, and timings.

Run on a GPU machine from the repo root:

    python scripts/cuda_check.py [--lengths 4096,16384] [--json out.json]

1. Accuracy, in float16 and bfloat16: each backend's output against ``math`` run in float32 on
   the same (rounded) inputs, max abs error, for plain, key-padding-masked and grouped-query
   (8 query heads, 2 key/value heads) inputs at N = M = 1024 and 4096. Tolerances: 2e-3 (fp16),
   1.6e-2 (bf16).
2. Timings and peak memory at 4k and 16k tokens (8 heads x 64 dims) per backend and dtype, via
   ``genav.bench.attention.bench_attention``.
3. The audio MM-DiT itself (the ~10M configuration, 8 s and 30 s of audio with video, batch 4,
   bf16): one training step with SDPA restricted to its flash, mem-efficient and math kernels and
   with xformers (``genav.bench.kernels``). Unpadded batches attend with ``mask=None``, so
   flash must run; its loss and gradients are compared with the other kernels'.

Exits 0 with ``skipped: no CUDA`` where there is no CUDA GPU; 1 if an error exceeds its tolerance.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

TOLERANCE = {"float16": 2e-3, "bfloat16": 1.6e-2}
CASES = {"plain": (8, False), "key padding": (8, True), "gqa 8/2 + padding": (2, True)}


def accuracy(torch, dtype_name: str, lengths: tuple[int, ...] = (1024, 4096)) -> list[dict]:
    from genav.attention import attention, available_backends

    dtype = getattr(torch, dtype_name)
    backends = [b for b in available_backends("cuda") if b != "math"]
    rows = []
    gen = torch.Generator(device="cuda").manual_seed(0)
    for n in lengths:
        for case, (kv_heads, padded) in CASES.items():
            q = torch.randn(2, n, 8, 64, device="cuda", generator=gen).to(dtype)
            k = torch.randn(2, n, kv_heads, 64, device="cuda", generator=gen).to(dtype)
            v = torch.randn(2, n, kv_heads, 64, device="cuda", generator=gen).to(dtype)
            mask = None
            if padded:
                mask = torch.ones(2, n, dtype=torch.bool, device="cuda")
                mask[1, n // 3 :] = False
            ref = attention(q.float(), k.float(), v.float(), mask=mask, backend="math")
            for name in backends:
                err = (attention(q, k, v, mask=mask, backend=name).float() - ref).abs().max().item()
                rows.append(
                    {
                        "dtype": dtype_name,
                        "length": n,
                        "case": case,
                        "backend": name,
                        "max_abs_err": err,
                        "ok": err <= TOLERANCE[dtype_name],
                    }
                )
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lengths", default="4096,16384", help="timing lengths")
    parser.add_argument("--json", type=Path, default=None, help="also write all results here")
    parser.add_argument("--mmdit-seconds", default="8,30", help="audio lengths of the MM-DiT kernel check")
    args = parser.parse_args()
    import torch

    if not torch.cuda.is_available():
        sys.stdout.write("skipped: no CUDA\n")
        return 0
    from genav.attention import backend_status
    from genav.bench.attention import bench_attention, machine_info

    out = {"machine": machine_info("cuda"), "backends": backend_status("cuda"), "accuracy": [], "timing": []}
    _say(f"machine: {out['machine']}\nbackends: {out['backends']}")
    for dtype_name in TOLERANCE:
        rows = accuracy(torch, dtype_name)
        out["accuracy"] += rows
        for r in rows:
            _say(
                f"accuracy {r['dtype']:8s} N={r['length']:5d} {r['case']:18s} {r['backend']:8s} "
                f"max|err| {r['max_abs_err']:.2e} {'ok' if r['ok'] else 'FAIL'}"
            )
    lengths = [int(x) for x in args.lengths.split(",")]
    for dtype_name in TOLERANCE:
        rows = bench_attention(
            lengths, 8, 64, device="cuda", dtype=dtype_name, memory_budget_bytes=16 * 2**30
        )
        for r in rows:
            r["dtype"] = dtype_name
            _say(
                f"timing   {dtype_name:8s} N={r['length']:5d} {r['backend']:8s} {r['status']:7s} "
                f"{r['time_ms'] or '-'} ms  peak {r['peak_mib'] or '-'} MiB  {r['reason'] or ''}"
            )
        out["timing"] += rows
    out["mmdit"] = mmdit_kernels([float(x) for x in args.mmdit_seconds.split(",")])
    if args.json:
        from genav.media.atomic import atomic_write_text

        atomic_write_text(args.json, json.dumps(out, indent=2) + "\n")
    failed = [r for r in out["accuracy"] if not r["ok"]]
    flash = [r for r in out["mmdit"] if r["kernel"] == "flash"]
    no_flash = [r for r in flash if r["status"] != "ok"]
    _say(
        f"{'FAILED' if failed or no_flash else 'passed'}: {len(out['accuracy']) - len(failed)}/{len(out['accuracy'])} "
        f"accuracy checks; the MM-DiT trained with flash attention at {len(flash) - len(no_flash)}/{len(flash)} lengths"
    )
    return 1 if failed or no_flash else 0


def mmdit_kernels(lengths: list[float]) -> list[dict]:
    """Training-step time of the ~10M MM-DiT under each attention kernel (see ``genav.bench.kernels``)."""
    from genav.bench.kernels import bench_mmdit_kernels
    from genav.models import tiny_config

    rows = []
    for seconds in lengths:
        for r in bench_mmdit_kernels(tiny_config(), seconds=seconds, batch=4, device="cuda", dtype="bfloat16"):
            r["seconds"] = seconds
            rows.append(r)
            _say(
                f"mmdit    bf16 {seconds:4.0f} s {r['kernel']:13s} {r['status']:7s} "
                f"{r.get('step_ms') or '-'} ms  peak {r.get('peak_mib') or '-'} MiB  "
                f"grad diff {r.get('max_grad_diff')}  {r['reason'] or ''}"
            )
    return rows


def _say(text: str) -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    sys.exit(main())
