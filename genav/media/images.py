"""Still images through imageio: frame strips of a clip (to judge generated video by eye) and
reading a still picture (PNG, JPEG, ...) as an RGB array."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np

from genav.errors import InputError, MediaError
from genav.media.atomic import media_output
from genav.media.decode import iter_timed_frames
from genav.media.probe import probe, require_video


def read_image(path: str | Path) -> np.ndarray:
    """Read a still image as ``(H, W, 3)`` uint8 RGB (grey is repeated, alpha dropped).

    Raises:
        MediaError: the file is missing or not an image imageio can read.
    """
    import imageio.v3 as iio

    path = Path(path)
    if not path.is_file():
        raise MediaError(f"{path} does not exist")
    try:
        image = np.asarray(iio.imread(path))
    except Exception as exc:  # noqa: BLE001 - imageio raises many types for unreadable files
        raise MediaError(f"cannot read {path} as an image: {type(exc).__name__}") from None
    if image.ndim == 2:
        image = np.repeat(image[..., None], 3, axis=-1)
    if image.ndim != 3 or image.dtype != np.uint8:
        raise MediaError(f"{path} is not an 8-bit still image (shape {image.shape}, {image.dtype})")
    return np.ascontiguousarray(np.broadcast_to(image[..., :3], (*image.shape[:2], 3)))


def write_frame_strip(
    video: str | Path, out: str | Path, *, frames: int = 8, height: int = 96, overwrite: bool = False
) -> Path:
    """Write ``frames`` pictures of ``video``, evenly spaced in time, side by side as one PNG.

    Args:
        video: a video file.
        out: the PNG to write (atomically).
        frames: how many pictures (1..64), taken at the middles of equal time slices.
        height: the height of each picture in pixels; the width keeps the aspect ratio.
        overwrite: replace an existing ``out``.

    Returns:
        ``out``.

    Raises:
        InputError: ``frames`` or ``height`` out of range.
        MediaError: ``video`` cannot be read or has no picture.
        OutputExistsError: ``out`` exists and ``overwrite`` is false.
    """
    import imageio.v3 as iio

    if not 1 <= frames <= 64 or not 8 <= height <= 2048:
        raise InputError(f"a frame strip takes 1..64 frames of 8..2048 px, got {frames} of {height} px")
    info = probe(video, count_frames=False)
    require_video(info)
    width = max(2, 2 * round(height * info.width / info.height / 2))
    span = info.video_duration or info.duration
    samples = iter_timed_frames(video, fps=frames / span, size=(width, height), start=span / frames / 2)
    picked = [frame for _, frame in itertools.islice(samples, frames)]
    if not picked:
        raise MediaError(f"{video} gave no frames")
    picked += [picked[-1]] * (frames - len(picked))  # a clip shorter than its header says
    with media_output(out, overwrite=overwrite) as tmp:
        iio.imwrite(tmp, np.concatenate(picked, axis=1), extension=".png")
    return Path(out)
