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
