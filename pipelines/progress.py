"""Progress bars for long work: over items (batches, clips) and over the sampling steps of one item.

Bars go to stderr and switch themselves off when ``GENAV_PROGRESS=0`` (tests, logs of background
jobs); the library code they wrap only sees an iterable or a ``progress(step, total)`` callback.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

T = TypeVar("T")


def enabled() -> bool:
    """Whether bars are shown (``GENAV_PROGRESS=0`` turns them off)."""
    return os.environ.get("GENAV_PROGRESS", "1") not in ("0", "false", "no")


def item_bar(items: Iterable[T], *, desc: str, unit: str = "item", total: int | None = None) -> Iterable[T]:
    """``items`` wrapped in a tqdm bar (the iterable itself when bars are off)."""
    if not enabled():
        return items
    from tqdm.auto import tqdm

    return tqdm(items, desc=desc, unit=unit, total=total, dynamic_ncols=True, leave=False)


@contextmanager
def step_bar(desc: str = "sampling") -> Iterator[Callable[[int, int], None] | None]:
    """A ``progress(step, total)`` callback that drives one bar (steps of all windows of one item),
    for the pipelines' ``progress=`` argument; yields None when bars are off."""
    if not enabled():
        yield None
        return
    from tqdm.auto import tqdm

    bar: Any = None

    def progress(step: int, total: int) -> None:
        nonlocal bar
        if bar is None:
            bar = tqdm(total=total, desc=desc, unit="step", dynamic_ncols=True, leave=False)
        bar.n = min(step, total)
        bar.refresh()

    try:
        yield progress
    finally:
        if bar is not None:
            bar.close()
