"""Putting a sound into a video without re-encoding the picture.

The video stream is copied packet for packet (``-c:v copy``), edit list included; only the audio
is encoded (AAC, or Opus for webm). The sound covers exactly the picture's span: its sample 0
is the first shown frame and it is cut or zero-padded here, in numpy, to the picture's length
(from the frames' timestamps, see :func:`~genav.media.probe`), and the new audio stream is
placed to start with the picture (``-itsoffset``), so the result does not depend on ffmpeg's
``-shortest`` heuristics and a picture that starts late keeps its sound in sync. The clip's own
sound, when mixed in, is read over the same span of the file's timeline, so each original sound
stays where it was. A picture the output container cannot hold is dealt with before any work
(see :func:`~genav.media.containers.plan_mux`).
"""

from __future__ import annotations

import logging
import math
from pathlib import Path

import numpy as np

from genav.errors import InputError
from genav.media import _ffmpeg
from genav.media.atomic import check_output_path, media_output
from genav.media.audio import Audio, read_audio, wav_f32
from genav.media.containers import MuxPlan, plan_mux
from genav.media.probe import MediaInfo, probe, require_video

log = logging.getLogger(__name__)

_MP4_FAMILY = {".mp4", ".m4v", ".mov"}


def check_mix_original(mix_original_db: float | None) -> None:
    """Raise InputError unless ``mix_original_db`` is None or an attenuation >= 0 dB."""
    if mix_original_db is not None and not (math.isfinite(mix_original_db) and mix_original_db >= 0):
        raise InputError(f"mix_original_db is an attenuation in dB and must be >= 0, got {mix_original_db}")


def mux_audio(
    video_path: str | Path,
    audio: Audio | str | Path,
    out_path: str | Path,
    *,
    mix_original_db: float | None = None,
    overwrite: bool = False,
    reencode: bool = False,
    plan: MuxPlan | None = None,
) -> Path:
    """Write ``video_path``'s picture (copied, not re-encoded) with ``audio`` to ``out_path``.

    ``audio`` (an :class:`Audio` or a file to read) starts at the picture's first frame and is cut
    or padded with silence to the picture's span. ``mix_original_db``: keep the clip's own audio
    under the new sound, attenuated by that many dB (>= 0; 0 = same level); a clip without audio
    gets just the new sound (a warning is logged). ``reencode``: re-encode the picture (H.264, or
    VP9 for webm) instead of copying it; pictures the container cannot hold and that only an
    animation format carries (GIF) are re-encoded anyway, with a logged notice. ``plan``: the
    decision :func:`~genav.media.containers.plan_mux` made earlier for this clip and output (to
    check before generating); its notice is then not logged again. Atomic;
    ``out_path`` may equal ``video_path`` when ``overwrite`` is set. Raises MediaError (bad input,
    or a picture codec the output container cannot hold: the message names the ones that can).
    """
    video_path = _ffmpeg.check_input(video_path)
    out_path = check_output_path(out_path, overwrite=overwrite)
    check_mix_original(mix_original_db)
    info = probe(video_path)
    if plan is None:
        plan = plan_mux(info, out_path, reencode=reencode)
        if plan.notice:
            log.warning("%s", plan.notice)
    with media_output(out_path, overwrite=overwrite) as tmp:
        mux_into(info, audio, tmp, target=out_path, mix_original_db=mix_original_db, plan=plan)
    return out_path


def mux_into(info: MediaInfo, audio: Audio | str | Path, tmp: Path, *, target: Path,
             mix_original_db: float | None = None, plan: MuxPlan | None = None) -> None:  # fmt: skip
    """The work of :func:`mux_audio` for a probed clip, writing to ``tmp`` (an atomic_output temp
    file) for ``target``."""
    require_video(info)
    plan = plan or plan_mux(info, target)
    sound = audio if isinstance(audio, Audio) else read_audio(audio)
    samples = fit_samples(sound.samples, int(round(info.video_duration * sound.sample_rate)))
    if mix_original_db is not None:
        samples = _mix_original(info, samples, sound.sample_rate, mix_original_db)
    sound = Audio(samples, sound.sample_rate)
    suffix = target.suffix.lower()
    # AAC's 'fast' coder: half the time of the default 'twoloop' (the bulk of a mux), fine at 192k
    codec = (
        ["-c:a", "libopus", "-b:a", "128k"]
        if suffix == ".webm"
        else ["-c:a", "aac", "-aac_coder", "fast", "-b:a", "192k"]
    )
    # the new sound starts with the picture (a WAV on stdin: raw PCM would ignore -itsoffset)
    args = ["-i", _ffmpeg.file_arg(info.path), "-itsoffset", f"{info.video_start or 0.0:.6f}", "-f", "wav", "-i", "pipe:0",
            "-map", "0:v:0", "-map", "1:a:0", *plan.video_args(), *codec, "-map_metadata", "0",
            *(["-movflags", "+faststart"] if suffix in _MP4_FAMILY else []), _ffmpeg.file_arg(tmp)]  # fmt: skip
    _ffmpeg.run(args, target, action="write", stdin=wav_f32(sound))


def fit_samples(samples: np.ndarray, n: int) -> np.ndarray:
    """Cut or zero-pad ``(C, N)`` at the end to ``(C, n)``."""
    if samples.shape[1] >= n:
        return samples[:, :n]
    return np.pad(samples, ((0, 0), (0, n - samples.shape[1])))


def _match_channels(samples: np.ndarray, channels: int) -> np.ndarray:
    """(C, N) -> (channels, N): mono is repeated, anything else down-mixed to mono first."""
    if samples.shape[0] == channels:
        return samples
    mono = samples if samples.shape[0] == 1 else samples.mean(axis=0, keepdims=True)
    return np.repeat(mono, channels, axis=0)


def _mix_original(
    info: MediaInfo, samples: np.ndarray, sample_rate: int, attenuation_db: float
) -> np.ndarray:
    """New sound + the clip's own audio over the picture's span at -attenuation_db dB, scaled
    down only if the sum would clip."""
    if not info.has_audio or info.audio_duration <= 0:
        log.warning("%s has no audio track to mix under the new sound; using the new sound alone", info.path)
        return samples
    n = samples.shape[1]
    start = info.video_start or 0.0
    if (info.audio_end or 0.0) <= start or (info.audio_start or 0.0) >= start + n / sample_rate:
        log.warning("%s: its audio lies outside the picture's span; using the new sound alone", info.path)
        return samples
    original = read_audio(
        info.path, sample_rate=sample_rate, start=start, duration=max(n / sample_rate, 1e-3)
    )
    original = _match_channels(fit_samples(original.samples, n), samples.shape[0])
    mixed = samples + original * np.float32(10.0 ** (-attenuation_db / 20.0))
    peak = float(np.abs(mixed).max(initial=0.0))
    if peak > 1.0:
        log.info("scaling the mix down by %.2f dB to avoid clipping", 20 * math.log10(peak))
        mixed /= peak
    return mixed
