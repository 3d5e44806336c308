"""Spectral distances between an original wave and its reconstruction (codec round trips).

On the STFT magnitudes (n_fft 1024, hop 256, Hann) of the original ``S`` and of the decoded ``Ŝ``:

* spectral convergence ``||S - Ŝ||_F / ||S||_F`` (lower is better);
* log-spectral distance: RMS over bins of ``20 log10((S + eps) / (Ŝ + eps))`` per frame, mean
  over frames, in dB (eps = 1e-5, i.e. -100 dB).

Source: spectral convergence as in Sturmel & Daudet, "Signal reconstruction from STFT magnitude:
a state of the art" (DAFx 2011); log-spectral distance as in Gray & Markel (1976).
"""

from __future__ import annotations

import numpy as np
import torch

__all__ = ["magnitude", "spectral_scores", "DB_FLOOR_EPS"]

_N_FFT, _HOP = 1024, 256
DB_FLOOR_EPS = 1e-5  # -100 dB: the floor of the log spectra


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
    lsd = np.sqrt(np.mean((20 * np.log10((s + DB_FLOOR_EPS) / (s_hat + DB_FLOOR_EPS))) ** 2, axis=0))
    return {"spectral_convergence": sc, "log_spectral_distance_db": float(lsd.mean())}
