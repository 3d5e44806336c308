"""``genav train a2v``: train the audio-to-video adaptor through a frozen text-to-video backbone.

Data: ``recipe.data.synth`` clips of the text-to-video world with their sound
(:mod:`genav.train.a2v_data`), at the backbone's frame rate and size. The adaptor
(:class:`~genav.models.a2v_adaptor.A2VAdaptor`, settings from ``recipe.model``) is the only thing
trained, by the one generic :class:`~genav.train.trainer.Trainer`; the loss is the backbone's own
``training_loss`` (flow, epsilon or v) with the adaptor's slot tokens in its context, plus
``norm_weight`` times :func:`~genav.models.a2v_adaptor.token_norm_penalty`. Per row, the caption
is the global context with probability ``p_prompt`` (else the empty prompt), then audio and
prompt are each dropped with ``p_drop_audio`` / ``p_drop_prompt`` (learned null tokens / the
empty prompt), so one adaptor serves audio, audio + prompt and both guidance branches.
``OUT`` ends up as a model folder (``config.json`` naming the backbone and its checksum,
``model.safetensors`` with the adaptor's EMA weights, ``MODEL_CARD.md``), training state under
``OUT/train``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn

from genav.errors import ConfigError
from genav.models.a2v_adaptor import A2VAdaptor, A2VAdaptorConfig, audio_context, token_norm_penalty
from genav.train.a2v_data import A2VClips, A2VTrainSet, PromptTable, cached_a2v_clips, fit_window
from genav.train.recipe import Recipe
from genav.train.run import (
    VAL_SEED_OFFSET,
    RunOptions,
    TrainOptions,
    TrainRun,
    Unpack,
    fit_and_save,
    prepare_out_dir,
)
from genav.train.run_lock import releases_run_folders
from genav.train.trainer import Trainer, make_accelerator


@dataclass
class A2VRun(TrainRun):
    """What :func:`train_a2v` did: the model folder, the trainer's result and the data sizes."""

    train_clips: int
    window: int
    main_process: bool = True


def a2v_config_of(recipe: Recipe, backbone: Any, *, backbone_name: str, checksum: str) -> A2VAdaptorConfig:
    """The recipe's ``model`` object as an :class:`A2VAdaptorConfig` bound to ``backbone``."""
    if recipe.task != "a2v":
        raise ConfigError(f"recipe task is {recipe.task!r}, not 'a2v'")
    if recipe.data.synth is None:
        raise ConfigError("an a2v recipe needs data.synth (clips of the synthetic world with their sound)")
    model = {k: v for k, v in recipe.model.items() if k not in ("backbone", "backbone_checksum", "context_dim")}
    try:
        return A2VAdaptorConfig.from_dict(model).replace(
            backbone=backbone_name, backbone_checksum=checksum, context_dim=int(backbone.context_dim))
    except ConfigError as exc:
        raise ConfigError(f"recipe model: {exc}") from None


def make_loss_fn(backbone: Any, prompts: PromptTable, config: A2VAdaptorConfig) -> Any:
    """The trainer's ``loss_fn(adaptor, batch, generator)``: prompt choice and dropout, the
    adaptor's tokens, the frozen backbone's own loss plus the token-norm penalty."""

    def loss_fn(adaptor: nn.Module, batch: dict[str, Any], generator: torch.Generator) -> Tensor:
        b = len(batch["captions"])
        u = torch.rand(3, b, generator=generator, device=generator.device).cpu()
        keep_audio = u[0] >= config.p_drop_audio
        with_prompt = (u[1] < config.p_prompt) & (u[2] >= config.p_drop_prompt)
        texts = [c if keep else "" for c, keep in zip(batch["captions"], with_prompt.tolist(), strict=True)]
        device = next(adaptor.parameters()).device
        tokens = adaptor(batch["audio"].to(device), batch["slot_times"], keep_audio=keep_audio)
        ctx = audio_context(prompts.context(texts).to(device), tokens, batch["slot_times"])
        loss = backbone.training_loss(batch["frames"].to(device), ctx, generator)
        return loss + config.norm_weight * token_norm_penalty(tokens)

    return loss_fn


