"""One trainer for every genav model, on ``accelerate``.

The trainer knows nothing about the model family: it gets a model, a loss function
``loss_fn(model, batch, generator) -> scalar`` and a training set -- an in-memory ``TrainSet``
(``__len__`` + ``collate(indices)``) or a streamed ``StreamSet`` (a torch Dataset read by
DataLoader workers, see :mod:`genav.train.loader`) -- and runs AdamW with linear warmup + cosine
decay, gradient clipping, an EMA of the weights, periodic validation (loss, plus generated
samples through an optional ``sample_fn``), resumable atomic checkpoints and a progress bar.
Under ``accelerate launch`` the same code runs data-parallel on several GPUs or machines: the
recipe's batch size is global and split across processes by accelerate's sampler.

State goes through ``accelerator.save_state``/``load_state`` (model and optimizer in the
strategy's own layout, the EMA and the trainer's progress registered for checkpointing), and
exported weights through ``accelerator.get_state_dict``.

Reproducibility: the batch of step ``s`` is a pure function of (seed, s), and the noise of step
``s`` on process ``r`` comes from a generator seeded with (seed, s, r). Stopping after any step and
resuming from its checkpoint therefore replays exactly the run that did not stop.
"""

from __future__ import annotations

import copy
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn

from genav.errors import CheckpointError, ConfigError
from genav.train.accelerated import LossFn, LossModule, Progress, lr_factor, make_accelerator
from genav.train.checkpoints import (
    commit_checkpoint,
    latest_checkpoint,
    read_state,
    temporary_folder,
)
from genav.train.ema import EMA
from genav.train.loader import StreamSet, TrainSet, batch_indices, make_loader
from genav.train.recipe import Recipe

log = logging.getLogger(__name__)

SampleFn = Callable[[nn.Module, int, Path], None]

__all__ = [
    "LossFn",
    "SampleFn",
    "StreamSet",
    "TrainResult",
    "TrainSet",
    "Trainer",
    "batch_indices",
    "lr_factor",
    "make_accelerator",
]


@dataclass
class TrainResult:
    """What a ``fit`` call did. ``history`` rows: {"step", "loss", "lr", ...}; ``step_seconds``:
    wall time of each optimiser step of this call (data wait included)."""

    step: int
    train_loss: float | None
    val_loss: float | None
    val_loss_ema: float | None
    initial_val_loss: float | None
    seconds: float
    history: list[dict[str, Any]] = field(default_factory=list)
    step_seconds: list[float] = field(default_factory=list)


