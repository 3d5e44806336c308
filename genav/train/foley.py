"""``genav train foley``: train an audio MM-DiT from a recipe.

Data path: manifests (and/or the synthetic world, generated into a cache folder first) -> encoded
once into clip shards on disk (codec latents at full length, the text embeddings of every caption
variant, the video encoder's frozen per-frame inputs) -> windows cut per step, read by DataLoader
workers -> batches; the model's trainable video encoder runs on the stored inputs every step.
The run folder ``OUT`` ends up as a model folder (``config.json``, ``model.safetensors`` with the
EMA weights, ``MODEL_CARD.md``) with the training state under ``OUT/train/``.
"""

from __future__ import annotations

import functools
import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import torch
from torch import Tensor, nn

from genav.config import Config
from genav.data.clips import ValidationWindows
from genav.errors import ConfigError
from genav.models import AudioMMDiT, AudioMMDiTConfig, Conditioning, VideoTokens, generate_latents
from genav.train.card import fine_tuned_lines, losses_section, training_section, write_card
from genav.train.foley_data import ClipEncoder, batch_to
from genav.train.foley_sources import DataSources, cached_text_dim, clip_encoder, load_clip_sets
from genav.train.recipe import Recipe, recipe_part
from genav.train.run import (
    RunOptions,
    TrainOptions,
    TrainRun,
    Unpack,
    fit_and_save,
    load_initial_weights,
    prepare_out_dir,
)
from genav.train.run_lock import releases_run_folders
from genav.train.trainer import Trainer, TrainResult, make_accelerator

log = logging.getLogger(__name__)


@dataclass
class FoleyRun(TrainRun):
    """The result of :func:`train_foley`: the model folder and what the trainer reported."""

    train_items: int
    val_items: int
    main_process: bool = True


def model_config_of(recipe: Recipe) -> AudioMMDiTConfig:
    """The recipe's ``model`` object as a strict :class:`AudioMMDiTConfig`."""
    return recipe_part(AudioMMDiTConfig, recipe.model, "model")


@dataclass(frozen=True)
class FoleyOptions(Config):
    """Foley-task recipe settings (the recipe's ``options`` object).

    ``p_plain_read``: when the training video is read in phases (``data.fps`` a multiple of the
    encoder's rate, :mod:`genav.models.sync_phases`), the chance that a batch is read as phase 0
    alone: a plain read at the encoder's rate, what a clip at that rate gets at inference.
    """

    model_type: ClassVar[str] = "foley-options"

    p_plain_read: float = 0.3

    def __post_init__(self) -> None:
        if not 0 <= self.p_plain_read <= 1:
            raise ConfigError(f"FoleyOptions: p_plain_read must be in [0, 1], got {self.p_plain_read}")


def foley_options_of(recipe: Recipe) -> FoleyOptions:
    """The recipe's ``options`` as strict :class:`FoleyOptions`."""
    return recipe_part(FoleyOptions, recipe.options, "options")


def _video(model: AudioMMDiT, b: dict[str, Any], phases: int = 1, plain: bool = False) -> VideoTokens | None:
    """Video tokens of a batch's stored video inputs, or None when no row has video.

    ``phases`` > 1: the inputs are stored at that many times the encoder's rate, phase by phase
    (:class:`genav.train.foley_data.ClipEncoder`); all phases are encoded and interleaved as at
    inference, or phase 0 alone when ``plain``.
    """
    if b.get("video_semantic") is None or not model.has_video or not bool(b["has_video"].any()):
        return None
    from genav.encoders.video import VideoInputs
    from genav.models.sync_phases import interleave_phases

    semantic, motion, mask = b["video_semantic"], b["video_motion"], b["frames_mask"]

    def read(p: int) -> VideoTokens:
        return model.encode_video_inputs(
            VideoInputs(semantic[:, p::phases], motion[:, p::phases]), mask[:, p::phases]
        )

    if phases == 1 or plain:
        return read(0)
    count = mask.shape[1]
    return interleave_phases([read(p) for p in range(min(phases, count))], count, phases)


