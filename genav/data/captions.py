"""Which caption variants a model may train on, and which one is held out for evaluation.

A manifest row may carry several captions (``captions``: sfx2 has three per clip, written from
three templates per label, the list rotated from clip to clip). Text-to-audio is evaluated on a
caption whose *template* the model never saw in training, not only on a caption text it never
saw, so the held-out variant is chosen by template and is the same template for every clip of a
label:

* a caption's template key is its lower-cased text up to the first ``,``, ``(`` or ``:`` (the
  clip-specific details, e.g. "running", "yamaha grand piano, around C4", come after those);
* the held-out caption of a row is the one with the smallest template key (ties: the smallest
  text). Training uses every other caption of the row (and may add the bare label).

Rows with a single caption have nothing to hold out: that caption is their training caption and
:func:`held_out_caption` returns None for them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

__all__ = ["caption_variants", "held_out_caption", "template_key", "training_captions", "write_training_manifest"]

_DETAILS = re.compile(r"[,(:]")


def template_key(caption: str) -> str:
    """The template part of a caption: lower-cased text before the first ``,``, ``(`` or ``:``."""
    return _DETAILS.split(caption, maxsplit=1)[0].strip().rstrip(".").lower()


def caption_variants(row: Mapping[str, Any]) -> list[str]:
    """All distinct non-empty captions of a manifest row (``captions`` list, else ``caption``)."""
    raw = row.get("captions") or [row.get("caption") or ""]
    if isinstance(raw, str):
        raw = [raw]
    out: list[str] = []
    for c in raw:
        text = str(c).strip()
        if text and text not in out:
            out.append(text)
    return out


def held_out_caption(row: Mapping[str, Any]) -> str | None:
    """The caption variant never used in training (see the module doc), or None with < 2 variants."""
    variants = caption_variants(row)
    if len(variants) < 2:
        return None
    return min(variants, key=lambda c: (template_key(c), c))


def training_captions(row: Mapping[str, Any]) -> list[str]:
    """The caption variants a model may train on: all but :func:`held_out_caption`."""
    held = held_out_caption(row)
    return [c for c in caption_variants(row) if c != held]


def write_training_manifest(
    manifest: str | Path, out: str | Path, *, split: str | None = "train", overwrite: bool = False
) -> int:
    """Write ``out`` (JSONL): every row of ``split`` once per training caption (``caption`` set to
    it, ``captions`` dropped, ``file`` made absolute). Returns the number of rows written.

    For data loaders that read one caption per row; the held-out caption never appears. Raises
    DataError on a missing manifest, OutputExistsError on an existing ``out`` without ``overwrite``.
    """
    from genav.atomic import atomic_write_text
    from genav.data.manifest import iter_manifest_rows
    from genav.errors import DataError, OutputExistsError

    manifest, out = Path(manifest), Path(out)
    if not manifest.is_file():
        raise DataError(f"manifest not found: {manifest}")
    if out.exists() and not overwrite:
        raise OutputExistsError(out)
    lines = []
    for _, row in iter_manifest_rows(manifest):
        if split is not None and row.get("split") != split:
            continue
        base = {k: v for k, v in row.items() if k != "captions"}
        base["file"] = str((manifest.parent / str(row["file"])).resolve())
        for k, caption in enumerate(training_captions(row)):
            lines.append(json.dumps({**base, "caption": caption, "caption_variant": k}))
    atomic_write_text(out, "".join(x + "\n" for x in lines), overwrite=True)
    return len(lines)
