"""AV-Align of one clip (Yariv et al. 2023): audio onsets and optical-flow peaks, matched.

``score = I / (A + V - I)`` with A audio peaks, V video peaks and I matched pairs (an
intersection-over-union of events; the matching and the score are :mod:`genav.eval.metrics.av_align`).
Two protocols:

``reference`` -- identical to TempoTokens' ``av_align.py`` (Feb 2025): OpenCV (>= 4.13) decoding
at native resolution, Farneback constants, video peaks ``F[i-1] < F[i] > F[i+1]`` with
``F[i] >= 0.1`` px, librosa default onsets at 22050 Hz, each audio peak (ascending) taking the
first unused video peak with ``v - 1/fps < a < v + 1/fps``. The only change: A = V = 0 gives an
undefined score (``None``) instead of ZeroDivisionError.

``genav`` -- the same measurements with the reference's defects repaired:

1. *fps-independent window*: ``|a - v| < max(40 ms, 1/fps)``. The reference's window is one frame,
   so the same sync scores differently at 25, 30 or 60 fps (+-16.7 ms at 60 fps is finer than the
   onset detector's own 23 ms hop). 40 ms is the reference window at 25 fps, so common 25 fps
   clips keep their reference values; below 25 fps a peak's time is only known to one frame, so
   the window never gets narrower than a frame.
2. *resolution-independent flow and threshold*: frames whose diagonal exceeds a 256x256 frame's
   (362.04 px) are shrunk to that diagonal (grey, pixel-area averaging, aspect kept) before the
   flow, and the trajectory is expressed at 256x256-equivalent scale (``F * 362.04 / diagonal``
   of the analysed frames) before the 0.1 px threshold. Mean flow in pixels grows linearly with
   resolution, so the reference's absolute 0.1 px admits ever smaller motions as frames grow, and
   Farneback's fixed 15 px window sees finer texture at higher resolution; at one scale the same
   motion gives the same peaks (tested: 256 vs 512 px), and a 640x360 clip costs ~4x less.
   Clips up to 256x256-equivalent are analysed at native size, as before this repair; on larger
   clips the flow used to be native too, and scores moved (5 of 10 synthetic 640x360 clips;
   their mean 0.622 -> 0.655).
3. *no noise peaks on flat trajectories*: a peak must also stand out from its surroundings, with
   prominence >= max(0.05, 0.1 x its height) (same units). Steady motion has a flat trajectory
   whose float jitter otherwise yields dozens of spurious strict local maxima.
4. *optimal one-to-one matching*: a maximum matching of minimum total |a - v|
   (``scipy.optimize.linear_sum_assignment``). For sorted peaks and a symmetric window the
   reference's greedy already reaches the maximum count (tested), so scores agree; the repair is
   that each match pairs the nearest partners, which the plots and per-pair offsets show.
5. A = V = 0 is undefined (both protocols): reported, counted and left out of the mean.

Times: audio onsets are on the file's timeline (a video's own track is read with its start
offset, see :func:`~genav.eval.detectors.onsets.load_audio`), and video peaks are at their frames'
presentation times (:mod:`genav.eval.detectors.optical_flow`), so a variable frame rate, a trimmed
clip or a track that starts late is measured where it is. Protocol ``reference`` keeps the published ``i / fps``
only where it is well defined (a constant frame rate, picture starting the file) and says so in
the clip's ``note`` otherwise; see :func:`video_peak_timing`.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from genav.errors import InputError
from genav.eval.detectors.onsets import HOP_LENGTH, SAMPLE_RATE, load_audio, onset_envelope, onset_frames
from genav.eval.detectors.optical_flow import (
    FlowTrajectory,
    detect_video_peaks,
    flow_trajectory,
    require_opencv,
)
from genav.eval.metrics.av_align import iou_score, match_greedy, match_optimal

logger = logging.getLogger(__name__)

__all__ = [
    "PROTOCOLS",
    "GENAV_WINDOW_S",
    "AVAlignResult",
    "av_align",
    "score_clip",
    "check_protocol",
    "protocol_settings",
    "detect_video_peaks_genav",
]

PROTOCOLS = ("reference", "genav")
GENAV_WINDOW_S = 0.040
GENAV_REF_DIAGONAL = math.hypot(256, 256)
GENAV_THRESHOLD = 0.1
GENAV_MIN_PROMINENCE = 0.05
GENAV_REL_PROMINENCE = 0.1
TIMING_INDEX = "frame index / fps"
TIMING_STAMPS = "timestamps"


def detect_video_peaks_genav(trajectory: np.ndarray, width: int, height: int) -> np.ndarray:
    """genav protocol video peaks on a (T,) trajectory of a width x height clip -> frame indices (K,).

    The trajectory is rescaled to a 256x256-equivalent frame; a peak needs height >= 0.1 and
    prominence >= max(0.05, 0.1 x height). First and last frame are never peaks.
    """
    from genav.eval.metrics.peaks import find_peaks  # scipy.signal.find_peaks's rule, without its import cost

    scaled = np.asarray(trajectory, dtype=np.float64) * (GENAV_REF_DIAGONAL / math.hypot(width, height))
    peaks, prominences = find_peaks(scaled, height=GENAV_THRESHOLD, prominence=GENAV_MIN_PROMINENCE)
    keep = prominences >= GENAV_REL_PROMINENCE * scaled[peaks]
    return peaks[keep].astype(np.int64)


@dataclass
class AVAlignResult:
    """AV-Align of one clip.

    score: I / (A + V - I), ``None`` when undefined (A = V = 0) or failed (``error`` set).
    audio_peaks / video_peaks: peak times in seconds, ascending. matches: (audio_idx, video_idx).
    window_s: matching half-window (the widest, when it varies per peak). timing: how video
    peaks were placed in time ("frame index / fps" or "timestamps"); vfr: variable frame rate;
    note: why the reference's own timing did not apply, if so. trajectory: (frames,) flow values
    and onset_envelope: (1 + samples // 512,) envelope at 22050 Hz, kept only when asked (plots).
    """

    name: str
    score: float | None = None
    audio_peaks: list[float] = field(default_factory=list)
    video_peaks: list[float] = field(default_factory=list)
    matches: list[tuple[int, int]] = field(default_factory=list)
    fps: float | None = None
    frames: int | None = None
    window_s: float | None = None
    protocol: str = "reference"
    timing: str = TIMING_INDEX
    vfr: bool = False
    note: str | None = None
    error: str | None = None
    video: str | None = None
    audio: str | None = None
    trajectory: np.ndarray | None = field(default=None, repr=False)
    onset_envelope: np.ndarray | None = field(default=None, repr=False)

    @property
    def n_audio_peaks(self) -> int:
        return len(self.audio_peaks)

    @property
    def n_video_peaks(self) -> int:
        return len(self.video_peaks)

    @property
    def n_matched(self) -> int:
        return len(self.matches)

    def row(self) -> dict[str, Any]:
        """The report row (JSON-ready; curves left out)."""
        failed = self.error is not None
        return {
            "name": self.name,
            "score": self.score,
            "n_audio_peaks": None if failed else self.n_audio_peaks,
            "n_video_peaks": None if failed else self.n_video_peaks,
            "n_matched": None if failed else self.n_matched,
            "fps": self.fps,
            "frames": self.frames,
            "vfr": self.vfr,
            "timing": self.timing,
            "note": self.note,
            "error": self.error,
            "audio_peaks": [round(t, 6) for t in self.audio_peaks],
            "video_peaks": [round(t, 6) for t in self.video_peaks],
            "video": self.video,
            "audio": self.audio,
        }


def protocol_settings(protocol: str) -> dict[str, str]:
    """What a protocol computes, in words, for reports."""
    if protocol == "reference":
        return {
            "video_peaks": "F[i-1] < F[i] > F[i+1] and F[i] >= 0.1 px (absolute)",
            "window": "v - 1/fps < a < v + 1/fps (one frame)",
            "timing": "video peak i at i / fps; variable frame rates and late pictures: frame timestamps, "
            "window one frame at the peak (noted per clip)",
            "matching": "greedy: each audio peak takes the first unused video peak",
        }
    return {
        "video_peaks": f"flow on grey frames shrunk to a 256x256 frame's diagonal when larger (INTER_AREA); "
        f"height >= {GENAV_THRESHOLD} px at 256x256-equivalent scale, prominence >= "
        f"max({GENAV_MIN_PROMINENCE}, {GENAV_REL_PROMINENCE} x height)",
        "window": f"|a - v| < max({GENAV_WINDOW_S * 1000:g} ms, 1/fps); variable frame rates: the frame "
        "interval at the peak instead of 1/fps",
        "timing": "video peaks at their frames' timestamps, audio onsets on the file's timeline",
        "matching": "maximum one-to-one matching, nearest partners (linear_sum_assignment)",
    }


def check_protocol(protocol: str) -> str:
    """Validate a protocol name (and OpenCV's version for ``reference``); returns it."""
    if protocol not in PROTOCOLS:
        raise InputError(f"unknown AV-Align protocol {protocol!r}; choose one of {', '.join(PROTOCOLS)}")
    if protocol == "reference":
        require_opencv()
    return protocol


def av_align(
    video: str | Path,
    audio: str | Path | None = None,
    *,
    protocol: str = "reference",
    name: str | None = None,
    keep_curves: bool = False,
) -> AVAlignResult:
    """AV-Align of one clip: motion peaks of the video against onsets of the audio.

    Args:
        video: a video file OpenCV decodes.
        audio: a separate audio file; None: the video's own track (read at 22050 Hz mono on the
            file's timeline).
        protocol: ``reference`` (the published script: native-resolution flow, greedy matching,
            +-1 frame) or ``genav`` (flow at a fixed diagonal, optimal matching; see the module doc).
        name: the result's name (default: the video's stem).
        keep_curves: keep the (T,) flow trajectory and the onset envelope on the result (plots).

    Returns:
        :class:`AVAlignResult`: ``score`` in [0, 1] (None when undefined: no audio onsets and no
        video peaks; not an error), the peak times in seconds, the matches and the timing used.

    Raises:
        InputError: an unknown protocol.
        BackendUnavailableError: ``reference`` with an OpenCV older than the published script's.
        MediaError: a missing or unreadable video or audio, or a video with fewer than two frames.

    Source: AV-Align, Yariv et al., "Diverse and Aligned Audio-to-Video Generation via Text-to-Video
    Model Adaptation" (AAAI 2024, TempoTokens); Farneback optical flow (Farneback, 2003) and
    librosa's default onset detection (spectral flux of a log-power mel spectrogram).
    """
    check_protocol(protocol)
    video = Path(video)
    wave = load_audio(audio if audio is not None else video, sample_rate=SAMPLE_RATE)  # cheap: fail first
    traj = flow_trajectory(video, max_diagonal=GENAV_REF_DIAGONAL if protocol == "genav" else None)
    result = score_clip(
        traj, wave, protocol=protocol, name=name if name is not None else video.stem, keep_curves=keep_curves
    )
    result.video = str(video)
    result.audio = str(audio) if audio is not None else None
    return result


def score_clip(
    traj: FlowTrajectory,
    wave: np.ndarray,
    *,
    protocol: str = "reference",
    name: str = "clip",
    keep_curves: bool = False,
) -> AVAlignResult:
    """AV-Align from a decoded clip: its flow trajectory and its (N,) mono wave at 22050 Hz whose
    sample 0 is at timeline time 0 (the file's start, as :func:`~genav.eval.detectors.onsets.load_audio`
    reads a video's own track)."""
    check_protocol(protocol)
    env = onset_envelope(wave, SAMPLE_RATE)
    audio_times = (onset_frames(env, SAMPLE_RATE) * HOP_LENGTH / float(SAMPLE_RATE)).tolist()
    if protocol == "reference":
        peak_idx = detect_video_peaks(traj.values)
        matcher = match_greedy
    else:
        peak_idx = detect_video_peaks_genav(traj.values, traj.flow_width, traj.flow_height)
        matcher = match_optimal
    video_times, window, timing, note = video_peak_timing(traj, peak_idx, protocol)
    matches = matcher(audio_times, video_times, window)
    return AVAlignResult(
        name=name,
        score=iou_score(len(audio_times), len(video_times), len(matches)),
        audio_peaks=audio_times,
        video_peaks=video_times.tolist(),
        matches=matches,
        fps=traj.fps,
        frames=traj.frames,
        window_s=float(np.max(window, initial=0.0)) if np.ndim(window) else float(window),
        protocol=protocol,
        timing=timing,
        vfr=traj.vfr,
        note=note,
        trajectory=traj.values if keep_curves else None,
        onset_envelope=env if keep_curves else None,
    )


def video_peak_timing(
    traj: FlowTrajectory, peak_idx: np.ndarray, protocol: str
) -> tuple[np.ndarray, float | np.ndarray, str, str | None]:
    """Peak times ``(K,)`` in seconds, the matching half-window (one value or ``(K,)``), the timing
    used and a note when the reference's own timing was not applicable.

    The reference places frame ``i`` at ``i / fps`` with a one-frame window ``1/fps``: well
    defined for a constant frame rate whose picture starts the file, and kept exactly there.
    Otherwise (and always for protocol ``genav``) peaks are at their frames' timestamps; the
    window is then one frame *at the peak* (the interval since the previous frame: the motion
    happened somewhere in it), and for ``genav`` never narrower than 40 ms.
    """
    idx = np.asarray(peak_idx, dtype=np.int64)
    times = traj.frame_times()
    late = abs(float(times[0])) > 1e-3 if times.size else False
    if protocol == "reference" and not traj.vfr and not late:
        return idx / traj.fps, 1.0 / traj.fps, TIMING_INDEX, None
    if traj.vfr:
        one_frame: float | np.ndarray = traj.frame_intervals()[idx]
    else:
        one_frame = 1.0 / traj.fps
    window = one_frame if protocol == "reference" else np.maximum(GENAV_WINDOW_S, one_frame)
    note = None
    if protocol == "reference":
        why = "a variable frame rate" if traj.vfr else f"a picture starting at {float(times[0]):.3f} s"
        note = (f"{why}: the reference's i / fps times are undefined here, so video peaks are at the "
                "frames' timestamps (window: one frame at each peak)")  # fmt: skip
    return times[idx], window, TIMING_STAMPS, note
