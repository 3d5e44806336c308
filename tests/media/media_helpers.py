"""Helpers shared by the media tests (imported as a plain module: pytest puts this folder on sys.path)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from genav.media import _ffmpeg


def lavfi(out: Path, *sources: str, extra: tuple[str, ...] = ()) -> Path:
    args = []
    for src in sources:
        args += ["-f", "lavfi", "-i", src]
    _ffmpeg.run([*args, *extra, _ffmpeg.file_arg(out)], out, action="write")
    return out


def sine(freq: float, seconds: float, sr: int, amp: float = 0.5) -> np.ndarray:
    t = np.arange(int(round(seconds * sr))) / sr
    return (amp * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def peak_freq(x: np.ndarray, sr: int) -> float:
    spec = np.abs(np.fft.rfft(x * np.hanning(len(x))))
    return float(np.fft.rfftfreq(len(x), 1 / sr)[np.argmax(spec)])


def rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(x, dtype=np.float64))))
