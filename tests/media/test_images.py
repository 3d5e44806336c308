"""Still images through imageio: frame strips of a clip, reading pictures, clear errors."""

from __future__ import annotations

import numpy as np
import pytest
from typer.testing import CliRunner

from genav.errors import InputError, MediaError, OutputExistsError
from genav.media import read_image, write_frame_strip, write_video


def bars_clip(path, n: int = 20, fps: float = 10.0):
    """Frame i is one flat grey level 10 * i: a strip's pictures show which times were taken."""
    frames = np.repeat((10 * np.arange(n, dtype=np.uint8))[:, None, None, None], 3, axis=-1)
    return write_video(path, np.broadcast_to(frames, (n, 48, 64, 3)).copy(), fps)


def test_strip_takes_evenly_spaced_frames(tmp_path):
    clip = bars_clip(tmp_path / "bars.mp4")  # 2 s
    out = write_frame_strip(clip, tmp_path / "strip.png", frames=4, height=24)
    strip = read_image(out)
    assert strip.shape == (24, 4 * 32, 3)  # aspect ratio kept: 64x48 -> 32x24
    levels = [float(strip[:, i * 32 : (i + 1) * 32].mean()) for i in range(4)]
    # the middles of four 0.5 s slices: frames 2, 7, 12, 17 (levels 20, 70, 120, 170; H.264 rounds)
    np.testing.assert_allclose(levels, [20, 70, 120, 170], atol=6)
    with pytest.raises(OutputExistsError):
        write_frame_strip(clip, out)
    with pytest.raises(InputError, match="1..64 frames"):
        write_frame_strip(clip, tmp_path / "x.png", frames=0)


def test_read_image_errors_and_grey(tmp_path):
    import imageio.v3 as iio

    iio.imwrite(tmp_path / "grey.png", np.full((5, 7), 9, np.uint8))
    assert read_image(tmp_path / "grey.png").shape == (5, 7, 3)
    (tmp_path / "bad.png").write_bytes(b"not a png")
    with pytest.raises(MediaError, match="cannot read .* as an image"):
        read_image(tmp_path / "bad.png")
    with pytest.raises(MediaError, match="does not exist"):
        read_image(tmp_path / "none.png")


def test_cli_strip(tmp_path):
    from genav.cli.app import app

    clip = bars_clip(tmp_path / "bars.mp4")
    result = CliRunner().invoke(
        app, ["data", "strip", str(clip), "-o", str(tmp_path / "s.png"), "--frames", "2"]
    )
    assert result.exit_code == 0, result.output
    assert read_image(tmp_path / "s.png").shape == (96, 2 * 128, 3)
