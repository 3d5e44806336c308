"""Probing media files: streams, duration, size, frame rate, frame count.

imageio-ffmpeg ships no ffprobe, so :func:`probe` parses the description ``ffmpeg -i FILE`` prints
(container, duration, first video and first audio stream). The exact frame count comes from a
second, cheap ffmpeg pass that copies the video packets to the null muxer (demuxing only, no
decoding: ~0.5 s for a 10-minute 720p mp4); with ``count_frames=False`` it is estimated as
``round(duration * fps)`` and ``n_frames_exact`` is False.

Notes on the parsed values: ``fps`` is what ffmpeg prints (two decimals), snapped to the NTSC
rates n*1000/1001 when it is one of them; ``width``/``height`` are the *displayed* size, i.e.
swapped for clips with a +-90 degree rotation, which is the size :func:`iter_frames` yields.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from genav.errors import MediaError
from genav.media import _ffmpeg

_LAYOUT_CHANNELS = {
    "mono": 1, "stereo": 2, "downmix": 2, "quad": 4, "hexagonal": 6, "octagonal": 8,
    "hexadecagonal": 16, "cube": 8,
}  # fmt: skip


@dataclass(frozen=True)
class MediaInfo:
    """What a media file holds. Video fields are None without video, audio fields without audio."""

    path: Path
    format_name: str  # ffmpeg's demuxer name(s), e.g. "mov,mp4,m4a,3gp,3g2,mj2"
    duration: float  # container duration in seconds
    has_video: bool
    has_audio: bool
    width: int | None
    height: int | None
    fps: float | None
    n_frames: int | None
    n_frames_exact: bool  # True: counted packets; False: round(duration * fps)
    video_codec: str | None
    audio_codec: str | None
    sample_rate: int | None
    channels: int | None
    rotation: int = 0  # display rotation in degrees (already applied to width/height)

    @property
    def video_duration(self) -> float:
        """Duration of the video stream: n_frames / fps (0.0 without video)."""
        if not self.has_video or not self.fps or not self.n_frames:
            return 0.0
        return self.n_frames / self.fps


def probe(path: str | Path, *, count_frames: bool = True) -> MediaInfo:
    """Describe a media file. Raises MediaError for missing, empty, unreadable or truncated files."""
    path = _ffmpeg.check_input(path)
    text = _ffmpeg.probe_text(path)
    header = re.search(r"Input #0, (.+?), from '", text)
    if header is None:
        raise _ffmpeg.failure(path, text.splitlines())
    video, audio = _first_streams(text)
    duration = _duration(text)
    info = dict(path=path, format_name=header.group(1), has_video=video is not None,
                has_audio=audio is not None)  # fmt: skip
    info.update(_video_fields(video, path))
    info.update(_audio_fields(audio))
    n_frames, exact = None, False
    if video is not None and count_frames:
        n_frames, exact = _count_packets(path), True
    if duration is None:  # raw streams have no header duration: measure it by demuxing
        duration = _demux_duration(path)
    if video is not None and n_frames is None and info["fps"]:
        n_frames = int(round(duration * info["fps"]))
    return MediaInfo(duration=duration, n_frames=n_frames, n_frames_exact=exact, **info)


def require_video(info: MediaInfo) -> None:
    if not info.has_video:
        raise MediaError(f"{info.path} has no video stream")


def require_audio(info: MediaInfo) -> None:
    if not info.has_audio:
        raise MediaError(f"{info.path} has no audio track")


def _first_streams(text: str) -> tuple[str | None, str | None]:
    """The description lines (plus following side data) of the first video and audio streams."""
    video = audio = None
    blocks = re.split(r"\n(?=\s*Stream #)", text)
    for block in blocks[1:]:
        kind = re.match(r"\s*Stream #\d+:\d+\S*: (\w+): ", block)
        if kind is None:
            continue
        if kind.group(1) == "Video" and video is None and "(attached pic)" not in block.split("\n", 1)[0]:
            video = block
        elif kind.group(1) == "Audio" and audio is None:
            audio = block
    return video, audio


def _duration(text: str) -> float | None:
    match = re.search(r"Duration: (\d+):(\d+):(\d+(?:\.\d+)?)", text)
    if match is None:
        return None
    h, m, s = match.groups()
    return int(h) * 3600 + int(m) * 60 + float(s)


def _codec(block: str) -> str:
    return re.match(r"\s*Stream #\S+: \w+: ([^\s,]+)", block).group(1)


def _rate(value: str) -> float:
    """Parse ffmpeg's printed rate ('25', '29.97', '1k'); snap the NTSC family to n*1000/1001."""
    rate = float(value[:-1]) * 1000 if value.endswith("k") else float(value)
    ntsc = round(rate * 1.001)
    if ntsc > 0 and abs(ntsc / 1.001 - rate) < 0.006 and abs(ntsc - rate) > 0.006:
        return ntsc * 1000 / 1001
    return rate


