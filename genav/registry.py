"""Names for models: ``debug-*`` families built in-process, embedded defaults under checkpoints/.

A :class:`ModelEntry` says which family a name belongs to and either the folder that holds it or a
builder (for ``debug-*`` models, tiny and random, so tests and the CLI run with no downloads).
The built-in names are declared here, in :data:`BUILTIN_MODELS` (a builder named by
``"module:function"``, imported only when the model is built), and every folder under
checkpoints/ is an embedded default: no entry depends on which modules happen to be imported.
:func:`register_model` adds more at run time; :func:`resolve_model` also accepts a model folder.
"""

from __future__ import annotations

import difflib
import importlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from genav.errors import UnknownModelError

CHECKPOINTS_DIR = Path(__file__).resolve().parent / "checkpoints"


@dataclass(frozen=True)
class ModelEntry:
    """One named model. ``path`` is a model folder; ``builder`` makes a debug model in-process
    (a callable, or ``"module:function"`` imported when :meth:`build` runs)."""

    name: str
    family: str
    description: str
    path: Path | None = None
    builder: Callable[[], Any] | str | None = field(default=None, compare=False)

    @property
    def is_debug(self) -> bool:
        return self.builder is not None

    def build(self) -> Any:
        """Call the builder (importing it first when it is named by a string).

        Raises:
            UnknownModelError: the entry has no builder.
        """
        if self.builder is None:
            raise UnknownModelError(f"model {self.name!r} has no builder")
        if isinstance(self.builder, str):
            module, _, function = self.builder.partition(":")
            return getattr(importlib.import_module(module), function)()
        return self.builder()


BUILTIN_MODELS: tuple[ModelEntry, ...] = (
    ModelEntry(
        name="debug-foley",
        family="foley",
        description="tiny random audio MM-DiT (mel codec, hash text encoder) for tests; T2A and V2A",
        builder="genav.pipelines.debug:build_debug_foley",
    ),
)

_REGISTRY: dict[str, ModelEntry] = {entry.name: entry for entry in BUILTIN_MODELS}


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
