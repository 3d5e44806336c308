"""Training benchmarks, run through the one trainer: step time, and the streamed data pipeline.

``time_train_step``: seconds per optimiser step of a recipe's model on random clips (an in-memory
training set of one random batch, so only the model's work is timed).

``bench_train_data``: the data pipeline at scale. A synthetic manifest of N rows (short sound
files reused under different names and caption variants) is encoded to shards, then trained on
for a few steps in a fresh process per setting; it reports the training process's peak RSS and
steps/s for each N and each DataLoader worker count. The index costs ~50 bytes per row and items
are read a slice at a time, so peak memory should not grow with N.
"""

from __future__ import annotations

import json
import logging
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import torch

from genav.atomic import atomic_output

log = logging.getLogger(__name__)


class _RandomClips:
    """An in-memory TrainSet whose every batch is one random batch shaped like ``ClipWindows``'."""

    def __init__(self, batch: dict[str, Any], items: int) -> None:
        self.batch, self.items = batch, items

    def __len__(self) -> int:
        return self.items

    def collate(self, indices: list[int]) -> dict[str, Any]:
        return {k: v[: len(indices)] if isinstance(v, torch.Tensor) else v for k, v in self.batch.items()}


def random_batch(cfg: Any, batch_size: int, seconds: float, *, seed: int = 0) -> dict[str, Any]:
    """A collated batch of random inputs shaped like ``seconds``-long training windows."""
    g = torch.Generator().manual_seed(seed)
    frames_audio = int(round(seconds * cfg.audio_frame_rate))
    batch: dict[str, Any] = {
        "latents": torch.randn(batch_size, cfg.latent_dim, frames_audio, generator=g),
        "audio_mask": None,
        "duration": torch.full((batch_size,), float(seconds)),
        "text_tokens": torch.randn(batch_size, 16, cfg.text_dim, generator=g),
        "text_mask": torch.ones(batch_size, 16, dtype=torch.bool),
        "text_pooled": torch.randn(batch_size, cfg.text_dim, generator=g),
        "drop_text": torch.zeros(batch_size, dtype=torch.bool),
        "has_video": torch.full((batch_size,), cfg.video is not None),
        "video_semantic": None,
        "video_motion": None,
        "frames_mask": None,
    }
    if cfg.video is not None:
        n, size = int(round(seconds * cfg.video.fps)), cfg.video.frame_size
        batch["video_semantic"] = torch.randint(
            0, 256, (batch_size, n, size, size, 3), dtype=torch.uint8, generator=g
        )
        batch["video_motion"] = torch.rand(batch_size, n, cfg.video.motion_dim, generator=g)
        batch["frames_mask"] = torch.ones(batch_size, n, dtype=torch.bool)
    return batch