def foley_loss(
    model: AudioMMDiT,
    batch: dict[str, Any],
    generator: torch.Generator,
    *,
    phases: int = 1,
    p_plain_read: float = 0.0,
) -> Tensor:
    """Rectified-flow loss of one collated batch (:class:`genav.data.clips.ClipWindows`), with
    random condition dropout; rows without video train with the video absent. A model with
    ``onset_loss_weight`` adds that times its sync onset loss. ``phases``/``p_plain_read``: video
    stored in phases (see :func:`_video`), read plainly in that share of the batches."""
    device = generator.device
    b = batch_to(batch, device)
    size = b["latents"].shape[0]
    drop_text, drop_video = model.sample_dropout(size, generator=generator, device=device)
    plain = phases > 1 and bool(torch.rand((), generator=generator, device=device) < p_plain_read)
    video = _video(model, b, phases, plain)
    if video is not None:
        drop_video = drop_video | ~b["has_video"]
    cond = Conditioning(
        duration=b["duration"],
        text_tokens=b["text_tokens"],
        text_mask=b["text_mask"],
        text_pooled=b["text_pooled"],
        video=video,
        audio_mask=b["audio_mask"],
        drop_text=drop_text | b["drop_text"],
        drop_video=drop_video,
    )
    loss = model.flow_loss(b["latents"], cond, generator=generator)
    weight = model.config.onset_loss_weight
    if weight > 0 and video is not None:  # every row with video, dropped for guidance or not
        loss = loss + weight * model.sync_onset_loss(b["latents"], video, b["has_video"])
    return loss


def sample_conditioning(
    model: AudioMMDiT, batch: dict[str, Any], device: torch.device, phases: int = 1
) -> Conditioning:
    """Conditioning for generating the clips of a collated batch (their text, video in all
    ``phases``, duration)."""
    b = batch_to(batch, device)
    video = _video(model, b, phases) if bool(b["has_video"].all()) else None
    return Conditioning(
        duration=b["duration"],
        text_tokens=b["text_tokens"],
        text_mask=b["text_mask"],
        text_pooled=b["text_pooled"],
        video=video,
        audio_mask=b["audio_mask"],
    )


def make_sample_fn(recipe: Recipe, codec: Any, examples: Any, phases: int = 1) -> Any:
    """A trainer ``sample_fn`` that generates the first ``recipe.val_samples`` clips of ``examples``
    (a ``ValidationWindows``, video stored in ``phases``) as wav files."""
    from genav.media import Audio, write_audio

    indices = list(range(min(recipe.val_samples, len(examples))))

    @torch.no_grad()
    def sample_fn(model: nn.Module, step: int, folder: Path) -> None:
        if not indices:
            return
        device = next(model.parameters()).device
        cond = sample_conditioning(model, examples.collate(indices), device, phases)
        gen = torch.Generator(device).manual_seed(recipe.seed)
        latents = generate_latents(
            model, cond, num_steps=recipe.sample_num_steps, guidance_scale=recipe.sample_guidance_scale, generator=gen
        )
        waves = codec.decode(latents.to(codec.device)).cpu()
        folder.mkdir(parents=True, exist_ok=True)
        captions = {}
        for row, i in enumerate(indices):
            name, captions[f"{row:02d}"] = examples.describe(i)
            n = round(float(cond.duration[row]) * codec.sample_rate)
            wave = waves[row, :, :n].clamp(-1, 1).numpy()
            write_audio(
                folder / f"{row:02d}-{_safe(name)}.wav", Audio(wave, codec.sample_rate), overwrite=True
            )
        (folder / "captions.json").write_text(json.dumps(captions, indent=2))

    return sample_fn


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in Path(name).stem)[:60]


@dataclass
class _Setup:
    """A recipe's model config, accelerator, frozen encoders and data sources, checked."""

    cfg: AudioMMDiTConfig
    acc: Any
    codec: Any
    encoder: ClipEncoder
    sources: DataSources

    @classmethod
    def make(cls, recipe: Recipe, *, data: list[str] | None, cache: Path, device: str) -> _Setup:
        from genav.codecs import build_codec
        from genav.encoders import build_text_encoder

        cfg = model_config_of(recipe)
        acc = make_accelerator(recipe.mixed_precision, device)
        codec = build_codec(cfg.codec).to(acc.device).eval()
        sources = DataSources.from_recipe(recipe, cfg, data=data, cache=cache)
        encoder = clip_encoder(sources, cfg, codec=codec, text_encoder=None)
        # Clips already encoded hold their text states: the frozen text encoder is loaded only to encode.
        text_dim = cached_text_dim(sources, encoder)
        if text_dim is None:
            encoder.text_encoder = build_text_encoder(cfg.text_encoder).to(acc.device).eval()
            text_dim = encoder.text_encoder.dim
        if text_dim != cfg.text_dim:
            raise ConfigError(f"recipe model: text_dim is {cfg.text_dim} but the text encoder gives {text_dim}")
        return cls(cfg, acc, codec, encoder, sources)

    def clip_sets(self) -> tuple[Any, Any]:
        return load_clip_sets(self.sources, self.cfg, encoder=self.encoder, accelerator=self.acc)


