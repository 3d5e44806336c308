"""The AV-Align calibration clips of EVALUATION.md, made deterministically (tests and benchmarks).

Video: black frames with a white square (48 px on a 256x256 frame) that, at each event frame
``e = round(t * fps)``, jolts sideways by 12, 6, 3, 1 px on frames e, e+1, e+2, e+3 and is back at
rest on e+4: the flow trajectory then has one peak exactly on each event frame and decays after
it. Encoded losslessly (libx264 ``-crf 0``, yuv420p): at the default crf 23 the codec's artefacts
move some peaks to the following frame. Audio: 50 ms white-noise bursts (std 0.5, seeded) at
the click times, written as 16-bit wav.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

import numpy as np

__all__ = ["EVENT_TIMES", "JOLT_PX", "jolt_frames", "write_jolt_video", "click_track", "write_wav"]

EVENT_TIMES = (0.48, 1.20, 1.88, 2.52, 3.20)
JOLT_PX = (12, 6, 3, 1)


def jolt_frames(
    events: Sequence[float] = EVENT_TIMES,
    *,
    fps: float = 25.0,
    duration: float = 4.0,
    size: int | tuple[int, int] = 256,
    square: int | None = None,
    jolt: Sequence[int] = JOLT_PX,
    static: bool = False,
) -> Iterator[np.ndarray]:
    """Yield (H, W, 3) uint8 RGB frames of the jolting square; ``static`` keeps it still.

    size: side or (width, height); the square and the jolts scale with the width (48 px and
    12/6/3/1 px at 256), so a larger clip shows the same motion at a higher resolution.
    """
    width, height = (size, size) if isinstance(size, int) else size
    scale = width / 256.0
    side = square if square is not None else round(48 * scale)
    event_frames = [round(t * fps) for t in events]
    x0, y0 = (width - side) // 2, (height - side) // 2
    for i in range(round(duration * fps)):
        dx = 0
        if not static:
            for e in event_frames:
                if 0 <= i - e < len(jolt):
                    dx = round(jolt[i - e] * scale)
        frame = np.zeros((height, width, 3), dtype=np.uint8)
        frame[y0 : y0 + side, x0 + dx : x0 + dx + side] = 255
        yield frame


def write_jolt_video(
    path: str | Path,
    frames: Iterable[np.ndarray],
    *,
    fps: float = 25.0,
    audio: np.ndarray | None = None,
    sample_rate: int = 22050,
) -> Path:
    """Encode RGB frames to a lossless H.264 mp4 (``crf 0``, yuv420p), atomically, replacing ``path``.

    ``audio`` (N,) float at ``sample_rate`` is muxed in as the clip's own (AAC) track.
    """
    from genav.media import Audio, write_video

    track = Audio(audio, sample_rate) if audio is not None else None
    return write_video(path, frames, fps, audio=track, overwrite=True, crf=0)


def click_track(
    times: Sequence[float],
    *,
    sample_rate: int = 22050,
    duration: float = 4.0,
    click_s: float = 0.05,
    amplitude: float = 0.5,
    seed: int = 0,
) -> np.ndarray:
    """(N,) float32: ``click_s`` white-noise bursts (std ``amplitude``) starting at ``times``."""
    rng = np.random.default_rng(seed)
    wave = np.zeros(round(duration * sample_rate), dtype=np.float64)
    n = round(click_s * sample_rate)
    for t in sorted(times):
        start = round(t * sample_rate)
        burst = rng.standard_normal(n) * amplitude
        stop = min(start + n, wave.size)
        if start < stop:
            wave[start:stop] += burst[: stop - start]
    return np.clip(wave, -1.0, 1.0).astype(np.float32)


def write_wav(path: str | Path, wave: np.ndarray, sample_rate: int = 22050) -> Path:
    """Write (N,) float audio as 16-bit PCM wav, atomically, replacing ``path``."""
    from genav.media import Audio, write_audio

    return write_audio(path, Audio(wave, sample_rate), overwrite=True, subtype="PCM_16")
