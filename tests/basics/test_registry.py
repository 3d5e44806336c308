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


def test_builtin_models_are_declared_not_registered_by_imports():
    import subprocess
    import sys

    from genav.registry import BUILTIN_MODELS

    assert [e.name for e in BUILTIN_MODELS] == ["debug-foley"] and isinstance(BUILTIN_MODELS[0].builder, str)
    # a fresh interpreter knows the name without importing the pipelines (no import side effect)
    code = (
        "import sys; from genav.registry import resolve_model; e = resolve_model('debug-foley');"
        "assert 'genav.pipelines' not in sys.modules, 'resolving imported the pipelines'; print(e.family)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["foley"]
    assert type(resolve_model("debug-foley").build()).__name__ == "AudioMMDiTComponents"  # the builder imports it
