"""Probing media files: streams, their time spans, per-frame presentation times.

Everything comes from the streams' own timestamps, read with PyAV (see :mod:`genav.media._pyav`
for the timeline). With ``count_frames=True`` (the default) the file is demuxed once, packets
only, no decoding (about 0.5 s for a 10-minute 720p mp4): the presentation times of the frames
that are *shown* (packets outside an mp4 edit list are flagged discard and skipped), so a
lossless trim, a variable frame rate and a stream that starts late are all measured, not
guessed. Without it, spans come from the container's declared durations and ``n_frames`` is
``round(span * fps)`` (``n_frames_exact`` False).

``fps``: the nominal rate for a constant frame rate; for a variable one (``vfr`` True) the
average, frames / span. ``width``/``height`` are the *displayed* size (swapped for a +-90 degree
rotation), the size :func:`~genav.media.iter_frames` yields.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from genav.errors import InputError, MediaError
from genav.media import _ffmpeg, _pyav

# animations: pictures in a format of their own rather than a video codec (GIF, APNG, WebP)
ANIMATION_CODECS = frozenset({"gif", "apng", "webp"})

@dataclass(frozen=True)
class MediaInfo:
    """What a media file holds. Times are seconds on the file's timeline (0 = the file's start).

    Video fields are None without video, audio fields without audio. ``frame_times`` ``(T,)``:
    presentation time of every shown frame, ascending (None when ``count_frames=False``).
    """

    path: Path
    format_name: str  # FFmpeg's demuxer name(s), e.g. "mov,mp4,m4a,3gp,3g2,mj2"
    duration: float  # the file's span: from its start to its last stream's end
    has_video: bool
    has_audio: bool
    width: int | None
    height: int | None
    fps: float | None
    n_frames: int | None  # frames shown (not packets stored)
    n_frames_exact: bool  # True: counted from the timestamps; False: round(span * fps)
    video_codec: str | None
    audio_codec: str | None
    sample_rate: int | None
    channels: int | None
    rotation: int = 0  # display rotation in degrees (already applied to width/height)
    start: float = 0.0  # container time (seconds) of timeline 0
    video_start: float | None = None  # first shown frame
    video_end: float | None = None  # the last shown frame's end
    audio_start: float | None = None
    audio_end: float | None = None
    vfr: bool = False  # frame intervals differ (variable frame rate)
    video_profile: str | None = None  # e.g. "High", "4444" (ProRes)
    pix_fmt: str | None = None
    frame_times: np.ndarray | None = field(default=None, repr=False, compare=False)

    @property
    def video_duration(self) -> float:
        """The picture's span in seconds, first frame to the end of the last (0.0 without video)."""
        if self.video_start is None or self.video_end is None:
            return 0.0
        return max(0.0, self.video_end - self.video_start)

    @property
    def still_image(self) -> bool:
        """Whether the file is one picture: read by an image demuxer (``png_pipe``, ``image2``, ...)
        or an animation format holding one frame (an animated GIF or APNG is a clip)."""
        one_frame_animation = self.n_frames == 1 and self.video_codec in ANIMATION_CODECS
        return self.format_name == "image2" or self.format_name.endswith("_pipe") or one_frame_animation

    @property
    def audio_duration(self) -> float:
        """The sound's span in seconds (0.0 without audio)."""
        if self.audio_start is None or self.audio_end is None:
            return 0.0
        return max(0.0, self.audio_end - self.audio_start)


def probe(path: str | Path, *, count_frames: bool = True) -> MediaInfo:
    """Describe a media file. Raises MediaError for missing, empty, unreadable or truncated files."""
    path = _ffmpeg.check_input(path)
    with _pyav.open_input(path) as container:
        video, audio = first_streams(container)
        zero = _pyav.origin(container)
        info: dict[str, Any] = dict(path=path, format_name=container.format.name, start=zero, n_frames=None,
                                    n_frames_exact=False, has_video=video is not None, has_audio=audio is not None)  # fmt: skip
        info.update(_audio_fields(audio, zero))
        info.update(_video_fields(video, path))
        if count_frames and (video is not None or audio is not None):
            info.update(_scan(container, video, audio, zero, path))
        elif video is not None:
            info.update(_declared_video(container, video, zero))
            info["rotation"] = _first_rotation(container, video)
        declared = None if container.duration is None else container.duration / 1_000_000
    if info.get("rotation") in (90, 270):
        info["width"], info["height"] = info["height"], info["width"]
    ends = [e for e in (info.get("video_end"), info.get("audio_end"), declared) if e is not None]
    info["duration"] = max([0.0, *ends])
    return MediaInfo(**info)


