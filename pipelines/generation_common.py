"""What every genav pipeline call uses, whatever its model: per-output seeds, seeded noise, wall
time per phase, and prompt lists checked once."""

from __future__ import annotations

import numbers
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager

import torch
from torch import Tensor

from genav.errors import InputError


def resolve_seeds(seed: int | None, generator: torch.Generator | None, count: int) -> list[int]:
    """Per-output seeds: ``seed, seed + 1, ...``; drawn from ``generator``; or fresh random ones.

    Raises:
        InputError: ``seed`` is not a whole number in ``[0, 2**63 - count]`` (torch's seed range),
            or ``generator`` is not a ``torch.Generator``.
    """
    if seed is not None:
        if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or not 0 <= seed <= 2**63 - count:
            raise InputError(f"seed must be a whole number from 0 to 2**63 - {count}, got {seed!r}")
        return [int(seed) + i for i in range(count)]
    if generator is not None and not isinstance(generator, torch.Generator):
        raise InputError(f"generator must be a torch.Generator, got {type(generator).__name__}")
    if generator is not None:
        return [
            int(v)
            for v in torch.randint(0, 2**31 - 1, (count,), generator=generator, device=generator.device)
        ]
    return [secrets.randbelow(2**31 - 1) for _ in range(count)]


MAX_OUTPUTS = 1000  # outputs of one call: a bound on time, not on memory (they are sampled in one batch)


def check_whole(name: str, value: object, low: int, high: int | None = None) -> int:
    """``value`` as an int when it is a whole number (not a bool) from ``low`` to ``high``
    (None: no upper bound); else InputError naming ``name`` and the range."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < low or (
            high is not None and value > high):  # fmt: skip
        span = f"from {low} to {high}" if high is not None else f"of at least {low}"
        raise InputError(f"{name} must be a whole number {span}, got {value!r}")
    return int(value)


def check_num_outputs(num_outputs: object) -> int:
    """Outputs per call: a whole number from 1 to :data:`MAX_OUTPUTS`; raises InputError."""
    return check_whole("num_outputs", num_outputs, 1, MAX_OUTPUTS)


def check_output_index(index: object, count: int) -> int:
    """An index into a result of ``count`` outputs (negative counts from the end); raises InputError."""
    if isinstance(index, bool) or not isinstance(index, numbers.Integral) or not -count <= index < count:
        raise InputError(f"output index {index!r} out of range (this result holds {count})")
    return int(index)


def seeded_noise(seeds: list[int], shape: tuple[int, int]) -> Tensor:
    """``(len(seeds), C, T)`` float32 standard normal noise for ``shape = (C, T)``; row ``i`` from
    ``seeds[i]``, drawn on the CPU (the same on every device) frame by frame, so the noise of the
    first frames does not depend on ``T`` (a longer clip starts like a shorter one)."""
    channels, frames = shape
    rows = [torch.randn(frames, channels, generator=torch.Generator().manual_seed(s)).T for s in seeds]
    return torch.stack(rows).contiguous()


class PhaseTimer:
    """Wall time per named phase (seconds), accumulated. ``device``: a CUDA device is synchronised
    at phase boundaries so that asynchronous kernels count in the phase that launched them."""

    def __init__(self, device: torch.device | None = None) -> None:
        self.seconds: dict[str, float] = {}
        self._cuda = device is not None and device.type == "cuda"

    @contextmanager
    def __call__(self, phase: str) -> Iterator[None]:
        self._sync()
        begin = time.perf_counter()
        try:
            yield
        finally:
            self._sync()
            self.seconds[phase] = self.seconds.get(phase, 0.0) + time.perf_counter() - begin

    def _sync(self) -> None:
        if self._cuda:
            torch.cuda.synchronize()


def prompt_list(prompt: str | list[str] | None, *, required: bool) -> list[str] | None:
    """Validate prompts: a non-empty string or a non-empty list of them (None allowed if not required)."""
    if prompt is None:
        if required:
            raise InputError("a prompt is required for text-to-audio")
        return None
    if not isinstance(prompt, (str, list, tuple)):
        raise InputError(f"a prompt must be a string or a list of strings, got {type(prompt).__name__}")
    items = [prompt] if isinstance(prompt, str) else list(prompt)
    if not items:
        raise InputError("the prompt list is empty")
    for p in items:
        if not isinstance(p, str):
            raise InputError(f"each prompt must be a string, got {type(p).__name__}")
        if not p.strip():
            raise InputError("empty prompt: describe the sound to generate")
    return items
