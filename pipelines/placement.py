"""Placing one hit of a sound at each onset of a timing track (sound design by placement).

A Foley artist records one sound and lays a copy of it on every visible action. Here the actions
are the onsets of a timing track (a video-to-audio model's sound for the clip) and the sound is a
text-to-audio model's one-shot: :func:`one_hit` cuts a single hit out of it and :func:`place_hits`
lays a copy at every onset, each as loud as the timing track is there, each ending where the next
begins. Onsets are librosa's default onset detection at 22,050 Hz (:mod:`genav.eval.detectors.onsets`).
"""

from __future__ import annotations

import numpy as np

from genav.media.audio import resample, sounding_part

DETECT_RATE = 22050  # the rate the onset detector's defaults were made for
PRE_ROLL = 0.01  # s kept before a hit's onset, so its attack is not cut
MIN_HIT = 0.35  # s: a hit runs to the sound's next onset, but at least this long
HIT_FADE = 0.03  # s faded out at the end of a hit
JOIN_FADE = 0.01  # s faded out where a copy meets the next one
LEVEL_WINDOW = (-0.02, 0.1)  # s around an onset whose RMS sets that copy's level
LEAD_IN = 0.1  # s of silence the onset detector needs before a sound's first sample
MIN_GAP = 0.1  # s: onsets closer than this to the one before are one event (no stutter)


def onset_times(wave: np.ndarray, sample_rate: int) -> np.ndarray:
    """(K,) onset times in seconds of a mono ``wave`` (N,) at ``sample_rate`` Hz (see the module doc)."""
    from genav.eval.detectors.onsets import detect_audio_peaks

    return detect_audio_peaks(resample(np.asarray(wave, dtype=np.float32), sample_rate, DETECT_RATE), DETECT_RATE)


def one_per_event(onsets: np.ndarray, min_gap: float = MIN_GAP) -> np.ndarray:
    """``onsets`` (ascending seconds) less each one within ``min_gap`` of the last one kept."""
    kept: list[float] = []
    for t in onsets:
        if not kept or t - kept[-1] >= min_gap:
            kept.append(float(t))
    return np.asarray(kept, dtype=np.float64)


def _fade_out(x: np.ndarray, n: int) -> np.ndarray:
    n = min(n, len(x))
    if n > 0:
        x[len(x) - n :] *= np.linspace(1.0, 0.0, n, dtype=x.dtype)
    return x


def one_hit(sound: np.ndarray, sample_rate: int) -> tuple[np.ndarray, int]:
    """One hit of a mono ``sound`` (N,): ``(hit, lead)``, ``lead`` the samples in ``hit`` before
    its onset.

    The hit starts :data:`PRE_ROLL` before the sound's first onset (within its sounding part,
    :func:`~genav.media.audio.sounding_part`) and ends just before the second onset but runs at
    least :data:`MIN_HIT` (the whole sounding part when there is one onset or none), with a
    :data:`HIT_FADE` fade-out. A silent sound gives an empty hit.
    """
    part = sounding_part(np.asarray(sound, dtype=np.float32), sample_rate)
    if not np.any(part):
        return np.zeros(0, np.float32), 0
    lead_in = int(LEAD_IN * sample_rate)  # silence before the part, so an onset at its first sample is found
    found = onset_times(np.pad(part, (lead_in, 0)), sample_rate)
    onsets = np.maximum((found * sample_rate).astype(int) - lead_in, 0)  # frame rounding may put one before 0
    if len(onsets) == 0:
        return _fade_out(part.copy(), int(HIT_FADE * sample_rate)), 0
    pre = int(PRE_ROLL * sample_rate)
    first = max(0, onsets[0] - pre)
    last = len(part) if len(onsets) < 2 else max(onsets[1] - pre, first + int(MIN_HIT * sample_rate))
    hit = part[first:last].copy()
    return _fade_out(hit, int(HIT_FADE * sample_rate)), int(onsets[0] - first)


def onset_levels(timing: np.ndarray, sample_rate: int, onsets: np.ndarray) -> np.ndarray:
    """(K,) RMS of mono ``timing`` (N,) in :data:`LEVEL_WINDOW` around each onset (seconds)."""
    lo, hi = LEVEL_WINDOW
    out = []
    for t in onsets:
        a, b = max(0, int((t + lo) * sample_rate)), max(0, int((t + hi) * sample_rate))
        seg = timing[a:b]
        out.append(float(np.sqrt(np.mean(np.square(seg)))) if len(seg) else 0.0)
    return np.asarray(out, dtype=np.float64)


def place_hits(hit: np.ndarray, lead: int, onsets: np.ndarray, levels: np.ndarray, n_samples: int,
               sample_rate: int) -> np.ndarray:  # fmt: skip
    """(n_samples,) float32: a copy of ``hit`` with its onset (``lead`` samples in) at each of
    ``onsets`` (seconds), scaled by ``levels``, each cut with a :data:`JOIN_FADE` fade where the
    next copy starts (copies do not pile up)."""
    out = np.zeros(n_samples, np.float32)
    starts = [int(round(t * sample_rate)) - lead for t in onsets]
    for k, (start, level) in enumerate(zip(starts, levels, strict=True)):
        stop = min(n_samples, starts[k + 1] if k + 1 < len(starts) else n_samples, start + len(hit))
        skip = max(0, -start)
        if stop - max(start, 0) <= 0:
            continue
        piece = hit[skip : skip + stop - max(start, 0)] * np.float32(level)
        if stop < start + len(hit):  # cut short by the next copy or the end
            piece = _fade_out(piece, int(JOIN_FADE * sample_rate))
        out[max(start, 0) : stop] += piece
    return out


def placed_sound(timing: np.ndarray, sound: np.ndarray, sample_rate: int) -> tuple[np.ndarray, np.ndarray]:
    """``sound``'s hit placed at the onsets of ``timing`` (both mono (N,) at ``sample_rate``):
    ``(wave (len(timing),), onsets (K,) seconds, one per event: :func:`one_per_event`)``; the wave's peak is the timing track's (silence
    when the timing track has no onset or the sound is silent)."""
    onsets = one_per_event(onset_times(timing, sample_rate))
    hit, lead = one_hit(sound, sample_rate)
    wave = place_hits(hit, lead, onsets, onset_levels(timing, sample_rate, onsets), len(timing), sample_rate)
    peak = float(np.abs(wave).max()) if len(wave) else 0.0
    if peak > 0:
        wave *= np.float32(float(np.abs(timing).max()) / peak)
    return wave, onsets