def first_streams(container: Any) -> tuple[Any, Any]:
    """The first video stream that is a picture track (not cover art) and the first audio stream."""
    video = next((s for s in container.streams.video if not _pyav.attached_picture(s)), None)
    audio = next(iter(container.streams.audio), None)
    return video, audio


def require_video(info: MediaInfo) -> None:
    if not info.has_video:
        raise MediaError(f"{info.path} has no video stream")


def require_clip(info: MediaInfo) -> None:
    """A video to make sound for: a picture stream with frames, not a still image, of some length.

    Raises:
        InputError: an audio file, a stream without frames, a still image or a zero-length picture.
        MediaError: no video stream at all.
    """
    if not info.has_video:
        if info.has_audio:
            raise InputError(f"{info.path} is an audio file, not a video (use text-to-audio, or give a video)")
        raise MediaError(f"{info.path} has no video stream")
    if not info.n_frames:
        raise InputError(f"{info.path} has a video stream with no frames")
    if info.still_image:
        raise InputError(
            f"{info.path} is a still image ({info.video_codec}), not a video: make a clip of it first "
            "(e.g. ffmpeg -loop 1 -i IMAGE -t 4 -r 25 -pix_fmt yuv420p clip.mp4)"
        )
    if not info.video_duration > 0:
        raise InputError(f"{info.path} has a video stream of zero length")


def require_audio(info: MediaInfo) -> None:
    if not info.has_audio:
        raise MediaError(f"{info.path} has no audio track")


def _audio_fields(stream: Any, zero: float) -> dict[str, Any]:
    if stream is None:
        return dict(audio_codec=None, sample_rate=None, channels=None)
    ctx = stream.codec_context
    return dict(audio_codec=_pyav.codec_name(stream), sample_rate=int(ctx.sample_rate or 0) or None,
                channels=int(ctx.channels or 0) or None, audio_start=_pyav.stream_start(stream, zero) or 0.0,
                audio_end=_pyav.stream_end(stream, zero))  # fmt: skip


def _video_fields(stream: Any, path: Path) -> dict[str, Any]:
    """Codec and coded size (the rotation is applied once it is known)."""
    if stream is None:
        return dict(width=None, height=None, fps=None, video_codec=None)
    ctx = stream.codec_context
    width, height = int(ctx.width), int(ctx.height)
    if width <= 0 or height <= 0:
        raise MediaError(f"cannot read the frame size of the video stream of {path}")
    return dict(
        width=width,
        height=height,
        video_codec=_pyav.codec_name(stream),
        video_profile=ctx.profile,
        pix_fmt=ctx.pix_fmt,
    )


def _first_rotation(container: Any, stream: Any) -> int:
    """Display rotation of the first decodable frame (0 when none decodes: the readers say why)."""
    try:
        return display_rotation(next(container.decode(stream), None))
    except _pyav._av().error.FFmpegError:
        return 0


def display_rotation(frame: Any) -> int:
    """A decoded frame's display rotation rounded to 0, 90, 180 or 270 degrees counter-clockwise."""
    value = getattr(frame, "rotation", 0) if frame is not None else 0
    return int(round((value or 0) / 90.0)) * 90 % 360


def _nominal_rate(stream: Any) -> float | None:
    for rate in (stream.average_rate, stream.guessed_rate, stream.base_rate):
        if rate:
            return float(rate)
    return None


def _declared_video(container: Any, stream: Any, zero: float) -> dict[str, Any]:
    """Video span and frame count from what the container declares (no demuxing)."""
    fps = _nominal_rate(stream)
    start = _pyav.stream_start(stream, zero) or 0.0
    end = _pyav.stream_end(stream, zero)
    if end is None and container.duration is not None:
        end = container.duration / 1_000_000
    n = int(round((end - start) * fps)) if fps and end is not None else None
    return dict(fps=fps, n_frames=n, n_frames_exact=False, video_start=start, video_end=end)


