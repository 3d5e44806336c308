"""Shared fixtures. Tests that need ../shared/data/sfx skip when it is absent.

Every test runs offline: the Hugging Face libraries are told so before they are imported (they read
the variables once, at import), and an autouse fixture makes any socket connection to a host other
than this machine raise, so a code path that would download something fails loudly here.
"""

from __future__ import annotations

import ipaddress
import json
import os
import socket
from pathlib import Path

import pytest

OFFLINE_ENV = {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1"}
os.environ.update(OFFLINE_ENV)  # before any test module imports huggingface_hub / transformers

REPO = Path(__file__).resolve().parents[1]
SFX_DIR = REPO.parent / "shared" / "data" / "sfx"
SFX2_DIR = REPO.parent / "shared" / "data" / "sfx2"


@pytest.fixture(scope="session")
def sfx_dir() -> Path:
    if not (SFX_DIR / "manifest.jsonl").exists():
        pytest.skip("../shared/data/sfx is absent")
    return SFX_DIR


@pytest.fixture(scope="session")
def sfx_manifest(sfx_dir: Path) -> list[dict]:
    return [
        json.loads(line) for line in (sfx_dir / "manifest.jsonl").read_text().splitlines() if line.strip()
    ]


@pytest.fixture(scope="session")
def sfx2_dir() -> Path:
    if not (SFX2_DIR / "manifest.jsonl").exists():
        pytest.skip("../shared/data/sfx2 is absent")
    return SFX2_DIR


@pytest.fixture(scope="session")
def sfx2_manifest(sfx2_dir: Path) -> list[dict]:
    return [
        json.loads(line) for line in (sfx2_dir / "manifest.jsonl").read_text().splitlines() if line.strip()
    ]


class NetworkBlockedError(RuntimeError):
    """A test tried to reach the network (tests run offline; build models in-process instead)."""


def _is_local(address: object) -> bool:
    if not isinstance(address, tuple):  # AF_UNIX paths and abstract sockets
        return True
    host = str(address[0]).split("%")[0]
    if host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex
_real_getaddrinfo = socket.getaddrinfo


def _guarded_connect(self: socket.socket, address: object) -> None:
    if not _is_local(address):
        raise NetworkBlockedError(f"tests run offline: connection to {address!r} blocked")
    return _real_connect(self, address)


def _guarded_connect_ex(self: socket.socket, address: object) -> int:
    if not _is_local(address):
        raise NetworkBlockedError(f"tests run offline: connection to {address!r} blocked")
    return _real_connect_ex(self, address)


def _guarded_getaddrinfo(host, *args, **kwargs):  # type: ignore[no-untyped-def]
    if host is not None and not _is_local((host.decode() if isinstance(host, bytes) else host, 0)):
        raise NetworkBlockedError(f"tests run offline: name lookup of {host!r} blocked")
    return _real_getaddrinfo(host, *args, **kwargs)


@pytest.fixture(autouse=True)
def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    """Block connections to other hosts and keep the HF libraries offline for each test."""
    for key, value in OFFLINE_ENV.items():
        monkeypatch.setenv(key, value)  # also reaches subprocesses the test starts
    monkeypatch.setattr(socket.socket, "connect", _guarded_connect)
    monkeypatch.setattr(socket.socket, "connect_ex", _guarded_connect_ex)
    monkeypatch.setattr(socket, "getaddrinfo", _guarded_getaddrinfo)


@pytest.fixture(scope="session")
def tiny_video_dirs(tmp_path_factory) -> dict[str, Path]:
    """Tiny random diffusers text-to-video folders in their real layouts: ``unet3d`` (ModelScope /
    ZeroScope ``TextToVideoSDPipeline``) and ``wan`` (Wan 2.1 ``WanPipeline``)."""
    pytest.importorskip("diffusers")
    import warnings

    from genav.pipelines.diffusers_tiny_video import save_tiny_unet3d, save_tiny_wan

    root = tmp_path_factory.mktemp("t2v-diffusers")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return {"unet3d": save_tiny_unet3d(root / "tiny-unet3d"), "wan": save_tiny_wan(root / "tiny-wan")}
