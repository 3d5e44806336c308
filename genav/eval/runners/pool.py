"""A process pool over independent items that returns results in input order.

Workers start from a fresh interpreter (``forkserver`` on POSIX, else ``spawn``), never by forking
a parent that may already run OpenCV/OpenMP/torch threads. Modules named in ``preload`` are
imported once in the fork server, so workers do not each pay for heavy imports. A worker that
dies (segfault, out of memory) does not stop the run: its items get ``on_error``'s result.
"""

from __future__ import annotations

import logging
import multiprocessing as mp
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any, TypeVar

logger = logging.getLogger(__name__)

__all__ = ["default_workers", "map_ordered"]

T = TypeVar("T")
R = TypeVar("R")


def default_workers() -> int:
    """Number of CPU cores this process may use (affinity-aware)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def _context(preload: Sequence[str]) -> mp.context.BaseContext:
    if "forkserver" in mp.get_all_start_methods():
        ctx = mp.get_context("forkserver")
        if preload:
            ctx.set_forkserver_preload(list(preload))  # only takes effect if the server is not running
        return ctx
    return mp.get_context("spawn")


def map_ordered(
    fn: Callable[[T], R],
    items: Sequence[T],
    *,
    workers: int | None = None,
    preload: Sequence[str] = (),
    initializer: Callable[..., Any] | None = None,
    initargs: tuple = (),
    on_error: Callable[[T, BaseException], R] | None = None,
    log_every: int = 0,
) -> list[R]:
    """``[fn(x) for x in items]`` over ``workers`` processes (default: all cores), in input order.

    ``workers <= 1`` (or a single item) runs in this process, with no pool and no pickling.
    ``fn``, ``initializer`` and the items must be picklable (module-level functions).
    ``on_error(item, exc)`` turns an exception escaping ``fn`` or a dead worker into a result;
    without it the first such exception propagates. ``log_every`` > 0 logs progress at INFO.
    """
    n = len(items)
    workers = default_workers() if workers is None else int(workers)
    if workers < 1:
        raise ValueError(f"workers must be >= 1, got {workers}")
    workers = min(workers, max(n, 1))
    results: list[Any] = [None] * n

    def _done(count: int) -> None:
        if log_every and (count % log_every == 0 or count == n):
            logger.info("%d/%d done", count, n)

    if workers == 1 or n <= 1:
        if initializer is not None:
            initializer(*initargs)
        for i, item in enumerate(items):
            results[i] = _call(fn, item, on_error)
            _done(i + 1)
        return results

    with ProcessPoolExecutor(
        max_workers=workers, mp_context=_context(preload), initializer=initializer, initargs=initargs
    ) as pool:
        futures = [pool.submit(fn, item) for item in items]
        for count, (i, future) in enumerate(enumerate(futures), start=1):
            try:
                results[i] = future.result()
            except Exception as exc:  # includes BrokenProcessPool for a dead worker
                if on_error is None:
                    raise
                results[i] = on_error(items[i], exc)
            _done(count)
    return results


def _call(fn: Callable[[T], R], item: T, on_error: Callable[[T, BaseException], R] | None) -> R:
    try:
        return fn(item)
    except Exception as exc:
        if on_error is None:
            raise
        return on_error(item, exc)
