"""CNN14: official checkpoint layout loads strictly and safely; the front end matches librosa."""

from __future__ import annotations

from pathlib import Path

import librosa
import numpy as np
import pytest
import torch

from genav.errors import CheckpointError
from genav.eval.classifiers.cnn14 import CNN14_16K, CNN14_32K, Cnn14, FrontEndSpec, LogMelFrontEnd, load_cnn14
from tests.eval._threads import one_torch_thread  # noqa: F401 (autouse fixture)


def _official_state(spec: FrontEndSpec) -> dict[str, torch.Tensor]:
    """A state dict with the official keys and shapes, cheaply: small tensors random, the big ones
    stride-0 views of one zero (the file stays small; the keys and shapes are what is checked)."""
    with torch.device("meta"):
        model = Cnn14(spec)
    gen = torch.Generator().manual_seed(0)
    state = {}
    for key, t in model.state_dict().items():
        if t.dtype == torch.long:
            state[key] = torch.zeros((), dtype=torch.long)
        elif t.numel() < 100_000:
            state[key] = torch.rand(t.shape, generator=gen) * 0.1 + (1.0 if key.endswith("running_var") else 0.0)
        else:
            state[key] = torch.zeros(1).expand(t.shape)
    return state


def _save(path: Path, state: dict[str, torch.Tensor]) -> Path:
    sampler = {"indexes_per_class": [np.arange(5), np.arange(3)], "queue": [1, 2], "pointers_of_classes": [0, 0]}
    torch.save({"model": state, "iteration": 660000, "sampler": sampler}, path)
    return path


@pytest.fixture(scope="module")
def state16() -> dict[str, torch.Tensor]:
    return _official_state(CNN14_16K)


def test_official_layout_has_84_keys_with_documented_shapes(state16):
    assert len(state16) == 84
    assert tuple(state16["spectrogram_extractor.stft.conv_real.weight"].shape) == (257, 1, 512)
    assert tuple(state16["spectrogram_extractor.stft.conv_imag.weight"].shape) == (257, 1, 512)
    assert tuple(state16["logmel_extractor.melW"].shape) == (257, 64)
    assert tuple(state16["fc1.weight"].shape) == (2048, 2048)
    assert tuple(state16["fc_audioset.weight"].shape) == (527, 2048)
    assert tuple(state16["conv_block6.conv2.weight"].shape) == (2048, 2048, 3, 3)
    assert {k.split(".")[0] for k in state16} == {
        "spectrogram_extractor", "logmel_extractor", "bn0", "fc1", "fc_audioset", *[f"conv_block{i}" for i in range(1, 7)]
    }  # fmt: skip


@pytest.mark.parametrize("spec", [CNN14_16K, CNN14_32K], ids=["16k", "32k"])
def test_official_layout_loads_strictly(tmp_path, spec):
    state = _official_state(spec)
    model = load_cnn14(_save(tmp_path / "cnn14.pth", state))
    assert model.sample_rate == spec.sample_rate
    assert model.spec == spec  # detected from the STFT weight shape
    torch.testing.assert_close(model.bn0.weight, state["bn0.weight"])
    torch.testing.assert_close(model.logmel_extractor.melW, state["logmel_extractor.melW"])
    assert tuple(model.conv_block6.conv2.weight.shape) == (2048, 2048, 3, 3)
    assert not any(p.requires_grad for p in model.parameters())


@pytest.mark.slow
@pytest.mark.parametrize("spec", [CNN14_16K, CNN14_32K], ids=["16k", "32k"])
def test_randomly_initialised_cnn14_round_trips(tmp_path, spec):
    torch.manual_seed(0)
    original = Cnn14(spec).eval()
    path = tmp_path / "cnn14.pth"
    torch.save({"model": original.state_dict(), "iteration": 0, "sampler": {"queue": np.arange(4)}}, path)
    loaded = load_cnn14(path)
    wave = torch.randn(2, spec.sample_rate)
    with torch.no_grad():
        expected, loaded_out = original(wave), loaded(wave)
    torch.testing.assert_close(loaded_out[0], expected[0])
    torch.testing.assert_close(loaded_out[1], expected[1])
    assert loaded_out[0].shape == (2, 527) and loaded_out[1].shape == (2, 2048)


def test_renamed_key_is_named(tmp_path, state16):
    bad = dict(state16)
    bad["fc_audioset.weights"] = bad.pop("fc_audioset.weight")
    with pytest.raises(CheckpointError) as info:
        load_cnn14(_save(tmp_path / "bad.pth", bad))
    assert "fc_audioset.weight" in str(info.value) and "fc_audioset.weights" in str(info.value)


def test_missing_key_is_named(tmp_path, state16):
    bad = {k: v for k, v in state16.items() if k != "conv_block3.bn1.running_mean"}
    with pytest.raises(CheckpointError, match="conv_block3.bn1.running_mean"):
        load_cnn14(_save(tmp_path / "bad.pth", bad))


def test_shape_mismatch_is_named(tmp_path, state16):
    bad = dict(state16)
    bad["fc_audioset.bias"] = torch.zeros(526)
    with pytest.raises(CheckpointError, match="fc_audioset.bias"):
        load_cnn14(_save(tmp_path / "bad.pth", bad))


class _Payload:
    def __reduce__(self):
        return (print, ("unpickled!",))


def test_arbitrary_pickles_are_refused(tmp_path, state16):
    path = tmp_path / "evil.pth"
    torch.save({"model": {"bn0.weight": torch.zeros(64)}, "iteration": 1, "sampler": _Payload()}, path)
    with pytest.raises(CheckpointError, match="refusing to unpickle"):
        load_cnn14(path)


def test_not_a_checkpoint(tmp_path):
    path = tmp_path / "junk.pth"
    path.write_bytes(b"not a checkpoint")
    with pytest.raises(CheckpointError):
        load_cnn14(path)
    with pytest.raises(CheckpointError, match="not found"):
        load_cnn14(tmp_path / "absent.pth")
    torch.save({"state_dict": {}}, tmp_path / "other.pth")
    with pytest.raises(CheckpointError, match="'model'"):
        load_cnn14(tmp_path / "other.pth")


@pytest.mark.parametrize("spec", [CNN14_16K, CNN14_32K], ids=["16k", "32k"])
def test_front_end_matches_librosa(spec):
    rng = np.random.default_rng(0)
    t = np.arange(spec.sample_rate) / spec.sample_rate
    x = (0.1 * rng.standard_normal(len(t)) + 0.5 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    x[: len(x) // 4] *= 1e-3  # a quiet part: the dB scale must hold there too
    with torch.no_grad():
        ours = LogMelFrontEnd(spec)(torch.from_numpy(x)[None])[0].numpy()
    power = np.abs(librosa.stft(x.astype(np.float64), n_fft=spec.n_fft, hop_length=spec.hop, window="hann",
                                center=True, pad_mode="reflect")) ** 2  # fmt: skip
    mel = librosa.filters.mel(sr=spec.sample_rate, n_fft=spec.n_fft, n_mels=64, fmin=spec.fmin, fmax=spec.fmax)
    expected = 10.0 * np.log10(np.maximum(mel @ power, 1e-10)).T
    assert ours.shape == expected.shape == (1 + len(x) // spec.hop, 64)
    assert np.abs(ours - expected).max() < 1e-4
