"""``genav train foley``: train an audio MM-DiT from a recipe.

Data path: manifests (and/or the synthetic world, generated into a cache folder first) ->
``ManifestDataset`` -> frozen codec + text encoder -> cached latents and text embeddings ->
batches; the model's own (trainable) video encoder sees raw frames every step. The run folder
``OUT`` ends up as a model folder (``config.json``, ``model.safetensors`` with the EMA weights,
``MODEL_CARD.md``) with the training state under ``OUT/train/``.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn

from genav.errors import ConfigError, OutputExistsError
from genav.models import AudioMMDiT, AudioMMDiTConfig, Conditioning, VideoTokens, generate_latents
from genav.train.foley_data import FoleyTrainSet, batch_to
from genav.train.foley_sources import DataSources, load_examples_for
from genav.train.recipe import Recipe
from genav.train.trainer import Trainer, TrainResult, make_accelerator

log = logging.getLogger(__name__)


@dataclass
class FoleyRun:
    """The result of :func:`train_foley`: the model folder and what the trainer reported."""

    model_dir: Path
    result: TrainResult
    parameters: int
    train_items: int
    val_items: int
    main_process: bool = True


def model_config_of(recipe: Recipe) -> AudioMMDiTConfig:
    """The recipe's ``model`` object as a strict :class:`AudioMMDiTConfig`."""
    try:
        return AudioMMDiTConfig.from_dict(recipe.model)
    except ConfigError as exc:
        raise ConfigError(f"recipe model: {exc}") from None


def foley_loss(model: AudioMMDiT, batch: dict[str, Any], generator: torch.Generator) -> Tensor:
    """Rectified-flow loss of one collated batch, with random condition dropout."""
    device = generator.device
    b = batch_to(batch, device)
    size = b["latents"].shape[0]
    drop_text, drop_video = model.sample_dropout(size, generator=generator, device=device)
    video = None
    if b["frames"] is not None and model.has_video:
        video = model.encode_video(b["frames"], b["frames_mask"])
        drop_video = drop_video | ~b["has_video"]
    cond = Conditioning(
        duration=b["duration"],
        text_tokens=b["text_tokens"],
        text_mask=b["text_mask"],
        text_pooled=b["text_pooled"],
        video=video,
        audio_mask=b["audio_mask"],
        drop_text=drop_text,
        drop_video=drop_video,
    )
    return model.flow_loss(b["latents"], cond, generator=generator)


def sample_conditioning(model: AudioMMDiT, batch: dict[str, Any], device: torch.device) -> Conditioning:
    """Conditioning for generating the clips of a collated batch (their text, video, duration)."""
    b = batch_to(batch, device)
    video: VideoTokens | None = None
    if b["frames"] is not None and model.has_video and bool(b["has_video"].all()):
        video = model.encode_video(b["frames"], b["frames_mask"])
    return Conditioning(
        duration=b["duration"], text_tokens=b["text_tokens"], text_mask=b["text_mask"],
        text_pooled=b["text_pooled"], video=video, audio_mask=b["audio_mask"],
    )


def make_sample_fn(recipe: Recipe, codec: Any, examples: FoleyTrainSet) -> Any:
    """A trainer ``sample_fn`` that generates the first ``recipe.val_samples`` clips as wav files."""
    from genav.media import Audio, write_audio

    indices = list(range(min(recipe.val_samples, len(examples))))

    @torch.no_grad()
    def sample_fn(model: nn.Module, step: int, folder: Path) -> None:
        if not indices:
            return
        device = next(model.parameters()).device
        batch = examples.collate(indices)
        cond = sample_conditioning(model, batch, device)
        gen = torch.Generator(device).manual_seed(recipe.seed)
        latents = generate_latents(model, cond, steps=recipe.sample_steps, text_scale=recipe.sample_cfg,
                                   generator=gen)
        waves = codec.decode(latents.to(codec.device)).cpu()
        folder.mkdir(parents=True, exist_ok=True)
        for row, i in enumerate(indices):
            ex = examples.examples[i]
            n = round(ex.duration * codec.sample_rate)
            wave = waves[row, :, :n].clamp(-1, 1).numpy()
            write_audio(folder / f"{row:02d}-{_safe(ex.name)}.wav", Audio(wave, codec.sample_rate), overwrite=True)
        (folder / "captions.json").write_text(
            json.dumps({f"{row:02d}": examples.examples[i].caption for row, i in enumerate(indices)}, indent=2)
        )

    return sample_fn


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in Path(name).stem)[:60]


