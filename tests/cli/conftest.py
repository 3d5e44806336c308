from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from genav.media import Audio, write_video

FAST = ["--model", "debug-foley", "--steps", "2", "--seed", "7"]


def make_clip(path: Path, *, seconds: float = 1.5, fps: float = 8.0, with_audio: bool = True, seed: int = 0) -> Path:
    """A small moving-square clip (optionally with a 440 Hz tone as its own sound)."""
    rng = np.random.default_rng(seed)
    n = int(round(seconds * fps))
    frames = np.zeros((n, 32, 32, 3), np.uint8)
    for i in range(n):
        x = int(rng.integers(0, 24))
        frames[i, 8:16, x : x + 8] = 255
    audio = None
    if with_audio:
        t = np.arange(int(seconds * 16000)) / 16000
        audio = Audio((0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)[None], 16000)
    return write_video(path, frames, fps, audio=audio)


@pytest.fixture
def clip(tmp_path: Path) -> Path:
    return make_clip(tmp_path / "in" / "clip.mp4")
