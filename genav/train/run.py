"""What every ``train_*`` entry point shares: its keyword options, the check of the output folder,
and the end of a run (the EMA weights and a model card written as a model folder)."""

from __future__ import annotations

import logging
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypedDict

from genav.config import Config
from genav.errors import CheckpointError, OutputExistsError
from genav.train.recipe import Recipe
from genav.train.run_lock import lock_run_folder
from genav.train.trainer import Trainer, TrainResult

# re-exported: the entry points type their options as ``**options: Unpack[TrainOptions]``
if sys.version_info >= (3, 11):
    from typing import Unpack
else:  # pragma: no cover
    from typing_extensions import Unpack

log = logging.getLogger(__name__)

VAL_SEED_OFFSET = 1_000_000  # synthetic validation clips come from seeds far from the training ones


class TrainOptions(TypedDict, total=False):
    """The keyword options of ``train_foley``/``train_t2v``/``train_a2v`` (see :class:`RunOptions`),
    typed as ``**options: Unpack[TrainOptions]``."""

    steps: int | None
    resume: bool
    overwrite: bool
    stop_after: int | None
    device: str
    cache_dir: str | Path | None
    command: str | None
    progress: bool


@dataclass(frozen=True)
class RunOptions:
    """``steps``: total optimiser steps (None: the recipe's). ``resume``: continue the run in the
    output folder; ``overwrite``: start it over. ``stop_after``: stop after this many steps in this
    call (a checkpoint is written; ``resume`` continues). ``device``: auto|cpu|cuda|mps.
    ``cache_dir``: where clips and encodings are cached (default ``out/train/cache``).
    ``command``: the command line the model card records. ``progress``: show a progress bar."""

    steps: int | None = None
    resume: bool = False
    overwrite: bool = False
    stop_after: int | None = None
    device: str = "auto"
    cache_dir: str | Path | None = None
    command: str | None = None
    progress: bool = True

    def cache(self, out: Path) -> Path:
        return Path(self.cache_dir) if self.cache_dir is not None else out / "train" / "cache"

    def total_steps(self, recipe: Recipe) -> int:
        return self.steps or recipe.steps


def prepare_out_dir(
    out: Path, *, resume: bool, overwrite: bool, accelerator: Any, recipe: Recipe | None = None
) -> Path:
    """Check ``out`` for a previous run; returns the run (training state) folder ``out/train``.

    Every process checks before anything is written (a barrier follows); the run folder is then
    locked for this run (:func:`~genav.train.run_lock.lock_run_folder`; the entry point lets go
    when it returns or raises: :func:`~genav.train.run_lock.releases_run_folders`); with
    ``overwrite`` the main process then removes the old run's checkpoints, metrics and samples (not the caches),
    and keeps ``recipe`` (if given) in the run folder.

    Raises:
        OutputExistsError: ``out`` holds a run or a model and neither ``resume`` nor ``overwrite``.
        OutputBusyError: another process is training into ``out``.
    """
    run_dir = out / "train"
    has_run = (run_dir / "checkpoints").exists() or (run_dir / "metrics.jsonl").exists()
    if not overwrite and not resume and (has_run or (out / "config.json").exists()):
        exc = OutputExistsError(out)
        exc.hint = "pass --resume to continue the run there, or --overwrite to start over"
        raise exc
    accelerator.wait_for_everyone()
    lock_run_folder(run_dir, accelerator)
    if overwrite and accelerator.is_main_process:
        for name in ("checkpoints", "metrics.jsonl", "samples"):
            target = run_dir / name
            shutil.rmtree(target, ignore_errors=True) if target.is_dir() else target.unlink(missing_ok=True)
    if recipe is not None and accelerator.is_main_process:
        run_dir.mkdir(parents=True, exist_ok=True)
        recipe.save(run_dir / "recipe.json")
    accelerator.wait_for_everyone()
    return run_dir


@dataclass
class TrainRun:
    """What a ``train_*`` entry point did: the model folder, the trainer's result, the parameter count."""

    model_dir: Path
    result: TrainResult
    parameters: int


def fit_and_save(
    trainer: Trainer, run: RunOptions, recipe: Recipe, out: Path, config: Config,
    card: Callable[[TrainResult], str],
) -> TrainResult:  # fmt: skip
    """Train per ``run``; once the last step is reached write ``out`` (``config``, the EMA weights
    and the model card ``card(result)``), then wait for every process."""
    from genav.checkpoint import save_model_folder

    acc = trainer.acc
    result = trainer.fit(steps=run.steps, resume=run.resume, stop_after=run.stop_after)
    if result.step >= run.total_steps(recipe):
        weights = trainer.export_state_dict()  # every process: a collective under FSDP
        if acc.is_main_process:
            save_model_folder(out, config, weights, model_card=card(result))
            log.info("wrote model folder %s", out)
    acc.wait_for_everyone()
    return result


__all__ = [
    "VAL_SEED_OFFSET",
    "RunOptions",
    "TrainOptions",
    "TrainRun",
    "Unpack",
    "fit_and_save",
    "prepare_out_dir",
]


def load_initial_weights(model: Any, source: str, *, new_prefixes: tuple[str, ...] = ()) -> list[str]:
    """Start ``model`` from the weights of model ``source`` (a registered name or a folder) to
    fine-tune it; returns the keys left at their initial values (those under ``new_prefixes``,
    e.g. a training head the source model did not have).

    Raises:
        CheckpointError: ``source`` has no weights, or keys or shapes differ other than by
            ``new_prefixes`` keys it lacks (the model config must match the source's).
        UnknownModelError: ``source`` is neither a registered name nor a folder.
    """
    from genav.checkpoint import load_safetensors, load_state_strict
    from genav.registry import resolve_model

    entry = resolve_model(source)
    if entry.path is None:
        raise CheckpointError(f"init_from {source!r}: no model folder with weights")
    weights = load_safetensors(Path(entry.path) / "model.safetensors")
    own = model.state_dict()
    new = sorted(k for k in own if k not in weights and k.startswith(new_prefixes))
    state = {k: v.to(own[k].dtype) if k in own else v for k, v in weights.items()}
    state.update({k: own[k] for k in new})
    load_state_strict(model, state, source=f"init_from {source}")
    return new
