"""Exponential moving average of a model's weights, for any accelerate strategy.

The average is kept as shadow copies of the *local* parameters of the prepared module (whole
tensors under DDP, each process's shards under FSDP), updated with one fused ``lerp`` per step, so
it needs no second model and never gathers weights during training. To use the averaged weights
(validation, export, checkpoints) they are swapped into the module for the duration of a block
(:meth:`EMA.applied`); checkpoints hold the full (gathered) averaged state dict, written through
``accelerator.save_state`` as a registered object.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

import torch
from torch import nn

StateDictFn = Callable[[], dict[str, torch.Tensor]]
LoadFn = Callable[[dict[str, torch.Tensor]], None]


class EMA:
    """Shadow weights following ``ema = lerp(ema, w, 1 - decay)`` after every optimiser step.

    The decay ramps up as ``min(decay, (1 + n) / (10 + n))`` over the first updates so the
    average is not dominated by the random initialisation. ``full_state_dict``/``load_full_state_dict``
    read and write the module's full state dict (collectives under FSDP: every process calls
    :meth:`state_dict`/:meth:`load_state_dict`, as ``accelerator.save_state``/``load_state`` do);
    by default the module's own ``state_dict``/``load_state_dict``.
    """

    def __init__(
        self,
        module: nn.Module,
        decay: float,
        *,
        full_state_dict: StateDictFn | None = None,
        load_full_state_dict: LoadFn | None = None,
    ) -> None:
        self.module, self.decay, self.updates = module, decay, 0
        self.params = [p for p in module.parameters() if p.is_floating_point()]
        self.shadow = [p.detach().clone() for p in self.params]
        self._full = full_state_dict or module.state_dict
        self._load = load_full_state_dict or (lambda sd: module.load_state_dict(sd, strict=True))

    def current_decay(self) -> float:
        return min(self.decay, (1 + self.updates) / (10 + self.updates))

    @torch.no_grad()
    def update(self) -> None:
        """Move the average towards the module's current weights."""
        torch._foreach_lerp_(
            self.shadow,
            [p.detach().to(s.dtype) for p, s in zip(self.params, self.shadow, strict=True)],
            1.0 - self.current_decay(),
        )
        self.updates += 1

    @contextlib.contextmanager
    def applied(self) -> Iterator[None]:
        """Within the block the module holds the averaged weights; its own come back after."""
        with torch.no_grad():
            kept = [p.detach().clone() for p in self.params]
            torch._foreach_copy_([p.data for p in self.params], self.shadow)
        try:
            yield
        finally:
            with torch.no_grad():
                torch._foreach_copy_([p.data for p in self.params], kept)

    def weights(self) -> dict[str, torch.Tensor]:
        """The module's full state dict with the averaged weights (buffers as they are)."""
        with self.applied():
            return {k: v.detach().clone() for k, v in self._full().items()}

    def state_dict(self) -> dict[str, Any]:
        """For ``accelerator.register_for_checkpointing``: the averaged weights and the update count."""
        return {"weights": self.weights(), "updates": self.updates}

    @torch.no_grad()
    def load_state_dict(self, state: dict[str, Any]) -> None:
        with self.applied():  # load into the module, take the (local) result as the shadow
            self._load(state["weights"])
            torch._foreach_copy_(self.shadow, [p.detach() for p in self.params])
        self.updates = int(state["updates"])
