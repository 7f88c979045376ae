"""The file and shard tasks of a verification, run in processes or on Ray.

A task is a plain tuple (picklable, and the key of its result): ``("hash", relative)``,
``("rows", index, relative, shards, hashes)`` or ``("sample", relative, row_groups,
positions, hashes)``.
"""

from __future__ import annotations

from pathlib import Path

from archive.capture import storage
from archive.capture.storage import RemotePath
from archive.format.manifest import file_sha256
from archive.runtime.executors import executor_for
from archive.verification.shards import sampled_rows, shard_rows


def run_tasks(
    folder: str, tasks: list[tuple], *, jobs: int, executor: str, address: str | None
) -> dict[tuple, object]:
    """Run the tasks on the release in ``folder`` (a local folder or a URL), in ``jobs``
    processes or on Ray; results keyed by task."""
    if not tasks:
        return {}
    results = {}
    with executor_for(executor, min(jobs, len(tasks)), address) as pool:
        for task, result in pool.map(_task, tasks, folder):
            results[task] = result
    return results


def _task(task: tuple, root: str) -> tuple[tuple, object]:
    """One file or shard task; ``root`` is a local folder or the release's URL."""
    folder = RemotePath(root) if storage.is_url(root) else Path(root)
    kind = task[0]
    if kind == "hash":
        return task, file_sha256(folder / task[1])
    if kind == "rows":
        _, index, relative, shards, hashes = task
        path = folder / relative
        return task, shard_rows(path, relative, index, shards, hashes=hashes)
    _, relative, row_groups, positions, hashes = task
    return task, sampled_rows(folder / relative, relative, row_groups, positions, hashes)


__all__ = ["run_tasks"]
