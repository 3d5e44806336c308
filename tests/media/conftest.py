"""Media fixtures, generated once per session with ffmpeg's lavfi sources (fast, no data files)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.media.media_helpers import lavfi


@pytest.fixture(scope="session")
def media_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("media")


@pytest.fixture(scope="session")
def clip_av(media_dir) -> Path:
    """8 s, 320x240 @ 25 fps H.264 (200 frames) with a mono 440 Hz AAC track at 44.1 kHz."""
    return lavfi(media_dir / "av.mp4", "testsrc=size=320x240:rate=25:duration=8",
                 "sine=frequency=440:sample_rate=44100:duration=8",
                 extra=("-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest"))  # fmt: skip


@pytest.fixture(scope="session")
def clip_silent(media_dir) -> Path:
    """8 s, 320x240 @ 25 fps H.264 without audio."""
    return lavfi(media_dir / "silent.mp4", "testsrc=size=320x240:rate=25:duration=8",
                 extra=("-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"))  # fmt: skip


@pytest.fixture(scope="session")
def audio_mp3(media_dir) -> Path:
    """3 s mono 440 Hz mp3."""
    return lavfi(media_dir / "tone.mp3", "sine=frequency=440:sample_rate=44100:duration=3")