def _scan(container: Any, video: Any, audio: Any, zero: float, path: Path) -> dict[str, Any]:
    """Demux once: shown frames' presentation times (and ends), the audio's last packet end."""
    starts, ends, audio_end, rotation = [], [], None, None
    streams = [s for s in (video, audio) if s is not None]
    for packet in container.demux(streams):
        if packet.size == 0:
            continue
        if packet.is_corrupt:
            raise _pyav.corrupt(path, f"damaged {packet.stream.type} packet near {_when(packet, zero)}")
        if rotation is None and packet.stream is video:  # decode until the first frame shows it
            rotation = _packet_rotation(packet, video)
        if packet.is_discard:
            continue
        when = packet.pts if packet.pts is not None else packet.dts
        if when is None:
            continue
        begin = float(when * packet.stream.time_base) - zero
        end = begin + float((packet.duration or 0) * packet.stream.time_base)
        if packet.stream is video:
            starts.append(begin)
            ends.append(end if packet.duration else math.nan)
        elif audio_end is None or end > audio_end:
            audio_end = end
    if rotation is None and video is not None:  # a decoder that holds frames back: flush it
        rotation = _packet_rotation(None, video)
    out: dict[str, Any] = {"rotation": rotation or 0}
    if audio is not None and audio_end is not None:
        declared = _pyav.stream_end(audio, zero)
        out["audio_end"] = audio_end if declared is None else min(audio_end, declared)
    if video is not None:
        out.update(frame_timeline(np.asarray(starts), np.asarray(ends), _nominal_rate(video),
                                  video.time_base, _pyav.stream_end(video, zero)))  # fmt: skip
        if not out["n_frames"]:
            raise MediaError(f"{path} has a video stream with no frames")
    return out


def _packet_rotation(packet: Any, stream: Any) -> int | None:
    """Rotation of the first frame ``packet`` decodes to (None: no frame yet; ``packet`` None flushes)."""
    try:
        frames = stream.codec_context.decode(packet)
    except _pyav._av().error.FFmpegError:
        return 0  # undecodable: the readers report it with the file's name
    return display_rotation(frames[0]) if frames else None


def _when(packet: Any, zero: float) -> str:
    pts = packet.pts if packet.pts is not None else packet.dts
    return "an unknown time" if pts is None else f"{float(pts * packet.stream.time_base) - zero:.3f} s"


def frame_timeline(starts: np.ndarray, ends: np.ndarray, nominal: float | None, time_base: Any,
                   declared_end: float | None) -> dict[str, Any]:  # fmt: skip
    """Frame times and the video's span from the shown packets' start/end times (seconds).

    ``ends[i]`` is NaN where a packet has no duration. The span ends at the last frame's own end,
    else at the declared stream end, else one median interval (or 1/nominal fps) after it. A
    frame rate is constant when all intervals agree within 1.5 time-base ticks.
    """
    order = np.argsort(starts, kind="stable")
    times, ends = starts[order], ends[order]
    if times.size == 0:
        return dict(n_frames=0, n_frames_exact=True, fps=nominal, vfr=False, frame_times=times)
    steps = np.diff(times)
    tick = float(time_base) if time_base else 1e-6
    vfr = bool(steps.size and steps.max() - steps.min() > 1.5 * tick + 1e-9)
    typical = float(np.median(steps)) if steps.size else (1.0 / nominal if nominal else 0.0)
    last_end = float(ends[-1]) if math.isfinite(ends[-1]) else math.nan
    if not math.isfinite(last_end) or last_end <= times[-1]:
        last_end = declared_end if declared_end and declared_end > times[-1] else times[-1] + typical
    span = last_end - float(times[0])
    if vfr:
        fps = times.size / span if span > 0 else nominal
    elif nominal and typical and abs(1.0 / nominal - typical) <= 1.5 * tick + 1e-9:
        fps = nominal
    else:
        fps = 1.0 / typical if typical > 0 else nominal
    return dict(n_frames=int(times.size), n_frames_exact=True, fps=fps, vfr=vfr, frame_times=times,
                video_start=float(times[0]), video_end=float(last_end))  # fmt: skip
