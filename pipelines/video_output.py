"""What video pipelines return: :class:`VideoOutput`."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from genav.errors import InputError
from genav.media import Audio, write_video
from genav.pipelines.generation_common import check_output_index


@dataclass
class VideoOutput:
    """Generated videos.

    Attributes:
        frames: ``(num_outputs, T, H, W, 3)`` uint8 RGB: a numpy array (``output_type="np"``) or a
            torch tensor (``"pt"``).
        fps: frames per second.
        seeds: the seed of each output (rerunning with ``seed=seeds[i]`` and one output gives
            output ``i`` again).
        audio: optional sound to mux with every output (audio-to-video keeps its input sound).
        metadata: model name and checksum, every setting, timings per phase (seconds), genav
            version: what a sidecar file records.
    """

    frames: np.ndarray
    fps: float
    seeds: list[int]
    audio: Audio | None = None
    metadata: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        shape, dtype = tuple(self.frames.shape), str(self.frames.dtype).replace("torch.", "")
        if len(shape) != 5 or shape[-1] != 3 or dtype != "uint8":
            raise InputError(f"VideoOutput.frames must be uint8 (num_outputs, T, H, W, 3), got {dtype} {shape}")
        if not self.fps > 0:
            raise InputError(f"VideoOutput.fps must be > 0, got {self.fps}")

    def __len__(self) -> int:
        return int(self.frames.shape[0])

    @property
    def num_frames(self) -> int:
        return int(self.frames.shape[1])

    @property
    def duration(self) -> float:
        """Seconds of each output."""
        return self.num_frames / self.fps

    def save(self, path: str | Path, *, index: int = 0, overwrite: bool = False, crf: int = 18) -> Path:
        """Write output ``index`` as a video file (H.264, or VP9 for .webm: see
        :func:`genav.media.write_video`; with :attr:`audio` muxed when set), atomically:
        an interrupted write leaves nothing under ``path``. Returns the path."""
        index = check_output_index(index, len(self))
        return write_video(path, np.asarray(self.frames[index]), self.fps, audio=self.audio, overwrite=overwrite, crf=crf)
