"""Decoding an audio stream onto the file's timeline (PyAV).

Every decoded frame is placed at its own presentation time, so sample ``i`` of the result is at
timeline time ``start + i / sample_rate``: a track that starts after the picture begins with
silence, not early, and a gap in the track stays a gap. Small timestamp jitter (containers
round to 1 ms; codecs report frame sizes) is not a gap: frames closer than
:data:`GAP_SECONDS` to where the previous one ended are joined end to end. A stream that
declares its length (mp4 edit lists) is cut there, which drops the encoder's padding.
Down-mixing to mono happens frame by frame, so a long track costs one mono copy in memory.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

from genav.errors import MediaError
from genav.media import _pyav
from genav.media.probe import MediaInfo, first_streams

GAP_SECONDS = 0.02  # a timestamp further than this from the previous frame's end starts a gap
_SCALE = {np.dtype(np.int16): 1 / 32768.0, np.dtype(np.int32): 1 / 2147483648.0}


class _Track:
    """A growing (C, N) float32 buffer that frames are written into at sample positions."""

    def __init__(self, channels: int, capacity: int, limit: int | None) -> None:
        self.data = np.zeros((channels, max(capacity, 1)), dtype=np.float32)
        self.end = 0  # one past the last written sample
        self.limit = limit

    def put(self, position: int, samples: np.ndarray) -> None:
        if position < 0:
            samples, position = samples[:, -position:], 0
        stop = position + samples.shape[1]
        if self.limit is not None:
            stop = min(stop, self.limit)
            samples = samples[:, : max(0, stop - position)]
        if stop > self.data.shape[1]:
            grown = np.zeros((self.data.shape[0], max(stop, 2 * self.data.shape[1])), dtype=np.float32)
            grown[:, : self.end] = self.data[:, : self.end]
            self.data = grown
        if samples.shape[1]:
            self.data[:, position:stop] = samples
            self.end = max(self.end, stop)


def frame_samples(frame: Any) -> np.ndarray:
    """A decoded audio frame as ``(C, n)`` float32 in [-1, 1], whatever its sample format."""
    array = frame.to_ndarray()
    if not frame.format.is_planar:
        array = array.reshape(-1, len(frame.layout.channels)).T
    if array.dtype == np.uint8:
        return (array.astype(np.float32) - 128.0) / 128.0
    scale = _SCALE.get(array.dtype)
    return array.astype(np.float32) * np.float32(scale) if scale else array.astype(np.float32, copy=False)


def decode_audio(path: Path, info: MediaInfo, *, start: float, stop: float, mono: bool,
                 max_samples: int | None) -> tuple[np.ndarray, int]:  # fmt: skip
    """Samples ``(C, N)`` float32 (C = 1 with ``mono``) covering timeline ``[start, stop)`` and the
    sample rate. ``stop`` may be ``inf`` (to the end of the track). Raises MediaError when the
    track is damaged, ends well before it says, or decodes to more than ``max_samples``."""
    with _pyav.open_input(path) as container:
        _, stream = first_streams(container)
        zero = _pyav.origin(container)
        rate = int(stream.codec_context.sample_rate)
        channels = 1 if mono else int(stream.codec_context.channels)
        declared = _pyav.stream_end(stream, zero)
        end = min(stop, declared) if declared is not None else stop
        span = (end if math.isfinite(end) else (info.audio_end or info.duration)) - start
        limit = None if not math.isfinite(end) else int(round((end - start) * rate))
        track = _Track(channels, int(span * rate) + rate // 10, limit)
        if start > (info.audio_start or 0.0):
            container.seek(int((start + zero) / stream.time_base), stream=stream, backward=True)
        cursor: int | None = None
        for frame in _frames(container, stream, path):
            samples = frame_samples(frame)
            if samples.shape[0] != int(stream.codec_context.channels) and not mono:
                raise MediaError(f"{path}: the audio track changes its channel count mid-stream")
            position = _position(frame, stream, zero, start, rate, cursor)
            track.put(position, samples.mean(axis=0, keepdims=True) if mono else samples)
            cursor = position + samples.shape[1]
            if max_samples is not None and track.end > max_samples:
                raise MediaError(f"{path} decodes to more than {max_samples / rate:g} s of audio")
            if limit is not None and cursor >= limit:
                break
    if declared is not None:  # only a stream's own declared length says where it must end
        _pyav.check_complete(path, "audio", start + track.end / rate, min(declared, stop))
    return track.data[:, : track.end], rate


def _frames(container: Any, stream: Any, path: Path) -> Any:
    for packet in container.demux(stream):
        if packet.is_corrupt:
            raise _pyav.corrupt(path, "a damaged audio packet")
        yield from packet.decode()


def _position(frame: Any, stream: Any, zero: float, start: float, rate: int, cursor: int | None) -> int:
    """Sample index of ``frame`` in the result: its timestamp, unless that is within jitter of
    where the previous frame ended (then exactly there)."""
    if frame.pts is None:
        return 0 if cursor is None else cursor
    position = int(round((float(frame.pts * stream.time_base) - zero - start) * rate))
    if cursor is not None and abs(position - cursor) <= GAP_SECONDS * rate:
        return cursor
    return position
