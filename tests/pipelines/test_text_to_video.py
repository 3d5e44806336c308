"""TextToVideoPipeline on debug-t2v: shapes, seeds, long clips in windows, timed prompts, errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from genav.errors import InputError, OutputExistsError, UnknownModelError


@pytest.fixture(scope="module")
def t2v():
    from genav.pipelines import TextToVideoPipeline

    return TextToVideoPipeline.from_pretrained("debug-t2v", device="cpu", dtype="float32")


def test_one_window_and_metadata(t2v):
    out = t2v("a red ball bounces", num_steps=2, seed=3, num_outputs=2)
    assert out.frames.shape == (2, 8, 32, 32, 3) and out.frames.dtype == np.uint8
    assert out.fps == 8.0 and out.seeds == [3, 4] and out.duration == 1.0
    meta = out.metadata
    assert meta["task"] == "t2v" and meta["model"] == "debug-t2v" and len(meta["model_checksum"]) == 16
    assert meta["num_frames"] == 8 and set(meta["timings"]) == {"encode_conditions", "sampling", "decode"}
    again = t2v("a red ball bounces", num_steps=2, seed=4)
    # output i is reproducible from seeds[i] (up to rounding: a batch of 2 sums in another order)
    assert np.abs(again.frames[0].astype(int) - out.frames[1].astype(int)).max() <= 1


def test_long_clip_in_overlapping_windows_starts_like_a_short_one(t2v):
    calls = []
    hook = t2v.backbone.model.register_forward_hook(lambda _m, args, _o: calls.append(args[0].shape[2]))
    try:
        long = t2v("a box falls", duration=2.5, num_steps=2, seed=0, guidance_scale=1.0)
    finally:
        hook.remove()
    assert long.frames.shape[1] == 20
    assert set(calls) == {8} and len(calls) == 2 * 4  # windows [0,8) [4,12) [8,16) [12,20), 2 steps each
    short = t2v("a box falls", num_frames=8, num_steps=2, seed=0, guidance_scale=1.0)
    assert np.array_equal(long.frames[0, :8], short.frames[0])


def test_timed_prompts_and_embeddings(t2v):
    timed = t2v("a ball", num_steps=2, seed=0, timed_prompts=[(0.5, "the ball hits the floor")])
    plain = t2v("a ball", num_steps=2, seed=0)
    assert not np.array_equal(timed.frames, plain.frames)
    ctx = t2v.backbone.encode_prompt(["a ball"])
    same = t2v(prompt_embeds=ctx, num_steps=2, seed=0, guidance_scale=1.0)
    ref = t2v("a ball", num_steps=2, seed=0, guidance_scale=1.0)
    assert np.array_equal(same.frames, ref.frames)
    tokens_only = t2v(prompt_embeds=ctx.tokens, negative_prompt_embeds=ctx.tokens[:, :1], num_steps=2, seed=0)
    assert tokens_only.frames.shape == ref.frames.shape
    pt = t2v("a ball", num_steps=1, seed=0, output_type="pt")
    assert isinstance(pt.frames, torch.Tensor) and pt.frames.dtype == torch.uint8


def test_given_latents_replace_the_noise(t2v):
    lat = torch.zeros(1, 3, 8, 32, 32)
    a = t2v("a door", num_steps=2, latents=lat, guidance_scale=1.0)
    b = t2v("a door", num_steps=2, latents=lat, guidance_scale=1.0, seed=99)
    assert np.array_equal(a.frames, b.frames)
    with pytest.raises(InputError, match=r"latents must be \(1, 3, 8, 32, 32\)"):
        t2v("a door", num_steps=2, latents=torch.zeros(1, 3, 9, 32, 32))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"num_frames": 0}, "at least 1 frame"),
        ({"num_frames": 2.5}, "num_frames .*whole number"),
        ({"height": 0}, "height must be a whole number of at least 1"),
        ({"width": 16.5}, "width must be a whole number"),
        ({"timed_prompts": [(float("nan"), "a"), (0.1, "b")]}, "timed prompt 'a' has no time"),
        ({"num_frames": 100000}, r"above the limit of 480 \(60 s at 8 fps\)"),
        ({"duration": 61.0}, "above the limit of 480"),
        ({"duration": 0.0}, "more than 0 seconds"),
        ({"negative_prompt": ["x", "y", "z"]}, "3 negative prompts for 2 prompts"),
        ({"timed_prompts": [[(0.1, "a")]]}, "1 timed-prompt lists for 2 prompts"),
        ({"timed_prompts": [(9.0, "late")]}, "outside the clip"),
        ({"output_type": "gif"}, "output_type"),
        ({"height": 48}, "32x32"),
        ({"num_steps": 0}, "num_steps"),
    ],
)
def test_bad_input_is_one_clear_error(t2v, kwargs, message):
    with pytest.raises(InputError, match=message):
        t2v(["a ball", "a box"], **{"num_steps": 1, **kwargs})


def test_empty_prompt_and_wrong_model_family():
    from genav.pipelines import TextToVideoPipeline

    pipe = TextToVideoPipeline.from_pretrained("debug-t2v", device="cpu")
    with pytest.raises(InputError, match="empty prompt"):
        pipe(["a ball", " "], num_steps=1)
    with pytest.raises(InputError, match="prompt"):
        pipe(None, num_steps=1)
    with pytest.raises(UnknownModelError, match="is a foley model, not a text-to-video model"):
        TextToVideoPipeline.from_pretrained("debug-foley")


def test_save_is_atomic_and_never_overwrites(t2v, tmp_path):
    from genav.media import probe

    out = t2v("a light flashes", num_steps=1, seed=0)
    path = out.save(tmp_path / "clip.mp4")
    info = probe(path)
    assert info.n_frames == 8 and abs(info.fps - 8.0) < 1e-6 and (info.width, info.height) == (32, 32)
    with pytest.raises(OutputExistsError):
        out.save(path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["clip.mp4"]  # no temporary left behind
