"""Find records without knowing their ids: by source path, capture key or URL, and the titles
and outlets to show beside ids.

Every lookup streams over the records shards in batches of a few columns, filtered with
pyarrow.compute, so memory holds one batch and the matches, never the release.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from archive.capture.sources import display_name
from archive.errors import UsageError
from archive.format.schema import json_value
from archive.inspect import find_record, read_manifest, record_shards, shard_batches

_RECORD_ID = re.compile(r"[0-9a-f]{32}")
_KEY_COLUMNS = [
    "record_id",
    "title",
    "capture.source_path",
    "capture.url",
    "capture.warc_record_id",
    "capture.retrieved_at",
]


@dataclass(frozen=True)
class Candidate:
    """A record a source path or URL names: enough to tell it from the others."""

    record_id: str
    source_path: str
    url: str | None
    retrieved_at: str | None
    title: str | None

    def as_dict(self) -> dict:
        return asdict(self)

    def line(self) -> str:
        return "  ".join(
            [self.record_id, self.retrieved_at or "-", self.source_path, self.url or "-"]
        )


class AmbiguousRecord(UsageError):
    """A source path or URL names more than one record; ``candidates`` are all of them."""

    def __init__(self, message: str, candidates: tuple[Candidate, ...]):
        super().__init__(message)
        self.candidates = candidates


@dataclass(frozen=True)
class Label:
    """What a person recognises a record by."""

    title: str | None
    outlet: str | None


def record_by_key(release: str | Path, key: str) -> dict:
    """The record ``key`` names, in its JSON form: a record id (32 hex digits), a source path
    (``capture.source_path``, a longer path ending in it, or the path below the source
    folder), a capture key (``source_path#WARC-Record-ID``) or a capture URL.

    Raises :class:`AmbiguousRecord` (listing every candidate) when several records match and
    ``UsageError`` when none does.
    """
    key = display_name(key)
    if _RECORD_ID.fullmatch(key):
        return find_record(release, key)
    found = matching_records(release, key)
    if not found:
        raise UsageError(
            f"no record {key!r} in {release}: not a record id (32 hex digits), source path or "
            "URL of one"
        )
    if len(found) > 1:
        raise AmbiguousRecord(
            f"{key!r} names {len(found)} records in {release} (listed on stdout): give one "
            "record id",
            found,
        )
    return find_record(release, found[0].record_id)


def matching_records(release: str | Path, key: str) -> tuple[Candidate, ...]:
    """The records ``key`` names, in record id order: those whose source path, capture key or
    URL is ``key`` exactly; when there are none and ``key`` is not a URL, those whose source
    path ends ``key`` (at a ``/``) or that ``key`` ends (a path on disk that holds the source
    folder). Bytes of a name that are not UTF-8 (a path given on the command line) are
    matched as the pack names them, as ``\\xNN`` escapes (``sources.display_name``)."""
    key = display_name(key)
    exact: list[Candidate] = []
    loose: list[Candidate] = []
    suffixes = pa.array(path_suffixes(key), pa.string())
    tail = "/" + key.removeprefix("./")
    for batch in _batches(release, _KEY_COLUMNS):
        capture = batch.column("capture")
        source = pc.struct_field(capture, "source_path")
        url = pc.struct_field(capture, "url")
        capture_key = pc.binary_join_element_wise(
            source, pc.struct_field(capture, "warc_record_id"), "#"
        )
        same = pc.or_kleene(pc.equal(source, key), pc.equal(url, key))
        same = pc.fill_null(pc.or_kleene(same, pc.equal(capture_key, key)), False)
        exact.extend(_candidates(batch.filter(same)))
        if not exact and "://" not in key:  # a URL is matched whole, never as a path
            near = pc.or_(pc.is_in(source, value_set=suffixes), pc.ends_with(source, tail))
            loose.extend(_candidates(batch.filter(near)))
    return tuple(exact or loose)


def path_suffixes(path: str) -> list[str]:
    """``path`` and every tail of it that starts after a ``/``.

    >>> path_suffixes("examples/captures/a.txt")
    ['examples/captures/a.txt', 'captures/a.txt', 'a.txt']
    """
    parts = [p for p in path.split("/") if p not in ("", ".")]
    return ["/".join(parts[i:]) for i in range(len(parts))]


def record_labels(release: str | Path, ids: Iterable[str]) -> dict[str, Label]:
    """The title and outlet of each record of ``ids`` (those the release holds)."""
    wanted = pa.array(sorted(set(ids)), pa.string())
    labels: dict[str, Label] = {}
    if len(wanted) == 0:
        return labels
    for batch in _batches(release, ["record_id", "title", "outlet"]):
        chosen = batch.filter(pc.is_in(batch.column("record_id"), value_set=wanted))
        for row in chosen.to_pylist():
            labels[row["record_id"]] = Label(row["title"], row["outlet"])
    return labels


def _batches(release: str | Path, columns: list[str]) -> Iterator[pa.RecordBatch]:
    shards = record_shards(read_manifest(release))
    yield from shard_batches([Path(release) / shard for shard in shards], columns)


def _candidates(batch: pa.RecordBatch) -> list[Candidate]:
    return [
        Candidate(
            row["record_id"],
            row["capture"]["source_path"],
            row["capture"]["url"],
            json_value(row["capture"]["retrieved_at"]),
            row["title"],
        )
        for row in batch.to_pylist()
    ]
