"""How a pack is cut into work: record ids, shards, and units of input.

A pack is a fixed list of tasks that any executor may run in any order on any worker:

* a *unit* is a slice of the input (a batch of files in walk order, one container file, or a
  span of a big WARC file read in parallel with its other spans); its task reads and extracts
  each capture and files each row under its *shard*;
* a *shard* is one output Parquet file holding the records whose ``record_id`` falls in its
  range of the id space. The shard count comes from the input size and the settings, never
  from the number of workers, so the output bytes do not depend on how the work was run.

Record ids are hashes, so ranges split them evenly and the release as a whole is sorted by
``record_id``. The walk over the sources writes the units to a file, the *plan*, in order; the
executor reads them back from it one at a time, so a walk of any size is never held whole.
"""

from __future__ import annotations

import hashlib
import math
import os
import pickle
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from archive.capture import storage
from archive.capture.sources import InputFile, Skipped, root_name, walk
from archive.model import QuarantineEntry
from archive.settings import PackSettings

Progress = Callable[[str, int, int | None], None]

if TYPE_CHECKING:
    from archive.capture.warc import WarcSpan

RECORD_ID_PREFIX = b"archive-record-v1\n"


def record_id(capture_key: str) -> str:
    """The stable id of a capture: 32 hex digits of SHA-256 over its key.

    The key is ``capture.source_path`` for a file, ``source_path + '#' + WARC-Record-ID`` for a
    WARC record; so re-packing the same capture gives the same id, and two paths never share one.

    >>> record_id("examples/a.txt") == record_id("examples/a.txt") != record_id("examples/b.txt")
    True
    """
    return hashlib.sha256(RECORD_ID_PREFIX + capture_key.encode("utf-8")).hexdigest()[:32]


def shard_of(rid: str, shards: int) -> int:
    """The shard whose id range holds ``rid`` (ranges of equal width over the id space)."""
    return (int(rid[:8], 16) * shards) >> 32


def shard_count(input_bytes: int, shard_bytes: int, fixed: int | None = None) -> int:
    """How many shards a pack of ``input_bytes`` gets (``fixed`` overrides)."""
    if fixed:
        return fixed
    return max(1, math.ceil(input_bytes / shard_bytes))


def shard_name(index: int, shards: int) -> str:
    return f"records-{index:05d}-of-{shards:05d}.parquet"


@dataclass(frozen=True)
class Unit:
    """One task's slice of the input: files in walk order (with their sizes and kinds), or
    one span of a big WARC file (``span``; ``files`` holds that file alone)."""

    index: int
    files: tuple  # tuple[InputFile, ...]
    span: WarcSpan | None = None

    @property
    def bytes(self) -> int:
        if self.span is not None:
            end = self.span.stops[0] if self.span.stops else self.files[0].size
            return end - self.span.start
        return sum(f.size for f in self.files)


def units_of(files, *, max_files: int, max_bytes: int):
    """Cut a stream of ``InputFile`` into ``Unit``s; a container file (WARC) is a unit alone,
    or, when larger than ``max_bytes``, one unit per span (``warc_spans``)."""
    batch: list = []
    size = 0
    index = 0
    for item in files:
        if item.kind == "warc":
            if batch:
                yield Unit(index, tuple(batch))
                index, batch, size = index + 1, [], 0
            for span in warc_spans(item, max_bytes):
                yield Unit(index, (item,), span)
                index += 1
            continue
        batch.append(item)
        size += decoded_size(item)
        if len(batch) >= max_files or size >= max_bytes:
            yield Unit(index, tuple(batch))
            index, batch, size = index + 1, [], 0
    if batch:
        yield Unit(index, tuple(batch))


