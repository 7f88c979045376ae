"""The file and shard tasks of a verification: which ones its checks need, and running them
in processes or on Ray.

A task is a plain tuple (picklable, and the key of its result): ``("hash", relative)``,
``("rows", index, relative, shards, hashes, dehydrated)``, ``("sample", relative, row_groups,
positions, hashes, dehydrated)`` or ``("relations", relative, dehydrated)`` (``dehydrated``:
the release is of the metadata-only tier).
"""

from __future__ import annotations

import multiprocessing
import random
import signal
import sys
from bisect import bisect_right
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from archive.capture import storage
from archive.capture.storage import RemotePath
from archive.format.manifest import file_sha256
from archive.inspect import record_shards
from archive.runtime.executors import executor_for
from archive.runtime.process import stops_held
from archive.verification.audit import Audit, Task
from archive.verification.shards import relation_rows, sampled_rows, shard_rows


def hash_tasks(audit: Audit) -> list[Task]:
    return [("hash", relative) for relative in sorted(audit.present)]  # streamed: any size


def row_tasks(audit: Audit) -> list[Task]:
    """One task per readable record shard, in shard order: every row, or the sampled rows."""
    if "row tasks" not in audit.memo:
        audit.memo["row tasks"] = _row_tasks(audit)
    return audit.memo["row tasks"]


def _row_tasks(audit: Audit) -> list[Task]:
    plan, footers = audit.plan, audit.footers
    dehydrated = dehydrated_release(audit.manifest)
    everything = record_shards(audit.manifest)
    shards = [s for s in everything if s in footers and footers[s].sound]
    if plan.sample is None:
        return [
            ("rows", everything.index(relative), relative, len(everything), plan.hashes, dehydrated)
            for relative in shards
        ]
    picks = _sample_positions([footers[s].rows for s in shards], plan.sample, plan.seed)
    return [
        (
            "sample",
            relative,
            footers[relative].row_groups,
            tuple(positions),
            plan.hashes,
            dehydrated,
        )
        for relative, positions in zip(shards, picks, strict=True)
        if positions
    ]


def dehydrated_release(manifest: dict) -> bool:
    """Whether the release is of the metadata-only tier (its texts withheld: all of them, or
    some when it was rehydrated in part)."""
    return manifest.get("settings", {}).get("tier", "full") == "metadata-only"


def _sample_positions(sizes: list[int], sample: int, seed: int) -> list[list[int]]:
    """For each shard, the sorted positions of the rows audited: ``sample`` rows drawn without
    replacement from the whole release by ``random.Random(seed)`` (the same on every machine)."""
    total = sum(sizes)
    chosen = sorted(random.Random(seed).sample(range(total), min(sample, total)))
    starts = [0]
    for size in sizes:
        starts.append(starts[-1] + size)
    picks: list[list[int]] = [[] for _ in sizes]
    for position in chosen:
        shard = bisect_right(starts, position) - 1
        picks[shard].append(position - starts[shard])
    return picks


def run_tasks(
    folder: str,
    tasks: list[tuple],
    *,
    jobs: int,
    executor: str,
    address: str | None,
    fork: bool = True,
) -> dict[tuple, object]:
    """Run the tasks on the release in ``folder`` (a local folder or a URL), in ``jobs``
    processes or on Ray; results keyed by task. ``fork``: local workers may be forked from
    this process (on Linux)."""
    if not tasks:
        return {}
    jobs = min(jobs, len(tasks))
    # Storage clients (the AWS SDK, fsspec's event loop) are not safe across a fork: workers
    # that read a URL, or that a process holding such clients would fork, start from the server.
    if executor == "local" and jobs > 1 and fork and _forks() and not storage.is_url(folder):
        return _forked(folder, tasks, jobs)
    results = {}
    with executor_for(executor, jobs, address) as pool:
        for task, result in pool.map(_task, _longest_first(tasks), folder):
            results[task] = result
    return results


def _forks() -> bool:
    return sys.platform.startswith("linux")


def _forked(folder: str, tasks: list[tuple], jobs: int) -> dict[tuple, object]:
    """The tasks in ``jobs`` processes forked from this one. Verify's tasks need only what this
    process has already imported, so a forked worker starts at once, where the fork server
    first imports every module of pack's workers too (seconds of CPU, about a whole verify
    of 10,000 rows). Arrow's thread pools are fork-safe; the workers touch no other state."""
    pool = ProcessPoolExecutor(
        jobs, mp_context=multiprocessing.get_context("fork"), initializer=_worker_started
    )
    try:
        with stops_held():  # the submits start the workers
            futures = [pool.submit(_task, task, folder) for task in _longest_first(tasks)]
        return dict(future.result() for future in futures)
    except BaseException:
        # Stopped, or a task failed: nothing of the workers' may outlive this call.
        for process in list(getattr(pool, "_processes", {}).values()):
            process.kill()
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _worker_started() -> None:
    """A forked worker set up as the fork server's are: it ends on SIGTERM or SIGHUP (it does
    not inherit the command's handlers, which stop the command:
    ``archive.cli_output.stop_on_signals``), and allocates as archive's processes do, whoever
    called verify (``archive.runtime.process``), its heap keeping freed blocks for the next
    batch. Arrow's own C++ allocations come from the pool the forking process chose: an API
    caller that loaded pyarrow before archive keeps pyarrow's default for those."""
    from archive.runtime.process import forgo_pandas, reuse_freed_memory, use_system_allocator

    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, signal.SIG_DFL)
    use_system_allocator()
    reuse_freed_memory()
    forgo_pandas()


def _longest_first(tasks: list[tuple]) -> list[tuple]:
    """The relations table first, then the row tasks, then the file hashes: a row costs far
    more than hashing its bytes, so the last task to finish is a short one; and the one
    relations table (several relations a record) would otherwise start last, all its rows
    left to one worker while the other has none."""
    return sorted(tasks, key=lambda task: (task[0] != "relations", task[0] == "hash"))


def _task(task: tuple, root: str) -> tuple[tuple, object]:
    """One file or shard task; ``root`` is a local folder or the release's URL."""
    folder = RemotePath(root) if storage.is_url(root) else Path(root)
    kind = task[0]
    if kind == "hash":
        return task, file_sha256(folder / task[1])
    if kind == "rows":
        _, index, relative, shards, hashes, dehydrated = task
        path = folder / relative
        return task, shard_rows(path, relative, index, shards, hashes=hashes, dehydrated=dehydrated)
    if kind == "relations":
        _, relative, dehydrated = task
        return task, relation_rows(folder / relative, relative, dehydrated)
    _, relative, row_groups, positions, hashes, dehydrated = task
    path = folder / relative
    return task, sampled_rows(path, relative, row_groups, positions, hashes, dehydrated)


__all__ = ["hash_tasks", "row_tasks", "run_tasks"]
