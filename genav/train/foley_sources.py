"""Where foley training clips come from: manifests, and the synthetic world generated on demand.

:class:`DataSources` resolves a recipe's data section (or ``--data`` manifests, which replace it)
into training and validation manifests; :func:`load_examples_for` generates the synthetic clips if
needed, reads every manifest through ``genav.data.ManifestDataset`` and encodes it with the frozen
codec and text encoder, caching the result. Under several processes the main process generates
and encodes, the others wait and read the caches.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from genav.errors import ConfigError, DataError
from genav.train.foley_data import FoleyExample, FoleyTrainSet, cache_key, cached_examples, encode_examples
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
    """Resolved training/validation sources plus how clips are read."""

    train: list[Source]
    val: list[Source]
    cache: Path
    use_cache: bool
    crop_seconds: float
    fps: float | None
    frame_size: int | None
    skip_bad_rows: bool
    hold_out: int
    seed: int
    synth: SynthSpec | None = None
    synth_dir: Path | None = None

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
            raise ConfigError("the recipe names no training data (data.synth or data.manifests); pass --data MANIFEST")
        split = None if data else d.split
        train = [Source(m, split) for m in manifests]
        val = [] if data else [Source(Path(p), d.val_split) for p in d.val_manifests]
        if not data and d.val_split is not None and not d.val_manifests:
            val = [Source(m, d.val_split) for m in manifests]
        synth_dir = None
        if synth is not None:
            key = cache_key({"synth": synth.to_dict()})
            synth_dir = cache / f"synth-{key}"
            train.append(Source(synth_dir / "train" / "manifest.jsonl", None, synthetic=True))
            if synth.val_clips and not val:
                val.append(Source(synth_dir / "val" / "manifest.jsonl", None, synthetic=True))
        video = cfg.video
        return cls(
            train=train,
            val=val,
            cache=cache,
            use_cache=d.cache,
            crop_seconds=d.crop_seconds or cfg.max_duration,
            fps=d.fps or (video.fps if video is not None else None),
            # Frames are cached raw; the encoder squares them to its frame_size anyway.
            frame_size=d.frame_size or (video.frame_size if video is not None else None),
            skip_bad_rows=d.skip_bad_rows,
            hold_out=0 if val else d.val_items,
            seed=recipe.seed,
            synth=synth,
            synth_dir=synth_dir,
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
        lines += [f"manifest {s.manifest}" + (f" (split {s.split})" if s.split else "") for s in self.train if not s.synthetic]
        lines += [f"validation manifest {s.manifest}" + (f" (split {s.split})" if s.split else "")
                  for s in self.val if not s.synthetic]
        if self.hold_out:
            lines.append(f"validation: the last {self.hold_out} training clips, held out")
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


def _dataset(source: Source, sources: DataSources, codec: Any) -> Any:
    from genav.data import ManifestDataset

    size = sources.frame_size
    return ManifestDataset(
        source.manifest,
        sample_rate=codec.sample_rate,
        mono=codec.audio_channels == 1,
        fps=sources.fps,
        size=None if size is None else (size, size),
        crop_seconds=sources.crop_seconds,
        split=source.split,
        skip_bad_rows=sources.skip_bad_rows,
        seed=sources.seed,
    )


def _source_examples(source: Source, sources: DataSources, cfg: Any, *, codec: Any, text_encoder: Any) -> list[FoleyExample]:
    def items() -> Any:
        ds = _dataset(source, sources, codec)
        return (ds[i] for i in range(len(ds)))

    if not sources.use_cache:
        return encode_examples(items(), codec=codec, text_encoder=text_encoder)
    parts = {
        "manifest": str(source.manifest.resolve()), "split": source.split, "codec": cfg.codec.to_dict(),
        "text": cfg.text_encoder.to_dict(), "crop": sources.crop_seconds, "fps": sources.fps,
        "size": sources.frame_size, "seed": sources.seed, "skip_bad": sources.skip_bad_rows,
    }
    path = sources.cache / "latents" / f"{source.manifest.parent.name}-{cache_key(parts, [source.manifest])}.safetensors"
    return cached_examples(items, codec=codec, text_encoder=text_encoder, cache_path=path)


def load_examples_for(
    sources: DataSources, cfg: Any, *, codec: Any, text_encoder: Any, accelerator: Any
) -> tuple[FoleyTrainSet, FoleyTrainSet | None]:
    """Encoded training and validation sets (generating synthetic clips first when needed)."""

    def build() -> tuple[list[FoleyExample], list[FoleyExample]]:
        if sources.synth is not None:
            generate_synth(sources.synth, sources.synth_dir)
        enc = {"codec": codec, "text_encoder": text_encoder}
        train = [ex for s in sources.train for ex in _source_examples(s, sources, cfg, **enc)]
        val = [ex for s in sources.val for ex in _source_examples(s, sources, cfg, **enc)]
        return train, val

    if accelerator.num_processes > 1 and sources.use_cache:
        if accelerator.is_main_process:
            build()
        accelerator.wait_for_everyone()
    train, val = build()
    if not train:
        raise DataError("no usable training clips in " + ", ".join(str(s.manifest) for s in sources.train))
    if sources.hold_out:
        n = min(sources.hold_out, len(train) // 5)
        if n:
            train, val = train[:-n], train[-n:]
    log.info("%d training clips, %d validation clips", len(train), len(val))
    return FoleyTrainSet(train), (FoleyTrainSet(val) if val else None)
