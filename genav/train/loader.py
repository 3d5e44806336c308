"""The trainer's data path: a step-indexed batch sampler, a torch DataLoader, accelerate's sharding.

The global batch of step ``s`` is a pure function of (seed, s): consecutive slices of per-epoch
permutations of the items (:func:`batch_picks`). A :class:`StepBatchSampler` yields the batches of
steps ``[start, stop)``, so a resumed run starts at its step without replaying the ones before.
accelerate's ``BatchSamplerShard`` (``split_batches=True``) gives each process its slice of every
global batch, and DataLoader workers read and collate the items.

Two kinds of training sets go through the same loader:

- an in-memory :class:`TrainSet` (``__len__`` and ``collate(indices) -> batch``): items are the
  indices themselves and ``collate`` builds the batch;
- a :class:`StreamSet` (a torch ``Dataset`` with ``batch_requests`` and ``collate``): the sampler
  turns each step's ``(item, epoch)`` picks into requests (e.g. with the step's crop length),
  workers read them (``dataset[request]``), ``collate`` stacks the items.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol, runtime_checkable

import torch


class TrainSet(Protocol):
    """Items addressed by index; ``collate`` turns a list of indices into a batch."""

    def __len__(self) -> int: ...

    def collate(self, indices: Sequence[int]) -> Any: ...


@runtime_checkable
class StreamSet(Protocol):
    """A map-style torch Dataset read by DataLoader workers.

    ``batch_requests(step, picks)`` maps a step's ``(item, epoch)`` pairs to the keys passed to
    ``__getitem__`` (in the main process, so step-level choices are shared by the whole batch);
    ``collate(items)`` stacks what ``__getitem__`` returned.
    """

    def __len__(self) -> int: ...

    def batch_requests(self, step: int, picks: Sequence[tuple[int, int]]) -> list[Any]: ...

    def __getitem__(self, request: Any) -> Any: ...

    def collate(self, items: list[Any]) -> Any: ...


def batch_picks(step: int, batch_size: int, num_items: int, seed: int) -> list[tuple[int, int]]:
    """``(item, epoch)`` of the global batch of ``step``: consecutive slices of per-epoch permutations
    (a batch may straddle two epochs; with fewer items than a batch it spans several)."""
    start = step * batch_size
    out: list[tuple[int, int]] = []
    while len(out) < batch_size:
        epoch, offset = divmod(start + len(out), num_items)
        perm = torch.randperm(num_items, generator=torch.Generator().manual_seed(seed * 100_003 + epoch))
        out.extend((int(i), epoch) for i in perm[offset : offset + batch_size - len(out)].tolist())
    return out


def batch_indices(step: int, batch_size: int, num_items: int, seed: int) -> list[int]:
    """Indices of the global batch of ``step`` (see :func:`batch_picks`)."""
    return [i for i, _ in batch_picks(step, batch_size, num_items, seed)]


class StepBatchSampler(torch.utils.data.Sampler):
    """Global batches of steps ``[start, stop)``; ``plan(step, picks)`` turns picks into requests
    (default: the item indices)."""

    drop_last = True

    def __init__(
        self,
        num_items: int,
        batch_size: int,
        seed: int,
        *,
        start: int,
        stop: int,
        plan: Callable[[int, list[tuple[int, int]]], list[Any]] | None = None,
    ) -> None:
        self.num_items, self.batch_size, self.seed = num_items, batch_size, seed
        self.start, self.stop, self.plan = start, stop, plan

    def __len__(self) -> int:
        return max(0, self.stop - self.start)

    def __iter__(self):
        for step in range(self.start, self.stop):
            picks = batch_picks(step, self.batch_size, self.num_items, self.seed)
            yield self.plan(step, picks) if self.plan is not None else [i for i, _ in picks]


class _Indices(torch.utils.data.Dataset):
    def __init__(self, n: int) -> None:
        self.n = n

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i: int) -> int:
        return i


def make_loader(
    train_set: TrainSet | StreamSet,
    *,
    batch_size: int,
    seed: int,
    start: int,
    stop: int,
    accelerator: Any,
    num_workers: int = 0,
) -> Any:
    """A DataLoader over steps ``[start, stop)`` of ``train_set``, sharded across processes by
    accelerate (each process gets ``batch_size / num_processes`` items of every global batch)."""
    from accelerate.data_loader import prepare_data_loader

    streamed = isinstance(train_set, StreamSet)
    sampler = StepBatchSampler(
        len(train_set),
        batch_size,
        seed,
        start=start,
        stop=stop,
        plan=train_set.batch_requests if streamed else None,
    )
    loader = torch.utils.data.DataLoader(
        train_set if streamed else _Indices(len(train_set)),
        batch_sampler=sampler,
        collate_fn=train_set.collate,
        num_workers=num_workers,
        persistent_workers=False,
        prefetch_factor=2 if num_workers else None,
    )
    return prepare_data_loader(
        loader,
        num_processes=accelerator.num_processes,
        process_index=accelerator.process_index,
        split_batches=True,
        put_on_device=False,
        rng_types=None,
    )
