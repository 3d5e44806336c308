"""Condition projections run once per generation (for all guidance branches together), not once
per solver step, and the cached path gives the same latents as recomputing them every step."""

from __future__ import annotations

import pytest
import torch

from genav.errors import InputError
from genav.models import AudioMMDiT, debug_config, generate_latents, make_conditioning
from tests.models.conftest import randomize

FPS = 62.5
PROJECTIONS = ("text_in", "pooled_in", "semantic_in", "sync_in", "sync_to_audio")


def _count_calls(model: AudioMMDiT) -> tuple[dict[str, int], list]:
    counts = dict.fromkeys(PROJECTIONS, 0)

    def hook(name: str):
        def count(*_args) -> None:
            counts[name] += 1

        return count

    handles = [getattr(model, n).register_forward_hook(hook(n)) for n in PROJECTIONS]
    return counts, handles


@pytest.mark.parametrize("null_conditions", ["embeddings", "token"])
def test_projections_once_per_generation_and_same_latents(text_encoder, null_conditions) -> None:
    torch.manual_seed(0)
    model = randomize(AudioMMDiT(debug_config(sync_to_audio=True, null_conditions=null_conditions))).eval()
    frames = torch.randint(
        0, 256, (2, 10, 32, 32, 3), dtype=torch.uint8, generator=torch.Generator().manual_seed(0)
    )
    cond = make_conditioning(
        [1.0, 0.6],
        text=text_encoder.encode(["rain", "a bell"]),
        video=model.encode_video(frames),
        frame_rate=FPS,
    )
    noise = torch.randn(2, 32, 63, generator=torch.Generator().manual_seed(1))
    # three branches (full, video, null): text and video scales differ, and a negative prompt
    settings = {"negative": text_encoder.encode(["music", "music"]), "guidance_scale": 3.0, "video_guidance_scale": 2.0}
    steps = 5
    counts, handles = _count_calls(model)
    try:
        cached = generate_latents(model, cond, num_steps=steps, noise=noise, **settings)
        once = dict(counts)
        counts.update(dict.fromkeys(PROJECTIONS, 0))
        recomputed = generate_latents(
            model, cond, num_steps=steps, noise=noise, cache_conditions=False, **settings
        )
    finally:
        for h in handles:
            h.remove()
    # one call each for the stacked branches (the whole batch of 3 x 2 rows), for the whole generation
    assert once == dict.fromkeys(PROJECTIONS, 1), once
    assert counts == dict.fromkeys(PROJECTIONS, steps), counts
    torch.testing.assert_close(cached, recomputed, rtol=0, atol=0)


def test_prepared_conditions_must_match_the_latents(model, text_encoder) -> None:
    cond = make_conditioning(1.0, text=text_encoder.encode(["rain"]), frame_rate=FPS)
    prepared = model.prepare_conditions(cond, 1, 63, torch.device("cpu"))
    x, t = torch.randn(1, 32, 63), torch.full((1,), 0.3)
    torch.testing.assert_close(model(x, t, cond, prepared=prepared), model(x, t, cond), rtol=0, atol=0)
    with pytest.raises(InputError, match="conditions prepared for 1 x 63 frames"):
        model(torch.randn(1, 32, 40), t, cond, prepared=prepared)