def prepare_out_dir(out: Path, *, resume: bool, overwrite: bool, accelerator: Any) -> Path:
    """Check ``out`` for a previous run; returns the run (training state) folder ``out/train``.

    Every process checks before anything is written (a barrier follows); with ``overwrite`` the
    main process then removes the old run's checkpoints, metrics and samples (not the caches).
    """
    run_dir = out / "train"
    has_run = (run_dir / "checkpoints").exists() or (run_dir / "metrics.jsonl").exists()
    if not overwrite and not resume and (has_run or (out / "config.json").exists()):
        exc = OutputExistsError(out)
        exc.hint = "pass --resume to continue the run there, or --overwrite to start over"
        raise exc
    accelerator.wait_for_everyone()
    if overwrite and accelerator.is_main_process:
        for name in ("checkpoints", "metrics.jsonl", "samples"):
            target = run_dir / name
            shutil.rmtree(target, ignore_errors=True) if target.is_dir() else target.unlink(missing_ok=True)
    accelerator.wait_for_everyone()
    return run_dir


def train_foley(
    recipe: Recipe,
    out: str | Path,
    *,
    data: list[str] | None = None,
    steps: int | None = None,
    resume: bool = False,
    overwrite: bool = False,
    stop_after: int | None = None,
    device: str = "auto",
    cache_dir: str | Path | None = None,
    command: str | None = None,
    progress: bool = True,
) -> FoleyRun:
    """Train (or resume) a foley model per ``recipe`` into the model folder ``out``.

    ``data``: manifests that replace the recipe's data sources. ``cache_dir``: where synthetic
    clips and encoded latents are cached (default ``out/train/cache``). ``stop_after``: stop after
    this many steps in this call (a checkpoint is written; ``resume`` continues).
    """
    from genav.codecs import build_codec
    from genav.encoders.text import build_text_encoder
    from genav.runtime import seed_everything

    out = Path(out)
    cfg = model_config_of(recipe)
    acc = make_accelerator(recipe.mixed_precision, device)
    # Everything that can fail on bad input happens before the output folder is touched.
    cache = Path(cache_dir) if cache_dir is not None else out / "train" / "cache"
    codec = build_codec(cfg.codec).to(acc.device).eval()
    text_encoder = build_text_encoder(cfg.text_encoder).to(acc.device).eval()
    if text_encoder.dim != cfg.text_dim:
        raise ConfigError(f"recipe model: text_dim is {cfg.text_dim} but the text encoder gives {text_encoder.dim}")
    sources = DataSources.from_recipe(recipe, cfg, data=data, cache=cache)
    seed_everything(recipe.seed)
    model = AudioMMDiT(cfg)
    model.check_codec(codec)
    run_dir = prepare_out_dir(out, resume=resume, overwrite=overwrite, accelerator=acc)
    train_set, val_set = load_examples_for(sources, cfg, codec=codec, text_encoder=text_encoder, accelerator=acc)
    if acc.is_main_process:
        run_dir.mkdir(parents=True, exist_ok=True)
        recipe.save(run_dir / "recipe.json")
    trainer = Trainer(
        model, recipe, loss_fn=foley_loss, train_set=train_set, val_set=val_set, run_dir=run_dir,
        sample_fn=make_sample_fn(recipe, codec, val_set if val_set is not None else train_set),
        accelerator=acc, progress=progress,
    )
    result = trainer.fit(steps=steps, resume=resume, stop_after=stop_after)
    total = steps or recipe.steps
    if acc.is_main_process and result.step >= total:
        card = model_card(recipe, cfg, sources, result, train_items=len(train_set),
                          val_items=len(val_set) if val_set else 0, command=command)
        from genav.checkpoint import save_model_folder

        save_model_folder(out, cfg, trainer.ema.state_dict(), model_card=card)
        log.info("wrote model folder %s", out)
    acc.wait_for_everyone()
    return FoleyRun(out, result, model.num_parameters(), len(train_set), len(val_set) if val_set else 0,
                    main_process=acc.is_main_process)


