"""The pack cache: what a pack learned about furniture, kept beside its release for the next
version's pack (``.archive-cache/<release>``, see :class:`~archive.release.workdir.CacheDir`).

It holds each text record's furniture contribution and the furniture they taught, and each text
or HTML record's input as it was read (size, modification time, inode and change time, SHA-256:
what ``trust_mtime`` compares), tied to the release by its manifest digest; and the capture
log's index, tied to the log's bytes (or to its first bytes, when a JSON Lines log grew at its
end); and what signing found of each distinct body, for
relation finding (:mod:`archive.release.signature_cache`). It is not part of the release:
deleting it only makes the next version's pack slower, and a cache that cannot be kept is
dropped, never a failure.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import sys
from collections.abc import Iterator
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.compute as pc

from archive.capture.storage import RemotePath
from archive.format.manifest import canonical_json
from archive.format.parquetio import iter_ipc_batches, read_ipc, write_ipc_batches
from archive.release.workdir import CacheDir, WorkDir

if TYPE_CHECKING:
    from archive.extract import LearnedFurniture


@dataclass(frozen=True)
class ParentCache:
    """A parent pack's cache that belongs to that very parent: the file of its records'
    furniture contributions, and the furniture they taught."""

    furniture: Path
    learned: LearnedFurniture


# A record's furniture contribution (``archive.extract.learned``): its outlet bucket, its
# document hash and the hashes of its paragraphs; the work files of a pack, and its cache.
CONTRIBUTION_SCHEMA = pa.schema(
    [
        ("record_id", pa.string()),
        ("bucket", pa.string()),
        ("doc", pa.uint64()),
        ("keys", pa.list_(pa.uint64())),
    ]
)
SEEN_SCHEMA = pa.schema(
    [
        ("record_id", pa.string()),
        ("size", pa.int64()),
        ("mtime_ns", pa.int64()),
        ("raw_sha256", pa.string()),
        ("kind", pa.string()),
        ("ctime_ns", pa.int64()),
        ("inode", pa.int64()),
    ]
)


def cache_path(release: Path) -> Path:
    """Where a release's pack cache lives: ``.archive-cache/<release>`` beside it."""
    return CacheDir.beside(release).folder


def parent_cache(release: Path, manifest_sha256: str) -> ParentCache | None:
    """The cache beside the parent ``release``, when it is there and belongs to this very
    parent (its ``manifest.json`` has ``manifest_sha256``)."""
    from archive.extract import LearnedFurniture

    cache = CacheDir.beside(release)
    try:
        meta = json.loads(cache.learned().read_bytes())
    except (OSError, ValueError):
        return None
    if meta.get("manifest_sha256") != manifest_sha256:
        return None
    entries = tuple((o, int(k), int(n)) for o, k, n in meta["entries"])
    return ParentCache(cache.furniture(), LearnedFurniture(entries, meta["min_docs"]))


def seen_cache(release: Path, manifest_sha256: str) -> Path | None:
    """The file of the inputs the pack of ``release`` read (:data:`SEEN_SCHEMA`), when its
    cache is there and belongs to this very release."""
    cache = CacheDir.beside(release)
    try:
        meta = json.loads(cache.seen_meta().read_bytes())
    except (OSError, ValueError):
        return None
    if meta.get("manifest_sha256") != manifest_sha256 or not cache.seen().is_file():
        return None
    return cache.seen()


def cached_contributions(cache: Path | RemotePath, ids: pa.Array) -> pa.Table:
    """The cached furniture contributions of the records ``ids``, as the rows of the cache file
    (``record_id``, ``bucket``, ``doc``, ``keys``), filtered in Arrow: no Python per record.
    The file is in record id order, so only its batches whose first and last ids bound some of
    ``ids`` are read (a shard's, when ``ids`` are of one shard), not the corpus's."""
    if not len(ids):
        return CONTRIBUTION_SCHEMA.empty_table()
    low, high = (v.as_py() for v in pc.min_max(ids).values())
    kept = [
        batch.filter(pc.is_in(batch["record_id"], value_set=ids))
        for batch in iter_ipc_batches(cache, mapped=True)
        if batch.num_rows
        and batch["record_id"][0].as_py() <= high
        and batch["record_id"][-1].as_py() >= low
    ]
    return pa.Table.from_batches(kept, CONTRIBUTION_SCHEMA)


