"""The context of a pack's tasks, built in one place: its settings, the tasks' work folder, the
capture log and the parent's rows to reuse, where the tasks reach them.

For a remote ``out`` the workers may share no disk with the driver: the driver's SQLite indexes,
the parent's pack cache and a local parent's record shards are copied beside the tasks' files
first, and a remote parent is read where it is.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from archive.capture.capturelog import CaptureLog
from archive.capture.storage import RemotePath
from archive.release.parent import Parent, ParentIndex, ParentReuse, reuse_of
from archive.release.stages import PackContext
from archive.release.workdir import WorkDir
from archive.settings import PackSettings


def pack_context(
    settings: PackSettings,
    shards: int,
    workdir: WorkDir,
    log: CaptureLog | None,
    lineage: Parent | None,
    parent_at: RemotePath | None,
    withdrawn: frozenset[str],
) -> PackContext:
    """The context of every task of a pack: the capture log and the parent's rows to reuse,
    where the tasks reach them. For a remote ``out`` the driver's indexes, the parent's pack
    cache and a local parent's shards are copied beside the tasks' files first; a remote
    parent (at ``parent_at``) is read where it is."""
    reuse = reuse_of(lineage, workdir.parent_index(), settings.trust_mtime)
    if reuse is not None and parent_at is not None:
        reuse = replace(reuse, path=parent_at)
    if workdir.is_remote:
        workdir.tasks.shards().mkdir(parents=True, exist_ok=True)
        if log is not None:
            log = log.read_at(_published(log.index_path, workdir))
        if reuse is not None:
            reuse = _published_reuse(reuse, lineage, workdir, parent_at)
    return PackContext(settings, shards, workdir.tasks, log, reuse, withdrawn)


def _published_reuse(
    reuse: ParentReuse, lineage: Parent, workdir: WorkDir, parent_at: RemotePath | None
) -> ParentReuse:
    """``reuse`` as the workers of a remote pack reach it: the parent index and the parent's
    pack cache copied beside the tasks' files, and a local parent's record shards too (the
    workers may not see its disk)."""
    index = ParentIndex(_published(reuse.index.path, workdir), reuse.index.seen)
    path = reuse.path if parent_at is not None else _published_parent(lineage, workdir)
    cache = _published(reuse.cache, workdir) if reuse.cache is not None else None
    return replace(reuse, index=index, path=path, cache=cache)


def _published(file: Path, workdir: WorkDir) -> Path | RemotePath:
    """The driver's ``file`` (an SQLite index, the parent's furniture cache), copied into the
    shared work folder for the workers."""
    target = workdir.tasks.worker_copy(file)
    target.upload(file)
    return target


def _published_parent(lineage: Parent, workdir: WorkDir) -> Path | RemotePath:
    """The record shards of a local parent, copied beside the tasks' files for the workers
    that reuse its rows."""
    folder = workdir.tasks.parent_copy()
    for relative in lineage.shards:
        (folder / relative).upload(lineage.path / relative)
    return folder
