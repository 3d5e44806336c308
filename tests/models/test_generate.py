"""Generation with guidance: determinism, branch construction, scale limits."""

from __future__ import annotations

import torch

from genav.errors import ConfigError
from genav.models import generate_latents, guidance_conditioning, make_conditioning
from genav.sampling import sample

FPS = 62.5


def _frames(b: int, t: int) -> torch.Tensor:
    return torch.randint(0, 256, (b, t, 32, 32, 3), dtype=torch.uint8, generator=torch.Generator().manual_seed(0))


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def test_same_seed_same_latents_and_padding_zeroed(model, text_encoder) -> None:
    cond = make_conditioning([1.0, 0.5], text=text_encoder.encode(["rain", "a bell rings"]), frame_rate=FPS)
    a = generate_latents(model, cond, num_steps=3, generator=_gen(0))
    b = generate_latents(model, cond, num_steps=3, generator=_gen(0))
    c = generate_latents(model, cond, num_steps=3, generator=_gen(1))
    assert a.shape == (2, 32, 63)
    assert torch.equal(a, b) and not torch.allclose(a, c)
    assert torch.count_nonzero(a[1, :, 32:]) == 0 and torch.count_nonzero(a[1, :, :32]) > 0


def test_scale_one_is_the_conditional_model(model, text_encoder) -> None:
    feats = model.encode_video(_frames(1, 10))
    cond = make_conditioning(1.0, text=text_encoder.encode(["a drum"]), video=feats, frame_rate=FPS)
    noise = torch.randn(1, 32, 63, generator=_gen(3))
    guided = generate_latents(model, cond, num_steps=3, guidance_scale=1.0, video_guidance_scale=1.0, noise=noise)
    plain = sample(lambda x, t: model(x, t, cond), noise, steps=3)
    torch.testing.assert_close(guided, plain, atol=1e-5, rtol=1e-4)


def test_scale_zero_is_the_unconditional_model(model, text_encoder) -> None:
    cond = make_conditioning(1.0, text=text_encoder.encode(["a drum"]), frame_rate=FPS)
    noise = torch.randn(1, 32, 63, generator=_gen(3))
    guided = generate_latents(model, cond, num_steps=3, guidance_scale=0.0, noise=noise)
    null = cond.with_flags(drop_text=True)
    plain = sample(lambda x, t: model(x, t, null), noise, steps=3)
    torch.testing.assert_close(guided, plain, atol=1e-5, rtol=1e-4)


def test_branches_use_the_negative_prompt(model, text_encoder) -> None:
    feats = model.encode_video(_frames(2, 10))
    cond = make_conditioning(1.0, text=text_encoder.encode(["a dog", "a cat"]), video=feats, frame_rate=FPS)
    negative = text_encoder.encode(["music", "speech and music"])
    stacked, plan = guidance_conditioning(cond, negative=negative, guidance_scale=3.0, video_guidance_scale=1.5)
    assert plan.branches == ("full", "video", "null")
    assert stacked.batch_size == 6
    assert stacked.drop_text.tolist() == [False] * 6
    assert stacked.drop_video.tolist() == [False] * 4 + [True] * 2
    n = negative.tokens.shape[1]
    torch.testing.assert_close(stacked.text_tokens[2:4, :n], negative.tokens)
    torch.testing.assert_close(stacked.text_tokens[4:6, :n], negative.tokens)
    stacked, plan = guidance_conditioning(cond, guidance_scale=3.0)
    assert plan.branches == ("full", "null")
    assert stacked.drop_text.tolist() == [False, False, True, True]
    assert stacked.drop_video.tolist() == [False, False, True, True]


def test_known_prefix_wrapper_keeps_frames_on_the_straight_path() -> None:
    from genav.sampling import with_known_prefix

    noise = torch.randn(2, 3, 10, generator=_gen(4))
    known = torch.randn(2, 3, 4, generator=_gen(5))
    seen = []

    def velocity(x, t):
        seen.append((x[..., :4].clone(), t[0].item()))
        return -x  # anything: the known frames must not follow it

    for method in ("euler", "heun", "midpoint"):
        seen.clear()
        out = sample(with_known_prefix(velocity, known, noise), noise, steps=4, method=method)
        torch.testing.assert_close(out[..., :4], known, atol=1e-6, rtol=0)
        for x, t in seen:  # at every evaluation the frames sit at (1 - t) noise + t known
            torch.testing.assert_close(x, (1 - t) * noise[..., :4] + t * known, atol=1e-6, rtol=0)
    assert with_known_prefix(velocity, known[..., :0], noise) is velocity


def test_generate_with_known_prefix(model, text_encoder) -> None:
    cond = make_conditioning(1.0, text=text_encoder.encode(["rain"]), frame_rate=FPS)
    noise = torch.randn(1, 32, 63, generator=_gen(6))
    known = torch.randn(1, 32, 20, generator=_gen(7))
    free = generate_latents(model, cond, num_steps=3, noise=noise)
    for method in ("euler", "heun"):
        out = generate_latents(model, cond, num_steps=3, method=method, noise=noise, known=known)
        torch.testing.assert_close(out[..., :20], known, atol=1e-5, rtol=0)
    assert not torch.allclose(out[..., 20:], free[..., 20:])  # the model sees the context
    empty = generate_latents(model, cond, num_steps=3, noise=noise, known=known[..., :0])
    assert torch.equal(empty, free)


def test_old_setting_names_still_work_with_a_warning(model, text_encoder) -> None:
    import pytest

    cond = make_conditioning(1.0, text=text_encoder.encode(["a drum"]), frame_rate=FPS)
    noise = torch.randn(1, 32, 63, generator=_gen(4))
    new = generate_latents(model, cond, num_steps=2, guidance_scale=3.0, noise=noise)
    with pytest.warns(DeprecationWarning, match="'steps' is deprecated, use 'num_steps'"):
        old = generate_latents(model, cond, steps=2, text_scale=3.0, noise=noise)
    torch.testing.assert_close(old, new, rtol=0, atol=0)
    with pytest.raises(TypeError, match="unexpected keyword arguments"):
        generate_latents(model, cond, stpes=2, noise=noise)
    with pytest.raises(ConfigError, match="give 'num_steps' only"):
        generate_latents(model, cond, steps=2, num_steps=3, noise=noise)
    with pytest.raises(ConfigError, match="give 'guidance_scale' only"):
        guidance_conditioning(cond, text_scale=2.0, guidance_scale=3.0)
