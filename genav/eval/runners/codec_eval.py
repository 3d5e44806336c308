"""How well does an audio codec give the sound back? Spectral convergence, log-spectral distance, speed.

For each clip: ``wave -> encode -> decode`` and, on the STFT magnitudes (n_fft 1024, hop 256,
Hann) of the original ``S`` and of the decoded ``Ŝ``:

* spectral convergence ``||S - Ŝ||_F / ||S||_F`` (Sturmel & Daudet 2011; lower is better);
* log-spectral distance: RMS over bins of ``20 log10((S + eps) / (Ŝ + eps))`` per frame, mean
  over frames, in dB (eps = 1e-5, i.e. -100 dB);
* the decoded peak over the original peak, and decoding seconds per second of audio.

Griffin-Lim and a trained vocoder are compared by running this on both codecs.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

_N_FFT, _HOP, _EPS = 1024, 256, 1e-5


def magnitude(wave: np.ndarray) -> np.ndarray:
    """(F, T) STFT magnitude of a mono wave (N,) (n_fft 1024, hop 256, Hann, centred)."""
    x = torch.from_numpy(np.asarray(wave, dtype=np.float32))
    spec = torch.stft(x, _N_FFT, _HOP, window=torch.hann_window(_N_FFT), return_complex=True)
    return spec.abs().numpy()


def spectral_scores(ref: np.ndarray, est: np.ndarray) -> dict[str, float]:
    """Spectral convergence and log-spectral distance (dB) of ``est`` against ``ref``, both (N,) at one rate."""
    n = min(len(ref), len(est))
    s, s_hat = magnitude(ref[:n]), magnitude(est[:n])
    sc = float(np.linalg.norm(s - s_hat) / max(np.linalg.norm(s), 1e-12))
    lsd = np.sqrt(np.mean((20 * np.log10((s + _EPS) / (s_hat + _EPS))) ** 2, axis=0))
    return {"spectral_convergence": sc, "log_spectral_distance_db": float(lsd.mean())}


@torch.no_grad()
def evaluate_codec(codec: Any, waves: Sequence[np.ndarray]) -> dict[str, Any]:
    """Round-trip scores of ``codec`` (an :class:`~genav.codecs.AudioCodec`, mono) over waves at its rate.

    Returns {"n", "spectral_convergence", "log_spectral_distance_db", "peak_ratio_max",
    "decode_seconds_per_second", "per_clip": [...]} with means over clips.
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


def spectrogram_sheet(path: str | Path, waves: dict[str, np.ndarray], sample_rate: int, title: str = "") -> Path:
    """A PNG with one log-magnitude spectrogram per named wave, stacked (for judging by eye)."""
    from genav.extras import require_extra

    matplotlib = require_extra("plots", "spectrogram sheets")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    path = Path(path)
    fig, axes = plt.subplots(len(waves), 1, figsize=(8, 2.2 * len(waves)), squeeze=False)
    for ax, (name, w) in zip(axes[:, 0], waves.items(), strict=True):
        db = 20 * np.log10(magnitude(w) + _EPS)
        ax.imshow(db, origin="lower", aspect="auto", vmin=db.max() - 80, vmax=db.max(),
                  extent=(0, len(w) / sample_rate, 0, sample_rate / 2000))  # fmt: skip
        ax.set_ylabel("kHz")
        ax.set_title(name, fontsize=9)
    axes[-1, 0].set_xlabel("s")
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=80)
    plt.close(fig)
    return path
