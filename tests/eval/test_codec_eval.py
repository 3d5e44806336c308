"""Codec round-trip scores: spectral convergence and log-spectral distance behave as defined."""

from __future__ import annotations

import numpy as np
import pytest

from genav.eval.metrics.spectral import spectral_scores
from genav.eval.plots.spectrograms import spectrogram_sheet
from genav.eval.runners.codec_eval import evaluate_codec
from tests.eval._threads import one_torch_thread  # noqa: F401 (autouse fixture)


def _tone(f: float, n: int = 16000) -> np.ndarray:
    return (0.5 * np.sin(2 * np.pi * f * np.arange(n) / 16000)).astype(np.float32)


def test_identical_audio_scores_zero_and_other_audio_does_not():
    x = _tone(440.0)
    same = spectral_scores(x, x)
    assert same["spectral_convergence"] == 0.0 and same["log_spectral_distance_db"] == 0.0
    other = spectral_scores(x, _tone(880.0))
    assert other["spectral_convergence"] > 1.0 and other["log_spectral_distance_db"] > 10
    half = spectral_scores(x, 0.5 * x)
    assert half["spectral_convergence"] == pytest.approx(0.5, abs=1e-4)
    assert half["log_spectral_distance_db"] < 6.1


def test_the_mel_codec_round_trip_is_scored_and_plotted(tmp_path):
    from genav.codecs import MelCodec, MelCodecConfig

    codec = MelCodec(MelCodecConfig(griffin_lim_iters=8, nnls_iters=8))
    res = evaluate_codec(codec, [_tone(300.0, 8000), _tone(1200.0, 6000)])
    assert res["n"] == 2 and 0.0 < res["spectral_convergence"] < 1.0
    assert res["peak_ratio_max"] < 2.0 and res["decode_seconds_per_second"] > 0
    png = spectrogram_sheet(tmp_path / "s.png", {"a": _tone(300.0), "b": _tone(600.0)}, 16000)
    assert png.stat().st_size > 1000
