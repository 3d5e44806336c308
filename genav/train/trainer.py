"""One trainer for every genav model, on ``accelerate``.

The trainer knows nothing about the model family: it gets a model, a loss function
``loss_fn(model, batch, generator) -> scalar`` and an indexable training set, and runs AdamW with
linear warmup + cosine decay, gradient clipping, an EMA of the weights, periodic validation (loss,
plus generated samples through an optional ``sample_fn``), resumable atomic checkpoints and a
progress bar. Under ``accelerate launch`` the same code runs data-parallel on several GPUs or
machines: the recipe's batch size is global and split across processes.

Reproducibility: the batch of step ``s`` is a pure function of (seed, s), and the noise of step
``s`` on process ``r`` comes from a generator seeded with (seed, s, r). Stopping after any step and
resuming from its checkpoint therefore replays exactly the run that did not stop.
"""

from __future__ import annotations

import json
import logging
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import torch
from torch import nn

from genav.errors import CheckpointError, ConfigError
from genav.train.checkpoints import (
    TrainCheckpoint,
    latest_checkpoint,
    load_checkpoint,
    rng_state,
    save_checkpoint,
    set_rng_state,
)
from genav.train.ema import EMA
from genav.train.recipe import Recipe

log = logging.getLogger(__name__)

LossFn = Callable[[nn.Module, Any, torch.Generator], torch.Tensor]
SampleFn = Callable[[nn.Module, int, Path], None]


class TrainSet(Protocol):
    """Items addressed by index; ``collate`` turns a list of indices into a batch."""

    def __len__(self) -> int: ...

    def collate(self, indices: Sequence[int]) -> Any: ...


@dataclass
class TrainResult:
    """What a ``fit`` call did. ``history`` rows: {"step", "loss", "lr", ...}."""

    step: int
    train_loss: float | None
    val_loss: float | None
    val_loss_ema: float | None
    initial_val_loss: float | None
    seconds: float
    history: list[dict[str, Any]] = field(default_factory=list)


class _LossModule(nn.Module):
    """Runs the loss inside ``forward`` so DDP's gradient hooks see the whole computation."""

    def __init__(self, model: nn.Module, loss_fn: LossFn) -> None:
        super().__init__()
        self.model = model
        self.loss_fn = loss_fn

    def forward(self, batch: Any, generator: torch.Generator) -> torch.Tensor:
        return self.loss_fn(self.model, batch, generator)


def lr_factor(step: int, *, warmup: int, total: int, min_ratio: float) -> float:
    """Linear warmup to 1 over ``warmup`` steps, then cosine from 1 to ``min_ratio`` at ``total``."""
    if warmup and step < warmup:
        return (step + 1) / warmup
    span = max(1, total - warmup)
    progress = min(1.0, (step - warmup) / span)
    return min_ratio + (1 - min_ratio) * 0.5 * (1 + math.cos(math.pi * progress))


def batch_indices(step: int, batch_size: int, num_items: int, seed: int) -> list[int]:
    """Indices of the global batch of ``step``: consecutive slices of per-epoch permutations."""
    start = step * batch_size
    out: list[int] = []
    while len(out) < batch_size:
        epoch, offset = divmod(start + len(out), num_items)
        perm = torch.randperm(num_items, generator=torch.Generator().manual_seed(seed * 100_003 + epoch))
        out.extend(perm[offset : offset + batch_size - len(out)].tolist())
    return out


def make_accelerator(mixed_precision: str = "no", device: str = "auto") -> Any:
    """An ``accelerate.Accelerator``; ``device`` is checked (``cuda`` without a GPU is an error).

    On a machine without an accelerator, ``auto`` means the CPU, so that several processes
    started by ``torchrun``/``accelerate launch`` train data-parallel over gloo.
    """
    from accelerate import Accelerator, DistributedDataParallelKwargs

    from genav.runtime import select_device

    chosen = select_device(device)

    # Rows without video (or text) leave some weights unused in a step; DDP must allow that.
    ddp = DistributedDataParallelKwargs(find_unused_parameters=True)
    return Accelerator(mixed_precision=mixed_precision, cpu=(chosen.type == "cpu"), kwargs_handlers=[ddp])


