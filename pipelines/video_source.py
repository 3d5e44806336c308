"""Video input for video-to-audio: a file or an array, read window by window at the model's rate.

Times here are seconds from the picture's first frame, the time of the soundtrack's sample 0.
A file's span and frames come from its own timestamps (:func:`genav.media.probe`,
:func:`genav.media.iter_frames`: the frame shown at each sample time), so a variable frame rate,
a lossless trim or a picture that starts after the file's start all give a soundtrack exactly as
long as the picture. Only the frames of the window being generated are ever held, so memory
does not grow with the clip's length.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from genav.errors import InputError
from genav.media import iter_frames, probe
from genav.media.probe import require_clip

# high-speed cameras reach 1,000 frames per second; beyond, a slip (1e6 gave an empty sound)
MAX_ARRAY_FPS = 1000.0


class VideoSource:
    """Frames of a video at ``fps`` and ``size`` = (width, height), for any window in seconds."""

    duration: float
    native_fps: float | None  # the picture's own (average) frame rate, None when unknown

    def describe(self) -> dict:
        """What a sidecar records about the picture (its real span, frames, rate)."""
        return {"duration": self.duration}

    def __init__(self, fps: float, size: tuple[int, int]) -> None:
        self.fps = float(fps)
        self.size = size

    def frames(self, start: float, duration: float, fps: float | None = None) -> np.ndarray:
        """Frames ``(T, H, W, 3)`` uint8 of ``[start, start + duration)``; frame ``j`` is the one
        shown at ``start + j / fps`` (``fps`` default: the model's rate given at opening)."""
        raise NotImplementedError

    @staticmethod
    def open(
        video: str | Path | np.ndarray, *, fps: float | None, model_fps: float, size: tuple[int, int]
    ) -> VideoSource:
        """A :class:`FileVideoSource` for paths, an :class:`ArrayVideoSource` for arrays (``fps`` needed)."""
        if isinstance(video, np.ndarray):
            if fps is None:
                raise InputError("a video given as an array needs its frame rate: pass fps=...")
            if not (isinstance(fps, (int, float)) and 0 < fps <= MAX_ARRAY_FPS):
                raise InputError(f"the frame rate of a video array must be > 0 and at most {MAX_ARRAY_FPS:g}, got {fps!r}")
            return ArrayVideoSource(video, fps, model_fps, size)
        if isinstance(video, (str, Path)):
            return FileVideoSource(Path(video), model_fps, size)
        raise InputError(f"video must be a path or a (T, H, W, 3) array, got {type(video).__name__}")


class FileVideoSource(VideoSource):
    """A video file, decoded per window at presentation times."""

    def __init__(self, path: Path, fps: float, size: tuple[int, int]) -> None:
        super().__init__(fps, size)
        info = probe(path)
        require_clip(info)
        self.path = path
        self.info = info
        self.start = info.video_start or 0.0
        self.duration = info.video_duration
        self.native_fps = info.fps or None

    def describe(self) -> dict:
        info = self.info
        return {"start": round(self.start, 6), "duration": round(self.duration, 6), "frames": info.n_frames,
                "fps": info.fps, "variable_frame_rate": info.vfr}  # fmt: skip

    def frames(self, start: float, duration: float, fps: float | None = None) -> np.ndarray:
        frames = list(
            iter_frames(
                self.path, fps=fps or self.fps, size=self.size, start=self.start + start, duration=duration
            )
        )
        if not frames:
            raise InputError(
                f"{self.path} gave no frames between {start:.3f} s and {start + duration:.3f} s of its "
                f"{self.duration:.3f} s picture"
            )
        return np.stack(frames)


FLOAT_SLACK = 1e-3  # float frames may stray this far outside [0, 1] by rounding


class ArrayVideoSource(VideoSource):
    """Frames in memory ``(T, H, W, 3)`` (uint8, or float in [0, 1]) at ``native_fps``."""

    def __init__(self, video: np.ndarray, source_fps: float, fps: float, size: tuple[int, int]) -> None:
        super().__init__(fps, size)
        if video.ndim != 4 or video.shape[-1] != 3:
            raise InputError(f"a video array must be (T, H, W, 3), got shape {video.shape}")
        if video.shape[0] == 0:
            raise InputError("the video has no frames")
        if np.issubdtype(video.dtype, np.floating):
            low, high = float(video.min()), float(video.max())
            if not (math.isfinite(low) and math.isfinite(high) and low >= -FLOAT_SLACK and high <= 1 + FLOAT_SLACK):
                raise InputError(f"float video frames must be in [0, 1], got values from {low:g} to {high:g} "
                                 "(uint8 frames: pass the array as uint8; [-1, 1]: pass (frames + 1) / 2)")  # fmt: skip
        elif video.dtype != np.uint8:
            raise InputError(f"video frames must be uint8 or float in [0, 1], got {video.dtype}")
        self.video = video
        self.native_fps = float(source_fps)
        self.duration = video.shape[0] / self.native_fps

    def frames(self, start: float, duration: float, fps: float | None = None) -> np.ndarray:
        import cv2

        fps = fps or self.fps
        count = max(1, math.ceil(duration * fps - 1e-6))
        times = start + np.arange(count) / fps
        times = times[times < self.duration - 1e-9] if (times < self.duration - 1e-9).any() else times[:1]
        index = np.minimum(np.floor(times * self.native_fps + 1e-6).astype(int), len(self.video) - 1)
        out = []
        for i in index:
            frame = self.video[i]
            if np.issubdtype(frame.dtype, np.floating):  # in [0, 1] up to rounding (checked on entry)
                frame = (np.clip(frame, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)
            shrink = self.size[0] <= frame.shape[1] and self.size[1] <= frame.shape[0]
            out.append(
                cv2.resize(frame, self.size, interpolation=cv2.INTER_AREA if shrink else cv2.INTER_CUBIC)
            )
        return np.stack(out)
