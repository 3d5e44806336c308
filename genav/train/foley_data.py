"""Foley training data, encoded once: manifest rows -> clip shards on disk (:mod:`genav.data.shards`).

The codec, the text encoder and the frozen part of the video encoder are fixed during training,
so each clip is encoded once, at full length: codec latents (plus a short silent tail, so a window
that runs past the clip's end holds the real decay into silence), the text embeddings of every
caption variant, and the video encoder's per-frame inputs at the model's fps (the semantic
frames at the encoder's size, or a frozen backbone's embeddings, and the motion features), from
videos of any native frame rate. Rows are cut into shards of ``rows_per_shard``; under several
processes each encodes its own shards (shard ``k`` by process ``k mod N``); a shard already on
disk is kept, so an interrupted encoding resumes. The folder name hashes everything that shaped
the encoding, so a changed manifest or setting is encoded afresh.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import Tensor

from genav.data.captions import training_captions
from genav.data.shards import INFO, EncodedClip, build_index, shard_name, write_shard
from genav.encoders.video import MOTION_FEATURES_VERSION
from genav.errors import DataError, GenavError

log = logging.getLogger(__name__)

TAIL_SECONDS = 0.25


def cache_key(parts: dict[str, Any], files: Sequence[Path] = ()) -> str:
    """Hash of JSON-able ``parts`` plus the size and mtime of ``files``."""
    h = hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode())
    for f in files:
        st = Path(f).stat()
        h.update(f"{Path(f).resolve()}:{st.st_size}:{st.st_mtime_ns}".encode())
    return h.hexdigest()[:20]


def item_captions(row: Any, *, variants: bool, label: bool) -> list[str]:
    """The captions a row trains on: its caption variants less the one held out for evaluation
    (``genav.data.captions.training_captions``; all of them with ``variants``, else the first), then
    the bare ``label`` (with ``label``); duplicates dropped, order kept; [""] when it has none."""
    allowed = training_captions({**row.data, "caption": row.caption})
    found = allowed if variants else allowed[:1]
    if label and row.label:
        found.append(row.label)
    out = list(dict.fromkeys(c.strip() for c in found if c and c.strip()))
    return out or [""]


@dataclass
class ClipEncoder:
    """Encodes decoded rows (``genav.data.dataset.read_row`` items) into :class:`EncodedClip`.

    ``video_encoder``: a ``genav.encoders.VideoEncoder`` (only its frozen ``prepare_inputs`` is
    used) or None for a text-to-audio model; ``fps``/``frame_size``: how frames are decoded.
    ``phases`` > 1: ``fps`` is that many times the encoder's rate and the inputs of each phase
    (frames ``p, p + phases, ...``) are prepared on their own and interleaved, so every phase is
    an ordinary read at the encoder's rate (:mod:`genav.models.sync_phases`).
    """

    codec: Any
    text_encoder: Any
    text_config: Any
    video_encoder: Any | None
    fps: float | None
    frame_size: int | None
    variants: bool = True
    label: bool = False
    phases: int = 1

    def settings(self) -> dict[str, Any]:
        """Everything that shapes the encoding (part of the cache folder's name)."""
        video = None
        if self.video_encoder is not None:
            video = {**self.video_encoder.config.to_dict(), "motion_version": MOTION_FEATURES_VERSION}
        return {
            "codec": self.codec.config.to_dict(),
            "text": self.text_config.to_dict(),
            "video": video,
            "fps": self.fps,
            "size": self.frame_size,
            "variants": self.variants,
            "label": self.label,
            "tail": TAIL_SECONDS,
            **({"phases": self.phases} if self.phases > 1 else {}),  # earlier caches keep their names
        }

    @torch.no_grad()
    def encode(self, row: Any, item: dict[str, Any]) -> EncodedClip:
        codec = self.codec
        wave = item["audio"].float()
        tail = torch.zeros(wave.shape[0], round(TAIL_SECONDS * codec.sample_rate))
        latents = codec.encode(torch.cat([wave, tail], -1)[None].to(codec.device))[0].T.cpu()
        captions = item_captions(row, variants=self.variants, label=self.label)
        emb = self.text_encoder.encode(captions)
        keep = emb.mask.sum(1).tolist()
        clip = EncodedClip(
            name=str(item["name"]),
            latents=latents,
            valid_frames=codec.num_frames(wave.shape[-1]),
            captions=captions,
            tokens=[emb.tokens[i, : int(n)].float().cpu() for i, n in enumerate(keep)],
            pooled=[p.float().cpu() for p in emb.pooled],
            seconds=wave.shape[-1] / codec.sample_rate,
            extra={"label": row.label, "row": row.row},
        )
        if self.video_encoder is not None and item.get("frames") is not None:
            inputs = self._video_inputs(item["frames"][None].to(self.video_encoder.sync_proj[0].weight.device))
            clip.semantic, clip.motion = inputs.semantic[0].cpu(), inputs.motion[0].cpu()
        return clip

    def _video_inputs(self, frames: Tensor) -> Any:
        """``VideoInputs`` of ``frames (1, T, H, W, 3)`` at ``fps``, phase by phase when ``phases`` > 1."""
        if self.phases == 1:
            return self.video_encoder.prepare_inputs(frames)
        from genav.encoders.video import VideoInputs
        from genav.models.sync_phases import interleave

        count = frames.shape[1]
        reads = [self.video_encoder.prepare_inputs(frames[:, p :: self.phases]) for p in range(min(self.phases, count))]
        return VideoInputs(
            interleave([r.semantic for r in reads], count, self.phases),
            interleave([r.motion for r in reads], count, self.phases),
        )

    @torch.no_grad()
    def silence(self) -> Tensor:
        """The latent frame of silence ``(C,)`` (pads windows past a clip's tail)."""
        wave = torch.zeros(1, self.codec.audio_channels, self.codec.sample_rate)
        latents = self.codec.encode(wave.to(self.codec.device))[0].cpu()
        return latents[:, latents.shape[1] // 2].float()

    def info(self) -> dict[str, Any]:
        """Shapes a reader needs (``info.json``)."""
        out: dict[str, Any] = {
            "frame_rate": self.codec.frame_rate,
            "latent_dim": self.codec.latent_dim,
            "fps": self.fps,
            "semantic_shape": None,
            "semantic_dtype": None,
            "motion_dim": None,
        }
        if self.video_encoder is not None:
            c = self.video_encoder.config
            backbone = self.video_encoder.backbone
            out.update(
                semantic_shape=[c.frame_size, c.frame_size, 3] if backbone is None else [backbone.dim],
                semantic_dtype="uint8" if backbone is None else "float16",
                motion_dim=c.motion_dim,
            )
        return out


class _RowMedia(torch.utils.data.Dataset):
    """Decodes rows (in DataLoader workers when there are any); a failure is returned, not raised."""

    def __init__(self, rows: list[Any], encoder: ClipEncoder) -> None:
        self.rows, self.fps, self.size = rows, encoder.fps, encoder.frame_size
        self.sample_rate, self.mono = encoder.codec.sample_rate, encoder.codec.audio_channels == 1

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, i: int) -> tuple[int, dict[str, Any] | str]:
        from genav.data.dataset import read_row

        size = None if self.size is None else (self.size, self.size)
        try:
            return i, read_row(
                self.rows[i], sample_rate=self.sample_rate, mono=self.mono, fps=self.fps, size=size
            )
        except GenavError as exc:
            return i, str(exc)


def _decoded(
    rows: list[Any], encoder: ClipEncoder, workers: int
) -> Iterator[tuple[int, dict[str, Any] | str]]:
    data = _RowMedia(rows, encoder)
    if workers <= 0:
        yield from (data[i] for i in range(len(data)))
        return
    yield from torch.utils.data.DataLoader(data, batch_size=None, num_workers=workers, collate_fn=_as_is)


def _as_is(item: Any) -> Any:
    return item


def encode_shards(
    manifest: Path,
    split: str | None,
    folder: Path,
    encoder: ClipEncoder,
    *,
    rows_per_shard: int,
    skip_bad_rows: bool,
    process_index: int = 0,
    num_processes: int = 1,
    workers: int = 0,
) -> int:
    """Encode this process's shards of ``manifest`` into ``folder``; returns the number of shards.

    Shards already written are kept (resume). A row that cannot be decoded is skipped and logged
    with ``skip_bad_rows``, otherwise it raises DataError naming its row. A manifest without a
    ``split`` column (e.g. the older SFX set) is used whole: it has no held-out rows to protect.
    """
    from genav.data.manifest import iter_manifest, manifest_splits

    if split is not None and not manifest_splits(manifest):
        log.info("%s has no split column: all its rows are used for split %r", manifest, split)
        split = None

    shards = 0
    for k, rows in enumerate(
        _chunks(iter_manifest(manifest, split=split, skip_bad_rows=skip_bad_rows), rows_per_shard)
    ):
        shards = k + 1
        path = folder / shard_name(k)
        if k % num_processes != process_index or path.exists():
            continue
        clips = []
        for i, item in _decoded(rows, encoder, workers):
            if isinstance(item, str):
                if not skip_bad_rows:
                    raise DataError(f"{manifest} row {rows[i].row}: {item}")
                log.warning("%s row %d skipped: %s", manifest, rows[i].row, item)
                continue
            clips.append(encoder.encode(rows[i], item))
        write_shard(path, clips)
        log.info("encoded %s (%d clips)", path, len(clips))
    if shards == 0:
        raise DataError(f"{manifest}: no usable rows" + (f" of split {split!r}" if split else ""))
    return shards


def finish_shards(folder: Path, shards: int, encoder: ClipEncoder, source: dict[str, Any]) -> None:
    """Index a folder whose shards are all written (the main process, once)."""
    if (folder / INFO).exists():
        return
    build_index(folder, shards, {**encoder.info(), "source": source}, {"silence": encoder.silence()})


def _chunks(rows: Iterator[Any], size: int) -> Iterator[list[Any]]:
    chunk: list[Any] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def batch_to(batch: dict[str, Any], device: torch.device) -> dict[str, Any]:
    """Move a collated batch's tensors to ``device``."""
    return {k: v.to(device, non_blocking=True) if isinstance(v, Tensor) else v for k, v in batch.items()}
