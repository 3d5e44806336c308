"""``genav train t2v``: train the tiny text-to-video DiT on the synthetic world from a recipe.

Data: ``recipe.data.synth`` clips of the text-to-video world (:mod:`genav.data.synth.timed`),
generated once and cached as uint8 frames; windows of ``max_frames`` frames, or of
``data.crop_seconds`` (one frame: image pretraining, as in Make-A-Video and Latte: single frames
teach layout, class and colour at a fraction of a window's cost, then a video run with
``init_from`` teaches motion); half the items with timed captions (:mod:`genav.train.t2v_data`).
The model trains with the one generic :class:`~genav.train.trainer.Trainer`; ``OUT`` ends up as a
model folder (``config.json``, ``model.safetensors`` with the EMA weights, ``MODEL_CARD.md``),
training state under ``OUT/train``.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn

from genav.errors import ConfigError
from genav.models.t2v_backbone import TinyT2VBackbone, dit_flow_loss, frames_to_unit
from genav.models.t2v_dit import T2VDiT, T2VDiTConfig
from genav.models.video_generate import sample_video_window
from genav.train.recipe import Recipe, recipe_part
from genav.train.run import (
    VAL_SEED_OFFSET,
    RunOptions,
    TrainOptions,
    TrainRun,
    Unpack,
    fit_and_save,
    load_initial_weights,
    prepare_out_dir,
)
from genav.train.run_lock import releases_run_folders
from genav.train.t2v_card import model_card
from genav.train.t2v_data import T2VTrainSet, TextTable, cached_clips, drop_conditions
from genav.train.trainer import Trainer, make_accelerator


@dataclass
class T2VRun(TrainRun):
    """What :func:`train_t2v` did: the model folder, the trainer's result and the data sizes."""

    train_clips: int
    val_clips: int
    main_process: bool = True


def t2v_config_of(recipe: Recipe) -> T2VDiTConfig:
    """The recipe's ``model`` object as a strict :class:`T2VDiTConfig`."""
    if recipe.task != "t2v":
        raise ConfigError(f"recipe task is {recipe.task!r}, not 't2v'")
    if recipe.data.synth is None:
        raise ConfigError("a t2v recipe needs data.synth (clips of the synthetic world)")
    return recipe_part(T2VDiTConfig, recipe.model, "model")


def make_loss_fn(config: T2VDiTConfig) -> Any:
    """The trainer's ``loss_fn``: condition dropout, then the rectified-flow loss."""

    def loss_fn(model: nn.Module, batch: dict[str, Any], generator: torch.Generator) -> Tensor:
        device = generator.device
        ctx = drop_conditions(batch["context"].to(device), batch["timed"], p_text=config.p_drop_text,
                              p_global=config.p_drop_global, generator=generator)
        return dit_flow_loss(model, frames_to_unit(batch["frames"].to(device)), ctx, generator)

    return loss_fn


def make_sample_fn(recipe: Recipe, examples: T2VTrainSet, text_encoder: Any) -> Any:
    """A trainer ``sample_fn`` writing the first ``val_samples`` validation windows (timed captions)
    as mp4 files beside the true clips."""
    from genav.media import write_video

    indices = [2 * len(examples.starts) * i + 1 for i in range(min(recipe.val_samples, len(examples.clips)))]

    @torch.no_grad()
    def sample_fn(model: nn.Module, step: int, folder: Path) -> None:
        if not indices:
            return
        batch = examples.collate(indices)
        backbone = TinyT2VBackbone(model, text_encoder)
        shape = (len(indices), *backbone.latent_shape(examples.window, *backbone.frame_size))
        noise = torch.randn(shape, generator=torch.Generator().manual_seed(recipe.seed)).to(backbone.device)
        latents = sample_video_window(backbone, batch["context"].to(backbone.device), noise,
                                      num_steps=recipe.sample_num_steps, guidance_scale=recipe.sample_guidance_scale)
        frames = backbone.decode(latents).cpu().numpy()
        folder.mkdir(parents=True, exist_ok=True)
        for row, index in enumerate(indices):
            clip, _, _ = examples.item(index)
            write_video(folder / f"{row:02d}.mp4", frames[row], examples.clips.fps, overwrite=True)
            write_video(folder / f"{row:02d}-true.mp4", batch["frames"][row].numpy(), examples.clips.fps, overwrite=True)
        captions = {f"{row:02d}": examples.clips.captions[examples.item(i)[0]] for row, i in enumerate(indices)}
        (folder / "captions.json").write_text(json.dumps(captions, indent=2))

    return sample_fn


