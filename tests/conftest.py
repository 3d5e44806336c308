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
