"""Encoded training clips in sharded safetensors files, read a slice at a time.

A folder of encoded clips holds ``shard-00000.safetensors``, ``shard-00001.safetensors``, ...,
``index.safetensors`` (where every row lives) and ``info.json`` (written last: the folder is
complete when it exists). A shard stores its rows' arrays concatenated along time, so one row's
window is one contiguous slice:

- ``latents`` ``(sum T_i, C)`` float16: codec latents at full length (plus a short silent tail);
- ``text_tokens`` ``(sum L_v, D)`` and ``text_pooled`` ``(V, D)`` float16: every caption variant;
- ``semantic`` ``(sum F_i, ...)`` (uint8 frames at the video encoder's size, or float16
  embeddings of a frozen backbone) and ``motion`` ``(sum F_i, M)`` float16, at the model's fps;
- offsets ``latent_offsets``/``frame_offsets``/``variant_offsets`` ``(K + 1,)`` and
  ``token_offsets`` ``(V + 1,)`` int64; the metadata ``rows`` (JSON: name, captions, seconds).

Readers open a shard per read (safetensors maps it and copies only the slice), so memory stays
at a few rows' worth however many rows the index lists; the index itself is a handful of int64
arrays (about 50 bytes per row).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor

from genav.atomic import atomic_output, atomic_write_text
from genav.errors import DataError

FORMAT = "genav-clips-1"
INFO = "info.json"
INDEX = "index.safetensors"


def shard_name(k: int) -> str:
    return f"shard-{k:05d}.safetensors"


@dataclass
class EncodedClip:
    """One clip, encoded: ``latents (T, C)``; ``valid_frames`` of them are the clip (the rest a
    silent tail); per caption variant ``tokens (L, D)`` and ``pooled (D,)``; video inputs
    ``semantic (F, ...)`` and ``motion (F, M)`` or None; ``seconds`` of sound."""

    name: str
    latents: Tensor
    valid_frames: int
    captions: list[str]
    tokens: list[Tensor]
    pooled: list[Tensor]
    seconds: float
    semantic: Tensor | None = None
    motion: Tensor | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def _offsets(lengths: list[int]) -> Tensor:
    return torch.tensor(np.concatenate([[0], np.cumsum(lengths, dtype=np.int64)]), dtype=torch.int64)


def write_shard(path: Path, clips: list[EncodedClip]) -> None:
    """Write ``clips`` as one shard file, atomically (an interrupted write leaves no shard)."""
    from safetensors.torch import save_file

    variants = [t for c in clips for t in c.tokens]
    video = [c for c in clips if c.semantic is not None]
    tensors: dict[str, Tensor] = {
        "latent_offsets": _offsets([]),
        "token_offsets": _offsets([]),
        "variant_offsets": _offsets([]),
        "frame_offsets": _offsets([]),
    }
    if clips:  # a shard whose rows all failed is empty but present (so the folder is complete)
        tensors = _clip_tensors(clips, variants, video)
    rows = [
        {
            "name": c.name,
            "captions": c.captions,
            "seconds": c.seconds,
            "valid_frames": c.valid_frames,
            **c.extra,
        }
        for c in clips
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_output(path, overwrite=True) as tmp:
        save_file(tensors, str(tmp), metadata={"format": FORMAT, "rows": json.dumps(rows)})


def _clip_tensors(
    clips: list[EncodedClip], variants: list[Tensor], video: list[EncodedClip]
) -> dict[str, Tensor]:
    tensors: dict[str, Tensor] = {
        "latents": _cat([c.latents for c in clips], torch.float16),
        "latent_offsets": _offsets([c.latents.shape[0] for c in clips]),
        "text_tokens": _cat(variants, torch.float16),
        "token_offsets": _offsets([t.shape[0] for t in variants]),
        "text_pooled": torch.stack([p for c in clips for p in c.pooled]).to(torch.float16),
        "variant_offsets": _offsets([len(c.tokens) for c in clips]),
        "frame_offsets": _offsets([0 if c.semantic is None else c.semantic.shape[0] for c in clips]),
    }
    if video:
        sem = video[0].semantic
        tensors["semantic"] = _cat(
            [c.semantic for c in video], sem.dtype if sem.dtype == torch.uint8 else torch.float16
        )
        tensors["motion"] = _cat([c.motion for c in video], torch.float16)
    return tensors


def _cat(parts: list[Tensor], dtype: torch.dtype) -> Tensor:
    return torch.cat([p.to(dtype) for p in parts]).contiguous()


def read_shard_rows(path: Path) -> list[dict[str, Any]]:
    """The per-row metadata of a shard (name, captions, seconds, ...)."""
    from safetensors import safe_open

    with safe_open(str(path), framework="pt") as fh:
        meta = fh.metadata() or {}
    if meta.get("format") != FORMAT:
        raise DataError(f"{path} is not a genav clip shard (format {meta.get('format')!r})")
    return json.loads(meta["rows"])


def build_index(folder: Path, shards: int, info: dict[str, Any], extra: dict[str, Tensor]) -> None:
    """Write ``index.safetensors`` (one entry per row of every shard) and then ``info.json``."""
    from safetensors import safe_open
    from safetensors.torch import save_file

    cols: dict[str, list[Tensor]] = {
        k: []
        for k in (
            "shard",
            "latent_start",
            "latent_len",
            "valid_frames",
            "frame_start",
            "frame_len",
            "variant_start",
            "variants",
        )
    }
    token_offsets: list[Tensor] = []
    for k in range(shards):
        path = folder / shard_name(k)
        rows = read_shard_rows(path)
        with safe_open(str(path), framework="pt") as fh:
            lat, frm, var = (fh.get_tensor(n) for n in ("latent_offsets", "frame_offsets", "variant_offsets"))
            tok = fh.get_tensor("token_offsets")
        n = len(rows)
        base = sum(len(t) - 1 for t in token_offsets)  # variants before this shard
        cols["shard"].append(torch.full((n,), k, dtype=torch.int64))
        cols["latent_start"].append(lat[:-1])
        cols["latent_len"].append(lat[1:] - lat[:-1])
        cols["valid_frames"].append(torch.tensor([r["valid_frames"] for r in rows], dtype=torch.int64))
        cols["frame_start"].append(frm[:-1])
        cols["frame_len"].append(frm[1:] - frm[:-1])
        cols["variant_start"].append(var[:-1] + base)
        cols["variants"].append(var[1:] - var[:-1])
        token_offsets.append(tok)
    tensors = {k: torch.cat(v) if v else torch.zeros(0, dtype=torch.int64) for k, v in cols.items()}
    # Global variant table: (start, end) token rows within the variant's own shard.
    tensors["token_start"] = (
        torch.cat([t[:-1] for t in token_offsets]) if token_offsets else torch.zeros(0, dtype=torch.int64)
    )
    tensors["token_len"] = (
        torch.cat([t[1:] - t[:-1] for t in token_offsets])
        if token_offsets
        else torch.zeros(0, dtype=torch.int64)
    )
    tensors["variant_local"] = (
        torch.cat([torch.arange(len(t) - 1) for t in token_offsets])
        if token_offsets
        else torch.zeros(0, dtype=torch.int64)
    )
    tensors.update({k: v.contiguous() for k, v in extra.items()})
    with atomic_output(folder / INDEX, overwrite=True) as tmp:
        save_file(tensors, str(tmp))
    atomic_write_text(
        folder / INFO,
        json.dumps(
            {"format": FORMAT, "shards": shards, "rows": int(tensors["shard"].numel()), **info}, indent=2
        )
        + "\n",
        overwrite=True,
    )


@dataclass
class ShardIndex:
    """Where each row of a clip folder lives: int64 numpy arrays, one entry per row (or variant)."""

    folder: Path
    info: dict[str, Any]
    arrays: dict[str, np.ndarray]
    silence: Tensor

    @classmethod
    def open(cls, folder: str | Path) -> ShardIndex:
        from genav.checkpoint import load_safetensors

        folder = Path(folder)
        if not (folder / INFO).is_file():
            raise DataError(f"{folder} holds no complete set of encoded clips (no {INFO})")
        info = json.loads((folder / INFO).read_text())
        if info.get("format") != FORMAT:
            raise DataError(f"{folder}: unknown clip format {info.get('format')!r}")
        tensors = load_safetensors(folder / INDEX)
        silence = tensors.pop("silence")
        return cls(folder, info, {k: v.numpy() for k, v in tensors.items()}, silence.float())

    def __len__(self) -> int:
        return int(self.arrays["shard"].shape[0])

    def shard_path(self, row: int) -> Path:
        return self.folder / shard_name(int(self.arrays["shard"][row]))

    def has_video(self, row: int) -> bool:
        return bool(self.arrays["frame_len"][row] > 0)

    def seconds(self, row: int) -> float:
        return float(self.arrays["valid_frames"][row]) / float(self.info["frame_rate"])

    def row_meta(self, row: int) -> dict[str, Any]:
        """The metadata of one row (name, captions, ...): reads its shard's header."""
        first = int(np.searchsorted(self.arrays["shard"], self.arrays["shard"][row]))
        return read_shard_rows(self.shard_path(row))[row - first]


