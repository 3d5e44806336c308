"""Model folders: ``config.json`` + ``model.safetensors`` (+ ``MODEL_CARD.md``), loaded strictly.

Loading never falls back to ``strict=False``: a missing, unexpected or mis-shaped tensor is a
:class:`CheckpointError` that names the keys, so a config that does not match its weights is
caught at load time instead of producing noise.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from genav.config import Config
from genav.errors import CheckpointError

if TYPE_CHECKING:
    import torch

CONFIG_NAME = "config.json"
WEIGHTS_NAME = "model.safetensors"
CARD_NAME = "MODEL_CARD.md"

C = TypeVar("C", bound=Config)
M = TypeVar("M", bound="torch.nn.Module")
_CACHE_META = "clips"  # the metadata key of cached_tensors files (the name the first caches used)


def save_model_folder(
    folder: str | Path,
    config: Config,
    state_dict: dict[str, torch.Tensor],
    *,
    model_card: str | None = None,
    weights_name: str = WEIGHTS_NAME,
) -> Path:
    """Write a model folder atomically file by file; returns the folder. An empty ``state_dict`` (a
    module without tensors, e.g. a mel codec without vocoder) writes no weights file."""
    from safetensors.torch import save_file

    from genav.atomic import atomic_output, atomic_write_text

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    config.save(folder / CONFIG_NAME)
    tensors = {k: v.detach().contiguous().cpu() for k, v in state_dict.items()}
    if tensors:
        with atomic_output(folder / weights_name, overwrite=True) as tmp:
            save_file(tensors, str(tmp), metadata={"format": "pt", "model_type": config.model_type})
    if model_card is not None:
        atomic_write_text(folder / CARD_NAME, model_card)
    return folder


def load_model_folder(
    folder: str | Path, config_cls: type[C], *, weights_name: str = WEIGHTS_NAME
) -> tuple[C, dict[str, torch.Tensor]]:
    """Read ``(config, state_dict)`` from a model folder, with clear errors for what is missing."""
    folder = Path(folder)
    return _folder_config(folder, config_cls), load_safetensors(folder / weights_name)


def load_module_folder(
    folder: str | Path, config_cls: type[C], build: Callable[[C], M], *, weights_name: str = WEIGHTS_NAME
) -> M:
    """``build(config)`` for a model folder's config, with the folder's weights loaded strictly
    (:func:`load_state_strict`); a module without tensors needs no weights file.

    Raises:
        CheckpointError: no such folder, no config, missing weights, or weights that do not match.
    """
    folder = Path(folder)
    module = build(_folder_config(folder, config_cls))
    if module.state_dict() or (folder / weights_name).exists():
        load_state_strict(module, load_safetensors(folder / weights_name), source=str(folder))
    return module


def cached_tensors(
    path: Path | None, build: Callable[[], tuple[dict[str, torch.Tensor], dict[str, Any]]]
) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """Tensors and JSON-able metadata that ``build()`` makes, kept in the safetensors file ``path``
    (written atomically; read back instead of built when it exists; ``None``: no cache)."""
    import json

    from safetensors import safe_open
    from safetensors.torch import save_file

    from genav.atomic import atomic_output

    if path is not None and path.exists():
        with safe_open(str(path), framework="pt") as fh:
            meta = fh.metadata() or {}
            return {k: fh.get_tensor(k) for k in fh.keys()}, json.loads(meta.get(_CACHE_META, "{}"))
    tensors, meta = build()
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_output(path, overwrite=True) as tmp:
            contiguous = {k: v.contiguous() for k, v in tensors.items()}
            save_file(contiguous, str(tmp), metadata={_CACHE_META: json.dumps(meta)})
    return tensors, meta


def _folder_config(folder: Path, config_cls: type[C]) -> C:
    if not folder.is_dir():
        raise CheckpointError(f"model folder not found: {folder}")
    config_path = folder / CONFIG_NAME
    if not config_path.exists():
        raise CheckpointError(f"{folder} has no {CONFIG_NAME}")
    return config_cls.load(config_path)


def export_model_folder(src: str | Path, dst: str | Path, *, dtype: str = "float16", overwrite: bool = False) -> Path:
    """Copy a model folder with its floating-point weights stored as ``dtype`` ("float16",
    "bfloat16" or "float32"); every other file (config, card, sub-folders) is copied as is.
    Loading casts the weights back to the model's dtype, so only the file shrinks (fp16: half).
    The copy is assembled next to ``dst`` and moved into place whole.

    Raises:
        CheckpointError: ``src`` is not a model folder, or ``dtype`` is not one of the three.
        OutputExistsError: ``dst`` exists and ``overwrite`` is False.
    """
    import shutil
    import tempfile

    import torch
    from safetensors.torch import save_file

    from genav.errors import OutputExistsError

    src, dst = Path(src), Path(dst)
    dtypes = {"float16": torch.float16, "bfloat16": torch.bfloat16, "float32": torch.float32}
    if dtype not in dtypes:
        raise CheckpointError(f"unknown weights dtype {dtype!r}; choose one of {', '.join(dtypes)}")
    if not (src / CONFIG_NAME).is_file() or not (src / WEIGHTS_NAME).is_file():
        raise CheckpointError(f"{src} is not a model folder (needs {CONFIG_NAME} and {WEIGHTS_NAME})")
    if dst.exists() and not overwrite:
        raise OutputExistsError(dst)
    dst.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{dst.name}.", dir=dst.parent))
    try:
        shutil.copytree(src, tmp, dirs_exist_ok=True, ignore=shutil.ignore_patterns("train", WEIGHTS_NAME))
        state = load_safetensors(src / WEIGHTS_NAME)
        cast = {k: v.to(dtypes[dtype]) if v.is_floating_point() else v for k, v in state.items()}
        save_file(cast, str(tmp / WEIGHTS_NAME), metadata={"format": "pt", "dtype": dtype})
        (tmp / WEIGHTS_NAME).chmod(0o644)  # as every genav output; the temporary folder is 0700
        tmp.chmod(0o755)
        if dst.exists():
            shutil.rmtree(dst)
        tmp.rename(dst)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return dst


def load_safetensors(path: str | Path) -> dict[str, torch.Tensor]:
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    path = Path(path)
    if not path.exists():
        raise CheckpointError(f"weights file not found: {path}")
    try:
        return load_file(str(path))
    except (SafetensorError, OSError, ValueError) as exc:
        raise CheckpointError(f"{path} is not a readable safetensors file: {exc}") from None


def load_state_strict(module: torch.nn.Module, state_dict: dict[str, torch.Tensor], *, source: str = "") -> None:
    """Load weights into ``module``; any key or shape mismatch is an error naming the keys."""
    expected = module.state_dict()
    missing = sorted(set(expected) - set(state_dict))
    unexpected = sorted(set(state_dict) - set(expected))
    mismatched = sorted(
        f"{k} {tuple(state_dict[k].shape)} vs {tuple(expected[k].shape)}"
        for k in set(expected) & set(state_dict)
        if tuple(state_dict[k].shape) != tuple(expected[k].shape)
    )
    problems = []
    if missing:
        problems.append(f"missing keys {_short(missing)}")
    if unexpected:
        problems.append(f"unexpected keys {_short(unexpected)}")
    if mismatched:
        problems.append(f"shape mismatch {_short(mismatched)}")
    if problems:
        where = f"{source}: " if source else ""
        raise CheckpointError(f"{where}checkpoint does not match its config: " + "; ".join(problems))
    module.load_state_dict(state_dict, strict=True)


def file_checksum(path: str | Path, *, algorithm: str = "sha256", length: int = 16) -> str:
    """Hex digest (shortened) of a file, for output sidecars and model cards."""
    digest = hashlib.new(algorithm)
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()[:length]


def _short(items: list[str], limit: int = 5) -> str:
    shown = ", ".join(items[:limit])
    return f"[{shown}{', ...' if len(items) > limit else ''}] ({len(items)})"
