"""Which video containers can hold which picture codec: decided before any generation.

Muxing copies the picture packet for packet, which only works when the output container can
hold the input's codec (h264 cannot go into .webm, ProRes not into .mp4, GIF into none of the
usual ones). libavformat knows what each of its muxers takes (PyAV's ``supported_codecs``), so
:func:`plan_mux` asks it and decides up front: copy; re-encode (asked for, or automatic for
animation formats that no video container is meant to carry); or a one-line error that names the
codec, the container, and the containers that would work.
"""

from __future__ import annotations

import functools
import io
import logging
from dataclasses import dataclass
from pathlib import Path

from genav.errors import MediaError
from genav.media import _pyav
from genav.media.probe import ANIMATION_CODECS, MediaInfo, require_video

log = logging.getLogger(__name__)

# output suffix -> libavformat muxer; the new sound is AAC, or Opus for webm
VIDEO_CONTAINERS = {".mp4": "mp4", ".m4v": "mp4", ".mov": "mov", ".mkv": "matroska", ".webm": "webm"}


def encoder_args(suffix: str, crf: int | None = None) -> list[str]:
    """ffmpeg arguments that encode a picture for the container ``suffix``: H.264 at CRF ``crf``
    (default 18), or for webm VP9, lossless when ``crf`` is 0 and otherwise at VP9's CRF 32 (the
    scales differ: H.264's 18 and VP9's 32 both look clean)."""
    if suffix == ".webm":
        quality = ["-lossless", "1"] if crf == 0 else ["-crf", "32", "-b:v", "0"]
        return ["-c:v", "libvpx-vp9", *quality, "-deadline", "good", "-cpu-used", "4"]
    return ["-c:v", "libx264", "-crf", str(18 if crf is None else crf), "-preset", "medium"]


@dataclass(frozen=True)
class MuxPlan:
    """How the picture gets into the output: ``copy`` it, or re-encode it (``notice`` says why)."""

    copy: bool
    codec: str
    suffix: str
    notice: str | None = None

    def video_args(self) -> list[str]:
        """ffmpeg output arguments for the picture."""
        if self.copy:
            return ["-c:v", "copy"]
        # even sizes for yuv420p; the input's own frame times are kept (variable rates stay so)
        return [*encoder_args(self.suffix), "-pix_fmt", "yuv420p",
                "-vf", "pad=ceil(iw/2)*2:ceil(ih/2)*2", "-fps_mode", "passthrough"]  # fmt: skip


@functools.cache
def supported_codecs(suffix: str) -> frozenset[str]:
    """Codec names libavformat's muxer for ``suffix`` accepts."""
    av = _pyav._av()
    container = av.open(io.BytesIO(), mode="w", format=VIDEO_CONTAINERS[suffix])
    try:
        return frozenset(container.supported_codecs)
    finally:
        container.close()


def containers_for(codec: str) -> list[str]:
    """Output suffixes whose container can hold ``codec`` by stream copy."""
    return [s for s in VIDEO_CONTAINERS if s != ".m4v" and codec in supported_codecs(s)]


def check_video_suffix(path: str | Path) -> str:
    """The lower-case suffix of a video output, or a MediaError naming the containers genav writes."""
    suffix = Path(path).suffix.lower()
    if suffix not in VIDEO_CONTAINERS:
        known = ", ".join(VIDEO_CONTAINERS)
        raise MediaError(f"cannot write a video to {path}: unknown container {suffix or '(none)'!r} "
                         f"(choose one of {known})")  # fmt: skip
    return suffix


def plan_mux(info: MediaInfo, out_path: str | Path, *, reencode: bool = False) -> MuxPlan:
    """Decide how ``info``'s picture goes into ``out_path``; raises MediaError when it cannot be
    copied there and re-encoding was not asked for (naming the containers that would work)."""
    require_video(info)
    suffix = check_video_suffix(out_path)
    codec = info.video_codec or "unknown"
    what = f"{codec} ({info.video_profile})" if info.video_profile else codec
    if not reencode and codec in supported_codecs(suffix):
        return MuxPlan(True, codec, suffix)
    target = "VP9" if suffix == ".webm" else "H.264"
    alpha = " (its transparency is dropped)" if _has_alpha(info.pix_fmt) else ""
    if reencode:
        return MuxPlan(
            False, codec, suffix, f"{info.path}: re-encoding the {what} picture as {target}{alpha}, as asked"
        )
    fits = containers_for(codec)
    if codec in ANIMATION_CODECS or not fits:  # no container is meant to carry animations
        notice = (f"{info.path}: {what} video cannot be stream-copied into {suffix}; "
                  f"re-encoding the picture as {target}{alpha}")  # fmt: skip
        return MuxPlan(False, codec, suffix, notice)
    raise MediaError(
        f"{info.path}: {what} video cannot be stream-copied into {suffix}; containers that hold it: "
        f"{', '.join(fits)} (write one of those, or pass --reencode / reencode=True to re-encode the picture)"
    )


def _has_alpha(pix_fmt: str | None) -> bool:
    """Whether a pixel format carries transparency (4 components, or grey + alpha)."""
    if not pix_fmt:
        return False
    try:
        components = len(_pyav._av().VideoFormat(pix_fmt).components)
    except ValueError:
        return False
    return components in (2, 4)
