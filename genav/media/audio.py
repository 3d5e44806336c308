"""Audio clips: reading (any format, or a video's audio track), writing, resampling.

wav/flac/ogg/oga/aiff go through soundfile; everything else (mp3, m4a, aac, opus, the audio track of
mp4/mov/mkv/webm) through PyAV (:mod:`genav.media.audio_decode`), decoded to float32 at the native
rate, placed by timestamps and resampled here, so the result does not depend on the decoder's own
resampler. Writing compressed formats uses the ffmpeg binary. Down-mixing to mono is the channel mean
(as librosa does), and resampling is soxr 'HQ' (identical to ``librosa.resample(res_type=
"soxr_hq")``), so features computed on our audio match reference code that loads with librosa.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from genav.errors import InputError, MediaError
from genav.media import _ffmpeg
from genav.media.atomic import check_output_path, media_output
from genav.media.audio_decode import decode_audio
from genav.media.probe import probe, require_audio

log = logging.getLogger(__name__)

DEFAULT_MAX_DURATION = 3600.0  # seconds read at once by default (1 h of 48 kHz stereo = 1.4 GB)
SOUNDFILE_SUFFIXES = {".wav", ".flac", ".ogg", ".oga", ".aif", ".aiff"}
_SOUNDFILE_FORMATS = {".wav": ("WAV", "PCM_16"), ".flac": ("FLAC", "PCM_16"), ".ogg": ("OGG", "VORBIS"),
                      ".oga": ("OGG", "VORBIS")}  # fmt: skip
_FFMPEG_CODECS = {".mp3": ["-c:a", "libmp3lame", "-q:a", "2"], ".m4a": ["-c:a", "aac", "-b:a", "192k"],
                  ".aac": ["-c:a", "aac", "-b:a", "192k"], ".opus": ["-c:a", "libopus", "-b:a", "128k"]}  # fmt: skip
AUDIO_OUTPUT_SUFFIXES = frozenset({*_SOUNDFILE_FORMATS, *_FFMPEG_CODECS})  # what write_audio writes


MAX_CHANNELS = 64  # more than any speaker layout: a wider array is (samples, channels)


@dataclass
class Audio:
    """A sound: ``samples`` (C, N) float32 in [-1, 1] at ``sample_rate`` Hz.

    A 1-D array is taken as mono and stored as (1, N); other dtypes are converted to float32.

    Raises:
        InputError: samples not 1-D or 2-D, a 2-D array that reads as (samples, channels) (more
            than :data:`MAX_CHANNELS` channels), or a sample rate that is not a whole number of Hz
            above 0.
    """

    samples: np.ndarray
    sample_rate: int

    def __post_init__(self) -> None:
        samples = np.asarray(self.samples)
        if samples.ndim == 1:
            samples = samples[None]
        if samples.ndim != 2:
            raise InputError(f"audio samples must be (channels, samples), got shape {samples.shape}")
        if samples.shape[0] > MAX_CHANNELS:
            raise InputError(f"audio samples must be (channels, samples); shape {samples.shape} reads as "
                             "(samples, channels): pass the transpose (samples.T)")  # fmt: skip
        self.samples = np.ascontiguousarray(samples, dtype=np.float32)
        rate = self.sample_rate
        if isinstance(rate, bool) or not isinstance(rate, int | float | np.number) or not math.isfinite(rate) \
                or rate != int(rate) or rate <= 0:  # fmt: skip
            raise InputError(f"sample rate must be a whole number of Hz above 0, got {rate!r}")
        self.sample_rate = int(rate)

    @property
    def channels(self) -> int:
        return self.samples.shape[0]

    @property
    def n_samples(self) -> int:
        return self.samples.shape[1]

    @property
    def duration(self) -> float:
        """Length in seconds."""
        return self.n_samples / self.sample_rate

    def to_mono(self) -> Audio:
        """Channel mean, (1, N)."""
        return Audio(self.samples.mean(axis=0, keepdims=True), self.sample_rate)


def resample(samples: np.ndarray, orig_sr: int, target_sr: int) -> np.ndarray:
    """Resample along the last axis with soxr 'HQ': (..., N) -> (..., ceil(N * target_sr / orig_sr)).

    Equal to ``librosa.resample(samples, orig_sr=..., target_sr=..., res_type="soxr_hq")``
    (same filter, same output length, same dtype). Integer input is converted to float32.
    """
    import soxr

    samples = np.asarray(samples)
    if not np.issubdtype(samples.dtype, np.floating):
        samples = samples.astype(np.float32)
    if orig_sr <= 0 or target_sr <= 0:
        raise InputError(f"sample rates must be positive, got {orig_sr} -> {target_sr}")
    if orig_sr == target_sr:
        return samples
    n_in = samples.shape[-1]
    n_out = int(math.ceil(n_in * target_sr / orig_sr))
    flat = np.ascontiguousarray(samples.reshape(-1, n_in).T)  # soxr wants (N, channels)
    out = soxr.resample(flat, orig_sr, target_sr, quality="HQ").T
    if out.shape[-1] < n_out:  # soxr may return a few samples fewer; librosa zero-pads
        out = np.pad(out, ((0, 0), (0, n_out - out.shape[-1])))
    out = out[:, :n_out]
    return np.ascontiguousarray(out.reshape(*samples.shape[:-1], n_out), dtype=samples.dtype)


def sounding_span(wave: np.ndarray, sample_rate: int, *, floor_db: float = 50.0) -> tuple[int, int]:
    """``(start, end)`` samples of ``wave`` (N,) from its first to its last sounding 10 ms frame: a
    frame sounds when its mean power is within ``floor_db`` dB of the loudest frame's. A last
    part-frame counts as a whole one (``end`` may pass N by less than a frame); an all-zero or
    shorter-than-two-frames wave is all of it, ``(0, N)``."""
    hop = max(1, sample_rate // 100)
    wave = np.asarray(wave, dtype=np.float64)
    if len(wave) < 2 * hop:
        return 0, len(wave)
    padded = np.pad(wave, (0, -len(wave) % hop))
    power = np.square(padded.reshape(-1, hop)).mean(axis=1)
    sounding = np.nonzero(power > power.max() * 10 ** (-floor_db / 10))[0]
    if len(sounding) == 0:
        return 0, len(wave)
    return int(sounding[0]) * hop, (int(sounding[-1]) + 1) * hop


def sounding_part(wave: np.ndarray, sample_rate: int, *, floor_db: float = 50.0) -> np.ndarray:
    """``wave`` (N,) cut to :func:`sounding_span` (zero-padded where the span's last frame passes N)."""
    start, end = sounding_span(wave, sample_rate, floor_db=floor_db)
    return np.pad(np.asarray(wave), (0, max(0, end - len(wave))))[start:end]


def read_audio(
    path: str | Path,
    *,
    sample_rate: int | None = None,
    mono: bool = False,
    start: float = 0.0,
    duration: float | None = None,
    max_duration: float | None = DEFAULT_MAX_DURATION,
) -> Audio:
    """Read ``duration`` seconds (default: to the end) from ``start`` of an audio file or a video's
    audio track; optionally down-mix to mono (channel mean) and resample to ``sample_rate``.

    Times are seconds on the file's timeline (0 = the file's start, see :mod:`genav.media._pyav`)
    and sample 0 of the result is at ``start``: a track that starts after the picture gets
    leading silence, so every sound keeps its place. Refuses (MediaError) to read more than
    ``max_duration`` seconds at once (None: no limit).
    """
    path = _ffmpeg.check_input(path)
    _check_window(start, duration)
    audio = None
    if path.suffix.lower() in SOUNDFILE_SUFFIXES:
        audio = _read_soundfile(path, start, duration, max_duration)
    if audio is None:  # not a soundfile format, or soundfile could not decode it
        audio = _read_stream(path, start, duration, max_duration, mono)
    if mono and audio.channels > 1:
        audio = audio.to_mono()
    if sample_rate is not None and sample_rate != audio.sample_rate:
        audio = Audio(resample(audio.samples, audio.sample_rate, sample_rate), sample_rate)
    return audio


def _check_window(start: float, duration: float | None) -> None:
    if not math.isfinite(start) or start < 0:
        raise InputError(f"start must be >= 0 seconds, got {start}")
    if duration is not None and (not math.isfinite(duration) or duration <= 0):
        raise InputError(f"duration must be > 0 seconds, got {duration}")


def _window_seconds(path: Path, total: float, start: float, duration: float | None,
                    max_duration: float | None) -> float:  # fmt: skip
    """Seconds to read from ``start``; checks the start and the size limit before any decoding."""
    if total <= 0:
        raise MediaError(f"{path} contains no audio samples")
    if start >= total:
        raise MediaError(f"start {start:g} s is past the end of {path} ({total:.3f} s long)")
    seconds = total - start if duration is None else min(duration, total - start)
    if max_duration is not None and seconds > max_duration:
        raise MediaError(
            f"refusing to read {seconds:.0f} s of audio from {path} at once (max_duration={max_duration:g} s); "
            "read a shorter window with start/duration or raise max_duration"
        )
    return seconds


def _read_soundfile(path: Path, start: float, duration: float | None, max_duration: float | None) -> Audio | None:
    import soundfile as sf

    try:
        info = sf.info(str(path))
    except (sf.LibsndfileError, RuntimeError) as exc:
        log.debug("soundfile cannot open %s (%s); trying ffmpeg", path, exc)
        return None
    sr = int(info.samplerate)
    seconds = _window_seconds(path, info.frames / sr, start, duration, max_duration)
    first = int(round(start * sr))
    frames = min(int(round(seconds * sr)), info.frames - first)
    try:
        data, _ = sf.read(str(path), start=first, frames=frames, dtype="float32", always_2d=True)
    except (sf.LibsndfileError, RuntimeError) as exc:
        raise MediaError(f"cannot decode {path}: {exc}") from None
    return Audio(data.T, sr)


def _read_stream(path: Path, start: float, duration: float | None, max_duration: float | None,
                 mono: bool) -> Audio:  # fmt: skip
    """Any other format, or a video's audio track, through PyAV, placed on the file's timeline."""
    info = probe(path, count_frames=False)
    require_audio(info)
    _window_seconds(path, info.audio_end or info.duration, start, duration, max_duration)
    stop = math.inf if duration is None else start + duration
    # header durations can be wrong: enforce max_duration on what actually comes out, too
    cap = None if max_duration is None else int((max_duration + 1.0) * (info.sample_rate or 48000))
    samples, rate = decode_audio(path, info, start=start, stop=stop, mono=mono, max_samples=cap)
    if samples.shape[1] == 0:
        raise MediaError(f"{path} contains no audio samples")
    return Audio(samples, rate)


def require_samples(path: str | Path, samples: np.ndarray) -> np.ndarray:
    """``samples`` unchanged, or a MediaError naming ``path`` when they are empty or hold NaN/inf
    (evaluators reject such items with this reason instead of averaging NaN)."""
    if samples.size == 0:
        raise MediaError(f"{path}: the audio is empty (0 samples)")
    bad = int(samples.size - np.count_nonzero(np.isfinite(samples)))
    if bad:
        raise MediaError(f"{path}: the audio has {bad} non-finite samples (NaN or inf)")
    return samples


def pcm_f32le(audio: Audio) -> bytes:
    """Interleaved little-endian float32 bytes, as ffmpeg's ``-f f32le`` reads them."""
    return np.ascontiguousarray(audio.samples.T, dtype="<f4").tobytes()


def wav_f32(audio: Audio) -> bytes:
    """A float32 WAV file in memory. Unlike raw PCM it carries timestamps from 0, so ffmpeg's
    ``-itsoffset`` can place it on an output's timeline."""
    import io

    import soundfile as sf

    buffer = io.BytesIO()
    sf.write(buffer, audio.samples.T, audio.sample_rate, format="WAV", subtype="FLOAT")
    return buffer.getvalue()


def check_audio_suffix(path: str | Path) -> str:
    """The lower-case suffix of an audio output, or a MediaError naming the formats genav writes."""
    suffix = Path(path).suffix.lower()
    if suffix not in AUDIO_OUTPUT_SUFFIXES:
        known = ", ".join(sorted(AUDIO_OUTPUT_SUFFIXES))
        raise MediaError(f"cannot write audio to {path}: unknown format {suffix or '(none)'!r} (known: {known})")
    return suffix


def write_audio(path: str | Path, audio: Audio, *, overwrite: bool = False, subtype: str | None = None) -> Path:
    """Write ``audio`` atomically; the format follows the suffix.

    wav/flac (16-bit PCM unless ``subtype``, e.g. "FLOAT" or "PCM_24") and ogg (Vorbis) through
    soundfile; mp3, m4a/aac (AAC) and opus through ffmpeg. Returns the path written.
    """
    path = check_output_path(path, overwrite=overwrite)
    suffix = check_audio_suffix(path)
    if audio.n_samples == 0:
        raise MediaError(f"cannot write {path}: the audio is empty")
    peak = float(np.abs(audio.samples).max())
    if peak > 1.0:
        log.warning("audio written to %s peaks at %.2f (> 1.0) and will clip in integer formats", path, peak)
    with media_output(path, overwrite=overwrite) as tmp:
        if suffix in _SOUNDFILE_FORMATS:
            import soundfile as sf

            fmt, default_subtype = _SOUNDFILE_FORMATS[suffix]
            sf.write(str(tmp), audio.samples.T, audio.sample_rate, format=fmt, subtype=subtype or default_subtype)
        else:
            args = ["-f", "f32le", "-ar", str(audio.sample_rate), "-ac", str(audio.channels), "-i", "pipe:0",
                    *_FFMPEG_CODECS[suffix], _ffmpeg.file_arg(tmp)]  # fmt: skip
            _ffmpeg.run(args, path, action="write", stdin=pcm_f32le(audio))
    return path
