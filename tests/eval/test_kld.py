"""KL divergence reference values and the KLD variants' audio preparation."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from genav.errors import InputError
from genav.eval.metrics.kld import kl_divergence, kl_per_pair
from genav.eval.runners.audio_prep import Preparation, prepare_audio, segment, sinc_resample
from genav.eval.runners.kld_variants import KLD_VARIANTS, get_variant
from tests.eval._threads import one_torch_thread  # noqa: F401 (autouse fixture)


def _onehot_logits(n: int, cls: int, classes: int = 527) -> np.ndarray:
    x = np.full((n, classes), -40.0, dtype=np.float32)
    x[:, cls] = 40.0
    return x


def test_reference_values_without_and_with_eps():
    ref, gen = _onehot_logits(4, 0), _onehot_logits(4, 1)
    assert kl_divergence(ref, gen) == pytest.approx(80.0, abs=1e-5)
    assert kl_divergence(ref, gen, eps=1e-6) == pytest.approx(13.8155108, abs=1e-6)


def test_identical_logits():
    logits = np.random.default_rng(0).normal(0, 3, (8, 527)).astype(np.float32)
    assert kl_divergence(logits, logits) == 0.0
    with_eps = kl_divergence(logits, logits, eps=1e-6)
    assert -1e-2 < with_eps < 0.0


def test_direction_matters():
    rng = np.random.default_rng(1)
    a = rng.normal(0, 2, (5, 10)).astype(np.float32)
    b = (rng.normal(0, 2, (5, 10)) * np.linspace(0.1, 3, 10)).astype(np.float32)
    assert abs(kl_divergence(a, b) - kl_divergence(b, a)) > 1e-3


def test_per_pair_mean_equals_dataset_value():
    rng = np.random.default_rng(2)
    a, b = rng.normal(size=(6, 7)), rng.normal(size=(6, 7))
    assert np.mean(kl_per_pair(a, b)) == pytest.approx(kl_divergence(a, b), rel=1e-5)


def test_shape_mismatch_is_an_error():
    with pytest.raises(InputError):
        kl_divergence(np.zeros((2, 3)), np.zeros((3, 3)))


def test_all_variants_named():
    assert set(KLD_VARIANTS) == {"panns16k-softmax", "passt-softmax", "panns-softmax-eps", "passt-softmax-eps-seg10"}
    with pytest.raises(InputError, match="unknown KLD variant"):
        get_variant("kl")


def _stereo(seconds: float, rate: int, dc=(0.0, 0.0)) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    left = 0.5 * np.sin(2 * np.pi * 440 * t) + dc[0]
    right = 0.25 * np.sin(2 * np.pi * 660 * t) + dc[1]
    return np.stack([left, right]).astype(np.float32)


def test_panns16k_prep_channel_mean_dc_resample_truncate():
    prep = get_variant("panns16k-softmax").prep
    wave = _stereo(9.0, 32000, dc=(0.3, 0.1))
    (out,) = prepare_audio(wave, 32000, prep, 16000)
    assert len(out) == 8 * 16000  # truncated to the 8 s clip length
    assert abs(out.mean()) < 1e-3  # DC removed
    (short,) = prepare_audio(_stereo(3.0, 32000), 32000, prep, 16000)
    assert len(short) == 3 * 16000  # no padding
    expected = sinc_resample(torch.from_numpy(wave.mean(axis=0) - wave.mean(axis=0).mean()), 32000, 16000).numpy()
    np.testing.assert_allclose(out, expected[: 8 * 16000], atol=1e-6)


def test_passt_prep_pads_or_cuts_to_exactly_10s():
    prep = get_variant("passt-softmax").prep
    (short,) = prepare_audio(_stereo(4.0, 32000), 32000, prep, 32000)
    (long,) = prepare_audio(_stereo(12.0, 32000), 32000, prep, 32000)
    assert len(short) == len(long) == 320000
    assert np.all(short[4 * 32000 :] == 0.0)


def test_audioldm_prep_first_channel_and_min_two_seconds():
    prep = get_variant("panns-softmax-eps").prep
    wave = _stereo(1.0, 16000, dc=(0.2, -0.7))
    (out,) = prepare_audio(wave, 16000, prep, 16000)
    assert len(out) == 32000
    np.testing.assert_allclose(out[:16000], wave[0] - wave[0].mean(), atol=1e-6)  # first channel only
    assert np.all(out[16000:] == 0.0)
    (long,) = prepare_audio(_stereo(3.0, 16000), 16000, prep, 16000)
    assert len(long) == 48000  # >= 2 s is kept as is


def test_audiocraft_prep_segments_and_drops_short_tail():
    prep = get_variant("passt-softmax-eps-seg10").prep
    assert prep.channels == "mean"
    segs = prepare_audio(_stereo(25.0, 32000), 32000, prep, 32000)
    assert [len(s) for s in segs] == [320000, 320000, 160000]
    segs = prepare_audio(_stereo(20.1, 32000), 32000, prep, 32000)  # 0.1 s tail <= 0.15 s: dropped
    assert [len(s) for s in segs] == [320000, 320000]
    assert segment(np.zeros(4801), 3000, 4800) == []  # only pieces longer than the minimum stay
    np.testing.assert_allclose(segs[0], _stereo(20.1, 32000).mean(axis=0)[:320000], atol=1e-7)


@pytest.mark.parametrize(("orig", "new"), [(44100, 16000), (48000, 32000), (16000, 32000), (22050, 16000)])
def test_sinc_resampler_keeps_a_sine_frequency(orig, new):
    t = np.arange(orig) / orig
    x = torch.from_numpy(np.sin(2 * np.pi * 1000.0 * t).astype(np.float32))
    y = sinc_resample(x, orig, new).numpy()
    assert len(y) == int(np.ceil(len(x) * new / orig))
    spectrum = np.abs(np.fft.rfft(y * np.hanning(len(y))))
    assert np.argmax(spectrum) * new / len(y) == pytest.approx(1000.0, abs=1.5)
    mid = y[len(y) // 4 : 3 * len(y) // 4]
    assert np.sqrt(np.mean(mid**2)) == pytest.approx(np.sqrt(0.5), rel=2e-3)  # passband gain ~1


def test_sinc_resampler_output_length_follows_torchaudio_float32_ceil():
    assert sinc_resample(torch.zeros(180697), 44100, 16000).shape[-1] == 65559
    assert sinc_resample(torch.zeros(180698), 44100, 16000).shape[-1] == 65560


def test_sinc_resampler_removes_content_above_the_new_nyquist():
    orig, new = 48000, 16000
    t = np.arange(orig) / orig
    x = torch.from_numpy(np.sin(2 * np.pi * 12000.0 * t).astype(np.float32))  # above 8 kHz
    y = sinc_resample(x, orig, new).numpy()
    assert np.sqrt(np.mean(y[2000:-2000] ** 2)) < 1e-2


def test_sinc_resampler_batches_and_identity():
    x = torch.randn(2, 3, 1000)
    assert sinc_resample(x, 16000, 16000) is x
    y = sinc_resample(x, 16000, 8000)
    assert y.shape == (2, 3, 500)
    torch.testing.assert_close(y[1, 2], sinc_resample(x[1, 2], 16000, 8000))


def test_preparation_is_recorded():
    d = Preparation(channels="first", remove_dc=True, min_seconds=2.0).to_dict()
    assert d["channels"] == "first" and d["min_seconds"] == 2.0
