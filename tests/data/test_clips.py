"""Encoded clip shards and the training windows cut from them: exact slices, silence past the end,
one length per step, new windows and captions every epoch, no padding."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
import torch

from genav.data.clips import ClipWindows, CropGrid, ValidationWindows
from genav.data.shards import EncodedClip, ShardIndex, build_index, read_window, shard_name, write_shard
from genav.errors import ConfigError, DataError

RATE, FPS, C, D = 62.5, 10.0, 4, 6
SILENCE = torch.full((C,), -3.0)
INFO = {
    "frame_rate": RATE,
    "latent_dim": C,
    "fps": FPS,
    "semantic_shape": [8, 8, 3],
    "semantic_dtype": "uint8",
    "motion_dim": 5,
}


def _clip(i: int, seconds: float, video: bool) -> EncodedClip:
    frames = round(seconds * RATE)
    latents = torch.arange(frames + 5, dtype=torch.float32)[:, None] + 100 * i + torch.zeros(1, C)
    n_video = round(seconds * FPS)
    return EncodedClip(
        name=f"clip{i}",
        latents=latents,
        valid_frames=frames,
        captions=[f"caption {i}", f"variant {i}"],
        tokens=[torch.full((3 + i % 2, D), float(i)), torch.full((2, D), -float(i))],
        pooled=[torch.full((D,), float(i)), torch.full((D,), -float(i))],
        seconds=seconds,
        semantic=(torch.arange(n_video)[:, None, None, None] + 10 * i)
        .to(torch.uint8)
        .expand(n_video, 8, 8, 3)
        .clone()
        if video
        else None,
        motion=torch.arange(n_video, dtype=torch.float32)[:, None].expand(n_video, 5).clone()
        if video
        else None,
    )


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> ShardIndex:
    folder = tmp_path_factory.mktemp("clips")
    clips = [
        _clip(i, s, v)
        for i, (s, v) in enumerate([(4.0, True), (0.8, True), (2.0, False), (6.4, True), (1.2, False)])
    ]
    write_shard(folder / shard_name(0), clips[:3])
    write_shard(folder / shard_name(1), clips[3:])
    build_index(folder, 2, INFO, {"silence": SILENCE})
    return ShardIndex.open(folder)


def test_a_window_is_the_exact_slice_and_silence_follows_the_clip(index: ShardIndex) -> None:
    assert len(index) == 5 and index.has_video(3) and not index.has_video(2)
    assert index.row_meta(3)["name"] == "clip3" and index.seconds(4) == pytest.approx(1.2)
    w = read_window(index, 3, start=100, frames=50, video=(16, 8), variant=1)
    torch.testing.assert_close(w["latents"], (torch.arange(100, 150) + 300.0)[None].expand(C, -1))
    torch.testing.assert_close(w["tokens"], torch.full((2, D), -3.0))
    torch.testing.assert_close(w["pooled"], torch.full((D,), -3.0))
    assert w["semantic"][:, 0, 0, 0].tolist() == list(range(46, 54)) and w["frames_mask"].all()
    short = read_window(index, 1, start=0, frames=100, video=(0, 16), variant=0)
    assert short["latents"][0, :55].tolist() == [100.0 + k for k in range(55)]  # 50 frames + the 5-frame tail
    torch.testing.assert_close(short["latents"][:, 55:], SILENCE[:, None].expand(C, 45))
    assert short["frames_mask"].tolist() == [True] * 8 + [False] * 8
    assert short["motion"][8:].abs().sum() == 0


def test_grid_aligns_audio_and_video_frames() -> None:
    assert CropGrid.make(62.5, 10.0, 1.0, 2.0).unit == Fraction(2, 5)
    assert CropGrid.make(62.5, 25.0, 1.0, 1.0).unit == Fraction(
        2, 25
    )  # 80 ms: 5 latent frames, 2 video frames
    assert CropGrid.make(62.5, None, 1.0, 1.0).unit == Fraction(2, 125)
    assert CropGrid.make(62.5, 24.0, 1.0, 1.0).unit == Fraction(1, 24)  # the exact grid would be 2 s
    grid = CropGrid.make(RATE, FPS, 0.8, 2.0)
    assert (grid.min_units, grid.max_units) == (2, 5)
    lengths = {grid.step_units(0, s) for s in range(200)}
    assert lengths == {2, 3, 4, 5} and grid.step_units(0, 7) == grid.step_units(0, 7)
    assert grid.latent_frames(3) == 75 and grid.video_frames(3) == 12
    with pytest.raises(ConfigError):
        CropGrid.make(RATE, FPS, 2.0, 1.0)


def test_windows_change_every_epoch_and_share_the_step_length(index: ShardIndex) -> None:
    grid = CropGrid.make(RATE, FPS, 0.8, 2.0)
    clips = ClipWindows([(index, np.arange(5))], grid, seed=3)
    starts = {int(clips[(3, epoch, 2)]["latents"][0, 0]) for epoch in range(12)}
    assert len(starts) > 4 and all((s - 300) % 25 == 0 for s in starts)  # on the 0.4 s grid, new each epoch
    assert clips[(3, 5, 2)]["latents"].equal(clips[(3, 5, 2)]["latents"])  # a pure function of the request
    assert {float(clips[(3, e, 2)]["pooled"][0]) for e in range(12)} == {3.0, -3.0}
    picks = [(i, 0) for i in range(5)]
    batch = clips.collate([clips[r] for r in clips.batch_requests(11, picks)])
    units = grid.step_units(3, 11)
    assert batch["latents"].shape == (5, C, grid.latent_frames(units)) and batch["audio_mask"] is None
    assert batch["duration"].tolist() == pytest.approx([units * 0.4] * 5)
    assert batch["has_video"].tolist() == [True, True, False, True, False]
    assert batch["video_semantic"].shape == (5, grid.video_frames(units), 8, 8, 3)
    assert not batch["frames_mask"][2].any() and batch["text_mask"].sum(1).tolist()[2] in (2, 3)


def test_text_dropout_and_validation_windows(index: ShardIndex) -> None:
    grid = CropGrid.make(RATE, None, 1.0, 1.0)
    clips = ClipWindows([(index, [0, 2]), (index, [4])], grid, text_dropout=0.5, video=False)
    drops = [clips[(k % 3, k, 1)]["drop_text"] for k in range(400)]
    assert 0.4 < np.mean(drops) < 0.6
    assert clips.collate([clips[(2, 0, 1)]])["video_semantic"] is None
    val = ValidationWindows(clips)
    a, b = val.collate([0, 2]), val.collate([0, 2])
    assert a["latents"].equal(b["latents"]) and a["latents"][0, 0, 0] == 0 and a["latents"][1, 0, 0] == 400
    assert val.describe(2) == ("clip4", "caption 4") and not a["drop_text"].any()


def test_incomplete_folders_are_refused(tmp_path: Path) -> None:
    write_shard(tmp_path / shard_name(0), [_clip(0, 1.0, False)])
    with pytest.raises(DataError, match="no complete set"):
        ShardIndex.open(tmp_path)
