from __future__ import annotations

import pytest

from genav.errors import UnknownModelError
from genav.registry import ModelEntry, register_model, resolve_model


def test_registered_name_and_close_names():
    register_model(ModelEntry(name="debug-widget", family="widget", description="test", builder=lambda: 1))
    entry = resolve_model("debug-widget")
    assert entry.is_debug and entry.builder() == 1
    with pytest.raises(UnknownModelError, match="unknown model 'debug-widgte'") as info:
        resolve_model("debug-widgte")
    assert "debug-widget" in str(info.value)
    with pytest.raises(UnknownModelError, match="not a foley model"):
        resolve_model("debug-widget", family="foley")


def test_folder_is_a_model(tmp_path):
    (tmp_path / "config.json").write_text('{"model_type": "foley"}')
    entry = resolve_model(tmp_path)
    assert entry.family == "foley" and entry.path == tmp_path