def read_window(
    index: ShardIndex, row: int, *, start: int, frames: int, video: tuple[int, int] | None, variant: int
) -> dict[str, Tensor]:
    """Read one row's window from its shard.

    ``start``/``frames``: latent frames (past the stored frames: the silence frame); ``video``:
    (first frame, frame count) or None; ``variant``: which caption. Returns ``latents (C, frames)``
    float32, ``tokens (L, D)``/``pooled (D,)`` float32, and with ``video`` ``semantic``/``motion``
    ``(n, ...)`` plus ``frames_mask (n,)`` (False past the clip's last frame).
    """
    from safetensors import safe_open

    a = index.arrays
    lat0, lat_n = int(a["latent_start"][row]), int(a["latent_len"][row])
    v = int(a["variant_start"][row]) + variant
    tok0, tok_n, local = int(a["token_start"][v]), int(a["token_len"][v]), int(a["variant_local"][v])
    with safe_open(str(index.shard_path(row)), framework="pt") as fh:
        stop = min(start + frames, lat_n)
        lat = (
            fh.get_slice("latents")[lat0 + start : lat0 + stop]
            if stop > start
            else index.silence.new_zeros(0, index.silence.shape[0])
        )
        out = {
            "latents": _pad_rows(lat.float(), frames, index.silence).T.contiguous(),
            "tokens": fh.get_slice("text_tokens")[tok0 : tok0 + tok_n].float(),
            "pooled": fh.get_slice("text_pooled")[local : local + 1][0].float(),
        }
        if video is not None:
            out.update(_read_frames(fh, int(a["frame_start"][row]), int(a["frame_len"][row]), *video))
    return out


def _pad_rows(x: Tensor, n: int, fill: Tensor) -> Tensor:
    if x.shape[0] >= n:
        return x[:n]
    return torch.cat([x, fill[None].to(x.dtype).expand(n - x.shape[0], -1)])


def _read_frames(fh: Any, f0: int, f_n: int, first: int, count: int) -> dict[str, Tensor]:
    stop = min(first + count, f_n)
    sem_slice, mot_slice = fh.get_slice("semantic"), fh.get_slice("motion")
    shape = sem_slice.get_shape()[1:]
    dtype = torch.uint8 if sem_slice.get_dtype() == "U8" else torch.float32
    semantic = torch.zeros(count, *shape, dtype=dtype)
    motion = torch.zeros(count, mot_slice.get_shape()[1])
    mask = torch.zeros(count, dtype=torch.bool)
    if stop > first:
        n = stop - first
        semantic[:n] = sem_slice[f0 + first : f0 + stop].to(dtype)
        motion[:n] = mot_slice[f0 + first : f0 + stop].float()
        mask[:n] = True
    return {"semantic": semantic, "motion": motion, "frames_mask": mask}