def indexed_log(log_path: Path, index_path: Path, parent: Path | None, keep: CacheDir | None):
    """The capture log at ``log_path``, indexed at ``index_path``: a copy of the index the
    ``parent`` release's pack kept, when it indexed the very same log (same name and bytes) with
    the same code, else built afresh (:meth:`CaptureLog.build`), from that copy when the log
    only grew by lines added at its end since. The index is also kept in ``keep`` (when given)
    for the next version."""
    from archive.capture.capturelog import CaptureLog, IndexedPart
    from archive.errors import CaptureLogError, UsageError

    if not log_path.is_file():
        return CaptureLog.build(log_path, index_path)
    cache = CacheDir.beside(parent) if parent is not None else None
    kept = _kept_log_meta(cache) if cache is not None else None
    key, prefix = _log_key_and_prefix(log_path, kept["bytes"] if kept else None)
    log = None
    same = kept is not None and {k: kept.get(k) for k in key} == key
    if same or (kept is not None and _grown(kept, key, prefix)):
        # A kept index gone bad is left for the log read whole (as without a cache); so is a
        # grown log that cannot be used, whose error the whole read states as it would (a
        # byte's place in the file).
        with suppress(OSError, sqlite3.Error, UsageError):
            shutil.copyfile(cache.log_index(), index_path)
            problems = [CaptureLogError(*p) for p in kept["problems"]]
            if same:
                log = CaptureLog(index_path, log_path.name, problems, kept["size"], key["sha256"])
            else:
                part = IndexedPart(kept["bytes"], kept["lines"], kept["size"], tuple(problems))
                log = CaptureLog.build(log_path, index_path, part)
    if log is None:
        index_path.unlink(missing_ok=True)
        log = CaptureLog.build(log_path, index_path)
    if keep is not None and log.sha256 == key["sha256"]:
        try:
            keep.folder.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(index_path, keep.log_index())
            problems = [[p.path, p.line, p.message] for p in log.problems]
            meta = key | {"size": log.size, "problems": problems}
            keep.log_meta().write_bytes(canonical_json(meta))
        except OSError:  # an optimisation, never a failure
            keep.log_meta().unlink(missing_ok=True)
    return log


def _grown(kept: dict, key: dict, prefix: str | None) -> bool:
    """Whether the log ``key`` describes is the one ``kept`` describes with lines added at its
    end: the same name and reading code, and the kept log's bytes (whole lines, JSON Lines)
    its first bytes."""
    same = all(kept.get(k) == key[k] for k in ("name", "code", "python"))
    counted = kept["lines"] is not None
    return same and counted and key["bytes"] > kept["bytes"] and prefix == kept.get("sha256")


def _log_key_and_prefix(log_path: Path, prefix_bytes: int | None = None) -> tuple[dict, str | None]:
    """What a capture log's index is a function of: the log's name and bytes, and the code
    (and Python) that reads it; with its size, and its count of lines when it is JSON Lines
    ending with a line break and no line ends in a lone carriage return (else None: its lines
    are not counted here, and a later log that grows from it is read whole). And the SHA-256
    of its first ``prefix_bytes`` bytes, when it has at least that many."""
    digest = hashlib.sha256()
    prefix = None
    size = newlines = returns = crlf = 0
    last = b""
    with open(log_path, "rb") as handle:
        while block := handle.read(1 << 20):
            if prefix_bytes is not None and size < prefix_bytes <= size + len(block):
                cut = prefix_bytes - size
                digest.update(block[:cut])
                prefix = digest.hexdigest()  # and the digest goes on
                digest.update(block[cut:])
            else:
                digest.update(block)
            size += len(block)
            newlines += block.count(b"\n")
            returns += block.count(b"\r")
            crlf += block.count(b"\r\n")  # one cut between blocks counts as a lone return
            last = block[-1:]
    code = hashlib.sha256()
    for name in log_reader_modules():
        code.update(Path(sys.modules[name].__file__).read_bytes())
    counted = last == b"\n" and returns == crlf and log_path.suffix.lower() != ".csv"
    key = {
        "name": log_path.name,
        "sha256": digest.hexdigest(),
        "bytes": size,
        "lines": newlines if counted else None,
        "code": code.hexdigest(),
        "python": sys.version,
    }
    return key, prefix