def _fmt(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.4f}"


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
    settings = {k: v for k, v in dataclasses.asdict(recipe).items() if k not in ("model", "data", "description")}
    lines = [
        f"# {cfg.family} model (audio MM-DiT)",
        "",
        recipe.description or "Trained with `genav train foley`.",
        "",
        "## Model",
        f"- parameters: {params:,} (hidden {cfg.hidden}, {cfg.depth_joint} joint + {cfg.depth_audio} audio blocks)",
        f"- codec: {cfg.codec.model_type}; text encoder: {cfg.text_encoder.kind}; "
        f"video: {'yes' if cfg.video is not None else 'no (text-to-audio only)'}; max duration {cfg.max_duration:g} s",
        "",
        "## Data",
        *[f"- {line}" for line in sources.describe()],
        f"- {train_items} training clips, {val_items} validation clips",
        "- licences: the synthetic world is generated by genav (no restrictions); manifest clips, by licence"
        " and source (attribution per clip in each manifest's `licence` and `source` fields):",
        *[f"  - {n} clips: {text}" for text, n in sources.licences()],
        "",
        "## Training",
        f"- command: `{command or 'genav train foley --recipe RECIPE.json --out OUT'}`",
        f"- steps: {result.step}, global batch {recipe.batch_size}, lr {recipe.lr:g}, EMA {recipe.ema_decay:g}",
        f"- settings: `{json.dumps(settings, sort_keys=True)}`",
        "",
        "## Metrics (rectified-flow loss, lower is better)",
        f"- validation loss at step 0: {_fmt(result.initial_val_loss)}",
        f"- final validation loss: {_fmt(result.val_loss)} (EMA weights: {_fmt(result.val_loss_ema)})",
        f"- final training loss: {_fmt(result.train_loss)}",
        "",
    ]
    return "\n".join(lines)


def random_batch(cfg: AudioMMDiTConfig, batch_size: int, seconds: float, *, seed: int = 0) -> dict[str, Any]:
    """A collated batch of random inputs shaped like ``seconds``-long clips (for timing)."""
    g = torch.Generator().manual_seed(seed)
    frames_audio = int(round(seconds * cfg.audio_frame_rate))
    batch: dict[str, Any] = {
        "latents": torch.randn(batch_size, cfg.latent_dim, frames_audio, generator=g),
        "audio_mask": torch.ones(batch_size, frames_audio, dtype=torch.bool),
        "duration": torch.full((batch_size,), float(seconds)),
        "text_tokens": torch.randn(batch_size, 16, cfg.text_dim, generator=g),
        "text_mask": torch.ones(batch_size, 16, dtype=torch.bool),
        "text_pooled": torch.randn(batch_size, cfg.text_dim, generator=g),
        "has_video": torch.full((batch_size,), cfg.video is not None),
        "frames": None,
        "frames_mask": None,
    }
    if cfg.video is not None:
        n, size = int(round(seconds * cfg.video.fps)), cfg.video.frame_size
        batch["frames"] = torch.randint(0, 256, (batch_size, n, size, size, 3), dtype=torch.uint8, generator=g)
        batch["frames_mask"] = torch.ones(batch_size, n, dtype=torch.bool)
    return batch


def time_train_step(
    recipe: Recipe, *, batch_size: int, seconds: float | None = None, steps: int = 3, device: str = "auto"
) -> dict[str, Any]:
    """Seconds per optimiser step (forward, backward, AdamW, EMA) on random clips of ``seconds``.

    The first step (allocation, kernel selection) is excluded; returns the median of ``steps``.
    """
    import time

    from genav.runtime import select_device

    cfg = model_config_of(recipe)
    dev = select_device(device)
    seconds = seconds or recipe.data.crop_seconds or cfg.max_duration
    torch.manual_seed(recipe.seed)
    model = AudioMMDiT(cfg).to(dev).train()
    opt = torch.optim.AdamW(model.parameters(), lr=recipe.lr)
    from genav.train.ema import EMA

    ema = EMA(model, recipe.ema_decay)
    batch = random_batch(cfg, batch_size, seconds)
    times = []
    for i in range(steps + 1):
        if dev.type == "cuda":
            torch.cuda.synchronize()
        start = time.perf_counter()
        loss = foley_loss(model, batch, torch.Generator(dev).manual_seed(i))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), recipe.grad_clip)
        opt.step()
        ema.update(model)
        if dev.type == "cuda":
            torch.cuda.synchronize()
        times.append(time.perf_counter() - start)
    kept = sorted(times[1:])
    return {
        "parameters": model.num_parameters(), "batch_size": batch_size, "seconds_of_audio": seconds,
        "device": str(dev), "step_seconds": kept[len(kept) // 2], "all_step_seconds": times,
    }