def _video_fields(block: str | None, path: Path) -> dict:
    if block is None:
        return dict(width=None, height=None, fps=None, video_codec=None, rotation=0)
    line = block.split("\n", 1)[0]
    size = re.search(r",\s*(\d+)x(\d+)", line)
    if size is None:
        raise MediaError(f"cannot read the frame size of the video stream of {path}")
    width, height = int(size.group(1)), int(size.group(2))
    rate = re.search(r"([\d.]+k?) fps", line) or re.search(r"([\d.]+k?) tbr", line)
    rot = re.search(r"rotation of (-?[\d.]+) degrees", block, re.IGNORECASE)
    rotation = int(round(float(rot.group(1)))) % 360 if rot else 0
    if rotation in (90, 270):
        width, height = height, width
    return dict(width=width, height=height, fps=_rate(rate.group(1)) if rate else None,
                video_codec=_codec(block), rotation=rotation)  # fmt: skip


def _channels(layout: str) -> int:
    layout = layout.strip().split("(", 1)[0]
    if layout in _LAYOUT_CHANNELS:
        return _LAYOUT_CHANNELS[layout]
    count = re.match(r"(\d+) channels", layout)
    if count:
        return int(count.group(1))
    parts = re.match(r"(\d+)\.(\d+)(?:\.(\d+))?$", layout)  # "5.1", "7.1.4"
    if parts:
        return sum(int(p) for p in parts.groups() if p)
    raise MediaError(f"unknown audio channel layout {layout!r}")


def _audio_fields(block: str | None) -> dict:
    if block is None:
        return dict(audio_codec=None, sample_rate=None, channels=None)
    fields = [f.strip() for f in block.split("\n", 1)[0].split(",")]
    idx = next(i for i, f in enumerate(fields) if f.endswith(" Hz"))
    return dict(audio_codec=_codec(block), sample_rate=int(fields[idx].split()[0]),
                channels=_channels(fields[idx + 1]))  # fmt: skip


def _progress_value(out: str, key: str) -> str | None:
    values = re.findall(rf"^{key}=(\S+)$", out, re.MULTILINE)
    return values[-1] if values else None


def _count_packets(path: Path) -> int:
    args = ["-i", _ffmpeg.file_arg(path), "-map", "0:v:0", "-c", "copy", "-f", "null",
            "-progress", "pipe:1", "-"]  # fmt: skip
    out = _ffmpeg.run(args, path, strict=True)
    frames = _progress_value(out, "frame")
    if frames is None:
        raise MediaError(f"cannot count the video frames of {path}")
    return int(frames)


def _demux_duration(path: Path) -> float:
    args = ["-i", _ffmpeg.file_arg(path), "-c", "copy", "-f", "null", "-progress", "pipe:1", "-"]
    out = _ffmpeg.run(args, path, strict=True)
    micros = _progress_value(out, "out_time_us")
    if micros is None or not micros.lstrip("-").isdigit():
        raise MediaError(f"cannot determine the duration of {path}")
    return max(0.0, int(micros) / 1e6)
