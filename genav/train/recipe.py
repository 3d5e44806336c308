"""Training recipes: one strict JSON file says what to train, on what, and how.

A recipe names the task (``foley``, ``tagger`` or ``vocoder``), the model config of that task's family (kept as a JSON
object here and parsed strictly by the task, so ``genav.train`` stays independent of
``genav.models``), the data, and the optimisation settings. Unknown keys anywhere are an error
that names the file. Relative data paths in a recipe are relative to the recipe file.

A recipe may start from another: ``"extends": "foley-tiny.json"`` (a path relative to the file)
takes that recipe and overrides what this file sets, key by key inside objects (``data.synth.
settings.p_cut`` alone, say); lists and other values replace the base's whole. The merged recipe
is what trains and what the fingerprint hashes, so a file that extends trains exactly as its
spelled-out copy would.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from genav.config import Config, read_json_object
from genav.errors import ConfigError

TASKS = ("foley", "tagger", "vocoder", "t2v", "a2v")
INIT_FROM_TASKS = ("foley", "t2v")  # the trainers that can start from a model's weights
MIXED_PRECISION = ("no", "bf16", "fp16")


@dataclass(frozen=True)
class SynthSpec(Config):
    """Synthetic clips to generate (``genav.data.synth``) when the recipe trains on the synthetic world.

    ``settings`` holds ``SynthSettings`` fields (duration, fps, size, ...); empty = defaults.
    """

    model_type: ClassVar[str] = "recipe-synth"

    clips: int = 32
    val_clips: int = 8
    seed: int = 0
    settings: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class DataSpec(Config):
    """Where training data comes from and how clips are cut.

    ``manifests``: JSONL/CSV manifests (training rows; with ``split`` only rows of that split);
    audio files (video condition absent) and videos with sound may be mixed.
    ``val_manifests``/``val_split``: validation rows; if neither is given and ``synth`` is, the
    synthetic validation clips are used; otherwise the last ``val_items`` training rows are held
    out. ``crop_seconds``: the window length of every step (None: the model's ``max_duration``;
    text-to-video: the window in frames at the model's rate, None = ``max_frames``);
    ``crop_range`` (min, max seconds): a length drawn per step instead (all items of a step share
    it, so batches need no padding); a clip shorter than the window is followed by silence.
    ``event_windows`` (text-to-video, 0 to 1): the share of timed training windows placed on an
    event frame (:class:`~genav.train.t2v_data.T2VTrainSet`).
    ``caption_variants``: use a row's ``captions`` list as variants of ``caption`` (one drawn per
    item and epoch); ``label_as_caption``: the bare ``label`` is one more variant.
    ``text_dropout``: probability that an item trains without its text, on top of the model's
    ``p_drop_text``/``p_drop_both``.
    ``fps``/``frame_size``: video frame rate and square size the frames are decoded at, from
    videos of any native rate (default: the model's video encoder settings).
    ``cache``: reuse encoded clips (latents, text embeddings, video inputs) across runs; False
    encodes them again. ``rows_per_shard``: clips per shard file. ``num_workers``: DataLoader
    worker processes that read the shards (0: in the training process); it does not change
    results, so it may differ on resume.
    """

    model_type: ClassVar[str] = "recipe-data"

    synth: SynthSpec | None = None
    manifests: tuple[str, ...] = ()
    split: str | None = None
    val_manifests: tuple[str, ...] = ()
    val_split: str | None = None
    val_items: int = 8
    crop_seconds: float | None = None
    crop_range: tuple[float, float] | None = None
    event_windows: float = 0.0
    caption_variants: bool = True
    label_as_caption: bool = False
    text_dropout: float = 0.0
    fps: float | None = None
    frame_size: int | None = None
    skip_bad_rows: bool = True
    cache: bool = True
    rows_per_shard: int = 256
    num_workers: int = 2

    def __post_init__(self) -> None:
        if self.rows_per_shard < 1 or self.num_workers < 0 or not 0 <= self.text_dropout <= 1:
            raise ConfigError("DataSpec: need rows_per_shard >= 1, num_workers >= 0, 0 <= text_dropout <= 1")
        if not 0 <= self.event_windows <= 1:
            raise ConfigError(f"DataSpec: event_windows must be within 0 to 1, got {self.event_windows:g}")
        if self.crop_range is not None and not 0 < self.crop_range[0] <= self.crop_range[1]:
            raise ConfigError(
                f"DataSpec: crop_range needs 0 < min <= max seconds, got {list(self.crop_range)}"
            )


@dataclass(frozen=True)
class Recipe(Config):
    """Everything a training run needs besides the output folder.

    ``batch_size`` is the global batch (split across processes under ``accelerate launch``), so a
    recipe trains the same model on any number of GPUs. The learning rate warms up linearly for
    ``warmup_steps`` then follows a cosine to ``lr * min_lr_ratio``. EMA decay ramps up as
    ``min(ema_decay, (1 + step) / (10 + step))``. Checkpoints every ``ckpt_every`` steps (and at
    the end); validation loss (and ``val_samples`` generated samples, at ``sample_num_steps``
    steps and ``sample_guidance_scale``) every ``val_every``. Old files' ``sample_steps`` and
    ``sample_cfg`` load with a DeprecationWarning. ``init_from``: a model name or folder whose
    weights start the run (fine-tuning; see :func:`genav.train.run.load_initial_weights`).
    """

    model_type: ClassVar[str] = "train-recipe"
    RENAMED: ClassVar[dict[str, str]] = {"sample_steps": "sample_num_steps", "sample_cfg": "sample_guidance_scale"}

    task: str = "foley"
    description: str = ""
    model: dict[str, Any] = field(default_factory=dict)
    data: DataSpec = field(default_factory=DataSpec)
    batch_size: int = 16
    steps: int = 1000
    lr: float = 3e-4
    weight_decay: float = 0.01
    betas: tuple[float, float] = (0.9, 0.99)
    warmup_steps: int = 100
    min_lr_ratio: float = 0.1
    grad_clip: float = 1.0
    ema_decay: float = 0.999
    ckpt_every: int = 500
    keep_checkpoints: int = 2
    val_every: int = 500
    val_max_items: int = 64
    val_samples: int = 2
    sample_num_steps: int = 25
    sample_guidance_scale: float = 4.5
    seed: int = 0
    mixed_precision: str = "no"
    log_every: int = 10
    # Task-specific settings, parsed strictly by the task (e.g. the tagger's augmentation).
    options: dict[str, Any] = field(default_factory=dict)
    # fine-tuning: a model name or folder whose weights start the run (INIT_FROM_TASKS)
    init_from: str | None = None

    def __post_init__(self) -> None:
        if self.task not in TASKS:
            raise ConfigError(f"Recipe: unknown task {self.task!r}; choose one of {', '.join(TASKS)}")
        positive = ("batch_size", "steps", "ckpt_every", "val_every", "log_every", "keep_checkpoints")
        for name in positive:
            if getattr(self, name) < 1:
                raise ConfigError(f"Recipe: {name} must be at least 1, got {getattr(self, name)}")
        if self.lr <= 0 or not 0 <= self.min_lr_ratio <= 1 or self.warmup_steps < 0:
            raise ConfigError("Recipe: need lr > 0, 0 <= min_lr_ratio <= 1, warmup_steps >= 0")
        if not 0 <= self.ema_decay < 1:
            raise ConfigError(f"Recipe: ema_decay must be in [0, 1), got {self.ema_decay}")
        if self.mixed_precision not in MIXED_PRECISION:
            raise ConfigError(f"Recipe: mixed_precision must be one of {', '.join(MIXED_PRECISION)}")
        if self.init_from and self.task not in INIT_FROM_TASKS:
            raise ConfigError(f"Recipe: init_from is for tasks {', '.join(INIT_FROM_TASKS)}, not {self.task!r}")

    def fingerprint(self) -> str:
        """Short hash of the settings that shape the run (used to refuse resuming a different recipe)."""
        data = self.to_dict()
        for old, new in self.RENAMED.items():  # runs started before the rename keep their fingerprint
            data[old] = data.pop(new)
        for volatile in ("steps", "ckpt_every", "val_every", "log_every", "keep_checkpoints", "description"):
            data.pop(volatile, None)
        for added in ("options", "init_from"):
            if not data.get(added):
                data.pop(added, None)  # runs from before the field existed keep their fingerprint
        data["data"].pop("num_workers", None)  # how shards are read, not what is read
        if not data["data"].get("event_windows"):
            data["data"].pop("event_windows", None)  # runs from before the field existed
        if isinstance(data.get("model"), dict):
            for key in ("generation_window", "text_guidance_scale"):  # how the model generates, not how it trains
                data["model"].pop(key, None)
            if not data["model"].get("frame_diff_weight"):
                data["model"].pop("frame_diff_weight", None)  # runs from before the field existed
        return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:16]


def recipe_part(config_cls: type[Config], data: dict[str, Any], part: str) -> Any:
    """``data``, the recipe's ``part`` object (``model``, ``options``), as a strict ``config_cls``;
    raises ConfigError naming the part."""
    try:
        return config_cls.from_dict(data)
    except ConfigError as exc:
        raise ConfigError(f"recipe {part}: {exc}") from None


def load_recipe(path: str | Path) -> Recipe:
    """Read a recipe file (its ``extends`` chain merged); relative data paths become absolute
    (each relative to the file that names it). Raises ConfigError naming the file."""
    path = Path(path)
    try:
        return Recipe.from_dict(recipe_dict(path))
    except ConfigError as exc:
        if str(path) in str(exc):
            raise
        raise ConfigError(f"recipe {path}: {exc}") from None


def recipe_dict(path: Path, _chain: tuple[Path, ...] = ()) -> dict[str, Any]:
    """The JSON object of a recipe file with its ``extends`` chain merged in (module doc) and its
    data paths made absolute. Raises ConfigError for a missing/invalid file or a cycle."""
    where = path.resolve()
    if where in _chain:
        raise ConfigError(f"recipe {path}: 'extends' loops back to {where.name}")
    data = read_json_object(path, "recipe")
    spec = data.get("data")
    if isinstance(spec, dict):
        for key in ("manifests", "val_manifests"):
            if isinstance(spec.get(key), list):
                spec[key] = [_absolute(p, where.parent) for p in spec[key]]
    base = data.pop("extends", None)
    if base is None:
        return data
    if not isinstance(base, str):
        raise ConfigError(f"recipe {path}: 'extends' must be a file name, got {base!r}")
    return _merged(recipe_dict(where.parent / base, (*_chain, where)), data)


def _merged(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """``base`` with ``override`` laid over it: objects merge key by key, anything else replaces."""
    out = dict(base)
    for key, value in override.items():
        old = out.get(key)
        out[key] = _merged(old, value) if isinstance(old, dict) and isinstance(value, dict) else value
    return out


def _absolute(p: Any, base: Path) -> Any:
    return p if not isinstance(p, str) or Path(p).is_absolute() else str((base / p).resolve())
