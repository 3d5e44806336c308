"""The genav-objects detector reads class and colour of true text-to-video clips."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from genav.data.synth.timed import t2v_clips
from genav.errors import InputError
from genav.eval.classifiers.video_objects import ObjectReader
from genav.train.video_objects import HELD_OUT_SEED, blur


@pytest.fixture(scope="module")
def reader() -> ObjectReader:
    return ObjectReader.load()


def test_reads_held_out_true_clips(reader):
    clips = t2v_clips(8, first_seed=HELD_OUT_SEED + 500)  # held out from its training seeds
    reads = [reader.read(c.frames) for c, _ in clips]
    assert all(r.cls == s.cls and r.colour == s.colour for r, (_, s) in zip(reads, clips, strict=True))
    assert all(abs(sum(r.class_probs.values()) - 1) < 1e-3 for r in reads)


def test_reads_frames_of_another_size_and_refuses_bad_input(reader):
    clip, subject = t2v_clips(1, first_seed=HELD_OUT_SEED)[0]
    small = torch.nn.functional.interpolate(torch.from_numpy(clip.frames).permute(0, 3, 1, 2).float(), size=48,
                                            mode="area").round().byte().permute(0, 2, 3, 1).numpy()
    assert reader.read(small).cls == subject.cls
    with pytest.raises(InputError, match="uint8"):
        reader.read(clip.frames.astype(np.float32))


def test_blur_keeps_the_mean_and_smooths():
    x = torch.zeros(1, 1, 9, 9)
    x[..., 4, 4] = 1.0
    y = blur(x, 1.0)
    assert abs(float(y.sum()) - 1.0) < 1e-5 and float(y.max()) < 0.2 and torch.equal(blur(x, 0.0), x)
