"""Foley training data: clips -> cached codec latents + text embeddings (+ frames) -> batches.

The codec and the text encoder are frozen, so each clip is encoded once and kept as a
:class:`FoleyExample`. With caching on, the encoded set is stored as one safetensors file (no
pickles) whose name hashes everything that shaped it (manifest contents, codec, text encoder,
crop, frame size), so a changed input is re-encoded and an unchanged one loads in a blink. Video
frames stay raw uint8: the video encoder inside the model has trainable parts.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor

from genav.atomic import atomic_output

log = logging.getLogger(__name__)


@dataclass
class FoleyExample:
    """One encoded clip: latents ``(C, T)``, text tokens ``(L, D)``, mask ``(L,)``, pooled ``(D,)``,
    frames ``(T_f, H, W, 3)`` uint8 or None, duration in seconds."""

    name: str
    caption: str
    latents: Tensor
    text_tokens: Tensor
    text_mask: Tensor
    text_pooled: Tensor
    frames: Tensor | None
    duration: float


def encode_examples(items: Iterable[dict[str, Any]], *, codec: Any, text_encoder: Any) -> list[FoleyExample]:
    """Encode dataset items (``{"name", "audio" (C, N), "frames" or None, "caption"}``)."""
    out = []
    for item in items:
        wave = torch.as_tensor(item["audio"], dtype=torch.float32)
        latents = codec.encode(wave[None].to(codec.device))[0].cpu()
        emb = text_encoder.encode([item.get("caption") or ""])
        keep = int(emb.mask[0].sum())
        frames = item.get("frames")
        out.append(
            FoleyExample(
                name=str(item["name"]),
                caption=str(item.get("caption") or ""),
                latents=latents,
                text_tokens=emb.tokens[0, :keep].float().cpu(),
                text_mask=torch.ones(keep, dtype=torch.bool),
                text_pooled=emb.pooled[0].float().cpu(),
                frames=None if frames is None else torch.as_tensor(frames, dtype=torch.uint8),
                duration=wave.shape[-1] / codec.sample_rate,
            )
        )
    return out


def cache_key(parts: dict[str, Any], files: Sequence[Path] = ()) -> str:
    """Hash of JSON-able ``parts`` plus the size and mtime of ``files``."""
    h = hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode())
    for f in files:
        st = Path(f).stat()
        h.update(f"{Path(f).resolve()}:{st.st_size}:{st.st_mtime_ns}".encode())
    return h.hexdigest()[:20]


def save_examples(path: Path, examples: list[FoleyExample]) -> None:
    """Write examples to one safetensors file (atomically)."""
    from safetensors.torch import save_file

    tensors: dict[str, Tensor] = {}
    meta = []
    for i, ex in enumerate(examples):
        tensors[f"{i}.latents"] = ex.latents.contiguous()
        tensors[f"{i}.text_tokens"] = ex.text_tokens.contiguous()
        tensors[f"{i}.text_pooled"] = ex.text_pooled.contiguous()
        if ex.frames is not None:
            tensors[f"{i}.frames"] = ex.frames.contiguous()
        meta.append({"name": ex.name, "caption": ex.caption, "duration": ex.duration})
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_output(path, overwrite=True) as tmp:
        save_file(tensors, str(tmp), metadata={"examples": json.dumps(meta)})


def load_examples(path: Path) -> list[FoleyExample]:
    from safetensors import safe_open

    with safe_open(str(path), framework="pt") as fh:
        meta = json.loads(fh.metadata()["examples"])
        keys = set(fh.keys())
        out = []
        for i, m in enumerate(meta):
            tokens = fh.get_tensor(f"{i}.text_tokens")
            out.append(
                FoleyExample(
                    name=m["name"],
                    caption=m["caption"],
                    latents=fh.get_tensor(f"{i}.latents"),
                    text_tokens=tokens,
                    text_mask=torch.ones(tokens.shape[0], dtype=torch.bool),
                    text_pooled=fh.get_tensor(f"{i}.text_pooled"),
                    frames=fh.get_tensor(f"{i}.frames") if f"{i}.frames" in keys else None,
                    duration=float(m["duration"]),
                )
            )
    return out


def cached_examples(
    items_fn: Any, *, codec: Any, text_encoder: Any, cache_path: Path | None
) -> list[FoleyExample]:
    """Encoded examples of ``items_fn()``, read from / written to ``cache_path`` when given."""
    if cache_path is not None and cache_path.exists():
        log.info("loading cached latents %s", cache_path)
        return load_examples(cache_path)
    examples = encode_examples(items_fn(), codec=codec, text_encoder=text_encoder)
    if cache_path is not None:
        save_examples(cache_path, examples)
    return examples


def _pad_stack(tensors: list[Tensor], length: int, dim: int) -> tuple[Tensor, Tensor]:
    """Zero-pad each tensor along ``dim`` to ``length`` and stack; also the (B, length) validity mask."""
    out, mask = [], torch.zeros(len(tensors), length, dtype=torch.bool)
    for i, t in enumerate(tensors):
        extra = length - t.shape[dim]
        pad = [0, 0] * (t.dim() - 1 - dim) + [0, extra]
        out.append(F.pad(t, pad) if extra else t)
        mask[i, : t.shape[dim]] = True
    return torch.stack(out), mask


class FoleyTrainSet:
    """Encoded examples addressed by index; :meth:`collate` pads a batch.

    A batch is a dict: ``latents (B, C, T)``, ``audio_mask (B, T)``, ``duration (B,)``,
    ``text_tokens (B, L, D)``, ``text_mask (B, L)``, ``text_pooled (B, D)``, ``frames
    (B, T_f, H, W, 3)`` uint8 or None, ``frames_mask (B, T_f)`` or None, ``has_video (B,)``.
    """

    def __init__(self, examples: list[FoleyExample]) -> None:
        self.examples = examples

    def __len__(self) -> int:
        return len(self.examples)

    def collate(self, indices: Sequence[int]) -> dict[str, Any]:
        exs = [self.examples[i] for i in indices]
        latents, audio_mask = _pad_stack([e.latents for e in exs], max(e.latents.shape[1] for e in exs), 1)
        tokens, text_mask = _pad_stack([e.text_tokens for e in exs], max(e.text_tokens.shape[0] for e in exs), 0)
        batch: dict[str, Any] = {
            "latents": latents,
            "audio_mask": audio_mask,
            "duration": torch.tensor([e.duration for e in exs], dtype=torch.float32),
            "text_tokens": tokens,
            "text_mask": text_mask,
            "text_pooled": torch.stack([e.text_pooled for e in exs]),
            "has_video": torch.tensor([e.frames is not None for e in exs]),
            "frames": None,
            "frames_mask": None,
        }
        with_frames = [e.frames for e in exs if e.frames is not None]
        if with_frames:
            ref = with_frames[0]
            frames = [e.frames if e.frames is not None else ref.new_zeros((0, *ref.shape[1:])) for e in exs]
            batch["frames"], batch["frames_mask"] = _pad_stack(frames, max(f.shape[0] for f in frames), 0)
        return batch


def batch_to(batch: dict[str, Any], device: torch.device) -> dict[str, Any]:
    """Move a collated batch's tensors to ``device``."""
    return {k: v.to(device, non_blocking=True) if isinstance(v, Tensor) else v for k, v in batch.items()}
