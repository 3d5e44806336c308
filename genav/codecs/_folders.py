"""Reading and writing codec folders (shared by the HF- and diffusers-backed codecs)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from genav.errors import CheckpointError


def read_json_object(path: Path) -> dict[str, Any] | None:
    """The JSON object in ``path``; ``None`` when the file is absent; CheckpointError if malformed."""
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise CheckpointError(f"{path} is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise CheckpointError(f"{path} must hold a JSON object")
    return data


def require_model_folder(path: str | Path | None, what: str) -> Path:
    """Check that ``path`` is an existing folder with a ``config.json``; returns it as a Path."""
    if path is None:
        raise CheckpointError(f"{what}: no model folder given (set 'path' in the codec config)")
    folder = Path(path)
    if not folder.is_dir():
        raise CheckpointError(f"{what}: model folder not found: {folder}")
    if not (folder / "config.json").is_file():
        raise CheckpointError(f"{what}: {folder} has no config.json (not a model folder)")
    return folder


def load_failure(what: str, folder: Path, exc: Exception) -> CheckpointError:
    """One-line CheckpointError for a model whose weights or config would not load."""
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return CheckpointError(f"{what}: could not load the model in {folder}: {first}")