def build_sets(recipe: Recipe, backbone: Any, config: A2VAdaptorConfig, cache: Path | None) -> tuple[A2VTrainSet, A2VTrainSet]:
    """Training and validation sets of a recipe at the backbone's frame rate, size and window."""
    spec = recipe.data.synth
    settings = dict(spec.settings)
    train = cached_a2v_clips(spec.clips, first_seed=spec.seed, settings=settings, cache=cache)
    val = cached_a2v_clips(spec.val_clips, first_seed=spec.seed + VAL_SEED_OFFSET, settings=settings, cache=cache)
    check_clips(train, backbone, config)
    layout = backbone.slots_for(fit_window(backbone, train.frames.shape[1]))
    margin = config.window_samples / 2 / config.sample_rate
    return A2VTrainSet(train, layout, margin_s=margin), A2VTrainSet(val, layout, margin_s=margin, stride=4)


def check_clips(clips: A2VClips, backbone: Any, config: A2VAdaptorConfig) -> None:
    """Refuse clips whose frame rate or size the backbone does not take, or whose sample rate
    differs from the adaptor's."""
    from genav.errors import InputError

    h, w = clips.frames.shape[2:4]
    if clips.fps != float(backbone.fps):
        raise ConfigError(f"recipe data makes clips at {clips.fps:g} fps but {backbone.name} makes "
                          f"{float(backbone.fps):g} fps (set data.synth.settings.fps)")
    try:
        backbone.latent_shape(fit_window(backbone, clips.frames.shape[1]), h, w)
    except InputError as exc:
        raise ConfigError(f"recipe data makes {w}x{h} clips: {exc} (set data.synth.settings)") from None
    if clips.sample_rate != config.sample_rate:
        raise ConfigError(f"recipe data has {clips.sample_rate} Hz sound, the adaptor takes {config.sample_rate} Hz")


@releases_run_folders
def train_a2v(
    recipe: Recipe, out: str | Path, backbone: Any, *, backbone_name: str, checksum: str,
    **options: Unpack[TrainOptions],
) -> A2VRun:  # fmt: skip
    """Train (or resume) an adaptor for the frozen ``backbone`` per ``recipe`` into the folder ``out``
    (``options``: :class:`~genav.train.run.RunOptions`)."""
    from genav.runtime import seed_everything
    from genav.train.a2v_card import a2v_model_card

    out, run = Path(out), RunOptions(**options)
    config = a2v_config_of(recipe, backbone, backbone_name=backbone_name, checksum=checksum)
    acc = make_accelerator(recipe.mixed_precision, run.device)
    run_dir = prepare_out_dir(out, resume=run.resume, overwrite=run.overwrite, accelerator=acc,
                              recipe=recipe)
    backbone = backbone.to(acc.device).eval().requires_grad_(False)
    train_set, val_set = build_sets(recipe, backbone, config, run.cache(out))
    prompts = PromptTable(backbone, [*train_set.clips.captions, *val_set.clips.captions])
    seed_everything(recipe.seed)
    adaptor = A2VAdaptor(config)
    trainer = Trainer(adaptor, recipe, loss_fn=make_loss_fn(backbone, prompts, config), train_set=train_set,
                      val_set=val_set, run_dir=run_dir, accelerator=acc, progress=run.progress)
    result = fit_and_save(trainer, run, recipe, out, config, lambda result: a2v_model_card(
        recipe, config, result, train_clips=len(train_set.clips), window=train_set.window, command=run.command))
    return A2VRun(out, result, adaptor.num_parameters(), len(train_set.clips), train_set.window,
                  main_process=acc.is_main_process)
