"""Names for models: ``debug-*`` families built in-process, embedded defaults under checkpoints/.

A :class:`ModelEntry` says which family a name belongs to and either the folder that holds it or a
builder (for ``debug-*`` models, tiny and random, so tests and the CLI run with no downloads).
Families register their entries when their module is imported; :func:`resolve_model` also accepts
a path to a model folder.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from genav.errors import UnknownModelError

CHECKPOINTS_DIR = Path(__file__).resolve().parent / "checkpoints"


@dataclass(frozen=True)
class ModelEntry:
    """One named model. ``path`` is a model folder; ``builder`` makes a debug model in-process."""

    name: str
    family: str
    description: str
    path: Path | None = None
    builder: Callable[[], Any] | None = field(default=None, compare=False)

    @property
    def is_debug(self) -> bool:
        return self.builder is not None


_REGISTRY: dict[str, ModelEntry] = {}


def register_model(entry: ModelEntry) -> ModelEntry:
    """Add (or replace) a named model; returns the entry for use as a module constant."""
    _REGISTRY[entry.name] = entry
    return entry


def list_models(family: str | None = None) -> list[ModelEntry]:
    _register_embedded()
    entries = sorted(_REGISTRY.values(), key=lambda e: e.name)
    return [e for e in entries if family is None or e.family == family]


def resolve_model(name_or_path: str | Path, *, family: str | None = None) -> ModelEntry:
    """Find a model by registered name or folder; an unknown name lists close names."""
    _register_embedded()
    text = str(name_or_path)
    if text in _REGISTRY:
        entry = _REGISTRY[text]
    elif Path(text).is_dir():
        entry = ModelEntry(name=Path(text).name, family=_family_of_folder(Path(text)), description="", path=Path(text))
    else:
        names = [e.name for e in list_models(family)]
        close = difflib.get_close_matches(text, names, n=3, cutoff=0.4)
        hint = f"did you mean {', '.join(close)}?" if close else f"known models: {', '.join(names) or 'none'}"
        raise UnknownModelError(f"unknown model {text!r}: not a registered name or a folder", hint=hint)
    if family is not None and entry.family not in (family, "unknown"):
        raise UnknownModelError(f"model {text!r} is a {entry.family} model, not a {family} model")
    return entry


def _family_of_folder(folder: Path) -> str:
    config = folder / "config.json"
    if config.exists():
        try:
            data = json.loads(config.read_text())
            return str(data.get("family") or data.get("model_type") or "unknown")
        except (json.JSONDecodeError, AttributeError):
            return "unknown"
    if (folder / "model_index.json").exists():
        return "diffusers"
    return "unknown"


def _register_embedded() -> None:
    """Register every folder under checkpoints/ that has a config.json (its ``family`` key names it)."""
    if not CHECKPOINTS_DIR.is_dir():
        return
    for config in sorted(CHECKPOINTS_DIR.glob("*/config.json")):
        name = config.parent.name
        if name not in _REGISTRY:
            _REGISTRY[name] = ModelEntry(
                name=name, family=_family_of_folder(config.parent), description="embedded default", path=config.parent
            )
