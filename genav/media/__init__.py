"""genav.media: audio and video reading/writing, resampling, probing and muxing.

Audio goes through soundfile (wav/flac/ogg) or the ffmpeg binary from the imageio-ffmpeg wheel
(everything else, including the audio track of videos); video always through that ffmpeg.
Importing this package is light (numpy, soundfile); no torch.
"""

from genav.media._ffmpeg import ffmpeg_exe, ffmpeg_version
from genav.media.audio import Audio, read_audio, resample, write_audio
from genav.media.mux import mux_audio
from genav.media.probe import MediaInfo, probe
from genav.media.video import iter_frames, read_frames, write_video

__all__ = [
    "Audio",
    "MediaInfo",
    "ffmpeg_exe",
    "ffmpeg_version",
    "iter_frames",
    "mux_audio",
    "probe",
    "read_audio",
    "read_frames",
    "resample",
    "write_audio",
    "write_video",
]
