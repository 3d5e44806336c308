"""Audio side of AV-Align: loading at 22050 Hz mono and librosa onset detection with all defaults.

The reference (TempoTokens ``av_align.py``) loads audio with ``librosa.load(path, sr=22050)`` and
runs ``librosa.onset.onset_detect`` with all defaults (n_fft 2048, hop 512, 128 mels, normalised
envelope, peak_pick pre_max 1, post_max 1, pre_avg 4, post_avg 5, wait 1, delta 0.07 at 22050 Hz).
Onset time = frame * 512 / 22050 s.

Both are computed without importing librosa (:mod:`genav.eval.detectors.onset_strength`, bitwise equal).

Long signals: librosa's STFT of a 10-minute track alone needs ~210 MB (complex64), so beyond
:data:`CHUNK_SAMPLES` the mel power spectrogram is computed in blocks of frames with the same
framing (zero padding of n_fft/2 at both ends, as ``center=True`` does) and concatenated; the
log scaling (``power_to_db`` with its global ``top_db``) then runs on the whole mel matrix
(128 x frames, ~13 MB for 10 minutes). The result is bitwise identical to librosa's on the same
machine (tested), at a flat memory cost.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import numpy as np

logger = logging.getLogger(__name__)

__all__ = [
    "SAMPLE_RATE",
    "HOP_LENGTH",
    "N_FFT",
    "CHUNK_SAMPLES",
    "load_audio",
    "onset_envelope",
    "onset_frames",
    "detect_audio_peaks",
]

SAMPLE_RATE = 22050
HOP_LENGTH = 512
N_FFT = 2048
CHUNK_SAMPLES = 1 << 22  # ~190 s at 22050 Hz; above it the mel spectrogram is built in blocks
_BLOCK_FRAMES = 2048  # frames per block in the blocked path (~8 MB of complex STFT)
_SOUNDFILE_SUFFIXES = {".wav", ".flac", ".ogg", ".oga"}


def load_audio(path: str | Path, *, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """Load ``path`` as mono float32 at ``sample_rate``, exactly as ``librosa.load(path, sr=...)``.

    wav/flac/ogg files are read with soundfile as float32 in blocks and down-mixed block by block
    with librosa's channel mean (``librosa.load`` reads them the same way, all at once; librosa
    itself is never imported: ~3.5 s of CPU per process). Anything else (a video's own audio
    track, mp3, ...) is decoded by :func:`genav.media.read_audio`, down-mixed frame by frame, *on the file's timeline*: sample 0
    is the file's start, so a track that starts after the picture begins with silence and its
    onsets keep their times. Then one soxr HQ resampling (:func:`genav.media.resample`, librosa's
    soxr_hq). Memory: one mono copy at the native rate. Returns (N,) float32.

    Raises MediaError for unreadable files and for empty audio or audio with non-finite samples
    (NaN/inf), naming the reason.
    """
    from genav.errors import MediaError
    from genav.media import read_audio, require_samples, resample

    path = Path(path)
    if not path.is_file():
        raise MediaError(f"audio file not found: {path}")
    if path.suffix.lower() in _SOUNDFILE_SUFFIXES:
        import soundfile as sf

        try:
            info = sf.info(str(path))
        except Exception as exc:  # libsndfile error types vary; one line for the user
            raise MediaError(f"cannot read audio {path}: {exc}") from None
        native_sr, mono = info.samplerate, _mono(_soundfile_blocks(path), info.frames)
    else:
        sound = read_audio(path, mono=True, max_duration=None)
        native_sr, mono = sound.sample_rate, sound.samples[0]
    require_samples(path, mono)
    return np.asarray(resample(mono, native_sr, sample_rate), dtype=np.float32)


def _mono(blocks: Iterator[np.ndarray], expected: int) -> np.ndarray:
    """Channel mean of (n, C) float32 blocks, concatenated into a preallocated (N,) buffer."""
    out = np.empty(max(expected, 1), dtype=np.float32)
    filled = 0
    for block in blocks:
        mono = block.T.mean(axis=0)  # (C, n) mean over channels, as librosa.to_mono
        if filled + len(mono) > len(out):  # the header under-stated the length
            out = np.resize(out, max(2 * len(out), filled + len(mono)))
        out[filled : filled + len(mono)] = mono
        filled += len(mono)
    return out[:filled]


def _soundfile_blocks(path: Path) -> Iterator[np.ndarray]:
    import soundfile as sf

    yield from sf.blocks(str(path), blocksize=1 << 18, dtype="float32", always_2d=True)


def onset_envelope(
    wave: np.ndarray, sr: int = SAMPLE_RATE, *, chunk_samples: int = CHUNK_SAMPLES
) -> np.ndarray:
    """librosa's default onset strength envelope of a mono wave (N,) -> (T,), T = 1 + N // 512
    (:func:`genav.eval.detectors.onset_strength.onset_strength`, bitwise librosa's without importing it).

    Signals longer than ``chunk_samples`` take the blocked (bitwise identical) path.
    """
    from genav.eval.detectors.onset_strength import onset_strength

    return onset_strength(wave, sr, chunk_samples=chunk_samples, block_frames=_BLOCK_FRAMES)


def onset_frames(envelope: np.ndarray, sr: int = SAMPLE_RATE) -> np.ndarray:
    """librosa's default ``onset_detect`` on an envelope (T,) -> ascending frame indices (K,)."""
    from genav.eval.detectors.onset_strength import pick_onsets

    return pick_onsets(np.asarray(envelope), sr, HOP_LENGTH)


def detect_audio_peaks(wave: np.ndarray, sr: int = SAMPLE_RATE) -> np.ndarray:
    """Onset times in seconds, ascending: librosa's default onset detection, time = frame * 512 / sr.

    The reference feeds 22050 Hz mono; librosa's peak-picking windows scale with ``sr``, so other
    rates give other (librosa-default) results. Silence gives no onsets.

    Args:
        wave: (N,) mono float samples in [-1, 1].
        sr: the wave's sample rate in Hz.

    Returns:
        (K,) float64 onset times in seconds.

    Raises:
        Nothing of its own for a 1-D wave (an empty wave gives no onsets).

    Source: librosa ``onset.onset_strength`` + ``onset.onset_detect`` defaults (spectral flux of a
    log-power mel spectrogram, then peak picking), as AV-Align (Yariv et al., 2024) uses them.
    """
    frames = onset_frames(onset_envelope(wave, sr), sr)
    return frames * HOP_LENGTH / float(sr)