def time_train_step(
    recipe: Any, *, batch_size: int, seconds: float | None = None, steps: int = 3, device: str = "auto"
) -> dict[str, Any]:
    """Seconds per optimiser step (forward, backward, AdamW, EMA) through :class:`Trainer` on random
    clips of ``seconds``. The first step (allocation, kernel selection) is excluded; returns the
    median of ``steps``."""
    from genav.models import AudioMMDiT
    from genav.train.foley import foley_loss, model_config_of
    from genav.train.trainer import Trainer, make_accelerator

    cfg = model_config_of(recipe)
    seconds = seconds or recipe.data.crop_seconds or cfg.max_duration
    torch.manual_seed(recipe.seed)
    model = AudioMMDiT(cfg)
    timing = recipe.replace(
        batch_size=batch_size,
        steps=steps + 1,
        ckpt_every=steps + 1,
        val_every=steps + 1,
        log_every=steps + 1,
        val_samples=0,
    )
    acc = make_accelerator(recipe.mixed_precision, device)
    with tempfile.TemporaryDirectory(prefix="genav-step-time-") as tmp:
        trainer = Trainer(
            model,
            timing,
            loss_fn=foley_loss,
            train_set=_RandomClips(random_batch(cfg, batch_size, seconds), batch_size),
            run_dir=tmp,
            accelerator=acc,
            progress=False,
        )
        result = trainer.fit()
    kept = sorted(result.step_seconds[1:])
    return {
        "parameters": model.num_parameters(),
        "batch_size": batch_size,
        "seconds_of_audio": seconds,
        "device": str(acc.device),
        "step_seconds": kept[len(kept) // 2],
        "all_step_seconds": result.step_seconds,
    }


def write_synthetic_manifest(folder: Path, rows: int, *, files: int = 24, seed: int = 0) -> Path:
    """``rows`` manifest rows over ``files`` short wav files (decaying tones and noise bursts of
    0.5-3 s at 16 kHz), each row with its own name and three caption variants. An existing
    manifest is kept (its encoded shards are then reused)."""
    import soundfile as sf

    path = folder / f"manifest-{rows}.jsonl"
    if path.exists():
        return path
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    for k in range(files):
        n = int(16000 * rng.uniform(0.5, 3.0))
        t = np.arange(n) / 16000
        tone = np.sin(2 * np.pi * rng.uniform(100, 2000) * t) if k % 2 else rng.standard_normal(n)
        sf.write(
            folder / f"sound-{k:02d}.wav",
            (0.3 * tone * np.exp(-t * rng.uniform(1, 6))).astype(np.float32),
            16000,
        )
    with atomic_output(path, overwrite=True) as tmp, tmp.open("w") as fh:
        for i in range(rows):
            k = i % files
            captions = [f"sound number {k} take {i}", f"a {'tone' if k % 2 else 'burst'} {i}", f"clip {i}"]
            fh.write(
                json.dumps(
                    {
                        "file": f"sound-{k:02d}.wav",
                        "id": f"row-{i:06d}",
                        "caption": captions[0],
                        "captions": captions,
                        "label": f"sound {k}",
                    }
                )
                + "\n"
            )
    return path


def _bench_recipe(rows_workers: int, steps: int, batch_size: int) -> Any:
    from genav.train.recipe import load_recipe

    base = load_recipe(Path(__file__).resolve().parents[2] / "pipelines" / "recipes" / "foley-debug.json")
    data = base.data.replace(synth=None, num_workers=rows_workers, crop_range=(0.8, 1.6), crop_seconds=None)
    return base.replace(
        data=data,
        batch_size=batch_size,
        steps=steps,
        ckpt_every=steps,
        val_every=steps,
        val_samples=0,
        log_every=steps,
    )


# Run in fresh processes: argv = recipe json, manifest, out, cache, steps.
_ENCODE = """
import json, sys, time
from genav.train.recipe import Recipe
from genav.train.foley import encode_for_training
t0 = time.perf_counter()
n = encode_for_training(Recipe.from_dict(json.loads(sys.argv[1])), data=[sys.argv[2]], cache_dir=sys.argv[4])
result = {"clips": n, "seconds": time.perf_counter() - t0}
"""
_TRAIN = """
import json, sys, time
from genav.train.recipe import Recipe
from genav.train.foley import train_foley
t0 = time.perf_counter()
run = train_foley(Recipe.from_dict(json.loads(sys.argv[1])), sys.argv[3], data=[sys.argv[2]], cache_dir=sys.argv[4],
                  device="cpu", progress=False, overwrite=True, steps=int(sys.argv[5]))
times = run.result.step_seconds[2:]  # the first steps also start the workers
result = {"clips": run.train_items + run.val_items, "seconds": time.perf_counter() - t0,
          "steps_per_second": len(times) / sum(times)}
"""


def bench_train_data(
    rows: tuple[int, ...] = (1000, 20000),
    *,
    workers: tuple[int, ...] = (0, 2),
    steps: int = 60,
    batch_size: int = 16,
    repeats: int = 1,
    folder: Path | None = None,
) -> dict[str, Any]:
    """Train the debug recipe's model on synthetic manifests of ``rows`` rows (windows of 0.8-1.6 s)
    with each DataLoader worker count, each run in a fresh process, ``repeats`` rounds interleaved.

    Returns ``runs`` (every run: peak RSS in KiB of the training process, ``python_kib``, and of its
    largest worker, ``children_kib``; steps/s) and ``summary`` (per rows and workers: the largest
    peak RSS and the best steps/s, the least disturbed on a shared machine). Each manifest is
    encoded first, in its own measured process (``encode``)."""
    from genav.bench.measure import measure_in_fresh_process

    out: dict[str, Any] = {"steps": steps, "batch_size": batch_size, "encode": [], "runs": []}
    with tempfile.TemporaryDirectory(prefix="genav-bench-data-") as tmp:
        root = Path(folder) if folder is not None else Path(tmp)
        manifests = {n: write_synthetic_manifest(root / "data", n) for n in rows}
        for n, manifest in manifests.items():
            recipe = json.dumps(_bench_recipe(0, steps, batch_size).to_dict())
            res = measure_in_fresh_process(
                _ENCODE, recipe, manifest, root / "unused", root / "cache", steps, what="encoding"
            )
            out["encode"].append({"manifest_rows": n, **res})
        for _ in range(repeats):
            for n, manifest in manifests.items():
                for w in workers:
                    recipe = json.dumps(_bench_recipe(w, steps, batch_size).to_dict())
                    res = measure_in_fresh_process(
                        _TRAIN,
                        recipe,
                        manifest,
                        root / f"run-{n}-{w}",
                        root / "cache",
                        steps,
                        what="training-data benchmark",
                    )
                    out["runs"].append({"manifest_rows": n, "workers": w, **res})
                    log.info("rows %d workers %d: %s", n, w, res)
    out["summary"] = _summary(out["runs"])
    return out


def _summary(runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    keys = sorted({(r["manifest_rows"], r["workers"]) for r in runs})
    rows = []
    for n, w in keys:
        mine = [r for r in runs if (r["manifest_rows"], r["workers"]) == (n, w)]
        rows.append(
            {
                "manifest_rows": n,
                "workers": w,
                "runs": len(mine),
                "peak_rss_mib": round(max(r["python_kib"] for r in mine) / 1024, 1),
                "worker_rss_mib": round(max(r["children_kib"] for r in mine) / 1024, 1),
                "steps_per_second": round(max(r["steps_per_second"] for r in mine), 3),
            }
        )
    return rows