def tapered(units: Iterator[Unit], max_files: int) -> Iterator[Unit]:
    """``units`` with the files of the last few cut smaller: once fewer than four full units'
    worth of files are left, each unit takes a quarter of what is left (never under an eighth
    of ``max_files``), as the last spans of a big WARC file do
    (:func:`archive.capture.warc.span_step`). The last units are then small beside what the
    workers have left between them, so they run out of work nearly together, whatever their
    number (which must not cut the input: not every executor knows it). Files of four units
    are held back, never more; a WARC file's spans (cut by their own rule) are not held."""
    held: deque[Unit] = deque()
    files = 0
    for unit in units:
        if unit.span is not None:
            yield unit  # ahead of files walked before it: the order of units changes no output
            continue
        held.append(unit)
        files += len(unit.files)
        while files - len(held[0].files) >= _TAIL_UNITS * max_files:
            files -= len(held[0].files)
            yield held.popleft()
    for unit in held:
        rest = unit.files
        while rest:
            piece = rest[: max(1, max_files // 8, min(max_files, files // _TAIL_UNITS))]
            yield Unit(unit.index, piece)
            rest, files = rest[len(piece) :], files - len(piece)


_TAIL_UNITS = 4


def decoded_size(item: InputFile) -> int:
    """About how many bytes ``item`` holds once read: for a local gzip file named ``.gz``, its
    own record of its size (ISIZE, the last four bytes: exact below 4 GiB for one member), never
    less than the file. Units are cut by it, so a unit of compressed pages holds as much text
    as one of plain. Opened as inputs are (no link followed, no waiting on a pipe)."""
    if item.kind == "warc" or not item.source_path.lower().endswith(".gz"):
        return item.size
    if storage.is_url(item.fs_path) or item.size < _GZIP_SMALLEST:
        return item.size
    try:
        with storage.open_input(item.fs_path) as handle:
            magic = handle.read(2)
            handle.seek(-4, os.SEEK_END)
            trailer = handle.read(4)
    except OSError:
        return item.size  # the task that reads it will say why
    if magic != b"\x1f\x8b":
        return item.size  # named .gz, but not gzip: read as it is
    return max(item.size, int.from_bytes(trailer, "little"))


_GZIP_SMALLEST = 18  # a header of 10 bytes and a trailer of 8


def warc_spans(item: InputFile, every: int) -> tuple[WarcSpan | None, ...]:
    """The spans of about ``every`` bytes (narrower towards the end) a WARC file is read in,
    one task each, so one big file uses every worker to its end; ``(None,)``: the file is read
    whole. A file that cannot be read here is read whole, and its task says why."""
    if item.size <= every:
        return (None,)
    from archive.capture.warc import spans_of, split_points

    try:
        points = split_points(item.fs_path, every, tail=True)
    except OSError:
        return (None,)
    return spans_of(points) if points else (None,)


@dataclass(frozen=True)
class Plan:
    """The walk of a pack's sources: its units (pickled in ``file``, in order), its shard
    count, each source's figures for the manifest, and what the walk could not read (as
    quarantine rows)."""

    file: Path
    shards: int
    unit_count: int
    sources: tuple[dict, ...]
    skipped: tuple[dict, ...]
    unit_files: tuple[int, ...] = ()  # input files of each unit, by index: progress in documents

    def units(self) -> Iterator[Unit]:
        with open(self.file, "rb") as handle:
            for _ in range(self.unit_count):
                yield pickle.load(handle)


def walk_plan(
    roots: Sequence,
    file: Path,
    settings: PackSettings,
    progress: Progress,
    unread: frozenset[str] = frozenset(),
) -> Plan:
    """Walk the sources once (but the folders ``unread``, see ``walk``): write their units to
    ``file``, note what cannot be read."""
    sources = []
    skipped: list[dict] = []
    unit_count = 0
    unit_files: list[int] = []
    total_bytes = 0
    seen = 0

    def walked() -> Iterator[Unit]:
        for root in roots:
            stats = {"name": root_name(root), "files": 0, "bytes": 0}

            def files(root=root, stats=stats) -> Iterator[InputFile]:
                nonlocal seen
                for item in walk([root], unread):
                    seen += 1
                    if seen % 10000 == 0:
                        progress("scan", seen, None)
                    stats["files"] += 1
                    if isinstance(item, Skipped):
                        entry = QuarantineEntry(
                            item.source_path, item.reason, item.message, item.size
                        )
                        skipped.append(vars(entry))
                        continue
                    stats["bytes"] += item.size
                    yield item

            yield from units_of(
                files(), max_files=settings.unit_files, max_bytes=settings.unit_bytes
            )
            sources.append(stats)

    with open(file, "wb") as plan_file:
        for unit in tapered(walked(), settings.unit_files):
            unit = Unit(unit_count, unit.files, unit.span)
            pickle.dump(unit, plan_file, protocol=pickle.HIGHEST_PROTOCOL)
            unit_count += 1
            unit_files.append(0 if unit.span and unit.span.start else len(unit.files))
            total_bytes += unit.bytes
    shards = shard_count(total_bytes, settings.shard_bytes, settings.shards)
    return Plan(file, shards, unit_count, tuple(sources), tuple(skipped), tuple(unit_files))
