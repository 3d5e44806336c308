"""genav.media: audio and video reading/writing, resampling, probing and muxing.

Reading goes through PyAV (FFmpeg's libraries), so every time comes from the streams' own
timestamps (see :mod:`genav.media._pyav` for the timeline); wav/flac/ogg audio through soundfile.
Writing video and muxing (by stream copy of the picture) use the ffmpeg binary from the
imageio-ffmpeg wheel; still images (frame strips, pictures) through imageio. Importing this package is light (numpy, soundfile); no torch.
"""

from genav.media._ffmpeg import ffmpeg_exe, ffmpeg_version
from genav.media._ffmpeg import file_arg as ffmpeg_file_arg
from genav.media._ffmpeg import run as run_ffmpeg
from genav.media.audio import Audio, read_audio, require_samples, resample, write_audio
from genav.media.decode import iter_frames, iter_timed_frames, read_frames
from genav.media.images import read_image, write_frame_strip
from genav.media.mux import mux_audio
from genav.media.probe import MediaInfo, probe
from genav.media.video import write_video

__all__ = [
    "Audio",
    "MediaInfo",
    "ffmpeg_exe",
    "ffmpeg_file_arg",
    "ffmpeg_version",
    "iter_frames",
    "iter_timed_frames",
    "mux_audio",
    "probe",
    "read_audio",
    "read_frames",
    "read_image",
    "require_samples",
    "resample",
    "run_ffmpeg",
    "write_audio",
    "write_frame_strip",
    "write_video",
]
