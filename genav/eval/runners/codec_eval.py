"""How well does an audio codec give the sound back? Round trips scored by spectral convergence,
log-spectral distance (:mod:`genav.eval.metrics.spectral`), peak ratio and decoding speed.

For each clip: ``wave -> encode -> decode``, then the decoded peak over the original peak, and
decoding seconds per second of audio. Griffin-Lim and a trained vocoder are compared by running
this on both codecs; :func:`genav.eval.plots.spectrograms.spectrogram_sheet` draws them for the eye.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from genav.eval.metrics.spectral import spectral_scores

__all__ = ["evaluate_codec"]


@torch.no_grad()
def evaluate_codec(codec: Any, waves: Sequence[np.ndarray]) -> dict[str, Any]:
    """Round-trip scores of an audio codec over waves at its rate: ``wave -> encode -> decode``.

    Args:
        codec: an :class:`~genav.codecs.AudioCodec` (mono), e.g. a mel codec with Griffin-Lim or a
            trained vocoder.
        waves: mono (T,) float32 waves in [-1, 1] at ``codec.sample_rate`` Hz, at least one.

    Returns:
        ``{"n", "spectral_convergence", "log_spectral_distance_db" (dB), "peak_ratio_max" (decoded
        peak / original peak), "decode_seconds_per_second", "per_clip": [...]}``, means over clips.

    Raises:
        ValueError: ``waves`` is empty.

    Source: spectral convergence (Sturmel & Daudet, DAFx 2011) and log-spectral distance (Gray &
    Markel 1976), :mod:`genav.eval.metrics.spectral`.
    """
    rows = []
    decode_time, audio_time = 0.0, 0.0
    for w in waves:
        x = torch.from_numpy(np.asarray(w, dtype=np.float32))[None, None]
        z = codec.encode(x)
        start = time.perf_counter()
        y = codec.decode(z)[0, 0, : len(w)].numpy()
        decode_time += time.perf_counter() - start
        audio_time += len(w) / codec.sample_rate
        peak = float(np.abs(w).max()) or 1e-12
        rows.append({**spectral_scores(np.asarray(w), y), "peak_ratio": float(np.abs(y).max()) / peak})
    return {
        "n": len(rows),
        "spectral_convergence": float(np.mean([r["spectral_convergence"] for r in rows])),
        "log_spectral_distance_db": float(np.mean([r["log_spectral_distance_db"] for r in rows])),
        "peak_ratio_max": float(max(r["peak_ratio"] for r in rows)),
        "decode_seconds_per_second": decode_time / max(audio_time, 1e-9),
        "per_clip": rows,
    }
