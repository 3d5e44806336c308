"""A debug audio MM-DiT with every weight random (adaLN-Zero would otherwise make outputs 0)."""

from __future__ import annotations

import pytest
import torch

from genav.encoders.text import HashTextEncoder
from genav.models import AudioMMDiT, debug_config


def randomize(model: torch.nn.Module, seed: int = 0) -> torch.nn.Module:
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in model.parameters():
            fan_in = p[0].numel() if p.dim() > 1 else 1
            p.copy_(torch.randn(p.shape, generator=gen) * (fan_in**-0.5 if p.dim() > 1 else 0.1))
    return model


@pytest.fixture(scope="module")
def model() -> AudioMMDiT:
    torch.manual_seed(0)
    return randomize(AudioMMDiT(debug_config())).eval()


@pytest.fixture(scope="module")
def text_encoder() -> HashTextEncoder:
    return HashTextEncoder(32)