class Trainer:
    """Train ``model`` with ``loss_fn`` on ``train_set`` following ``recipe``; files go to ``run_dir``.

    ``train_set``: a ``TrainSet`` or a ``StreamSet`` (read by ``num_workers`` DataLoader worker
    processes; 0 reads in the training process). ``val_set``: a ``TrainSet``. ``run_dir`` gets
    ``checkpoints/``, ``metrics.jsonl`` and ``samples/step-XXXXXX/``. ``ema`` holds the averaged
    weights (``ema.applied()`` swaps them in; ``export_state_dict()`` returns them).
    """

    def __init__(
        self,
        model: nn.Module,
        recipe: Recipe,
        *,
        loss_fn: LossFn,
        train_set: TrainSet | StreamSet,
        run_dir: str | Path,
        val_set: TrainSet | None = None,
        sample_fn: SampleFn | None = None,
        accelerator: Any = None,
        progress: bool = True,
        num_workers: int = 0,
    ) -> None:
        self.recipe = recipe
        self.run_dir = Path(run_dir)
        self.train_set, self.val_set = train_set, val_set
        self.sample_fn, self.loss_fn = sample_fn, loss_fn
        self.progress, self.num_workers = progress, num_workers
        self.acc = accelerator or make_accelerator(recipe.mixed_precision)
        if recipe.batch_size % self.acc.num_processes:
            raise ConfigError(
                f"batch_size {recipe.batch_size} does not split over {self.acc.num_processes} processes"
            )
        if len(train_set) == 0:
            raise ConfigError("the training set is empty")
        self.model = model.to(self.acc.device)
        params = [p for p in self.model.parameters() if p.requires_grad]
        optimizer = torch.optim.AdamW(
            params, lr=recipe.lr, betas=recipe.betas, weight_decay=recipe.weight_decay
        )
        self.loss_module, self.optimizer = self.acc.prepare(LossModule(self.model, loss_fn), optimizer)
        self.ema = EMA(
            self.loss_module,
            recipe.ema_decay,
            full_state_dict=self._full_state_dict,
            load_full_state_dict=self._load_full_state_dict,
        )
        self.scheduler: torch.optim.lr_scheduler.LambdaLR | None = None
        self.step = 0
        self.acc.register_for_checkpointing(self.ema, Progress(self))
        kind = getattr(self.acc.distributed_type, "name", self.acc.distributed_type)
        log.info(
            "training on %d process%s (%s)", self.acc.num_processes, "es" * (self.acc.num_processes > 1), kind
        )

    # -- weights ---------------------------------------------------------------------------------
    def _full_state_dict(self) -> dict[str, torch.Tensor]:
        """The model's full state dict (gathered under FSDP; every process must call it)."""
        state = self.acc.get_state_dict(self.loss_module)
        return {k.removeprefix("model."): v for k, v in state.items()}

    def _load_full_state_dict(self, state: dict[str, torch.Tensor]) -> None:
        from torch.distributed.checkpoint.state_dict import StateDictOptions, set_model_state_dict

        full = {f"model.{k}": v for k, v in state.items()}
        set_model_state_dict(
            self.loss_module, full, options=StateDictOptions(full_state_dict=True, strict=True)
        )

    def export_state_dict(self, *, ema: bool = True) -> dict[str, torch.Tensor]:
        """The model's full state dict through ``accelerator.get_state_dict`` (the EMA weights by
        default); every process must call it, the main process writes it."""
        return self.ema.weights() if ema else self._full_state_dict()

    def averaged_model(self) -> nn.Module:
        """A copy of the model holding the EMA weights, in eval mode (the module that ships)."""
        model = copy.deepcopy(self.model)
        model.load_state_dict(self.export_state_dict(ema=True), strict=True)
        return model.eval()

    # -- checkpoints -----------------------------------------------------------------------------
    @property
    def checkpoint_dir(self) -> Path:
        return self.run_dir / "checkpoints"

    def save(self) -> None:
        """Checkpoint the current step: every process saves its part, the main process commits."""
        tmp = temporary_folder(self.checkpoint_dir, self.step)
        self.acc.wait_for_everyone()
        self.acc.save_state(str(tmp))
        self.acc.wait_for_everyone()
        if self.acc.is_main_process:
            path = commit_checkpoint(
                self.checkpoint_dir,
                self.step,
                {"fingerprint": self.recipe.fingerprint()},
                keep=self.recipe.keep_checkpoints,
            )
            log.info("saved checkpoint %s", path)
        self.acc.wait_for_everyone()

    def resume(self, total: int | None = None) -> bool:
        """Load the latest checkpoint if there is one; returns whether one was loaded.

        ``total``: the run's total steps, which shapes the cosine schedule (default: the recipe's).
        """
        path = latest_checkpoint(self.checkpoint_dir)
        if path is None:
            return False
        state = read_state(path)
        if state.get("fingerprint") != self.recipe.fingerprint():
            raise CheckpointError(
                f"{path} was trained with a different recipe (model, data or optimiser settings changed); "
                "start a new run folder, or restore the original recipe"
            )
        self._make_scheduler(total or self.recipe.steps)  # before loading: creating it resets the LR
        self.acc.load_state(str(path))
        if self.step != int(state["step"]):
            raise CheckpointError(
                f"{path}: state.json says step {state['step']}, the saved state {self.step}"
            )
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

    def loader(self, start: int, stop: int) -> Any:
        """This process's batches of steps ``[start, stop)`` (a prepared DataLoader)."""
        return make_loader(
            self.train_set,
            batch_size=self.recipe.batch_size,
            seed=self.recipe.seed,
            start=start,
            stop=stop,
            accelerator=self.acc,
            num_workers=self.num_workers,
        )

    def train_step(self, batch: Any) -> tuple[float, float]:
        """One optimiser step on this process's share of the global batch; returns (loss averaged
        over processes, grad norm)."""
        self.loss_module.train()
        loss = self.loss_module(batch, self._generator(self.step))
        self.optimizer.zero_grad(set_to_none=True)
        self.acc.backward(loss)
        norm = self.acc.clip_grad_norm_(self.model.parameters(), self.recipe.grad_clip)
        self.optimizer.step()
        self.scheduler.step()
        self.ema.update()
        self.step += 1
        mean_loss = self.acc.reduce(loss.detach().float(), reduction="mean")
        return float(mean_loss), float(norm)

    @torch.no_grad()
    def evaluate(self, *, ema: bool = False) -> float | None:
        """Mean loss on the validation set with fixed noise (comparable across calls), with the
        current or the EMA weights."""
        if self.val_set is None or len(self.val_set) == 0:
            return None
        if ema:
            with self.ema.applied():
                return self.evaluate()
        model = self.model
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
        val = self.evaluate()
        if val is not None:
            row["val_loss"] = val
            row["val_loss_ema"] = self.evaluate(ema=True)
        if self.sample_fn is not None and self.recipe.val_samples > 0:
            with self.ema.applied():
                if self.acc.is_main_process:
                    folder = self.run_dir / "samples" / f"step-{self.step:06d}"
                    self.sample_fn(self.model, self.step, folder)
        self.acc.wait_for_everyone()
        return row

    def fit(
        self, *, steps: int | None = None, resume: bool = False, stop_after: int | None = None
    ) -> TrainResult:
        """Train to ``steps`` (default: the recipe's) optimiser steps.

        ``resume``: continue from the latest checkpoint in ``run_dir`` (starting fresh if there is
        none). ``stop_after``: stop (with a checkpoint) once this many steps ran in this call,
        e.g. to fit a job's time limit; a later ``resume`` goes on to ``steps``.
        """
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
            initial_val = self.evaluate()
            self._log_metrics({"step": 0, "val_loss": initial_val}, history)
        end = total if stop_after is None else min(total, self.step + stop_after)
        last, step_seconds = self._loop(end, total, history)
        return TrainResult(
            step=self.step,
            train_loss=last.get("loss"),
            val_loss=last.get("val_loss"),
            val_loss_ema=last.get("val_loss_ema"),
            initial_val_loss=initial_val if initial_val is not None else self._first_val_loss(),
            seconds=time.perf_counter() - started,
            history=history,
            step_seconds=step_seconds,
        )

    def _loop(
        self, end: int, total: int, history: list[dict[str, Any]]
    ) -> tuple[dict[str, Any], list[float]]:
        """The one training loop: batches from the loader, steps, logs, validation, checkpoints."""
        from tqdm.auto import tqdm

        bar = tqdm(
            total=total,
            initial=self.step,
            desc="train",
            unit="step",
            dynamic_ncols=True,
            disable=not (self.progress and self.acc.is_main_process),
        )
        last: dict[str, Any] = {}
        recent: list[float] = []
        times: list[float] = []
        tick = time.perf_counter()
        for batch in self.loader(self.step, end):
            loss, norm = self.train_step(batch)
            now = time.perf_counter()
            times.append(now - tick)
            recent.append(loss)
            bar.update(1)
            bar.set_postfix(loss=f"{loss:.4f}")
            if self.step % self.recipe.log_every == 0 or self.step == end:
                row = {
                    "step": self.step,
                    "loss": sum(recent) / len(recent),
                    "grad_norm": norm,
                    "lr": self.scheduler.get_last_lr()[0],
                }
                recent = []
                last.update(self._log_metrics(row, history))
            if self.step % self.recipe.val_every == 0 or self.step == total:
                last.update(self._log_metrics(self.validate(), history))
            if self.step % self.recipe.ckpt_every == 0 or self.step == end:
                self.save()
            tick = time.perf_counter()
        bar.close()
        return last, times

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
