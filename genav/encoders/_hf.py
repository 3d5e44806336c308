"""Checks for local HF model folders used by the text and vision encoders."""

from __future__ import annotations

import json
from pathlib import Path

from genav.errors import CheckpointError


def require_hf_folder(path: str | Path | None, what: str) -> Path:
    """``path`` as a Path if it is a folder with a config.json, else a CheckpointError."""
    if not path:
        raise CheckpointError(f"{what}: no model folder given")
    folder = Path(path)
    if not folder.is_dir():
        raise CheckpointError(f"{what}: model folder not found: {folder}")
    if not (folder / "config.json").is_file():
        raise CheckpointError(f"{what}: {folder} has no config.json (not a Hugging Face model folder)")
    return folder


def read_model_type(folder: Path, what: str) -> str:
    """The ``model_type`` in ``folder/config.json``."""
    try:
        data = json.loads((folder / "config.json").read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise CheckpointError(f"{what}: {folder}/config.json is not valid JSON: {exc}") from None
    kind = data.get("model_type") if isinstance(data, dict) else None
    if not isinstance(kind, str):
        raise CheckpointError(f"{what}: {folder}/config.json has no model_type")
    return kind


def load_failure(what: str, folder: Path, exc: Exception) -> CheckpointError:
    """One-line CheckpointError for a model or tokenizer that would not load."""
    text = str(exc).strip()
    first = text.splitlines()[0] if text else type(exc).__name__
    return CheckpointError(f"{what}: could not load the model in {folder}: {first}")
