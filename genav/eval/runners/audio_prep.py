"""Audio preparation for the classifier metrics: channels, DC, resampling, lengths, segments.

The reference scripts differ in exactly these steps, and the differences move KLD noticeably, so
each step is explicit in a :class:`Preparation` and recorded with every result.

:func:`sinc_resample` is the windowed-sinc resampler that torchaudio uses by default
(``torchaudio.functional.resample``: Hann-squared-cosine window, 6 zero crossings, rolloff 0.99),
written here from its formula because torchaudio cannot be installed beside our torch.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np

from genav.errors import InputError, MediaError


@dataclass(frozen=True)
class Preparation:
    """How one reference script turns a file into classifier input.

    ``channels``: "mean" (average all channels) or "first" (keep channel 0).
    ``remove_dc``: subtract the clip's mean after the channel step.
    ``max_seconds``: cut longer clips (no padding). ``exact_seconds``: zero-pad or cut to exactly
    this length. ``min_seconds``: zero-pad shorter clips to at least this length.
    ``segment_seconds``: split into consecutive segments of this length (no padding) and drop
    segments of ``min_segment_seconds`` or less; each segment is one classifier item.
    """

    channels: Literal["mean", "first"] = "mean"
    remove_dc: bool = False
    max_seconds: float | None = None
    exact_seconds: float | None = None
    min_seconds: float | None = None
    segment_seconds: float | None = None
    min_segment_seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def prepare_audio(wave: np.ndarray, sample_rate: int, prep: Preparation, target_rate: int) -> list[np.ndarray]:
    """Apply ``prep`` to one clip.

    Args:
        wave: (C, T) or (T,) float samples at ``sample_rate``.
        sample_rate: rate of ``wave`` in Hz.
        prep: the preparation to apply.
        target_rate: the classifier's sample rate; resampling uses :func:`sinc_resample`.

    Returns:
        A list of (T',) float32 arrays: one item, or one per segment (possibly empty when every
        segment is too short).

    Raises:
        InputError: ``wave`` is not (C, T) or (T,) with at least one channel.
        MediaError: ``wave`` has 0 samples.

    Source: the preparations of the published suites each :class:`Preparation` names
    (av-benchmark, AudioLDM's ``audioldm_eval``, audiocraft).
    """
    x = np.asarray(wave, dtype=np.float32)
    if x.ndim == 1:
        x = x[None]
    if x.ndim != 2 or x.shape[0] == 0:
        raise InputError(f"audio must be (channels, samples), got shape {x.shape}")
    if x.shape[1] == 0:
        raise MediaError("audio is empty (0 samples)")
    mono = x[0] if prep.channels == "first" else x.mean(axis=0)
    if prep.remove_dc:
        mono = mono - mono.mean()
    mono = resample(mono, sample_rate, target_rate)
    if prep.max_seconds is not None:
        mono = mono[: _samples(prep.max_seconds, target_rate)]
    if prep.exact_seconds is not None:
        mono = _fit(mono, _samples(prep.exact_seconds, target_rate), cut=True)
    if prep.min_seconds is not None:
        mono = _fit(mono, _samples(prep.min_seconds, target_rate), cut=False)
    if prep.segment_seconds is None:
        return [mono]
    return segment(mono, _samples(prep.segment_seconds, target_rate), _samples(prep.min_segment_seconds, target_rate))


def segment(wave: np.ndarray, length: int, min_length: int) -> list[np.ndarray]:
    """Split (T,) into consecutive pieces of ``length`` (the last may be shorter), keeping pieces
    longer than ``min_length`` samples."""
    pieces = [wave[i : i + length] for i in range(0, len(wave), length)]
    return [p for p in pieces if len(p) > min_length]


def resample(wave: np.ndarray, orig_rate: int, new_rate: int) -> np.ndarray:
    """(T,) float32 -> (T',) float32 through :func:`sinc_resample`; a no-op at equal rates."""
    if orig_rate == new_rate:
        return np.ascontiguousarray(wave, dtype=np.float32)
    import torch

    out = sinc_resample(torch.from_numpy(np.ascontiguousarray(wave, dtype=np.float32)), orig_rate, new_rate)
    return out.numpy()


def sinc_resample(
    wave: Any, orig_rate: int, new_rate: int, *, lowpass_filter_width: int = 6, rolloff: float = 0.99
) -> Any:
    """Windowed-sinc resampling, numerically as torchaudio's default ``sinc_interp_hann``.

    Args:
        wave: (..., T) float torch tensor.
        orig_rate, new_rate: integer rates in Hz (reduced by their gcd into a polyphase filter).

    Returns:
        (..., ceil(float32(T * new / orig))) tensor of the same dtype. The kernel is computed in the
        waveform's dtype, as torchaudio does.

    Raises:
        InputError: a rate that is not a positive integer.

    Source: band-limited interpolation with a Hann-windowed sinc (Smith, "Digital Audio
    Resampling"), with torchaudio's ``resample`` defaults (width 6, rolloff 0.99).
    """
    import torch

    if int(orig_rate) != orig_rate or int(new_rate) != new_rate or orig_rate <= 0 or new_rate <= 0:
        raise InputError(f"resampling needs positive integer rates, got {orig_rate} -> {new_rate}")
    if orig_rate == new_rate:
        return wave
    gcd = math.gcd(int(orig_rate), int(new_rate))
    orig, new = int(orig_rate) // gcd, int(new_rate) // gcd
    kernel, width = _sinc_kernel(orig, new, lowpass_filter_width, rolloff, wave.dtype, wave.device)
    shape = wave.shape
    flat = wave.reshape(-1, shape[-1])
    length = flat.shape[-1]
    padded = torch.nn.functional.pad(flat, (width, width + orig))
    out = torch.nn.functional.conv1d(padded[:, None], kernel, stride=orig)  # (N, new, frames)
    out = out.transpose(1, 2).reshape(flat.shape[0], -1)
    # torchaudio rounds the quotient to float32 before the ceil, which keeps one sample fewer for
    # some lengths (44100 -> 16000 with 180697 samples gives 65559, not 65560)
    target = math.ceil(float(np.float32(new * length / orig)))
    return out[..., :target].reshape(*shape[:-1], -1)


def _sinc_kernel(orig: int, new: int, zeros: int, rolloff: float, dtype: Any, device: Any) -> tuple[Any, int]:
    """Polyphase kernel (new, 1, 2 * width + orig): one filter per output phase."""
    import torch

    base = min(orig, new) * rolloff  # cutoff just below the lower Nyquist rate
    width = math.ceil(zeros * orig / base)
    idx = torch.arange(-width, width + orig, dtype=dtype, device=device)[None, None] / orig
    t = torch.arange(0, -new, -1, dtype=dtype, device=device)[:, None, None] / new + idx
    t *= base
    t = t.clamp_(-zeros, zeros)
    window = torch.cos(t * math.pi / zeros / 2) ** 2
    t *= math.pi
    scale = base / orig
    kernels = torch.where(t == 0, torch.tensor(1.0).to(t), t.sin() / t)
    kernels *= window * scale
    return kernels, width


def read_audio_channels(path: str | Path) -> tuple[np.ndarray, int]:
    """Read a file (or a video's audio track) at its native rate, all channels: ((C, T) float32, rate).

    Raises MediaError for empty audio or non-finite (NaN/inf) samples: the item is then reported
    as failed with that reason, never averaged in."""
    from genav.media import read_audio, require_samples

    audio = read_audio(Path(path), mono=False)
    return require_samples(path, audio.samples), audio.sample_rate


def _samples(seconds: float, rate: int) -> int:
    return int(round(seconds * rate))


def _fit(wave: np.ndarray, length: int, *, cut: bool) -> np.ndarray:
    if len(wave) >= length:
        return wave[:length] if cut else wave
    return np.pad(wave, (0, length - len(wave)))
