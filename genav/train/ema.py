"""Exponential moving average of a model's weights."""

from __future__ import annotations

import copy

import torch
from torch import nn


class EMA:
    """A frozen copy of ``model`` whose float weights follow ``ema = lerp(ema, w, 1 - decay)``.

    The decay ramps up as ``min(decay, (1 + n) / (10 + n))`` over the first updates so the average
    is not dominated by the random initialisation. Buffers are copied as they are. The copy lives
    on the model's device (``.module``), ready for validation and export.
    """

    def __init__(self, model: nn.Module, decay: float) -> None:
        self.decay = decay
        self.updates = 0
        self.module = copy.deepcopy(model).eval().requires_grad_(False)

    def current_decay(self) -> float:
        return min(self.decay, (1 + self.updates) / (10 + self.updates))

    @torch.no_grad()
    def update(self, model: nn.Module) -> None:
        decay = self.current_decay()
        ema_params = list(self.module.parameters())
        params = [p.detach() for p in model.parameters()]
        floats = [(e, p) for e, p in zip(ema_params, params, strict=True) if e.is_floating_point()]
        if floats:
            torch._foreach_lerp_([e for e, _ in floats], [p.to(e.dtype) for e, p in floats], 1.0 - decay)
        for e_buf, buf in zip(self.module.buffers(), model.buffers(), strict=True):
            e_buf.copy_(buf)
        self.updates += 1

    def state_dict(self) -> dict[str, torch.Tensor]:
        return self.module.state_dict()

    def load_state_dict(self, state: dict[str, torch.Tensor], updates: int) -> None:
        from genav.checkpoint import load_state_strict

        load_state_strict(self.module, state, source="EMA checkpoint")
        self.updates = updates
