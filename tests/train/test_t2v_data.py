"""T2VTrainSet: which windows carry timed captions, and where the event phrase goes."""

from __future__ import annotations

import pytest
import torch

from genav.encoders.text import TextEncoderConfig
from genav.encoders.text_factory import build_text_encoder
from genav.errors import ConfigError
from genav.train.recipe import DataSpec
from genav.train.t2v_data import T2VClips, T2VTrainSet, TextTable


def _clips() -> T2VClips:
    frames = torch.zeros(2, 20, 8, 8, 3, dtype=torch.uint8)
    return T2VClips(frames, ["a red ball", "a blue box"], ["the ball hits", "the box lands"], [(3, 11), ()], 10.0)


def _set(window: int, event_windows: float) -> T2VTrainSet:
    clips = _clips()
    encoder = build_text_encoder(TextEncoderConfig(kind="hash", dim=8))
    return T2VTrainSet(clips, TextTable(encoder, [*clips.captions, *clips.phrases]), window=window,
                       event_windows=event_windows)


def _timed_starts(items: T2VTrainSet, clip: int) -> list[int]:
    per_clip = 2 * len(items.starts)
    return [items.item(clip * per_clip + i)[1] for i in range(per_clip) if items.item(clip * per_clip + i)[2]]


def test_without_event_windows_timed_items_cover_every_start_once():
    items = _set(1, 0.0)
    assert _timed_starts(items, 0) == list(range(20))


def test_event_windows_put_that_share_of_timed_frames_on_event_frames():
    items = _set(1, 0.5)
    starts = _timed_starts(items, 0)
    assert len(starts) == 20 and sum(s in (3, 11) for s in starts) >= 10
    assert min(starts.count(3), starts.count(11)) >= 5
    # untimed items are untouched; a clip without events keeps its even spread
    per_clip = 2 * len(items.starts)
    assert [items.item(i)[1] for i in range(0, per_clip, 2)] == list(range(20))
    assert _timed_starts(items, 1) == list(range(20))
    # the phrase lands in the slot of an event frame
    batch = items.collate([i for i in range(per_clip) if items.item(i)[2] and items.item(i)[1] == 3][:1])
    assert batch["context"].slot_mask[0, 0].any()


def test_event_windows_with_longer_windows_choose_windows_holding_an_event():
    items = _set(4, 1.0)
    assert all(any(s <= f < s + 4 for f in (3, 11)) for s in _timed_starts(items, 0))


def test_event_windows_outside_zero_to_one_is_an_error():
    with pytest.raises(ValueError, match="event_windows"):
        _set(1, 1.5)
    with pytest.raises(ConfigError, match="event_windows"):
        DataSpec(event_windows=-0.1)
