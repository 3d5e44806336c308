from __future__ import annotations

import dataclasses
from typing import ClassVar

import pytest

from genav.config import Config
from genav.errors import ConfigError


@dataclasses.dataclass(frozen=True)
class Inner(Config):
    model_type: ClassVar[str] = "inner"
    rate: float = 8.0


@dataclasses.dataclass(frozen=True)
class Outer(Config):
    model_type: ClassVar[str] = "outer"
    name: str
    depth: int = 2
    sizes: tuple[int, ...] = (1, 2)
    inner: Inner = Inner()
    path: str | None = None


def test_round_trip_is_exact(tmp_path):
    cfg = Outer(name="x", depth=3, sizes=(4, 5, 6), inner=Inner(rate=25.0), path="a/b")
    assert Outer.from_dict(cfg.to_dict()) == cfg
    cfg.save(tmp_path / "c.json")
    assert Outer.load(tmp_path / "c.json") == cfg


def test_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        Outer(name="x").depth = 5  # type: ignore[misc]


def test_unknown_key_is_an_error():
    data = Outer(name="x").to_dict()
    data["depht"] = 3
    with pytest.raises(ConfigError, match="depht"):
        Outer.from_dict(data)


def test_missing_required_key_and_wrong_type():
    with pytest.raises(ConfigError, match="name"):
        Outer.from_dict({"depth": 1})
    with pytest.raises(ConfigError, match="depth"):
        Outer.from_dict({"name": "x", "depth": "deep"})
    with pytest.raises(ConfigError, match="depth"):
        Outer.from_dict({"name": "x", "depth": True})


def test_wrong_model_type_and_version():
    with pytest.raises(ConfigError, match="model_type"):
        Outer.from_dict({**Outer(name="x").to_dict(), "model_type": "inner"})
    with pytest.raises(ConfigError, match="version"):
        Outer.from_dict({**Outer(name="x").to_dict(), "version": 99})


def test_bad_json_file(tmp_path):
    p = tmp_path / "c.json"
    p.write_text("{not json")
    with pytest.raises(ConfigError, match="not valid JSON"):
        Outer.load(p)
    with pytest.raises(ConfigError, match="not found"):
        Outer.load(tmp_path / "missing.json")
