"""Where foley training clips come from: manifests, and the synthetic world generated on demand.

:class:`DataSources` resolves a recipe's data section (or ``--data`` manifests, which replace it)
into training and validation manifests; :func:`load_clip_sets` generates the synthetic clips if
needed, encodes every manifest once into clip shards (:mod:`genav.train.foley_data`; under
several processes each encodes its share of the shards, the main process indexes them) and
returns the streamed training windows and the validation set.
"""

from __future__ import annotations

import logging
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from genav.data.clips import ClipWindows, CropGrid, ValidationWindows
from genav.data.shards import INFO, ShardIndex, shard_name
from genav.errors import ConfigError, DataError
from genav.train.foley_data import ClipEncoder, cache_key, encode_shards, finish_shards
from genav.train.recipe import Recipe, SynthSpec

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Source:
    """One manifest (rows of ``split`` only, when given)."""

    manifest: Path
    split: str | None = None
    synthetic: bool = False


@dataclass
class DataSources:
    """Resolved training/validation sources plus how clips are encoded and cut."""

    train: list[Source]
    val: list[Source]
    cache: Path
    use_cache: bool
    crop: tuple[float, float]
    fps: float | None
    frame_size: int | None
    skip_bad_rows: bool
    hold_out: int
    seed: int
    synth: SynthSpec | None = None
    synth_dir: Path | None = None
    caption_variants: bool = True
    label_as_caption: bool = False
    text_dropout: float = 0.0
    rows_per_shard: int = 256
    num_workers: int = 0
    phases: int = 1  # video read in phases: fps is this many times the encoder's rate

    @classmethod
    def from_recipe(cls, recipe: Recipe, cfg: Any, *, data: list[str] | None, cache: Path) -> DataSources:
        """Sources for ``recipe`` (model config ``cfg``); ``data`` manifests replace the recipe's data."""
        d = recipe.data
        synth = None if data else d.synth
        manifests = [Path(p) for p in data] if data else [Path(p) for p in d.manifests]
        for m in manifests:
            if not m.exists():
                raise DataError(f"manifest not found: {m}")
        if not manifests and synth is None:
            raise ConfigError(
                "the recipe names no training data (data.synth or data.manifests); pass --data MANIFEST"
            )
        split = None if data else d.split
        train = [Source(m, split) for m in manifests]
        val = [] if data else [Source(Path(p), d.val_split) for p in d.val_manifests]
        if not data and d.val_split is not None and not d.val_manifests:
            val = [Source(m, d.val_split) for m in manifests]
        synth_dir = None
        if synth is not None:
            synth_dir = cache / f"synth-{cache_key({'synth': synth.to_dict()})}"
            train.append(Source(synth_dir / "train" / "manifest.jsonl", None, synthetic=True))
            if synth.val_clips and not val:
                val.append(Source(synth_dir / "val" / "manifest.jsonl", None, synthetic=True))
        crop = tuple(d.crop_range) if d.crop_range else (d.crop_seconds or cfg.max_duration,) * 2
        if crop[1] > cfg.max_duration + 1e-9:
            raise ConfigError(
                f"recipe data: crops of {crop[1]:g} s exceed the model's max_duration {cfg.max_duration:g} s"
            )
        video = cfg.video
        fps = d.fps or (video.fps if video is not None else None)
        phases = 1
        if video is not None:
            from genav.models.sync_phases import read_phases

            try:
                phases = read_phases(fps, video)
            except ConfigError as exc:
                raise ConfigError(f"recipe data: {exc}") from None
        return cls(
            train=train,
            val=val,
            cache=cache,
            use_cache=d.cache,
            crop=crop,
            fps=fps,
            # a vision backbone's own processor sets its size (see clip_encoder)
            frame_size=d.frame_size or (video.frame_size if video is not None and video.backbone == "conv" else None),
            skip_bad_rows=d.skip_bad_rows,
            hold_out=0 if val else d.val_items,
            seed=recipe.seed,
            synth=synth,
            synth_dir=synth_dir,
            caption_variants=d.caption_variants,
            label_as_caption=d.label_as_caption,
            text_dropout=d.text_dropout,
            rows_per_shard=d.rows_per_shard,
            num_workers=d.num_workers,
            phases=phases,
        )

    def licences(self) -> list[tuple[str, int]]:
        """Licence/source counts over the training manifests (for the model card)."""
        from collections import Counter

        from genav.data.manifest import licence_summary

        total: Counter[str] = Counter()
        for s in self.train:
            if not s.synthetic:
                total.update(dict(licence_summary(s.manifest)))
        return total.most_common()

    def describe(self) -> list[str]:
        """One line per source, for the model card."""
        lines = []
        if self.synth is not None:
            lines.append(
                f"synthetic world: {self.synth.clips} training + {self.synth.val_clips} validation clips, "
                f"seed {self.synth.seed}, settings {self.synth.settings or 'default'}"
            )
        lines += [
            f"manifest {s.manifest}" + (f" (split {s.split})" if s.split else "")
            for s in self.train
            if not s.synthetic
        ]
        lines += [
            f"validation manifest {s.manifest}" + (f" (split {s.split})" if s.split else "")
            for s in self.val
            if not s.synthetic
        ]
        if self.hold_out:
            lines.append(f"validation: the last {self.hold_out} training clips, held out")
        lo, hi = self.crop
        lines.append(
            f"windows of {lo:g} s" if lo == hi else f"windows of {lo:g}-{hi:g} s (a length per step)"
        )
        if self.phases > 1:
            lines.append(f"video decoded at {self.fps:g} fps and read in {self.phases} phases")
        return lines


