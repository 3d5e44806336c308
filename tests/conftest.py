"""Shared fixtures. Tests that need ../shared/data/sfx skip when it is absent."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

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
    return [json.loads(line) for line in (sfx_dir / "manifest.jsonl").read_text().splitlines() if line.strip()]


@pytest.fixture(scope="session")
def sfx2_dir() -> Path:
    if not (SFX2_DIR / "manifest.jsonl").exists():
        pytest.skip("../shared/data/sfx2 is absent")
    return SFX2_DIR


@pytest.fixture(scope="session")
def sfx2_manifest(sfx2_dir: Path) -> list[dict]:
    return [json.loads(line) for line in (sfx2_dir / "manifest.jsonl").read_text().splitlines() if line.strip()]


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
