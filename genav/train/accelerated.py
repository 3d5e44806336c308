"""The pieces of the trainer that meet ``accelerate``: the accelerator, the module DDP wraps, the
progress registered for checkpointing, and the learning-rate schedule."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import torch
from torch import nn

LossFn = Callable[[nn.Module, Any, torch.Generator], torch.Tensor]


class LossModule(nn.Module):
    """Runs the loss inside ``forward`` so DDP's gradient hooks see the whole computation."""

    def __init__(self, model: nn.Module, loss_fn: LossFn) -> None:
        super().__init__()
        self.model = model
        self.loss_fn = loss_fn

    def forward(self, batch: Any, generator: torch.Generator) -> torch.Tensor:
        return self.loss_fn(self.model, batch, generator)


class Progress:
    """The trainer's step and LR-schedule state, registered for checkpointing."""

    def __init__(self, trainer: Any) -> None:
        self.trainer = trainer

    def state_dict(self) -> dict[str, Any]:
        sched = self.trainer.scheduler
        return {"step": self.trainer.step, "scheduler": sched.state_dict() if sched is not None else {}}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.trainer.step = int(state["step"])
        if state["scheduler"] and self.trainer.scheduler is not None:
            self.trainer.scheduler.load_state_dict(state["scheduler"])


def lr_factor(step: int, *, warmup: int, total: int, min_ratio: float) -> float:
    """Linear warmup to 1 over ``warmup`` steps, then cosine from 1 to ``min_ratio`` at ``total``."""
    if warmup and step < warmup:
        return (step + 1) / warmup
    span = max(1, total - warmup)
    progress = min(1.0, (step - warmup) / span)
    return min_ratio + (1 - min_ratio) * 0.5 * (1 + math.cos(math.pi * progress))


def make_accelerator(mixed_precision: str = "no", device: str = "auto") -> Any:
    """An ``accelerate.Accelerator``; ``device`` is checked (``cuda`` without a GPU is an error).

    On a machine without an accelerator, ``auto`` means the CPU, so that several processes
    started by ``torchrun``/``accelerate launch`` train data-parallel over gloo.
    """
    from datetime import timedelta

    from accelerate import Accelerator, DistributedDataParallelKwargs, InitProcessGroupKwargs

    from genav.runtime import select_device

    chosen = select_device(device)

    # Rows without video (or text) leave some weights unused in a step; DDP must allow that.
    ddp = DistributedDataParallelKwargs(find_unused_parameters=True)
    # Processes wait at barriers while the main process generates synthetic clips or indexes shards.
    group = InitProcessGroupKwargs(timeout=timedelta(hours=4))
    return Accelerator(
        mixed_precision=mixed_precision, cpu=(chosen.type == "cpu"), kwargs_handlers=[ddp, group]
    )