class Trainer:
    """Train ``model`` with ``loss_fn`` on ``train_set`` following ``recipe``; files go to ``run_dir``.

    ``run_dir`` gets ``checkpoints/``, ``metrics.jsonl`` and ``samples/step-XXXXXX/``.
    """

    def __init__(
        self,
        model: nn.Module,
        recipe: Recipe,
        *,
        loss_fn: LossFn,
        train_set: TrainSet,
        run_dir: str | Path,
        val_set: TrainSet | None = None,
        sample_fn: SampleFn | None = None,
        accelerator: Any = None,
        progress: bool = True,
    ) -> None:
        self.recipe = recipe
        self.run_dir = Path(run_dir)
        self.train_set, self.val_set = train_set, val_set
        self.sample_fn = sample_fn
        self.loss_fn = loss_fn
        self.progress = progress
        self.acc = accelerator or make_accelerator(recipe.mixed_precision)
        if recipe.batch_size % self.acc.num_processes:
            raise ConfigError(
                f"batch_size {recipe.batch_size} does not split over {self.acc.num_processes} processes"
            )
        if len(train_set) == 0:
            raise ConfigError("the training set is empty")
        self.model = model.to(self.acc.device)
        self.ema = EMA(self.model, recipe.ema_decay)
        params = [p for p in self.model.parameters() if p.requires_grad]
        optimizer = torch.optim.AdamW(
            params, lr=recipe.lr, betas=recipe.betas, weight_decay=recipe.weight_decay
        )
        self.loss_module, self.optimizer = self.acc.prepare(_LossModule(self.model, loss_fn), optimizer)
        self.scheduler: torch.optim.lr_scheduler.LambdaLR | None = None
        self.step = 0

    # -- checkpoints -----------------------------------------------------------------------------
    @property
    def checkpoint_dir(self) -> Path:
        return self.run_dir / "checkpoints"

    def save(self) -> None:
        """Checkpoint the current step (the main process writes; all processes wait)."""
        self.acc.wait_for_everyone()
        if self.acc.is_main_process:
            ckpt = TrainCheckpoint(
                step=self.step,
                fingerprint=self.recipe.fingerprint(),
                model=self.model.state_dict(),
                ema=self.ema.state_dict(),
                ema_updates=self.ema.updates,
                optimizer=self.optimizer.state_dict(),
                scheduler=self.scheduler.state_dict() if self.scheduler else {},
                rng=rng_state(),
            )
            path = save_checkpoint(self.checkpoint_dir, ckpt, keep=self.recipe.keep_checkpoints)
            log.info("saved checkpoint %s", path)
        self.acc.wait_for_everyone()

    def resume(self, total: int | None = None) -> bool:
        """Load the latest checkpoint if there is one; returns whether one was loaded.

        ``total``: the run's total steps, which shapes the cosine schedule (default: the recipe's).
        """
        from genav.checkpoint import load_state_strict

        path = latest_checkpoint(self.checkpoint_dir)
        if path is None:
            return False
        ckpt = load_checkpoint(path)  # CPU tensors; load_state_dict moves them to the model's device
        if ckpt.fingerprint != self.recipe.fingerprint():
            raise CheckpointError(
                f"{path} was trained with a different recipe (model, data or optimiser settings changed); "
                "start a new run folder, or restore the original recipe"
            )
        load_state_strict(self.model, ckpt.model, source=str(path))
        self.ema.load_state_dict(ckpt.ema, ckpt.ema_updates)
        # The scheduler first: creating it resets the learning rate, loading the optimizer restores it.
        self._make_scheduler(total or self.recipe.steps)
        self.optimizer.load_state_dict(ckpt.optimizer)
        if ckpt.scheduler:
            self.scheduler.load_state_dict(ckpt.scheduler)
        set_rng_state(ckpt.rng)
        self.step = ckpt.step
        log.info("resumed from %s (step %d)", path, self.step)
        return True

    def _make_scheduler(self, total: int) -> None:
        r = self.recipe
        self.scheduler = torch.optim.lr_scheduler.LambdaLR(
            self.optimizer,
            lambda s: lr_factor(s, warmup=r.warmup_steps, total=total, min_ratio=r.min_lr_ratio),
        )

    # -- steps -----------------------------------------------------------------------------------
    def _generator(self, step: int, salt: int = 0) -> torch.Generator:
        seed = (self.recipe.seed * 1_000_003 + step * 7919 + self.acc.process_index * 104_729 + salt) % 2**63
        return torch.Generator(self.acc.device).manual_seed(seed)

    def _local_batch(self, step: int) -> Any:
        r, n = self.recipe, self.acc.num_processes
        idx = batch_indices(step, r.batch_size, len(self.train_set), r.seed)
        per = r.batch_size // n
        return self.train_set.collate(idx[self.acc.process_index * per : (self.acc.process_index + 1) * per])

    def train_step(self) -> tuple[float, float]:
        """One optimiser step; returns (loss averaged over processes, grad norm)."""
        self.loss_module.train()
        batch = self._local_batch(self.step)
        loss = self.loss_module(batch, self._generator(self.step))
        self.optimizer.zero_grad(set_to_none=True)
        self.acc.backward(loss)
        norm = self.acc.clip_grad_norm_(self.model.parameters(), self.recipe.grad_clip)
        self.optimizer.step()
        self.scheduler.step()
        self.ema.update(self.model)
        self.step += 1
        mean_loss = self.acc.reduce(loss.detach().float(), reduction="mean")
        return float(mean_loss), float(norm)

    @torch.no_grad()
    def evaluate(self, model: nn.Module) -> float | None:
        """Mean loss of ``model`` on the validation set with fixed noise (comparable across calls)."""
        if self.val_set is None or len(self.val_set) == 0:
            return None
        was_training = model.training
        model.eval()
        r = self.recipe
        n = min(len(self.val_set), r.val_max_items)
        per = max(1, r.batch_size // self.acc.num_processes)
        total, count = torch.zeros((), device=self.acc.device), torch.zeros((), device=self.acc.device)
        mine = list(range(self.acc.process_index, n, self.acc.num_processes))
        for i, start in enumerate(range(0, len(mine), per)):
            idx = mine[start : start + per]
            gen = torch.Generator(self.acc.device).manual_seed(r.seed + 17 * i + 31 * self.acc.process_index)
            with self.acc.autocast():
                loss = self.loss_fn(model, self.val_set.collate(idx), gen)
            total += loss.float() * len(idx)
            count += len(idx)
        model.train(was_training)
        total, count = self.acc.reduce(total, "sum"), self.acc.reduce(count, "sum")
        return float(total / count.clamp(min=1))

    # -- the loop --------------------------------------------------------------------------------
    def validate(self) -> dict[str, Any]:
        """Validation losses (raw and EMA weights) and, with a ``sample_fn``, samples on disk."""
        row: dict[str, Any] = {"step": self.step}
        val = self.evaluate(self.model)
        if val is not None:
            row["val_loss"] = val
            row["val_loss_ema"] = self.evaluate(self.ema.module)
        if self.sample_fn is not None and self.recipe.val_samples > 0 and self.acc.is_main_process:
            folder = self.run_dir / "samples" / f"step-{self.step:06d}"
            self.sample_fn(self.ema.module, self.step, folder)
        self.acc.wait_for_everyone()
        return row

    def fit(self, *, steps: int | None = None, resume: bool = False, stop_after: int | None = None) -> TrainResult:
        """Train to ``steps`` (default: the recipe's) optimiser steps.

        ``resume``: continue from the latest checkpoint in ``run_dir`` (starting fresh if there is
        none). ``stop_after``: stop (with a checkpoint) once this many steps ran in this call,
        e.g. to fit a job's time limit; a later ``resume`` goes on to ``steps``.
        """
        from tqdm.auto import tqdm

        total = steps or self.recipe.steps
        started = time.perf_counter()
        if resume and self.resume(total):
            self._truncate_metrics(self.step)  # rows logged after the checkpoint are replayed
        else:
            self._make_scheduler(total)
            self._truncate_metrics(-1)
        history: list[dict[str, Any]] = []
        initial_val = None
        if self.step == 0 and self.val_set is not None:
            initial_val = self.evaluate(self.model)
            self._log_metrics({"step": 0, "val_loss": initial_val}, history)
        end = total if stop_after is None else min(total, self.step + stop_after)
        bar = tqdm(
            total=total, initial=self.step, desc="train", unit="step", dynamic_ncols=True,
            disable=not (self.progress and self.acc.is_main_process),
        )
        last: dict[str, Any] = {}
        recent: list[float] = []
        while self.step < end:
            loss, norm = self.train_step()
            recent.append(loss)
            bar.update(1)
            bar.set_postfix(loss=f"{loss:.4f}")
            if self.step % self.recipe.log_every == 0 or self.step == end:
                row = {"step": self.step, "loss": sum(recent) / len(recent), "grad_norm": norm,
                       "lr": self.scheduler.get_last_lr()[0]}
                recent = []
                self._log_metrics(row, history)
                last.update(row)
            if self.step % self.recipe.val_every == 0 or self.step == total:
                last.update(self._log_metrics(self.validate(), history))
            if self.step % self.recipe.ckpt_every == 0 or self.step == end:
                self.save()
        bar.close()
        return TrainResult(
            step=self.step,
            train_loss=last.get("loss"),
            val_loss=last.get("val_loss"),
            val_loss_ema=last.get("val_loss_ema"),
            initial_val_loss=initial_val if initial_val is not None else self._first_val_loss(),
            seconds=time.perf_counter() - started,
            history=history,
        )

    # -- metrics ---------------------------------------------------------------------------------
    @property
    def metrics_path(self) -> Path:
        return self.run_dir / "metrics.jsonl"

    def _truncate_metrics(self, step: int) -> None:
        """Keep only metric rows up to ``step`` (-1: none)."""
        if not (self.acc.is_main_process and self.metrics_path.exists()):
            return
        rows = [json.loads(x) for x in self.metrics_path.read_text().splitlines() if x.strip()]
        kept = [r for r in rows if r["step"] <= step]
        self.metrics_path.write_text("".join(json.dumps(r) + "\n" for r in kept))

    def _log_metrics(self, row: dict[str, Any], history: list[dict[str, Any]]) -> dict[str, Any]:
        history.append(row)
        if self.acc.is_main_process:
            self.run_dir.mkdir(parents=True, exist_ok=True)
            with self.metrics_path.open("a") as fh:
                fh.write(json.dumps(row) + "\n")
            level = logging.INFO if "val_loss" in row else logging.DEBUG  # the progress bar shows the loss
            log.log(level, "step %d: %s", row["step"], {k: v for k, v in row.items() if k != "step"})
        return row

    def _first_val_loss(self) -> float | None:
        if not self.metrics_path.exists():
            return None
        for line in self.metrics_path.read_text().splitlines():
            row = json.loads(line)
            if row.get("step") == 0 and row.get("val_loss") is not None:
                return float(row["val_loss"])
        return None
