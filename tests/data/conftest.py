"""Fixtures of the data tests: a small synthetic data set written once per session."""

from __future__ import annotations

import json
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def synth_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Four 4 s clips of the test split, with silent copies, written in this process."""
    from genav.data.synth import write_synth_dataset

    out = tmp_path_factory.mktemp("synth") / "set"
    write_synth_dataset(out, 4, seed=7, split="test", silent=True, workers=0, progress=False)
    return out


@pytest.fixture(scope="session")
def synth_rows(synth_dir: Path) -> list[dict]:
    return [json.loads(line) for line in (synth_dir / "manifest.jsonl").read_text().splitlines()]
