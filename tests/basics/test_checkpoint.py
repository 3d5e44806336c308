from __future__ import annotations

import dataclasses
from typing import ClassVar

import pytest
import torch

from genav.checkpoint import file_checksum, load_model_folder, load_state_strict, save_model_folder
from genav.config import Config
from genav.errors import CheckpointError


@dataclasses.dataclass(frozen=True)
class TinyConfig(Config):
    model_type: ClassVar[str] = "tiny"
    width: int = 4


def _model(cfg: TinyConfig) -> torch.nn.Module:
    return torch.nn.Sequential(torch.nn.Linear(3, cfg.width), torch.nn.Linear(cfg.width, 2))


def test_save_load_round_trip(tmp_path):
    cfg = TinyConfig(width=5)
    model = _model(cfg)
    save_model_folder(tmp_path / "m", cfg, model.state_dict(), model_card="# tiny\n")
    cfg2, sd = load_model_folder(tmp_path / "m", TinyConfig)
    assert cfg2 == cfg
    model2 = _model(cfg2)
    load_state_strict(model2, sd)
    x = torch.randn(2, 3)
    assert torch.equal(model(x), model2(x))
    assert (tmp_path / "m" / "MODEL_CARD.md").read_text() == "# tiny\n"
    assert len(file_checksum(tmp_path / "m" / "model.safetensors")) == 16


def test_mismatched_config_names_keys(tmp_path):
    save_model_folder(tmp_path / "m", TinyConfig(width=5), _model(TinyConfig(width=5)).state_dict())
    _, sd = load_model_folder(tmp_path / "m", TinyConfig)
    with pytest.raises(CheckpointError, match=r"shape mismatch.*0\.weight"):
        load_state_strict(_model(TinyConfig(width=6)), sd)
    sd.pop("1.bias")
    sd["extra"] = torch.zeros(1)
    with pytest.raises(CheckpointError, match=r"missing keys \[1\.bias\].*unexpected keys \[extra\]"):
        load_state_strict(_model(TinyConfig(width=5)), sd)


def test_missing_and_corrupt_folders(tmp_path):
    with pytest.raises(CheckpointError, match="not found"):
        load_model_folder(tmp_path / "nope", TinyConfig)
    (tmp_path / "m").mkdir()
    with pytest.raises(CheckpointError, match="config.json"):
        load_model_folder(tmp_path / "m", TinyConfig)
    TinyConfig().save(tmp_path / "m" / "config.json")
    (tmp_path / "m" / "model.safetensors").write_bytes(b"garbage")
    with pytest.raises(CheckpointError, match="safetensors"):
        load_model_folder(tmp_path / "m", TinyConfig)


def test_load_module_folder_builds_and_loads_strictly(tmp_path):
    from genav.checkpoint import load_module_folder

    model = _model(TinyConfig(width=5))
    save_model_folder(tmp_path / "m", TinyConfig(width=5), model.state_dict())
    loaded = load_module_folder(tmp_path / "m", TinyConfig, _model)
    x = torch.randn(2, 3)
    assert torch.equal(model(x), loaded(x))
    save_model_folder(tmp_path / "w", TinyConfig(width=6), model.state_dict())  # weights of another width
    with pytest.raises(CheckpointError, match="shape"):
        load_module_folder(tmp_path / "w", TinyConfig, _model)
    with pytest.raises(CheckpointError, match="not found"):
        load_module_folder(tmp_path / "missing", TinyConfig, _model)


def test_a_module_without_tensors_has_no_weights_file(tmp_path):
    from genav.checkpoint import load_module_folder

    save_model_folder(tmp_path / "m", TinyConfig(width=5), {})
    assert not (tmp_path / "m" / "model.safetensors").exists()
    assert isinstance(load_module_folder(tmp_path / "m", TinyConfig, lambda c: torch.nn.ReLU()), torch.nn.ReLU)
    with pytest.raises(CheckpointError):  # a module with tensors needs its weights
        load_module_folder(tmp_path / "m", TinyConfig, _model)


def test_cached_tensors_builds_once_and_reads_back(tmp_path):
    from genav.checkpoint import cached_tensors

    calls = []

    def build():
        calls.append(1)
        return {"x": torch.arange(6).view(2, 3)}, {"captions": ["a", "b"]}

    first = cached_tensors(tmp_path / "c" / "t.safetensors", build)
    again = cached_tensors(tmp_path / "c" / "t.safetensors", build)
    assert len(calls) == 1 and torch.equal(first[0]["x"], again[0]["x"]) and again[1] == {"captions": ["a", "b"]}
    assert cached_tensors(None, build)[1] == {"captions": ["a", "b"]} and len(calls) == 2
