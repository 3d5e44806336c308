"""Backend selection: argument > use_backend() > GENAV_ATTENTION > auto; clear errors; auto logs once."""

from __future__ import annotations

import logging
import threading

import pytest
import torch

from genav.attention import (
    ENV_VAR,
    attention,
    available_backends,
    backend_status,
    core,
    requested_backend,
    resolve_backend,
    use_backend,
)
from genav.attention import backends as backends_mod
from genav.errors import BackendUnavailableError


@pytest.fixture()
def calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record which kernel runs (each still computes the real result)."""
    seen: list[str] = []
    for name, fn in list(backends_mod.KERNELS.items()):

        def spy(*args, _name=name, _fn=fn, **kwargs):
            seen.append(_name)
            return _fn(*args, **kwargs)

        monkeypatch.setitem(backends_mod.KERNELS, name, spy)
    monkeypatch.delenv(ENV_VAR, raising=False)
    return seen


def _qkv():
    return torch.randn(1, 5, 2, 8), torch.randn(1, 6, 2, 8), torch.randn(1, 6, 2, 8)


def test_precedence_argument_context_env_auto(calls: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    q, k, v = _qkv()
    attention(q, k, v)
    assert calls[-1] == "sdpa"  # auto on CPU
    monkeypatch.setenv(ENV_VAR, "math")
    attention(q, k, v)
    assert calls[-1] == "math"
    with use_backend("chunked"):
        attention(q, k, v)
        assert calls[-1] == "chunked"
        attention(q, k, v, backend="sdpa")
        assert calls[-1] == "sdpa"
        with use_backend("math"):
            assert requested_backend() == "math"
        assert requested_backend() == "chunked"  # nested blocks restore the outer choice
    attention(q, k, v)
    assert calls[-1] == "math"  # back to the env var after the block


def test_env_var_is_case_insensitive_and_validated(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_VAR, " Chunked ")
    assert requested_backend() == "chunked"
    monkeypatch.setenv(ENV_VAR, "flash")
    with pytest.raises(BackendUnavailableError, match=f"unknown attention backend 'flash' in {ENV_VAR}"):
        attention(*_qkv())


def test_unknown_names_are_rejected_early() -> None:
    with pytest.raises(BackendUnavailableError, match="choose one of sdpa, chunked, math, xformers, auto"):
        attention(*_qkv(), backend="fast")
    with pytest.raises(BackendUnavailableError, match="use_backend"):
        with use_backend("fast"):
            pass


def test_context_manager_is_per_thread(calls: list[str]) -> None:
    seen = []
    with use_backend("math"):
        thread = threading.Thread(target=lambda: seen.append(requested_backend()))
        thread.start()
        thread.join()
    assert seen == ["auto"]


def test_xformers_on_cpu_is_a_clear_error() -> None:
    with pytest.raises(BackendUnavailableError) as err:
        attention(*_qkv(), backend="xformers")
    message = str(err.value)
    assert "xformers" in message and "CUDA" in message
    assert "backends that can run: sdpa, chunked, math" in message
    # the same error through the env var and the context manager: only auto falls back
    with use_backend("xformers"), pytest.raises(BackendUnavailableError, match="backends that can run"):
        attention(*_qkv())


def test_status_and_available_backends() -> None:
    status = backend_status("cpu")
    assert list(status) == ["sdpa", "chunked", "math", "xformers"]
    assert status["sdpa"] == status["chunked"] == status["math"] == "ok"
    assert "CUDA" in status["xformers"]
    assert available_backends("cpu") == ["sdpa", "chunked", "math"]
    assert available_backends() == available_backends("cpu")  # no GPU here: the default device is cpu


def test_auto_works_on_cpu_for_every_input_kind() -> None:
    q, k, v = _qkv()
    mask = torch.tensor([[True, True, False, True, False, False]])
    for args in ({}, {"mask": mask}):
        torch.testing.assert_close(
            attention(q, k, v, backend="auto", **args),
            attention(q, k, v, backend="math", **args),
            atol=1e-5,
            rtol=0,
        )
    assert resolve_backend("auto", q) == "sdpa"


def test_auto_falls_back_with_one_log_message_per_reason(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    class FakeCudaTensor:  # only the device is looked at before a fallback is decided
        device = torch.device("cuda")

    monkeypatch.setattr(core, "_logged_reasons", set())
    with caplog.at_level(logging.INFO, logger="genav.attention.core"):
        picks = [core._auto(FakeCudaTensor(), None) for _ in range(3)]
    assert picks == ["sdpa"] * 3
    records = [r for r in caplog.records if "instead of xformers" in r.getMessage()]
    assert len(records) == 1 and "CUDA" in records[0].getMessage()


def test_auto_prefers_xformers_on_cuda_when_it_suits(monkeypatch: pytest.MonkeyPatch) -> None:
    class FakeCudaTensor:
        device = torch.device("cuda")
        dtype = torch.float16
        shape = (1, 4, 2, 64)

    monkeypatch.setattr(core, "unavailable_reason", lambda name, device: None)
    monkeypatch.setattr(core, "_logged_reasons", set())
    assert core._auto(FakeCudaTensor(), None) == "xformers"
    assert core._auto(FakeCudaTensor(), torch.ones(1, 4, dtype=torch.bool)) == "sdpa"  # masks -> sdpa
    FakeCudaTensor.dtype = torch.float32
    assert core._auto(FakeCudaTensor(), None) == "sdpa"
