"""Training and checking the ``genav-objects`` detector on true frames of the text-to-video world.

``train_object_detector`` generates clips (:func:`genav.data.synth.timed.t2v_clips`), takes a few
random frames of each, and trains the CNN with random Gaussian blur and pixel noise; it then
reports clip-level accuracy (all 40 frames of a clip read together) on held-out clips, as they
are and blurred, and writes the model folder with a card holding those numbers.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from genav.checkpoint import save_model_folder
from genav.data.synth.timed import t2v_clips
from genav.eval.classifiers.video_objects import (
    ObjectDetector,
    ObjectDetectorConfig,
    ObjectReader,
    frames_tensor,
)
from genav.train.card import write_card

log = logging.getLogger(__name__)

TRAIN_SEED = 2_000_000  # apart from the text-to-video model's training (0..) and held-out (3_000_000..) clips
HELD_OUT_SEED = 3_000_000


def blur(x: Tensor, sigma: float) -> Tensor:
    """Separable Gaussian blur of ``(N, C, H, W)`` with standard deviation ``sigma`` pixels."""
    if sigma <= 0:
        return x
    radius = max(1, int(round(3 * sigma)))
    taps = torch.exp(-0.5 * (torch.arange(-radius, radius + 1, dtype=x.dtype) / sigma) ** 2)
    taps = (taps / taps.sum()).to(x.device)
    c = x.shape[1]
    x = F.conv2d(F.pad(x, (radius, radius, 0, 0), mode="replicate"), taps.view(1, 1, 1, -1).repeat(c, 1, 1, 1), groups=c)
    return F.conv2d(F.pad(x, (0, 0, radius, radius), mode="replicate"), taps.view(1, 1, -1, 1).repeat(c, 1, 1, 1), groups=c)


def _augment(x: Tensor, gen: torch.Generator) -> Tensor:
    """Random blur (sigma 0..1.5 px), pixel noise (std 0..0.06) and mirror, per batch."""
    x = blur(x, float(torch.rand(1, generator=gen)) * 1.5)
    x = x + torch.randn(x.shape, generator=gen) * float(torch.rand(1, generator=gen)) * 0.06
    if float(torch.rand(1, generator=gen)) < 0.5:
        x = x.flip(-1)
    return x.clamp(0, 1)


def _frames_and_labels(count: int, first_seed: int, per_clip: int, config: ObjectDetectorConfig) -> tuple[Tensor, Tensor, Tensor]:
    rng = np.random.default_rng(first_seed)
    frames, classes, colours = [], [], []
    for clip, subject in t2v_clips(count, first_seed=first_seed):
        picks = rng.choice(len(clip.frames), size=min(per_clip, len(clip.frames)), replace=False)
        frames.append(frames_tensor(clip.frames[np.sort(picks)], config.frame_size))
        classes += [config.classes.index(subject.cls)] * len(picks)
        colours += [config.colours.index(subject.colour)] * len(picks)
    return torch.cat(frames), torch.tensor(classes), torch.tensor(colours)


def held_out_accuracy(reader: ObjectReader, count: int = 100, *, first_seed: int = HELD_OUT_SEED,
                      sigma: float = 0.0) -> dict[str, float]:
    """Clip-level accuracy of class, colour and both on ``count`` held-out true clips (optionally blurred)."""
    hits = {"class": 0, "colour": 0, "both": 0}
    for clip, subject in t2v_clips(count, first_seed=first_seed):
        frames = clip.frames
        if sigma > 0:
            x = blur(frames_tensor(frames, reader.config.frame_size), sigma)
            frames = (x * 255).round().byte().permute(0, 2, 3, 1).numpy()
        d = reader.read(frames)
        ok_cls, ok_col = d.cls == subject.cls, d.colour == subject.colour
        hits["class"] += ok_cls
        hits["colour"] += ok_col
        hits["both"] += ok_cls and ok_col
    return {k: v / count for k, v in hits.items()}


def train_object_detector(out: str | Path, *, clips: int = 1200, per_clip: int = 8, epochs: int = 4,
                          batch_size: int = 64, lr: float = 2e-3, seed: int = 0, held_out: int = 100) -> dict[str, Any]:
    """Train the detector, check it on ``held_out`` clips, write the model folder ``out``."""
    config = ObjectDetectorConfig()
    begin = time.perf_counter()
    x, y_cls, y_col = _frames_and_labels(clips, TRAIN_SEED, per_clip, config)
    torch.manual_seed(seed)
    model = ObjectDetector(config)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=1e-4)
    gen = torch.Generator().manual_seed(seed)
    steps = epochs * (len(x) // batch_size)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=steps)
    model.train()
    for step in range(steps):
        idx = torch.randint(0, len(x), (batch_size,), generator=gen)
        cls_logits, col_logits = model(_augment(x[idx], gen))
        loss = F.cross_entropy(cls_logits, y_cls[idx]) + F.cross_entropy(col_logits, y_col[idx])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
        if step % 100 == 0:
            log.info("detector step %d/%d: loss %.4f", step, steps, float(loss))
    reader = ObjectReader(model.eval())
    result = {"train_clips": clips, "train_frames": len(x), "steps": steps, "seconds": round(time.perf_counter() - begin, 1),
              "held_out_clips": held_out, "held_out": held_out_accuracy(reader, held_out),
              "held_out_blur1": held_out_accuracy(reader, held_out, sigma=1.0)}
    save_model_folder(out, config, model.state_dict(), model_card=_card(result))
    return result


def _card(r: dict[str, Any]) -> str:
    h, b = r["held_out"], r["held_out_blur1"]
    description = (
        "A small CNN (3 conv stages, 16-64 channels) that names the object a synthetic-world text-to-video clip\n"
        "shows: class (ball, box, light, door) and colour (red, orange, yellow, green, blue, white, brown, grey).\n"
        "A clip's answer averages the per-frame probabilities. It knows only this world."
    )
    data = [
        "## Data and training",
        f"- {r['train_clips']} clips of the synthetic world's text-to-video subset (seeds from {TRAIN_SEED}), "
        f"{r['train_frames']} random frames, blur (0-1.5 px) and noise at random; generated by genav, no licence "
        "restrictions",
        f"- {r['steps']} AdamW steps, {r['seconds']:.0f} s on a shared 2-core CPU",
        "- command: `genav train objects --out checkpoints/genav-objects`",
        "",
    ]
    accuracy = [
        f"## Accuracy on {r['held_out_clips']} held-out true clips (seeds from {HELD_OUT_SEED})",
        f"- class {h['class']:.3f}, colour {h['colour']:.3f}, both {h['both']:.3f}",
        f"- frames blurred (sigma 1 px): class {b['class']:.3f}, colour {b['colour']:.3f}, both {b['both']:.3f}",
        "",
    ]
    title = "genav-objects: object class and colour detector for the text-to-video world"
    return write_card(title, description, data, accuracy)
