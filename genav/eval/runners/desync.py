"""DeSync: how far Synchformer places each generated soundtrack from its picture (av-benchmark's).

Per clip: video at 25 fps, the short side scaled to the model's 224 px (bicubic) and the centre
cropped square, RGB in [-1, 1]; audio mono at 16 kHz; both cut into 0.64 s segments every 0.32 s
over the first ``max_seconds`` (av-benchmark: 8 s). Synchformer predicts the offset of the first 14
segments (4.8 s) and of the last 14; DeSync is the mean absolute offset over both windows of every
clip, in seconds (0 = in sync; the grid is 0.2 s wide, so a value below 0.1 rounds to in sync).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

from genav.errors import InputError
from genav.eval.runners.audio_items import VIDEO_SUFFIXES, collect_items, guarded

__all__ = ["clip_offsets", "clip_row", "evaluate_desync", "learned_sync", "sync_frames"]


def sync_frames(path: str | Path, image_size: int, seconds: float) -> np.ndarray:
    """``(frames, size, size, 3)`` uint8: the first ``seconds`` at 25 fps, short side scaled to
    ``image_size`` (the long side truncated, as torchvision's Resize does), the centre cropped."""
    from genav.eval.classifiers.synchformer import FPS
    from genav.media import iter_frames, probe

    info = probe(path, count_frames=False)
    width, height = info.width, info.height
    if width <= height:
        size = (image_size, int(image_size * height / width))
    else:
        size = (int(image_size * width / height), image_size)
    shown = list(iter_frames(path, fps=FPS, size=size, duration=seconds))
    if not shown:
        raise InputError(f"{path}: no video frames in the first {seconds:g} s")
    frames = np.stack(shown)
    top, left = (size[1] - image_size) // 2, (size[0] - image_size) // 2
    return frames[: int(round(FPS * seconds)), top : top + image_size, left : left + image_size]


def clip_offsets(model: Any, frames: np.ndarray, wave: np.ndarray) -> dict[str, Any]:
    """Synchformer's offsets for one clip.

    Args:
        model: a :class:`~genav.eval.classifiers.synchformer.Synchformer`.
        frames: ``(T, S, S, 3)`` uint8 at 25 fps (:func:`sync_frames`). wave: ``(N,)`` at 16 kHz.

    Returns:
        ``offsets_s`` (first and last 4.8 s window; signed, audio late > 0), ``desync_s`` (their
        mean absolute value), ``segments`` used.

    Raises:
        InputError: fewer than 14 segments (4.8 s) of video or audio.
    """
    import torch

    from genav.eval.classifiers import synchformer as sf

    video_segments = (len(frames) - sf.SEGMENT_FRAMES) // sf.STEP_FRAMES + 1
    audio_segments = (len(wave) - sf.SEGMENT_SAMPLES) // sf.STEP_SAMPLES + 1
    segments = min(video_segments, audio_segments)
    if segments < sf.WINDOW_SEGMENTS:
        raise InputError(
            f"DeSync needs 4.8 s of video and audio, got {len(frames) / sf.FPS:.2f} s / "
            f"{len(wave) / sf.SAMPLE_RATE:.2f} s"
        )
    device = next(model.parameters()).device
    pixels = torch.from_numpy(frames).to(device).permute(0, 3, 1, 2).float() / 127.5 - 1.0  # (T, 3, S, S)
    samples = torch.from_numpy(np.ascontiguousarray(wave, dtype=np.float32))
    with torch.inference_mode():
        video = torch.stack([pixels[i * sf.STEP_FRAMES : i * sf.STEP_FRAMES + sf.SEGMENT_FRAMES]
                             for i in range(segments)])  # fmt: skip
        audio = samples.unfold(0, sf.SEGMENT_SAMPLES, sf.STEP_SAMPLES)[:segments]
        video_features = model.video_features(video)
        audio_features = model.audio_features(sf.sync_log_mel(audio).to(device))
        windows = (slice(0, sf.WINDOW_SEGMENTS), slice(segments - sf.WINDOW_SEGMENTS, segments))
        logits = torch.cat(
            [model.offset_logits(video_features[None, w], audio_features[None, w]) for w in windows]
        )
    # Synchformer's class +x: the audio starts x s ahead of the picture (audio early) -> -x late
    offsets = [-sf.OFFSET_GRID[int(i)] + 0.0 for i in logits.argmax(dim=-1)]
    return {"offsets_s": offsets, "desync_s": float(np.mean(np.abs(offsets))), "segments": segments}


def clip_row(model: Any, name: str, video: Path, audio: Path, max_seconds: float) -> dict[str, Any]:
    """One clip's row: name, video, audio, then :func:`clip_offsets`' keys or ``error`` (never raises)."""
    from genav.eval.classifiers.synchformer import SAMPLE_RATE
    from genav.media import read_audio

    def run() -> dict[str, Any]:
        frames = sync_frames(video, model.image_size, max_seconds)
        wave = read_audio(audio, sample_rate=SAMPLE_RATE, mono=True, duration=max_seconds).samples[0]
        return clip_offsets(model, frames, wave)

    result, error = guarded(run)
    return {"name": name, "video": str(video), "audio": str(audio), **(result or {}), "error": error}


def _check_seconds(max_seconds: float) -> None:
    if not (math.isfinite(max_seconds) and max_seconds >= 4.8):
        raise InputError(f"max_seconds must be >= 4.8 (one 14-segment window), got {max_seconds}")


def _mean_abs(rows: list[dict[str, Any]]) -> float | None:
    offsets = [o for r in rows for o in r.get("offsets_s") or []]
    return float(np.mean(np.abs(offsets))) if offsets else None


def _video_file(folder: Path, stem: str) -> Path | None:
    found = [p for p in sorted(folder.glob(f"{stem}.*")) if p.suffix.lower() in VIDEO_SUFFIXES]
    return found[0] if found else None


def evaluate_desync(
    ref_dir: str | Path, gen_dir: str | Path, model: Any, *, max_seconds: float = 8.0
) -> dict[str, Any]:
    """DeSync of each generated item against its picture.

    Args:
        ref_dir: reference items; the picture comes from here when the generated item is audio only.
        gen_dir: generated items (audio, or video with its soundtrack), paired with ``ref_dir`` by stem.
        model: a loaded :class:`~genav.eval.classifiers.synchformer.Synchformer`.
        max_seconds: how much of each clip is read (av-benchmark: 8 s).

    Returns:
        ``items`` (name, video, audio, offsets_s, desync_s, error), ``mean`` (DeSync over every
        window of the clips that ran, seconds; None if none ran), ``n_items``.

    Raises:
        InputError: a folder that is missing or holds no audio/video, or ``max_seconds`` < 4.8.

    Source: av-benchmark's DeSync (Cheng et al. 2025) with Synchformer (Iashin et al. 2024).
    """
    _check_seconds(max_seconds)
    ref, gen = Path(ref_dir), Path(gen_dir)
    ref_names = {i.name for i in collect_items(ref)}
    rows = []
    for item in collect_items(gen):
        video = _video_file(gen, item.name) or (_video_file(ref, item.name) if item.name in ref_names else None)
        if item.error or video is None or item.path is None:
            rows.append({"name": item.name, "video": str(video) if video else None,
                         "audio": str(item.path) if item.path else None,
                         "error": item.error or "no video of this name in either folder"})  # fmt: skip
            continue
        rows.append(clip_row(model, item.name, video, item.path, max_seconds))
    mean = _mean_abs(rows)
    return {"items": rows, "mean": mean, "n_items": sum(1 for r in rows if not r.get("error"))}


def learned_sync(paths: list[str | Path], model: Any, *, max_seconds: float = 8.0) -> dict[str, Any]:
    """Synchformer's offsets for clips given as ``genav eval sync`` takes them.

    Args:
        paths: videos (own audio track), folders of ``<stem>.mp4`` + optional ``<stem>.wav``, or
            manifests (:func:`~genav.eval.runners.av_align_dataset.resolve_clips`).
        model: a loaded :class:`~genav.eval.classifiers.synchformer.Synchformer`.
        max_seconds: how much of each clip is read.

    Returns:
        ``metric`` ("sync-synchformer"), ``definition``, ``clips`` (rows of :func:`clip_row` plus
        ``offset_s``, the mean of the window offsets, audio late > 0), ``mean_abs_offset_s`` (DeSync
        over every window), ``n_clips``, ``n_failed``, ``failed``.

    Raises:
        DataError: a path that does not exist or is of an unknown kind. InputError: ``max_seconds``.

    Source: Synchformer (Iashin et al. 2024), windows as av-benchmark's DeSync.
    """
    from genav.eval.runners.av_align_dataset import resolve_clips

    _check_seconds(max_seconds)
    rows = []
    for clip in resolve_clips(list(paths)):
        if clip.error or clip.video is None:
            rows.append({"name": clip.name, "video": str(clip.video) if clip.video else None, "audio": None,
                         "error": clip.error or "no video"})  # fmt: skip
            continue
        row = clip_row(model, clip.name, clip.video, clip.audio or clip.video, max_seconds)
        if row.get("offsets_s"):
            row["offset_s"] = float(np.mean(row["offsets_s"]))
        rows.append(row)
    failed = [r["name"] for r in rows if r.get("error")]
    return {
        "metric": "sync-synchformer",
        "definition": "Synchformer's offset class (-2..+2 s in 0.2 s steps) of the first and last 4.8 s of "
        f"the first {max_seconds:g} s; offset_s: their mean, audio late > 0; mean_abs_offset_s: DeSync",
        "clips": rows,
        "mean_abs_offset_s": _mean_abs(rows),
        "n_clips": len(rows),
        "n_failed": len(failed),
        "failed": failed,
    }