def generate_synth(spec: SynthSpec, folder: Path) -> None:
    """Write the synthetic clips (``train/`` and ``val/``) into ``folder`` unless already complete.

    ``write_synth_dataset`` writes the manifest last and resumes a folder left half-written.
    """
    from genav.data.synth import SynthSettings
    from genav.data.synth.writer import write_synth_dataset

    settings = SynthSettings.from_dict(spec.settings) if spec.settings else SynthSettings()
    for split, n in (("train", spec.clips), ("val", spec.val_clips)):
        target = folder / split
        if n == 0 or (target / "manifest.jsonl").exists():
            continue
        log.info("generating %d synthetic %s clips into %s", n, split, target)
        write_synth_dataset(target, n, seed=spec.seed, split=split, settings=settings, progress=False)


def clip_encoder(sources: DataSources, cfg: Any, *, codec: Any, text_encoder: Any) -> ClipEncoder:
    """The encoder of training clips for model config ``cfg`` (its frozen codec / text / video parts)."""
    video = None
    if cfg.video is not None:
        from genav.encoders.video import VideoEncoder

        video = VideoEncoder(cfg.video).to(codec.device).eval()
    return ClipEncoder(
        codec,
        text_encoder,
        cfg.text_encoder,
        video,
        sources.fps if video is not None else None,
        sources.frame_size or (video.input_size[0] if video is not None else None),
        sources.caption_variants,
        sources.label_as_caption,
        sources.phases,
    )


def _folder(source: Source, sources: DataSources, encoder: ClipEncoder) -> Path:
    parts = {
        "manifest": str(source.manifest.resolve()),
        "split": source.split,
        "skip_bad": sources.skip_bad_rows,
        "rows_per_shard": sources.rows_per_shard,
        **encoder.settings(),
    }
    return sources.cache / "clips" / f"{source.manifest.parent.name}-{cache_key(parts, [source.manifest])}"


def clip_folders(sources: DataSources, encoder: ClipEncoder) -> dict[Source, Path]:
    """The cache folder of each training and validation source (each source once)."""
    return {s: _folder(s, sources, encoder) for s in dict.fromkeys(sources.train + sources.val)}


def cached_text_dim(sources: DataSources, encoder: ClipEncoder) -> int | None:
    """The width of the cached text states when every source is already encoded by ``encoder``
    (so training needs no text encoder), else None."""
    if sources.synth is not None or not sources.use_cache:
        return None  # synthetic manifests may not exist yet; no cache means encode anew
    folders = list(clip_folders(sources, encoder).values())
    if not all((f / INFO).exists() for f in folders):
        return None
    from safetensors import safe_open

    with safe_open(str(folders[0] / shard_name(0)), "pt") as shard:
        return int(shard.get_slice("text_tokens").get_shape()[1])


def encode_sources(sources: DataSources, encoder: ClipEncoder, accelerator: Any) -> dict[Source, ShardIndex]:
    """Encode every source into shards (each process its share) and open their indexes."""
    acc = accelerator
    if acc.is_main_process and sources.synth is not None:
        generate_synth(sources.synth, sources.synth_dir)
    acc.wait_for_everyone()  # the synthetic manifests exist from here on
    folders = clip_folders(sources, encoder)
    if acc.is_main_process and not sources.use_cache:
        for folder in folders.values():
            shutil.rmtree(folder, ignore_errors=True)
    acc.wait_for_everyone()
    counts = {}
    for source, folder in folders.items():
        counts[source] = encode_shards(
            source.manifest,
            source.split,
            folder,
            encoder,
            rows_per_shard=sources.rows_per_shard,
            skip_bad_rows=sources.skip_bad_rows,
            process_index=acc.process_index,
            num_processes=acc.num_processes,
            workers=sources.num_workers,
        )
    acc.wait_for_everyone()
    if acc.is_main_process:
        for source, folder in folders.items():
            finish_shards(
                folder, counts[source], encoder, {"manifest": str(source.manifest), "split": source.split}
            )
    acc.wait_for_everyone()
    return {s: ShardIndex.open(f) for s, f in folders.items()}


def load_clip_sets(
    sources: DataSources, cfg: Any, *, encoder: ClipEncoder, accelerator: Any
) -> tuple[ClipWindows, ValidationWindows | None]:
    """Streamed training windows and the validation set (the held-out rows when no validation source);
    ``encoder`` (:func:`clip_encoder`) encodes the clips not cached yet."""
    indexes = encode_sources(sources, encoder, accelerator)
    train = [(indexes[s], np.arange(len(indexes[s]))) for s in sources.train]
    val = [(indexes[s], np.arange(len(indexes[s]))) for s in sources.val]
    total = sum(len(r) for _, r in train)
    if total == 0:
        raise DataError("no usable training clips in " + ", ".join(str(s.manifest) for s in sources.train))
    if sources.hold_out:
        train, val = _hold_out(train, min(sources.hold_out, total // 5))
    grid = CropGrid.make(encoder.codec.frame_rate, sources.fps, *sources.crop)
    options = {"seed": sources.seed, "video": cfg.video is not None}
    train_set = ClipWindows(train, grid, text_dropout=sources.text_dropout, **options)
    val_set = ValidationWindows(ClipWindows(val, grid, **options)) if any(len(r) for _, r in val) else None
    log.info("%d training clips, %d validation clips", len(train_set), len(val_set) if val_set else 0)
    return train_set, val_set


def _hold_out(parts: list[tuple[ShardIndex, np.ndarray]], n: int) -> tuple[list, list]:
    """Move the last ``n`` rows of the concatenated parts to a validation list."""
    train, val = [], []
    for index, rows in reversed(parts):
        take = min(n, len(rows))
        if take:
            val.insert(0, (index, rows[len(rows) - take :]))
        train.insert(0, (index, rows[: len(rows) - take]))
        n -= take
    return [p for p in train if len(p[1])], val
