"""What audio pipelines return: :class:`AudioOutput`."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from genav.errors import InputError
from genav.media import Audio, write_audio
from genav.pipelines.generation_common import check_output_index

log = logging.getLogger(__name__)


@dataclass
class AudioOutput:
    """Generated sounds.

    Attributes:
        audio: ``(num_outputs, C, N)`` float32 in about [-1, 1].
        sample_rate: samples per second.
        seeds: the seed of each output (rerunning with ``seed=seeds[i]`` and one output gives
            output ``i`` again).
        metadata: model name and checksum, every setting, timings per phase (seconds), genav
            version: what a sidecar file records.
        wav: with ``output_type="wav"``, each output as a 32-bit float WAV file in memory.

    With ``output_type="pt"`` ``audio`` is a CPU ``torch.Tensor`` (same values) instead.
    """

    audio: np.ndarray
    sample_rate: int
    seeds: list[int]
    metadata: dict[str, Any] = field(default_factory=dict)
    wav: list[bytes] | None = None

    def __post_init__(self) -> None:
        audio = np.asarray(self.audio, dtype=np.float32)
        if audio.ndim != 3:
            raise InputError(f"AudioOutput.audio must be (num_outputs, C, N), got shape {audio.shape}")
        self.audio = audio

    def __len__(self) -> int:
        return int(self.audio.shape[0])

    @property
    def num_samples(self) -> int:
        return int(self.audio.shape[-1])

    @property
    def duration(self) -> float:
        """Seconds of each output."""
        return self.num_samples / self.sample_rate

    def to_audio(self, index: int = 0) -> Audio:
        """Output ``index`` as a :class:`genav.media.Audio`."""
        index = check_output_index(index, len(self))
        return Audio(np.asarray(self.audio[index]), self.sample_rate)

    def save(self, path: str | Path, *, index: int = 0, overwrite: bool = False) -> Path:
        """Write output ``index`` atomically (format from the suffix); returns the path."""
        return write_audio(path, self.to_audio(index), overwrite=overwrite)


def make_output(
    audio: np.ndarray,
    *,
    sample_rate: int,
    seeds: list[int],
    task: str,
    model: str,
    checksum: str,
    settings: dict[str, Any],
    timings: dict[str, float],
    device: str,
    dtype: str,
) -> AudioOutput:
    """An :class:`AudioOutput` with the metadata every pipeline records (one layout for sidecars).

    Outputs that would clip are scaled down (see :func:`limit_peaks`); the gains are recorded."""
    peaks = np.abs(audio).reshape(audio.shape[0], -1).max(axis=1) if audio.size else np.zeros(audio.shape[0])
    audio, gains = limit_peaks(audio)
    metadata = run_metadata(task=task, model=model, checksum=checksum, settings=settings, seeds=seeds,
                            device=device, dtype=dtype, timings=timings)
    metadata.update(sample_rate=int(sample_rate), duration=audio.shape[-1] / sample_rate, peak_gain=gains,
                    peak_before_gain=[round(float(p), 6) for p in peaks])
    return AudioOutput(audio=audio, sample_rate=int(sample_rate), seeds=list(seeds), metadata=metadata)


def run_metadata(
    *,
    task: str,
    model: str,
    checksum: str,
    settings: dict[str, Any],
    seeds: list[int],
    device: str,
    dtype: str,
    timings: dict[str, float],
) -> dict[str, Any]:
    """The metadata every pipeline output records (one layout for all sidecars): task, model name
    and checksum, settings, seeds, device, dtype, timings per phase (s) and the genav version."""
    import genav

    return {
        "task": task,
        "model": model,
        "model_checksum": checksum,
        "settings": settings,
        "seeds": list(seeds),
        "device": device,
        "dtype": dtype.replace("torch.", ""),
        "timings": {k: round(float(v), 6) for k, v in timings.items()},
        "genav_version": genav.__version__,
    }


def limit_peaks(audio: np.ndarray, *, ceiling: float = 0.98) -> tuple[np.ndarray, list[float]]:
    """Scale each output ``(K, C, N)`` whose peak exceeds 1.0 down to ``ceiling``; returns the
    audio and one gain per output (1.0 where nothing changed).

    A model pushed off its data (an unfamiliar prompt, a high guidance scale) can decode to levels
    far above full scale; a whole-clip gain keeps the sound usable instead of hard-clipped, and
    the gain in the metadata says it happened."""
    peaks = np.abs(audio).reshape(audio.shape[0], -1).max(axis=1) if audio.size else np.zeros(audio.shape[0])
    gains = np.where(peaks > 1.0, ceiling / np.maximum(peaks, 1e-12), 1.0)
    for k, gain in enumerate(gains):
        if gain < 1.0:
            log.warning("output %d peaked at %.2f; scaled by %.3f to avoid clipping", k, peaks[k], gain)
    return (audio * gains[:, None, None]).astype(np.float32), [round(float(g), 6) for g in gains]