def log_reader_modules() -> list[str]:
    """The capture-log reader's module and every module of the package whose names it uses,
    found from its namespace, so that a new helper it imports changes the key with no list
    to keep."""
    from archive.capture import capturelog

    names = {capturelog.__name__}
    for value in vars(capturelog).values():
        is_module = isinstance(value, ModuleType)
        module = value.__name__ if is_module else getattr(value, "__module__", "")
        if isinstance(module, str) and module.startswith("archive."):
            names.add(module)
    return sorted(names)


def _kept_log_meta(cache: CacheDir) -> dict | None:
    """What a cache says of the log index it keeps, if it keeps one and says it in full."""
    try:
        meta = json.loads(cache.log_meta().read_bytes())
    except (OSError, ValueError, RecursionError):
        return None
    whole = (
        isinstance(meta, dict)
        and isinstance(meta.get("size"), int)
        and isinstance(meta.get("bytes"), int)
        and isinstance(meta.get("lines"), int | None)
        and isinstance(meta.get("problems"), list)
        and all(_problem_row(p) for p in meta["problems"])
    )
    return meta if whole and cache.log_index().is_file() else None


def _problem_row(row) -> bool:
    return (
        isinstance(row, list)
        and len(row) == 3
        and isinstance(row[0], str)
        and isinstance(row[1], int)
        and isinstance(row[2], str)
    )


def write_cache(workdir: WorkDir, learned: LearnedFurniture | None, manifest_sha256: str) -> None:
    """The furniture contributions and learned furniture of this pack, and the inputs it read,
    for the next version."""
    _write_seen(workdir, manifest_sha256)
    parts = workdir.tasks.contributions()
    if learned is None or not parts:
        return
    cache = workdir.cache()
    cache.folder.mkdir(parents=True, exist_ok=True)
    write_ipc_batches(_in_id_order(parts), CONTRIBUTION_SCHEMA, cache.furniture())
    meta = {
        "manifest_sha256": manifest_sha256,
        "min_docs": learned.min_docs,
        "entries": [[o, str(k), n] for o, k, n in learned.entries],
    }
    cache.learned().write_bytes(canonical_json(meta))


def _in_id_order(shards: list[Path | RemotePath]) -> Iterator[pa.RecordBatch]:
    """The contributions of ``shards`` (one file each, in shard order) in record id order, a
    shard at a time: a shard is a range of record ids, so sorting each sorts them all, and the
    corpus's contributions are never held at once."""
    for path in shards:
        yield from read_ipc(path).sort_by("record_id").combine_chunks().to_batches()


def _write_seen(workdir: WorkDir, manifest_sha256: str) -> None:
    parts = workdir.tasks.seen_lists()
    if not parts:
        return
    cache = workdir.cache()
    cache.folder.mkdir(parents=True, exist_ok=True)
    # unit by unit, never the whole list at once: the next pack's index is keyed, not sorted
    batches = (batch for part in parts for batch in iter_ipc_batches(part))
    write_ipc_batches(batches, SEEN_SCHEMA, cache.seen())
    cache.seen_meta().write_bytes(canonical_json({"manifest_sha256": manifest_sha256}))


def keep_cache(built: CacheDir, release: Path) -> None:
    """Move the cache a pack built beside its ``release``, in place of any older one."""
    if not built.folder.is_dir():
        return
    kept = CacheDir.beside(release).folder
    shutil.rmtree(kept, ignore_errors=True)
    kept.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.rename(built.folder, kept)
    except OSError:
        shutil.rmtree(built.folder, ignore_errors=True)  # an optimisation, never a failure