def build_sets(recipe: Recipe, config: T2VDiTConfig, text_encoder: Any, cache: Path | None) -> tuple[T2VTrainSet, T2VTrainSet]:
    """The training and validation sets of a recipe (clips cached under ``cache``)."""
    spec = recipe.data.synth
    settings = dict(spec.settings)
    train = cached_clips(spec.clips, first_seed=spec.seed, settings=settings, cache=cache)
    val = cached_clips(spec.val_clips, first_seed=spec.seed + VAL_SEED_OFFSET, settings=settings, cache=cache)
    if train.fps != config.fps or train.frames.shape[2] != config.frame_size:
        raise ConfigError(
            f"recipe data makes {train.frames.shape[2]} px clips at {train.fps:g} fps but the model expects "
            f"{config.frame_size} px at {config.fps:g} fps"
        )
    text = TextTable(text_encoder, [*train.captions, *train.phrases, *val.captions, *val.phrases])
    # validation: whole windows 8 frames apart are enough to cover every clip
    return (T2VTrainSet(train, text, window=train_window(recipe, config), event_windows=recipe.data.event_windows),
            T2VTrainSet(val, text, window=config.max_frames, stride=8))


def train_window(recipe: Recipe, config: T2VDiTConfig) -> int:
    """Frames per training window: ``data.crop_seconds`` at the model's frame rate, else ``max_frames``."""
    seconds = recipe.data.crop_seconds
    if seconds is None:
        return config.max_frames
    frames = int(round(seconds * config.fps))
    if not 1 <= frames <= config.max_frames:
        raise ConfigError(f"recipe data: crop_seconds {seconds:g} gives {frames} frames at {config.fps:g} fps; "
                          f"the model takes 1 to {config.max_frames}")
    return frames


@releases_run_folders
def train_t2v(recipe: Recipe, out: str | Path, **options: Unpack[TrainOptions]) -> T2VRun:
    """Train (or resume) a tiny text-to-video DiT per ``recipe`` into the model folder ``out``
    (``options``: :class:`~genav.train.run.RunOptions`)."""
    from genav.encoders.text_factory import build_text_encoder
    from genav.media import write_video  # noqa: F401  (loaded before training: the samples need it)
    from genav.runtime import seed_everything

    out, run = Path(out), RunOptions(**options)
    config = t2v_config_of(recipe)
    acc = make_accelerator(recipe.mixed_precision, run.device)
    text_encoder = build_text_encoder(config.text_encoder).eval()
    if text_encoder.dim != config.text_dim:
        raise ConfigError(f"recipe model: text_dim is {config.text_dim} but the text encoder gives {text_encoder.dim}")
    run_dir = prepare_out_dir(out, resume=run.resume, overwrite=run.overwrite, accelerator=acc,
                              recipe=recipe)
    train_set, val_set = build_sets(recipe, config, text_encoder, run.cache(out))
    seed_everything(recipe.seed)
    model = T2VDiT(config)
    if recipe.init_from:
        load_initial_weights(model, recipe.init_from)
    trainer = Trainer(model, recipe, loss_fn=make_loss_fn(config), train_set=train_set, val_set=val_set,
                      run_dir=run_dir, sample_fn=make_sample_fn(recipe, val_set, text_encoder),
                      accelerator=acc, progress=run.progress)
    result = fit_and_save(trainer, run, recipe, out, config, lambda result: model_card(
        recipe, config, result, train_clips=len(train_set.clips), window=train_set.window, command=run.command))
    return T2VRun(out, result, model.num_parameters(), len(train_set.clips), len(val_set.clips),
                  main_process=acc.is_main_process)


def probe_step_time(recipe: Recipe, *, steps: int = 20, device: str = "cpu") -> dict[str, Any]:
    """Seconds per optimiser step of the recipe's model (forward, backward, AdamW, EMA) on random
    windows at the recipe's batch size: the mean over ``steps`` steps after one warm-up step, and
    the number of steps that fit in an hour at that rate."""
    from genav.models.video_backbone import FrameContext
    from genav.runtime import select_device
    from genav.train.ema import EMA

    config = t2v_config_of(recipe)
    dev = select_device(device)
    torch.manual_seed(recipe.seed)
    model = T2VDiT(config).to(dev).train()
    opt = torch.optim.AdamW(model.parameters(), lr=recipe.lr)
    ema = EMA(model, recipe.ema_decay)
    b, t, size = recipe.batch_size, config.max_frames, config.frame_size
    g = torch.Generator().manual_seed(0)
    frames = torch.randint(0, 256, (b, t, size, size, 3), dtype=torch.uint8, generator=g)
    ctx = FrameContext(torch.randn(b, 12, config.text_dim, generator=g), None,
                       torch.randn(b, t, 7, config.text_dim, generator=g), torch.rand(b, t, 7, generator=g) < 0.15,
                       pooled=torch.randn(b, config.text_dim, generator=g))
    loss_fn = make_loss_fn(config)
    times = []
    for i in range(steps + 1):
        begin = time.perf_counter()
        loss = loss_fn(model, {"frames": frames, "context": ctx, "timed": torch.ones(b, dtype=torch.bool)},
                       torch.Generator(dev).manual_seed(i))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), recipe.grad_clip)
        opt.step()
        ema.update()
        times.append(time.perf_counter() - begin)
    mean = sum(times[1:]) / steps
    return {"parameters": model.num_parameters(), "batch_size": b, "frames": t, "device": str(dev),
            "step_seconds": mean, "steps_per_hour": int(3600 / mean), "all_step_seconds": times}