@releases_run_folders
def train_foley(
    recipe: Recipe, out: str | Path, *, data: list[str] | None = None, **options: Unpack[TrainOptions]
) -> FoleyRun:
    """Train (or resume) a foley model per ``recipe`` into the model folder ``out``.

    ``data``: manifests that replace the recipe's data sources. ``options``:
    :class:`~genav.train.run.RunOptions` (``cache_dir``: synthetic clips and encoded latents).
    """
    from genav.runtime import seed_everything

    out, run = Path(out), RunOptions(**options)
    # Everything that can fail on bad input happens before the output folder is touched.
    setup = _Setup.make(recipe, data=data, cache=run.cache(out), device=run.device)
    cfg, acc, codec, sources = setup.cfg, setup.acc, setup.codec, setup.sources
    options = foley_options_of(recipe)
    loss_fn = functools.partial(foley_loss, phases=sources.phases, p_plain_read=options.p_plain_read)
    seed_everything(recipe.seed)
    model = AudioMMDiT(cfg)
    model.check_codec(codec)
    if recipe.init_from:
        fresh = load_initial_weights(model, recipe.init_from, new_prefixes=AudioMMDiT.TRAINING_HEADS)
        log.info("started from %s (new: %s)", recipe.init_from, ", ".join(fresh) or "none")
    run_dir = prepare_out_dir(out, resume=run.resume, overwrite=run.overwrite, accelerator=acc,
                              recipe=recipe)
    train_set, val_set = setup.clip_sets()
    samples = val_set if val_set is not None else ValidationWindows(train_set)
    trainer = Trainer(model, recipe, loss_fn=loss_fn, train_set=train_set, val_set=val_set, run_dir=run_dir,
                      sample_fn=make_sample_fn(recipe, codec, samples, sources.phases), accelerator=acc,
                      progress=run.progress,
                      num_workers=sources.num_workers)  # fmt: skip
    val_items = len(val_set) if val_set else 0
    result = fit_and_save(trainer, run, recipe, out, cfg, lambda result: model_card(
        recipe, cfg, sources, result, train_items=len(train_set), val_items=val_items, command=run.command))
    return FoleyRun(out, result, model.num_parameters(), len(train_set), val_items, main_process=acc.is_main_process)


def encode_for_training(
    recipe: Recipe, *, data: list[str] | None = None, cache_dir: str | Path, device: str = "auto"
) -> int:
    """Encode a recipe's training and validation clips into ``cache_dir`` (what ``train_foley``
    does first; a later run with the same cache starts training at once); returns the clip count."""
    train_set, val_set = _Setup.make(recipe, data=data, cache=Path(cache_dir), device=device).clip_sets()
    return len(train_set) + (len(val_set) if val_set is not None else 0)


def model_card(
    recipe: Recipe,
    cfg: AudioMMDiTConfig,
    sources: DataSources,
    result: TrainResult,
    *,
    train_items: int,
    val_items: int,
    command: str | None,
) -> str:
    """MODEL_CARD.md text: what was trained on what, how, and the final losses."""
    from genav.nn import count_parameters

    params = count_parameters(AudioMMDiT(cfg))
    model = [
        "## Model",
        f"- parameters: {params:,} (hidden {cfg.hidden}, {cfg.depth_joint} joint + {cfg.depth_audio} audio blocks)",
        f"- codec: {cfg.codec.model_type}; text encoder: {cfg.text_encoder.kind}; "
        f"video: {'yes' if cfg.video is not None else 'no (text-to-audio only)'}; max duration {cfg.max_duration:g} s",
        *fine_tuned_lines(recipe),
        "",
    ]
    data = [
        "## Data",
        *[f"- {line}" for line in sources.describe()],
        f"- {train_items} training clips, {val_items} validation clips",
        "- licences: the synthetic world is generated by genav (no restrictions); manifest clips, by licence"
        " and source (attribution per clip in each manifest's `licence` and `source` fields):",
        *[f"  - {n} clips: {text}" for text, n in sources.licences()],
        "",
    ]
    return write_card(
        f"{cfg.family} model (audio MM-DiT)", recipe.description or "Trained with `genav train foley`.",
        model, data,
        training_section(recipe, result, command, "genav train foley --recipe RECIPE.json --out OUT"),
        losses_section(result, "rectified-flow loss"),
    )
