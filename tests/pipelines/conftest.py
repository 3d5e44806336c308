"""Fixtures for the pipeline tests: the debug model, small generated videos, one torch thread."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch


@pytest.fixture(autouse=True)
def one_thread():
    # The tests run tiny models; on a shared 2-core machine several OpenMP threads per op
    # spin against other processes and make small ops 100x slower.
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="session")
def t2a():
    from genav.pipelines import TextToAudioPipeline

    return TextToAudioPipeline.from_pretrained("debug-foley", device="cpu", dtype="float32")


@pytest.fixture(scope="session")
def v2a():
    from genav.pipelines import VideoToAudioPipeline

    return VideoToAudioPipeline.from_pretrained("debug-foley", device="cpu", dtype="float32")


def make_video(
    path: Path, seconds: float, *, fps: float = 8.0, size: tuple[int, int] = (32, 24), seed: int = 0
) -> Path:
    """A small mp4 of a bright square moving over noise (``seconds`` long, no audio)."""
    from genav.media import write_video

    rng = np.random.default_rng(seed)
    n = int(round(seconds * fps))
    w, h = size

    def frames():
        for i in range(n):
            frame = (rng.random((h, w, 3)) * 60).astype(np.uint8)
            x = int((i * 3) % max(1, w - 6))
            frame[h // 3 : h // 3 + 6, x : x + 6] = 255
            yield frame

    return write_video(path, frames(), fps)


@pytest.fixture(scope="session")
def video_maker():
    """The :func:`make_video` helper, for tests that need their own clip."""
    return make_video


@pytest.fixture(scope="session")
def small_video(tmp_path_factory) -> Path:
    return make_video(tmp_path_factory.mktemp("video") / "clip.mp4", 3.0)
