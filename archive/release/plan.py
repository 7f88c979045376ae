"""How a pack is cut into work: record ids, shards, and units of input.

A pack is a fixed list of tasks that any executor may run in any order on any worker:

* a *unit* is a slice of the input (a batch of files in walk order, or one container file); its
  task reads and extracts each capture and files each row under its *shard*;
* a *shard* is one output Parquet file holding the records whose ``record_id`` falls in its
  range of the id space. The shard count comes from the input size and the settings, never
  from the number of workers, so the output bytes do not depend on how the work was run.

Record ids are hashes, so ranges split them evenly and the release as a whole is sorted by
``record_id``.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass

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
    """One task's slice of the input: files in walk order (with their sizes and kinds)."""

    index: int
    files: tuple  # tuple[InputFile, ...]

    @property
    def bytes(self) -> int:
        return sum(f.size for f in self.files)


def units_of(files, *, max_files: int, max_bytes: int):
    """Cut a stream of ``InputFile`` into ``Unit``s; a container file (WARC) is a unit alone."""
    batch: list = []
    size = 0
    index = 0
    for item in files:
        if item.kind == "warc":
            if batch:
                yield Unit(index, tuple(batch))
                index, batch, size = index + 1, [], 0
            yield Unit(index, (item,))
            index += 1
            continue
        batch.append(item)
        size += item.size
        if len(batch) >= max_files or size >= max_bytes:
            yield Unit(index, tuple(batch))
            index, batch, size = index + 1, [], 0
    if batch:
        yield Unit(index, tuple(batch))
