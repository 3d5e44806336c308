"""A torch Dataset over a manifest of audio files or videos with audio, and its collate.

Items give the sound at the model's sample rate, the frames at the model's fps and size, and the
text. With ``crop_seconds`` each item is a random window (the same for a given seed, epoch and
index, so runs repeat); without it, the row's ``start``..``end`` (or the whole file).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np
import torch

from genav.data.manifest import AUDIO_SUFFIXES, ManifestRow, read_manifest
from genav.errors import DataError

log = logging.getLogger(__name__)


class ManifestDataset(torch.utils.data.Dataset):
    """Items of a JSONL/CSV manifest (see :mod:`genav.data.manifest`).

    Each item is a dict: ``name``; ``audio`` FloatTensor (C, N) at ``sample_rate`` (C = 1 with
    ``mono``); ``frames`` uint8 Tensor (T, H, W, 3) at ``fps`` and ``size`` = (width, height), or
    None for audio-only files or when ``fps`` is None; ``caption``; ``label``; ``events`` (times
    made relative to the item's start, events outside the window dropped); ``start`` (seconds into
    the file); ``meta`` (the manifest row as read).

    ``skip_bad_rows``: leave out rows that fail validation and list them in ``bad_rows`` as
    (row, reason); otherwise the first bad row raises DataError naming its row.
    """

    def __init__(
        self,
        manifest: str | Path,
        *,
        root: str | Path | None = None,
        sample_rate: int,
        mono: bool = True,
        fps: float | None = None,
        size: tuple[int, int] | None = None,
        crop_seconds: float | None = None,
        split: str | None = None,
        skip_bad_rows: bool = False,
        seed: int = 0,
    ) -> None:
        if sample_rate <= 0:
            raise DataError(f"sample_rate must be positive, got {sample_rate}")
        if crop_seconds is not None and crop_seconds <= 0:
            raise DataError(f"crop_seconds must be positive, got {crop_seconds}")
        self.manifest = Path(manifest)
        self.rows, self.bad_rows = read_manifest(
            manifest, root=root, split=split, skip_bad_rows=skip_bad_rows
        )
        self.sample_rate = int(sample_rate)
        self.mono = mono
        self.fps = fps
        self.size = size
        self.crop_seconds = crop_seconds
        self.seed = seed
        self.epoch = 0
        self._durations: dict[Path, float] = {}

    def __len__(self) -> int:
        return len(self.rows)

    def set_epoch(self, epoch: int) -> None:
        """Choose the crops of another epoch (call it before each epoch, as with DistributedSampler)."""
        self.epoch = int(epoch)

    def __getitem__(self, index: int) -> dict[str, Any]:
        row = self.rows[index]
        start, duration = self._window(row, index)
        return read_row(row, sample_rate=self.sample_rate, mono=self.mono, fps=self.fps, size=self.size,
                        start=start, duration=duration, exact_seconds=self.crop_seconds)

    def _window(self, row: ManifestRow, index: int) -> tuple[float, float | None]:
        """(start, duration or None for 'to the end') of the item in its file."""
        start = row.start or 0.0
        if self.crop_seconds is None:
            return start, None if row.end is None else row.end - start
        end = row.end if row.end is not None else self._duration(row)
        room = end - start - self.crop_seconds
        if room <= 0:
            return start, self.crop_seconds
        rng = np.random.default_rng([self.seed, self.epoch, index])
        offset = float(rng.uniform(0.0, room))
        if self.fps is not None:  # on the frame grid, so that frames and sound stay aligned
            offset = min(round(offset * self.fps) / self.fps, room)
        return start + offset, self.crop_seconds

    def _duration(self, row: ManifestRow) -> float:
        path = row.audio_file or row.file
        if path not in self._durations:
            if path.suffix.lower() in AUDIO_SUFFIXES:
                import soundfile as sf

                try:
                    self._durations[path] = float(sf.info(str(path)).duration)
                except Exception:  # noqa: BLE001 - not a soundfile format (mp3, m4a): ask ffmpeg
                    self._durations[path] = _probe_duration(path)
            else:
                self._durations[path] = _probe_duration(path)
        return self._durations[path]


def read_row(
    row: ManifestRow,
    *,
    sample_rate: int,
    mono: bool = True,
    fps: float | None = None,
    size: tuple[int, int] | None = None,
    start: float | None = None,
    duration: float | None = None,
    exact_seconds: float | None = None,
) -> dict[str, Any]:
    """Decode one manifest row: the item dict of :class:`ManifestDataset` (see there).

    ``start``/``duration``: seconds into the file (default: the row's ``start``..``end``, or the
    whole file); ``exact_seconds``: cut or zero-pad the sound to exactly this length. Frames are
    read at ``fps`` (whatever the file's own rate) and ``size`` = (width, height); None for an
    audio-only row or when ``fps`` is None. Raises MediaError/DataError on unreadable files.
    """
    from genav.media import read_audio, read_frames

    if start is None:
        start = row.start or 0.0
        duration = None if row.end is None else row.end - start
    sound = read_audio(row.audio_file or row.file, sample_rate=sample_rate, mono=mono, start=start, duration=duration)
    samples = sound.samples
    if exact_seconds is not None:  # exact length: decoders may round by a sample or two
        samples = _fit(samples, int(round(exact_seconds * sample_rate)))
    frames = None
    if fps is not None and not row.is_audio_only:
        array = read_frames(row.file, fps=fps, size=size, start=start, duration=duration)
        frames = torch.from_numpy(np.ascontiguousarray(array))
    length = duration if duration is not None else samples.shape[1] / sample_rate
    return {
        "name": row.name,
        "audio": torch.from_numpy(np.ascontiguousarray(samples, dtype=np.float32)),
        "frames": frames,
        "caption": row.caption,
        "label": row.label,
        "events": _shift_events(row.events, start, length),
        "start": start,
        "meta": row.data,
    }


def _probe_duration(path: Path) -> float:
    from genav.media import probe

    return float(probe(path, count_frames=False).duration)


def _fit(samples: np.ndarray, n: int) -> np.ndarray:
    if samples.shape[1] >= n:
        return samples[:, :n]
    return np.pad(samples, ((0, 0), (0, n - samples.shape[1])))


def _shift_events(events: list[dict[str, Any]], start: float, length: float) -> list[dict[str, Any]]:
    """Event times relative to the window; a ``frame`` index (of the source's frame rate) is
    dropped when the window does not start at 0, since ``time`` is the reference."""
    out = []
    for event in events:
        if "time" not in event:
            out.append(dict(event))
            continue
        t = float(event["time"]) - start
        if 0.0 <= t <= length:
            shifted = {**event, "time": t}
            if start:
                shifted.pop("frame", None)
            out.append(shifted)
    return out


def collate_batch(items: list[dict[str, Any]]) -> dict[str, Any]:
    """Pad a list of items into a batch.

    Returns ``audio`` (B, C, Nmax) zero-padded with ``audio_mask`` (B, Nmax) bool (True = real
    sample); ``frames`` (B, Tmax, H, W, 3) uint8 with ``frames_mask`` (B, Tmax), both None when no
    item has frames (items without frames get an all-False mask); every other key as a list.
    Mono items are repeated to the batch's channel count.
    """
    if not items:
        raise DataError("cannot collate an empty batch")
    channels = max(item["audio"].shape[0] for item in items)
    n_max = max(item["audio"].shape[1] for item in items)
    audio = torch.zeros(len(items), channels, n_max)
    audio_mask = torch.zeros(len(items), n_max, dtype=torch.bool)
    for b, item in enumerate(items):
        wave = item["audio"]
        if wave.shape[0] != channels:
            if wave.shape[0] != 1:
                raise DataError(
                    f"cannot batch {wave.shape[0]}-channel audio ({item['name']}) with "
                    f"{channels}-channel audio; use mono=True"
                )
            wave = wave.expand(channels, -1)
        audio[b, :, : wave.shape[1]] = wave
        audio_mask[b, : wave.shape[1]] = True
    frames, frames_mask = _collate_frames(items)
    out: dict[str, Any] = {
        "audio": audio,
        "audio_mask": audio_mask,
        "frames": frames,
        "frames_mask": frames_mask,
    }
    for key in items[0]:
        if key not in out:
            out[key] = [item.get(key) for item in items]
    return out


def _collate_frames(items: list[dict[str, Any]]) -> tuple[torch.Tensor | None, torch.Tensor | None]:
    present = [item["frames"] for item in items if item.get("frames") is not None]
    if not present:
        return None, None
    shapes = {tuple(f.shape[1:]) for f in present}
    if len(shapes) > 1:
        raise DataError(f"cannot batch frames of different sizes {sorted(shapes)}; pass size=(width, height)")
    t_max = max(f.shape[0] for f in present)
    frames = torch.zeros(len(items), t_max, *present[0].shape[1:], dtype=torch.uint8)
    mask = torch.zeros(len(items), t_max, dtype=torch.bool)
    for b, item in enumerate(items):
        f = item.get("frames")
        if f is not None:
            frames[b, : f.shape[0]] = f
            mask[b, : f.shape[0]] = True
    return frames, mask
