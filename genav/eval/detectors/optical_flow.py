"""Video side of AV-Align: OpenCV decoding, Farneback flow trajectory, video peaks.

Decoding is OpenCV's (``cv2.VideoCapture``) at native resolution, BGR, fps from the container;
each frame is converted with ``COLOR_BGR2GRAY`` and compared with the previous one by Farneback
optical flow (pyr_scale 0.5, levels 3, winsize 15, iterations 3, poly_n 5, poly_sigma 1.2,
flags 0). The motion value of a pair is the mean flow magnitude over all pixels (in pixels).
Frames are streamed: only two grey frames are alive at a time, so memory is flat in clip length.

Each value also gets its frame's presentation time, from the file's own timestamps
(:func:`genav.media.probe` demuxes them; OpenCV's FFmpeg backend shows the same frames, edit
lists honoured), so peaks can be placed in time on a variable frame rate, a trimmed clip or a
picture that starts after the sound.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from genav.errors import BackendUnavailableError, MediaError

logger = logging.getLogger(__name__)

__all__ = [
    "FARNEBACK",
    "MIN_OPENCV",
    "FlowTrajectory",
    "opencv_version",
    "require_opencv",
    "flow_trajectory",
    "detect_video_peaks",
]

# pyr_scale, levels, winsize, iterations, poly_n, poly_sigma, flags (the reference's constants)
FARNEBACK = (0.5, 3, 15, 3, 5, 1.2, 0)
# From 4.13 on OpenCV converts BT.709-tagged video with BT.709 coefficients (4.10-4.12: BT.601).
MIN_OPENCV = (4, 13)


@dataclass(frozen=True)
class FlowTrajectory:
    """Per-frame motion of a clip.

    values: (T,) float64, one value per decoded frame; ``values[0] == values[1]`` (F[0] = m(f0, f1)).
    fps: container frame rate (``CAP_PROP_FPS``). frames: T. width/height: native frame size.
    flow_size: (width, height) of the frames the flow was computed on when they were downscaled
    (values are then in those frames' pixels), else None.
    times: (T,) presentation time of each frame in seconds on the file's timeline, or None when
    unknown (frames made in memory): then frame ``i`` is at ``start + i / fps``. vfr: the frame
    intervals differ (variable frame rate).
    """

    values: np.ndarray
    fps: float
    frames: int
    width: int
    height: int
    times: np.ndarray | None = None
    vfr: bool = False
    start: float = 0.0
    flow_size: tuple[int, int] | None = None

    @property
    def flow_width(self) -> int:
        """Width of the frames the flow was computed on (``width`` unless they were downscaled)."""
        return self.flow_size[0] if self.flow_size else self.width

    @property
    def flow_height(self) -> int:
        """Height of the frames the flow was computed on (``height`` unless they were downscaled)."""
        return self.flow_size[1] if self.flow_size else self.height

    def frame_times(self) -> np.ndarray:
        """(T,) seconds: the timestamps, or ``start + i / fps`` without them."""
        if self.times is not None:
            return self.times
        return self.start + np.arange(self.frames, dtype=np.float64) / self.fps

    def frame_intervals(self) -> np.ndarray:
        """(T,) seconds since the previous frame (frame 0: the next interval; 1/fps for one frame)."""
        times = self.frame_times()
        if times.size < 2:
            return np.full(times.size, 1.0 / self.fps)
        steps = np.diff(times)
        return np.concatenate([steps[:1], steps])


def opencv_version() -> tuple[int, ...]:
    """OpenCV's version as integers, e.g. (5, 0, 0)."""
    import cv2

    parts = []
    for piece in str(cv2.__version__).split(".")[:3]:
        digits = "".join(ch for ch in piece if ch.isdigit())
        parts.append(int(digits) if digits else 0)
    return tuple(parts)


def require_opencv(minimum: tuple[int, int] = MIN_OPENCV) -> None:
    """Raise :class:`BackendUnavailableError` when OpenCV is older than ``minimum``."""
    import cv2

    if opencv_version() < minimum:
        raise BackendUnavailableError(
            f"protocol 'reference' needs OpenCV >= {'.'.join(map(str, minimum))} (found {cv2.__version__}): "
            "older versions convert BT.709 video with BT.601 coefficients and give other peaks",
            hint="pip install -U opencv-python-headless",
        )


def _mean_flow(prev_gray: np.ndarray, gray: np.ndarray) -> float:
    import cv2

    flow = cv2.calcOpticalFlowFarneback(prev_gray, gray, None, *FARNEBACK)
    magnitude = cv2.magnitude(flow[..., 0], flow[..., 1])  # == cartToPolar's magnitude
    return float(cv2.mean(magnitude)[0])


def frames_trajectory(frames: np.ndarray) -> np.ndarray:
    """The trajectory ``(T,)`` of RGB frames ``(T, H, W, 3)`` uint8 already in memory, computed as
    :func:`flow_trajectory` computes a file's (F[0] duplicated); for clips that were never encoded."""
    import cv2

    grey = [cv2.cvtColor(np.ascontiguousarray(f), cv2.COLOR_RGB2GRAY) for f in frames]
    if len(grey) < 2:
        raise MediaError("AV-Align needs at least two frames")
    values = [_mean_flow(a, b) for a, b in zip(grey[:-1], grey[1:], strict=True)]
    return np.asarray([values[0], *values], dtype=np.float64)


def flow_size(width: int, height: int, max_diagonal: float | None) -> tuple[int, int] | None:
    """The (width, height) a ``width`` x ``height`` frame is shrunk to so that its diagonal is at
    most ``max_diagonal`` pixels (aspect kept, rounded, >= 16 px per side); None when it already fits."""
    diagonal = math.hypot(width, height)
    if max_diagonal is None or diagonal <= max_diagonal:
        return None
    scale = max_diagonal / diagonal
    return max(16, round(width * scale)), max(16, round(height * scale))


def flow_trajectory(path: str | Path, *, max_diagonal: float | None = None) -> FlowTrajectory:
    """Decode ``path`` with OpenCV and return its motion trajectory (see :class:`FlowTrajectory`).

    Args:
        path: a video file OpenCV decodes.
        max_diagonal: when a frame's diagonal is longer (pixels), each grey frame is shrunk
            (pixel-area averaging, ``INTER_AREA``) to that diagonal before the flow
            (:func:`flow_size`); the values are then in the shrunk frames' pixels. None (the
            reference): native resolution.

    Returns:
        :class:`FlowTrajectory`: ``values`` (T,) mean Farneback flow magnitude per frame in pixels
        per frame (``values[0] == values[1]``), the fps, frame count, sizes and frame times.

    Raises:
        MediaError: the file is missing, cannot be opened, has no usable fps, has fewer than two
            decodable frames, or changes frame size.

    Source: the trajectory of AV-Align (Yariv et al., 2024, TempoTokens); dense optical flow of
    Farneback (2003) as OpenCV's ``calcOpticalFlowFarneback``.
    """
    import cv2

    path = Path(path)
    if not path.is_file():
        raise MediaError(f"video file not found: {path}")
    cap = cv2.VideoCapture(str(path))
    try:
        if not cap.isOpened():
            raise MediaError(f"OpenCV cannot open video {path}")
        fps = float(cap.get(cv2.CAP_PROP_FPS))
        if not math.isfinite(fps) or fps <= 0:
            raise MediaError(f"video {path} has no usable frame rate (CAP_PROP_FPS = {fps})")
        ok, frame = cap.read()
        if not ok:
            raise MediaError(f"OpenCV decodes no frame from {path}")
        height, width = frame.shape[:2]
        small = flow_size(width, height, max_diagonal)
        values = _stream_values(cap, frame, small, path)
    finally:
        cap.release()
    if not values:
        raise MediaError(f"video {path} has a single frame; AV-Align needs at least two")
    traj = np.asarray([values[0], *values], dtype=np.float64)
    logger.debug("%s: %d frames at %.3f fps", path, len(traj), fps)
    return FlowTrajectory(values=traj, fps=fps, frames=len(traj), width=width, height=height, flow_size=small,
                          **_timing(path, len(traj)))  # fmt: skip


def _grey(frame: np.ndarray, size: tuple[int, int] | None) -> np.ndarray:
    import cv2

    grey = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
    return grey if size is None else cv2.resize(grey, size, interpolation=cv2.INTER_AREA)


def _stream_values(cap, first: np.ndarray, size: tuple[int, int] | None, path: Path) -> list[float]:
    """Mean flow of each next frame against the one before; two grey frames alive at a time."""
    values: list[float] = []
    shape, prev = first.shape, _grey(first, size)
    while True:
        ok, frame = cap.read()
        if not ok:
            return values
        if frame.shape != shape:
            raise MediaError(
                f"video {path}: frame {len(values) + 1} is {frame.shape[:2]}, the previous frame was {shape[:2]}"
            )
        gray = _grey(frame, size)
        values.append(_mean_flow(prev, gray))
        prev = gray


def _timing(path: Path, frames: int) -> dict:
    """``times``/``vfr``/``start`` of the decoded frames from the file's timestamps."""
    from genav.media import probe

    info = probe(path)
    times = info.frame_times
    if times is None or len(times) != frames:  # decoders disagree: keep frame index / fps
        logger.warning("%s: OpenCV decoded %d frames, the timestamps list %s; using frame index / fps",
                       path, frames, None if times is None else len(times))  # fmt: skip
        return {"start": info.video_start or 0.0, "vfr": info.vfr}
    return {"times": np.asarray(times, dtype=np.float64), "vfr": info.vfr, "start": float(times[0])}


def detect_video_peaks(trajectory: np.ndarray, threshold: float = 0.1) -> np.ndarray:
    """Reference video peaks: indices i with F[i-1] < F[i] > F[i+1] (strict) and F[i] >= threshold.

    Args:
        trajectory: (T,) per-frame motion (pixels per frame), as :func:`flow_trajectory` gives.
        threshold: the smallest motion a peak may have, in the trajectory's units.

    Returns:
        (K,) ascending int64 frame indices; the first and last index are never peaks, and there is
        no smoothing. Peak time = index / fps (or the frame's timestamp).

    Raises:
        Nothing of its own: any array is flattened; fewer than 3 values give no peaks.

    Source: AV-Align's video peak rule (Yariv et al., 2024, TempoTokens ``av_align.py``).
    """
    f = np.asarray(trajectory, dtype=np.float64).reshape(-1)
    if f.size < 3:
        return np.zeros(0, dtype=np.int64)
    mid = f[1:-1]
    is_peak = (f[:-2] < mid) & (mid > f[2:]) & (mid >= threshold)
    return np.flatnonzero(is_peak).astype(np.int64) + 1
