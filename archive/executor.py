"""Run pack and verify tasks: in this process, or in a pool of local processes.

An executor maps a task function over items and yields the results as they finish; the caller
sorts what it keeps, so the order of completion never reaches the output.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait


def default_jobs() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


class LocalExecutor:
    """``jobs`` worker processes (1: run in this process). Keeps at most ``2 * jobs`` tasks
    queued, so a plan of a million units is never held in memory at once."""

    def __init__(self, jobs: int = 1):
        self.jobs = max(1, jobs)
        self._pool: ProcessPoolExecutor | None = None

    def __enter__(self) -> LocalExecutor:
        if self.jobs > 1:
            context = multiprocessing.get_context("forkserver")
            self._pool = ProcessPoolExecutor(self.jobs, mp_context=context)
        return self

    def __exit__(self, *exc) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)

    def map(self, fn: Callable, items: Iterable, *args) -> Iterator:
        if self._pool is None:
            for item in items:
                yield fn(item, *args)
            return
        pending: set[Future] = set()
        for item in items:
            pending.add(self._pool.submit(fn, item, *args))
            if len(pending) >= 2 * self.jobs:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                yield from (f.result() for f in done)
        while pending:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            yield from (f.result() for f in done)
