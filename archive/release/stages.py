"""The kinds of pack task, each a pure function of its arguments and the work folder.

1. ``extract_unit``: read and extract one unit of input; file each row under its shard (or, when
   the parent release derived the same row, only its id, to be copied), each quarantined input
   under the unit.
2. ``gather_shards``: for each shard of a group (one shard, or ``GATHER_GROUP`` when the
   extraction filed many fragments, so that each is opened once a group), its new and reused
   rows, sorted by ``record_id``, and the counts of their repeated paragraphs for furniture
   learning; of rows giving one record id (a WARC file giving one WARC-Record-ID twice), the
   first in the file, the others quarantined.
3. ``finalize_shard``: apply the learned furniture and index the body hashes for duplicates.
4. ``write_shard``: mark duplicates, withhold text where the tier says so, write the Parquet file.

Executors (local processes, Ray) only call these; none decides names or order, so how the work
is spread never changes the bytes of the release.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field, fields, replace
from functools import partial
from json.encoder import encode_basestring
from operator import itemgetter
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from pyarrow import ipc

from archive.capture.capturelog import (
    CaptureLog,
    LogEntry,
    StoredEntry,
    entry_from_stored,
    logged_capture,
    rights_of,
)
from archive.capture.sources import SNIFF_BYTES, sniffed_kind
from archive.capture.storage import RemotePath, input_descriptor, is_url, open_input
from archive.format.counts import unknown_counts
from archive.format.manifest import file_digests
from archive.format.parquetio import (
    bounded_slices,
    ipc_writer,
    mapped_ipc,
    merged_rows,
    read_ipc,
    rows_filed_under_each,
    rows_in_runs,
    rows_kept,
    write_ipc,
    write_ipc_batches,
    write_ipc_by_shard,
    write_parquet,
)
from archive.format.rows import record_table
from archive.format.schema import QUARANTINE_ARROW_SCHEMA, RECORD_ARROW_SCHEMA
from archive.model import (
    CaptureInfo,
    Extraction,
    Provenance,
    QuarantineEntry,
    Record,
    Span,
    record_with,
)
from archive.records import (
    HTML_EXTRACTOR,
    held_weight,
    hints_for,
    html_record,
    plain_extraction,
    quarantine_row,
    text_record,
    warc_capture_key,
    warc_record,
    with_languages,
)
from archive.release.cache import CONTRIBUTION_SCHEMA, SEEN_SCHEMA, cached_contributions
from archive.release.parent import ParentReuse, parent_columns, parent_rows
from archive.release.plan import Unit, record_id, shard_of
from archive.release.workdir import TaskDir, release_shard
from archive.runtime.process import release_memory
from archive.settings import PackSettings
from archive.text.normalize import sha256_text

if TYPE_CHECKING:
    from archive.extract import LearnedFurniture

_HASH_BLOCK = 1024 * 1024
_PY_BATCH = 1000  # rows held as Python objects at once
MERGE_BATCH_ROWS = 1024  # rows of each shard's index a merge over all shards holds at once
_EMPTY_BODY_SHA256 = sha256_text("")
DUP_INDEX_SCHEMA = pa.schema([("text_sha256", pa.string()), ("record_id", pa.string())])
DUPS_SCHEMA = pa.schema([("record_id", pa.string()), ("duplicate_of", pa.string())])


@dataclass(frozen=True)
class PackContext:
    """Everything a task needs besides its unit or shard; small and picklable. The pack
    builds it in one place (``archive.release.context.pack_context``)."""

    settings: PackSettings
    shards: int
    work: TaskDir
    log: CaptureLog | None
    parent: ParentReuse | None
    withdrawn: frozenset[str]

    def reusable(self, rid: str, derivation: str) -> bool:
        return self.parent is not None and self.parent.derivation(rid) == derivation

    def extractor(self) -> tuple[Callable, str, bool]:
        """The extractor of text captures, its name, and whether it leaves each body's
        language out, for ``with_languages`` to add a batch of records at a time
        (``_languages_added``): the article extractor does; the plain one finds none."""
        if self.settings.extract == "none":
            return plain_extraction, "archive-plain/14", False
        from archive.extract import EXTRACTOR_VERSION, extract_text_capture

        name = f"archive-text/{EXTRACTOR_VERSION}"
        return partial(extract_text_capture, language=False), name, True


@dataclass(frozen=True)
class UnitSummary:
    """What one unit produced: records (new and reused), quarantine entries, withdrawn inputs,
    and WARC records not packed."""

    index: int
    records: int
    reused: int
    quarantined: int
    withdrawn: int
    warc_skipped: dict = field(default_factory=dict)
    warc_bad_digests: tuple = ()
    warc_span: tuple | None = None  # (source path, start, stop): see ``spans_counted``
    log_lines: bytes = b""  # the capture-log lines naming its inputs, int64 (``matched_lines``)


@dataclass(frozen=True)
class Reused:
    """A capture whose row the parent release already derived: it is copied, not extracted."""

    record_id: str


@dataclass(frozen=True)
class Withdrawn:
    """A capture withdrawn from the release: it leaves only a tombstone."""

    record_id: str
    raw_sha256: str
    source_path: str


def _log_keys(source_path: str) -> tuple[str, str]:
    """The two paths a capture-log line may name an input by: its path in the source folder,
    and (to tell two source folders apart) ``<folder name>/<path>``."""
    return source_path.partition("/")[2], source_path


def _stored_entry(ctx: PackContext, source_path: str) -> StoredEntry | None:
    """The capture-log entry of an input, as the log's index keeps it, by either of its
    ``_log_keys``."""
    if ctx.log is None:
        return None
    short, whole = _log_keys(source_path)
    return ctx.log.stored(short) or ctx.log.stored(whole)


def _unusable_line(ctx: PackContext, source_path: str) -> QuarantineEntry | None:
    """A quarantine entry for an input that a capture-log line names but cannot be used for
    (a bad line, or one giving its path again with other values), or that usable lines name in
    both forms of its path: packed by one line, or by none, it would be published under
    rights, an outlet or a date its log did not give, where the other line may say
    metadata-only (for a WARC file, its records' rights)."""
    if ctx.log is None:
        return None
    keys = _log_keys(source_path)
    found = [stored for stored in map(ctx.log.stored, keys) if stored]
    if len(found) == 2:  # two lines, as a path given twice is: which one holds is not known
        first, second = sorted(entry_from_stored(stored).line for stored in found)
        message = (
            f"its lines {first} and {second} in {ctx.log.name} both name it ({keys[0]} and "
            f"{keys[1]}): keep one to pack it"
        )
        return QuarantineEntry(source_path, "capture-log", message)
    refused = [bad for bad in map(ctx.log.unusable, keys) if bad]
    if not refused:
        return None
    line, why = min(refused)  # the first line of the two
    message = f"its line {line} in {ctx.log.name} cannot be used ({why}): mend it to pack it"
    return QuarantineEntry(source_path, "capture-log", message)


def _parsed_entry(stored: StoredEntry | None) -> LogEntry | None:
    return None if stored is None else entry_from_stored(stored)


def _warc_rights(ctx: PackContext, source_path: str) -> LogEntry | None:
    """The rights the capture-log line naming a WARC file states, for every record inside it
    (``rights_of``; None: no line names the file, or its line states no rights)."""
    stored = _stored_entry(ctx, source_path)
    return None if stored is None else rights_of(entry_from_stored(stored))


def _read(
    fs_path: str, size_limit: int, wanted: Callable[[bytes], bool] | None = None
) -> tuple[bytes | None, str, int]:
    """(bytes, sha256, size), hashing in the pass that reads. The bytes are None when there are
    more than ``size_limit``, or when ``wanted``, given the first ``SNIFF_BYTES`` of them, says
    they are not wanted: a file whose first bytes show it is no capture is hashed, not held
    (a 180 MB log left among the captures took a worker from 84 to 455 MiB)."""
    if is_url(fs_path):
        with open_input(fs_path) as handle:
            return _read_blocks(handle.read, _HASH_BLOCK, size_limit, wanted)
    descriptor, size = input_descriptor(fs_path)
    try:
        return _read_blocks(partial(os.read, descriptor), _block_for(size), size_limit, wanted)
    finally:
        os.close(descriptor)


def _read_blocks(
    read: Callable[[int], bytes], step: int, size_limit: int, wanted: Callable | None
) -> tuple[bytes | None, str, int]:
    digest = hashlib.sha256()
    chunks: list[bytes] = []
    size = 0
    keep = True
    while block := read(step):
        digest.update(block)
        size += len(block)
        if keep and wanted is not None and size >= SNIFF_BYTES:
            keep, wanted = wanted(_head([*chunks, block])), None
        if keep and size <= size_limit:
            chunks.append(block)
        else:
            keep = False
            chunks.clear()
    if keep and wanted is not None:  # a file shorter than what a sniff reads
        keep = wanted(b"".join(chunks))
    return (b"".join(chunks) if keep else None), digest.hexdigest(), size


def _head(chunks: list[bytes]) -> bytes:
    return chunks[0] if len(chunks[0]) >= SNIFF_BYTES else b"".join(chunks)[:SNIFF_BYTES]


def _is_html(head: bytes) -> bool:
    return sniffed_kind(head) == "html"


def _block_for(size: int) -> int:
    """The file's size and one more byte (to meet its end), from 8 KiB (a file that says it
    is empty may not be) up to ``_HASH_BLOCK``: a read allocates its whole block before it
    fills it, and most captures are a few kilobytes."""
    return max(1 << 13, min(_HASH_BLOCK, size + 1))


def derivation_sha256(
    raw_sha256: str,
    extractor: str,
    settings: PackSettings,
    capture: CaptureInfo,
    entry: LogEntry | None,
    log_name: str | None = None,
) -> str:
    """The hash of everything a row is derived from; equal hashes give equal rows (before the
    corpus-level steps: learned furniture and duplicate links). A capture-log entry counts
    with the log's name and its line, which the row's evidence quotes."""
    digest = _prefix_digest(extractor, settings)
    basis = [raw_sha256, list(vars(capture).values())]
    if entry is not None:
        basis.append([log_name, *vars(entry).values()])
    # ``default`` turns a time into its ISO form where the encoder meets one: the same bytes
    # as converting every value first, without a Python call per value
    data = json.dumps(basis, separators=(",", ":"), ensure_ascii=False, default=_plain_time)
    digest.update(data.encode("utf-8"))
    return digest.hexdigest()


def logged_derivation(
    raw_sha256: str,
    extractor: str,
    settings: PackSettings,
    source_path: str,
    stored: StoredEntry | None,
    log_name: str | None,
) -> str:
    """``derivation_sha256`` of a file's capture, from its capture-log entry as the log's
    index keeps it (``stored``; None: no entry), without making the entry and its capture:
    the index keeps both as the JSON ``derivation_sha256`` writes of them, so the text hashed
    is put together, not encoded. Most captures of a new version are reused, and for them
    this is all the log is read for: 1.9 µs a capture, where reading the index's JSON and
    writing it again took 12.5 µs (and making the entry about 35 µs)."""
    path = encode_basestring(source_path)  # what json.dumps writes of a str, not its set-up
    if stored is None:
        basis = f'["{raw_sha256}",[{path}{_NO_LOG_CAPTURE}]'
    else:
        name = "null" if log_name is None else encode_basestring(log_name)
        basis = f'["{raw_sha256}",[{path},{stored.capture[1:]},[{name},{stored.entry[1:]}]'
    digest = _prefix_digest(extractor, settings)
    digest.update(basis.encode("utf-8"))
    return digest.hexdigest()


# The capture struct of a file without a capture-log entry, after its path, as JSON.
_NO_LOG_CAPTURE = ",null" * (len(fields(CaptureInfo)) - 1) + "]"


_PREFIX_DIGESTS: dict[str, tuple[PackSettings, object]] = {}


def _prefix_digest(extractor: str, settings: PackSettings):
    """A SHA-256 that has read the derivation prefix, to be updated: one per extractor, kept
    while the settings are the very same object. A task's settings come unpickled, equal to but
    not the same as the last task's, which a cache by value would compare field by field
    (the outlet table too) for every capture."""
    found = _PREFIX_DIGESTS.get(extractor)
    if found is None or found[0] is not settings:
        found = (settings, hashlib.sha256(_derivation_prefix(extractor, settings)))
        _PREFIX_DIGESTS[extractor] = found
    return found[1].copy()


def _derivation_prefix(extractor: str, settings: PackSettings) -> bytes:
    """What every row of one pack shares in its derivation."""
    common = {"extractor": extractor, "settings": settings.derivation_settings()}
    return json.dumps(common, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _plain_time(value):
    if hasattr(value, "isoformat"):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def _settled(ctx: PackContext, rid: str, raw_sha256: str, source_path: str, derivation: str, build):
    """A withdrawn marker, a reuse marker, or the record ``build()`` makes, with its derivation."""
    if rid in ctx.withdrawn:
        return Withdrawn(rid, raw_sha256, source_path)
    if ctx.reusable(rid, derivation):
        return Reused(rid)
    outcome = build()
    if isinstance(outcome, Record):
        return record_with(outcome, derivation_sha256=derivation)
    return outcome


# A file modified this close to (or after) the moment it is read may change again within the
# same tick of its modification time: its size and mtime are not kept for ``trust_mtime``.
_RACY_NS = 2_000_000_000


def _trusted(ctx: PackContext, item, rid: str, extractor_name: str) -> tuple[Reused, dict] | None:
    """With ``trust_mtime``: a reuse marker (and the input as seen) for a file whose size,
    mtime, inode and change time are those the parent's pack read it with, and whose row
    (derived from those bytes, and today's capture-log entry and settings) the parent holds;
    None: read it."""
    if not ctx.settings.trust_mtime or ctx.parent is None or item.mtime_ns is None:
        return None
    seen = ctx.parent.index.seen_as(rid)
    if seen is None or _identity(seen) != _identity(item):
        return None
    if rid in ctx.withdrawn or item.size > ctx.settings.max_capture_bytes:
        return None
    if item.kind not in ("other", seen.kind):
        return None
    stored = _stored_entry(ctx, item.source_path)
    extracted_by = HTML_EXTRACTOR if seen.kind == "html" else extractor_name
    log_name = ctx.log.name if ctx.log else None
    derivation = logged_derivation(
        seen.raw_sha256, extracted_by, ctx.settings, item.source_path, stored, log_name
    )
    if not ctx.reusable(rid, derivation):
        return None
    return Reused(rid), _seen_row(rid, item, seen.raw_sha256, seen.kind)


def _identity(stat) -> tuple:
    """What tells a file unchanged without reading it: size and modification time, and (as
    git's index does) the inode and its change time, which restoring an mtime (``cp -p``,
    ``rsync -a``, ``touch -r``) or putting another file in its place cannot keep."""
    return (stat.size, stat.mtime_ns, stat.ctime_ns, stat.inode)


def _seen_row(rid: str, item, raw_sha256: str, kind: str) -> dict:
    return {
        "record_id": rid,
        "size": item.size,
        "mtime_ns": item.mtime_ns,
        "raw_sha256": raw_sha256,
        "kind": kind,
        "ctime_ns": item.ctime_ns,
        "inode": item.inode,
    }


def capture_outcome(ctx: PackContext, item, rid: str, extractor, extractor_name, seen=None):
    """Read and turn one text or HTML file (``rid`` its record id) into a record, a reuse or
    withdrawal marker, or a quarantine entry (never raises OSError). The file as read (size,
    mtime, SHA-256, kind) goes to ``seen`` when it is a record, unless it was modified too
    recently to be trusted."""
    refused = None if rid in ctx.withdrawn else _unusable_line(ctx, item.source_path)
    if refused is not None:  # a withdrawn input needs no line: its tombstone is made below
        return refused
    trusted = _trusted(ctx, item, rid, extractor_name)
    if trusted is not None:
        if seen is not None:
            seen.append(trusted[1])
        return trusted[0]
    started = time.time_ns()
    try:
        limit = ctx.settings.max_capture_bytes
        sniffing = item.kind == "other"
        raw, digest, size = _read(item.fs_path, limit, _is_html if sniffing else None)
    except OSError as exc:
        return QuarantineEntry(item.source_path, "unreadable", f"cannot be read: {exc.strerror}")
    if size > limit:
        message = f"{size} bytes is over the {limit}-byte limit (max_capture_bytes)"
        return QuarantineEntry(item.source_path, "too-large", message, size, digest)
    kind = "html" if sniffing and raw is not None else item.kind
    if kind not in ("text", "html"):
        message = (
            "not a capture archive reads (.txt, .html, .htm, .warc, .arc, optionally .gz), "
            "nor HTML by its first bytes"
        )
        return QuarantineEntry(item.source_path, "unsupported", message, size, digest)
    stored = _stored_entry(ctx, item.source_path)
    log_name = ctx.log.name if ctx.log else None
    source = item.source_path
    if kind == "html":
        extracted_by = HTML_EXTRACTOR

        def build():
            entry = _parsed_entry(stored)
            capture = logged_capture(source, entry)
            hints = hints_for(entry, log_name, ctx.settings)
            outcome = html_record(
                source,
                source,
                raw,
                hints,
                capture,
                ctx.settings,
                entry,
                log_name,
                raw_sha256=digest,
            )
            if item.kind == "html" or not isinstance(outcome, Record):
                return outcome
            return replace(outcome, flags=tuple(sorted({*outcome.flags, "media-type-sniffed"})))
    else:
        extracted_by = extractor_name

        def build():
            return text_record(
                source,
                raw,
                _parsed_entry(stored),
                log_name,
                ctx.settings,
                extractor,
                extractor_name,
                raw_sha256=digest,
            )

    derivation = logged_derivation(digest, extracted_by, ctx.settings, source, stored, log_name)
    outcome = _settled(ctx, rid, digest, source, derivation, build)
    settled = item.mtime_ns is not None and item.mtime_ns < started - _RACY_NS
    if seen is not None and settled and size == item.size and isinstance(outcome, Record | Reused):
        seen.append(_seen_row(rid, item, digest, kind))
    return outcome


def warc_outcomes(
    ctx: PackContext,
    item,
    extractor,
    extractor_name,
    skipped: Counter,
    bad_digests=None,
    span=None,
    stops=None,
) -> Iterator:
    """Every response of one WARC file (or of its ``span``) as a record, marker or quarantine
    entry; other records are counted in ``skipped`` by kind; damaged regions are quarantined
    with their offset. Records of any type whose digests fail are listed in ``bad_digests``
    (manifest rows); where the span's reading stopped goes to ``stops``."""
    from archive.capture.warc import (
        WarcDamage,
        WarcPayload,
        WarcSpanEnd,
        iter_warc,
        record_named,
    )

    refused = _unusable_line(ctx, item.source_path)
    if refused is not None:  # the file's one entry, from the task that reads its start
        if span is None or not span.start:
            yield refused
        return
    rights = _warc_rights(ctx, item.source_path)
    try:
        limit = ctx.settings.max_capture_bytes
        met = False
        for found in iter_warc(item.fs_path, max_bytes=limit, span=span):
            met = True
            if isinstance(found, WarcSpanEnd):
                if stops is not None:
                    stops.append(found.stop)
                continue
            if getattr(found, "bad_digests", ()) and bad_digests is not None:
                bad_digests.append(_digest_row(item.source_path, found))
            if isinstance(found, WarcPayload):
                yield _warc_payload(ctx, item, found, extractor, extractor_name, rights)
            elif isinstance(found, WarcDamage):
                message, offset = found.message, found.offset
                yield QuarantineEntry(item.source_path, "damaged", message, offset=offset)
            elif found.kind in _QUARANTINED_KINDS:
                named = record_named(found.warc_record_id, found.offset)
                message = f"{named}: {found.detail or found.kind}"
                reason = _QUARANTINED_KINDS[found.kind]
                yield QuarantineEntry(
                    item.source_path, reason, message, found.size, found.sha256, found.offset
                )
            else:
                skipped[found.kind] += 1
        if not met and span is None:  # else the file left no trace: no record, skip or damage
            _, digest, size = _read(item.fs_path, 0)
            message = "the file is empty" if not size else "the file holds no WARC record"
            yield QuarantineEntry(item.source_path, "empty", message, size, digest)
    except OSError as exc:
        yield QuarantineEntry(item.source_path, "unreadable", f"cannot be read: {exc.strerror}")


# The WARC records that hold a page but cannot be packed whole, and their quarantine reason: an
# incomplete page is kept out of the records (its text would pass for the article), not
# uncounted.
_QUARANTINED_KINDS = {
    "too-large": "too-large",
    "undecodable": "undecodable",
    "truncated": "damaged",
    "segmented": "unsupported",
    "partial": "unsupported",
}


def _digest_row(source_path: str, found) -> dict:
    """A WARC record whose stored digest does not match its bytes, as the manifest lists it."""
    return {
        "source_path": source_path,
        "offset": found.offset,
        "warc_record_id": found.warc_record_id,
        "warc_type": found.record_type,
        "digests": list(found.bad_digests),
    }


def _warc_payload(ctx: PackContext, item, payload, extractor, extractor_name, rights):
    digest = hashlib.sha256(payload.payload).hexdigest()
    rid = record_id(warc_capture_key(item.source_path, payload))
    name = extractor_name if payload.content_type == "text/plain" else HTML_EXTRACTOR
    capture = CaptureInfo.from_warc(item.source_path, payload)
    log_name = ctx.log.name if ctx.log and rights else None
    derivation = derivation_sha256(digest, name, ctx.settings, capture, rights, log_name)
    return _settled(
        ctx,
        rid,
        digest,
        item.source_path,
        derivation,
        lambda: warc_record(
            item.source_path,
            payload,
            ctx.settings,
            extractor,
            extractor_name,
            digest,
            rights,
            log_name,
        ),
    )


def _indexes_closed(ctx: PackContext) -> None:
    """Close the capture log's and the parent's indexes this task opened: each task has its
    own copy of ``ctx``, so a connection left open would be dropped with it."""
    if ctx.log is not None:
        ctx.log.close()
    if ctx.parent is not None:
        ctx.parent.index.close()


class _ShardBuffers:
    """Records filed by shard, written out as fragments whenever ``limit`` records, or
    ``chars`` characters of text, are held (a few hundred web pages can weigh hundreds of
    megabytes). With ``learning``, each text record's furniture contribution is filed beside
    it, computed here from the record's own text and spans, so the gathering of the shard need
    not read the text back.

    What is held is made one table at a flush, then cut by shard: building a table costs
    some sixty Arrow calls whatever its rows, and with many shards a flush holds few records
    of each (500 records of 1,000,000 captures in 192 shards: under 3). The fragments hold the
    same rows as tables made a shard at a time, not the same bytes (a slice keeps an empty
    list column's whole offsets buffer, and pads its strings: up to 4% larger files at 192
    shards). The table holds the flush's text at once, bounded by ``chars`` (about 10 MiB
    for 8 Mi characters of ASCII text, 24 MiB of CJK), and ``held_weight`` counts the spans too.
    For text the weight, not ``limit``, ends most flushes (about 1,250 fictional captures of
    5,200 characters and 24 spans with their bodies), and the fewer flushes, the fewer fragments
    for a shard's gathering to read (10,000 captures in 192 shards, ``--jobs 1``: 22.8 s of
    CPU with 500 records a flush, 19.4 s with 2,000). An extraction worker holds more: at
    100,000 captures its peak went from 120 to 169 MiB, below the driver's and the relation
    workers'; the pack's peak was 210 MiB before, 207 after."""

    def __init__(
        self,
        ctx: PackContext,
        unit: int,
        limit: int = 2000,
        chars: int = 1 << 23,
        learning: bool = False,
    ):
        self.ctx, self.unit, self.limit, self.chars = ctx, unit, limit, chars
        self.contribution = None
        if learning:
            from archive.extract.learned import extraction_contribution

            self.contribution = extraction_contribution
        self.records: list[tuple[int, Record]] = []
        self.contributions: list[tuple[int, tuple]] = []
        self.reused: dict[int, list[str]] = {}
        self.held = self.held_chars = self.parts = self.written = 0

    def add(self, record: Record) -> None:
        shard = shard_of(record.record_id, self.ctx.shards)
        self.records.append((shard, record))
        if self.contribution is not None and _learns(record.media_type, record.redistribution):
            found = self.contribution(record.capture_text, record.spans, record.outlet)
            if found is not None:
                self.contributions.append((shard, (record.record_id, *found)))
        self.held += 1
        self.held_chars += held_weight(record)
        if self.held >= self.limit or self.held_chars >= self.chars:
            self.flush()

    def reuse(self, rid: str) -> None:
        self.reused.setdefault(shard_of(rid, self.ctx.shards), []).append(rid)

    def flush(self) -> None:
        self._file(self.records, record_table, self.ctx.work.fragment(self.unit, self.parts))
        contributions = self.ctx.work.unit_contribution(self.unit, self.parts)
        self._file(self.contributions, contribution_table, contributions)
        self.written += self.held
        self.records, self.contributions = [], []
        self.held, self.held_chars, self.parts = 0, 0, self.parts + 1

    def _file(self, held: list[tuple[int, object]], table_of: Callable, path) -> None:
        """The ``held`` rows as one table (``table_of``) written to ``path`` with a batch per
        shard, each shard's rows in the order they were added."""
        if not held:
            return
        held = sorted(held, key=itemgetter(0))  # stable: each shard's rows stay in order
        path.parent.mkdir(parents=True, exist_ok=True)
        write_ipc_by_shard(table_of([row for _, row in held]), [shard for shard, _ in held], path)

    def flush_reused(self) -> int:
        held = [(shard, rid) for shard, ids in self.reused.items() for rid in ids]
        self._file(held, _reuse_table, self.ctx.work.reuse_list(self.unit))
        return len(held)


def extract_unit(unit: Unit, ctx: PackContext) -> UnitSummary:
    """Task 1: extract every capture of ``unit`` into per-shard fragments."""
    extractor, extractor_name, languages_later = ctx.extractor()
    buffers = _ShardBuffers(ctx, unit.index, learning=_learning(ctx))
    quarantined: list[dict] = []
    withdrawn: list[dict] = []
    skipped: Counter = Counter()
    bad_digests: list[dict] = []
    seen: list[dict] = []
    # each file's id, made once (a SHA-256): the parent's rows are looked up by it
    rids = [record_id(item.source_path) if item.kind != "warc" else "" for item in unit.files]
    log_lines = b""
    if ctx.log is not None:
        inputs = [item.source_path for item in unit.files]  # WARC files too: a line may name one
        lines = ctx.log.preload([p.partition("/")[2] for p in inputs] + inputs)
        log_lines = np.asarray(lines, np.int64).tobytes()
    if ctx.parent is not None:
        ctx.parent.index.preload([rid for rid in rids if rid])
    stops: list = []

    def outcomes() -> Iterator:
        for item, rid in zip(unit.files, rids, strict=True):
            if item.kind == "warc":
                yield from warc_outcomes(
                    ctx, item, extractor, extractor_name, skipped, bad_digests, unit.span, stops
                )
            else:
                yield capture_outcome(ctx, item, rid, extractor, extractor_name, seen)

    detecting = extractor_name if languages_later else None
    for outcome in _languages_added(outcomes(), detecting):
        if isinstance(outcome, QuarantineEntry):
            quarantined.append(quarantine_row(outcome))
        elif isinstance(outcome, Reused):
            buffers.reuse(outcome.record_id)
        elif isinstance(outcome, Withdrawn):
            withdrawn.append(vars(outcome))
        else:
            buffers.add(outcome)
    buffers.flush()
    reused = buffers.flush_reused()
    if quarantined:
        write_quarantine_fragment(ctx.work.unit_quarantine(unit.index), quarantined)
    if seen:
        path = ctx.work.seen_list(unit.index)
        path.parent.mkdir(parents=True, exist_ok=True)
        write_ipc(pa.Table.from_pylist(seen, schema=SEEN_SCHEMA), path)
    if withdrawn:
        path = ctx.work.withdrawn_list(unit.index)
        path.parent.mkdir(parents=True, exist_ok=True)
        write_ipc(pa.Table.from_pylist(withdrawn), path)
    _indexes_closed(ctx)
    release_memory()
    return UnitSummary(
        unit.index,
        buffers.written + reused,
        reused,
        len(quarantined),
        len(withdrawn),
        dict(sorted(skipped.items())),
        tuple(bad_digests),
        _span_reached(unit, stops),
        log_lines,
    )


def matched_lines(units: Iterable[UnitSummary]) -> int:
    """How many capture-log lines name an input: each input is looked up by both its keys as
    its unit starts (``CaptureLog.preload``), so the lines the units found are those, each
    counted once (a file's WARC spans, or a unit run again, find it more than once). A table
    of the inputs filled before extraction took the driver 0.6-0.8 s of serial inserts for
    100,000 captures."""
    lines = np.sort(np.frombuffer(b"".join(unit.log_lines for unit in units), np.int64))
    return int(np.count_nonzero(lines[1:] != lines[:-1])) + 1 if len(lines) else 0


# Outcomes (records, quarantine entries, reuse and withdrawal markers) held while the records
# wait for their bodies' languages (``with_languages``): this many, or until the records hold
# this many characters of capture and body text (web pages can be large).
LANGUAGE_BATCH = 256
LANGUAGE_BATCH_CHARS = 1 << 22


def _languages_added(outcomes: Iterable, extractor_name: str | None) -> Iterator:
    """``outcomes`` in order, the records of ``extractor_name`` given their bodies' languages a
    batch at a time (None: every outcome as it is)."""
    if extractor_name is None:
        yield from outcomes
        return
    batch: list = []
    chars = 0
    for outcome in outcomes:
        batch.append(outcome)
        if isinstance(outcome, Record):
            chars += held_weight(outcome)
        if len(batch) >= LANGUAGE_BATCH or chars >= LANGUAGE_BATCH_CHARS:
            yield from with_languages(batch, extractor_name)
            batch, chars = [], 0
    yield from with_languages(batch, extractor_name)


# --- the spans of a big WARC file ---------------------------------------------------------------


def _span_reached(unit: Unit, stops: list) -> tuple | None:
    """(source path, start, stop) of a span unit: where its reading stopped (``None``: at the
    end of the file, or where the file could no longer be read)."""
    if unit.span is None:
        return None
    return (unit.files[0].source_path, unit.span.start, stops[0] if stops else None)


def spans_counted(units: list[UnitSummary], ctx: PackContext) -> list[UnitSummary]:
    """``units`` without the spans of a WARC file that the span before them read over (they
    began inside a record: a WARC stored in a WARC), whose work files are removed. What is
    left is one reading of each file, so the release does not depend on how files were cut."""
    ends: dict[str, dict[int, int | None]] = {}
    for unit in units:
        if unit.warc_span is not None:
            path, start, stop = unit.warc_span
            ends.setdefault(path, {})[start] = stop
    if not ends:
        return units
    from archive.capture.warc import spans_kept  # only a WARC pack loads the WARC reader

    kept = {path: spans_kept(stops) for path, stops in ends.items()}
    counted = []
    dropped = set()
    for unit in units:
        if unit.warc_span is None or unit.warc_span[1] in kept[unit.warc_span[0]]:
            counted.append(unit)
        else:
            dropped.add(unit.index)
    if dropped:
        _remove_units_work(ctx, dropped)
    return counted


def _remove_units_work(ctx: PackContext, indexes: set[int]) -> None:
    """Remove every work file the units ``indexes`` wrote (the flushes' files listed once)."""
    for path in [*ctx.work.fragments(), *ctx.work.unit_contributions()]:
        if int(path.name.partition("-")[0]) in indexes:
            path.unlink()
    for index in indexes:
        ctx.work.reuse_list(index).unlink(missing_ok=True)
        ctx.work.unit_quarantine(index).unlink(missing_ok=True)
        ctx.work.withdrawn_list(index).unlink(missing_ok=True)


# The order of the release's quarantine file, and of each fragment of it a task writes; and the
# rows of a fragment's batches (what the merge holds of each).
QUARANTINE_ORDER = [("source_path", "ascending"), ("offset", "ascending")]
QUARANTINE_BATCH_ROWS = 256


def write_quarantine_fragment(path: Path | RemotePath, rows: list[dict]) -> None:
    """A task's quarantine entries, sorted as the release's file is: the driver merges the
    fragments into it a batch of each at a time."""
    path.parent.mkdir(parents=True, exist_ok=True)
    table = pa.Table.from_pylist(rows, schema=QUARANTINE_ARROW_SCHEMA)
    write_ipc(table.sort_by(QUARANTINE_ORDER), path, QUARANTINE_BATCH_ROWS)


def _learning(ctx: PackContext) -> bool:
    return ctx.settings.extract != "none" and ctx.settings.learn_furniture


def _learns(media_type: str, redistribution: str | None) -> bool:
    """Whether a record takes part in furniture learning (teaching it, and having its lessons
    applied): plain text whose text the release holds. A withheld row's text is not in the
    release, so a later version, reusing the row, could neither learn from it again nor apply
    what it learns to it; a fresh pack must do as that version does."""
    return media_type == "text/plain" and redistribution != "metadata-only"


def _learning_rows(rows: pa.RecordBatch | pa.Table) -> pa.Array:
    """``_learns`` of each row, vectorized."""
    plain = pc.equal(rows["media_type"], "text/plain")
    return pc.and_(plain, pc.fill_null(pc.not_equal(rows["redistribution"], "metadata-only"), True))


REUSE_SCHEMA = pa.schema([("record_id", pa.string())])


def _reuse_table(ids: list[str]) -> pa.Table:
    return pa.table({"record_id": pa.array(ids, pa.string())})


def _shard_tables(
    paths: list[Path | RemotePath], shards: Sequence[int], schema: pa.Schema
) -> dict[int, list[pa.Table]]:
    """The rows the small work files ``paths`` (reuse lists, contributions) filed under each of
    ``shards``, every ``_MAPPED_AT_ONCE`` of a shard's joined into one table as they are read:
    each table read holds its own schema and buffers, and there is a file per unit (and per
    flush). Each file is opened once for all of ``shards``."""
    tables: dict[int, list[pa.Table]] = {shard: [] for shard in shards}
    groups: dict[int, list[pa.Table]] = {shard: [] for shard in shards}
    for shard, table in _pieces(paths, shards, schema):
        group = groups[shard]
        group.append(table)
        if len(group) == _MAPPED_AT_ONCE:
            tables[shard].append(pa.concat_tables(group).combine_chunks())
            group.clear()
    return {shard: tables[shard] + groups[shard] for shard in shards}


def _pieces(
    paths: list[Path | RemotePath],
    shards: Sequence[int],
    schema: pa.Schema = RECORD_ARROW_SCHEMA,
) -> Iterator[tuple[int, pa.Table]]:
    """(shard, rows) of each work file of ``paths`` for each of ``shards`` it holds rows of,
    read into memory, a file at a time (its footer read once for all of ``shards``)."""
    for path in paths:
        yield from rows_filed_under_each(path, shards, schema).items()


# A unit files a fragment, with a batch per shard, each time it flushes, so a shard's pieces
# grow with the corpus: 1,859 a shard at 1,000,000 text captures, whose gather mapped them all
# (152 MiB) and took rows from each, column by column: 295 MiB and 11.0 s of CPU. Above this
# many, they are first copied into one file, in batches of about _COALESCED_BYTES: 138 MiB and
# 1.2 s.
_MAPPED_AT_ONCE = 512
_COALESCED_BYTES = 8 * 1024 * 1024
# Shards a gathering task takes when the fragments are that many (``gather_groups``): each
# fragment's file is opened once a group, not once a shard, and the group's copies are made
# in one pass, holding up to _COALESCED_BYTES in all (the batches of a copy do not change the
# release: tests/test_shard_memory.py).
GATHER_GROUP = 8


def _coalesced(
    paths: list[Path | RemotePath], shards: Sequence[int], outs: Sequence[Path | RemotePath]
) -> None:
    """The rows the fragments ``paths`` filed under each of ``shards``, in order, as the one
    file of ``outs`` for that shard, read a fragment at a time and written in batches of about
    ``_COALESCED_BYTES`` shared by the shards."""
    held: dict[int, list[pa.RecordBatch]] = {shard: [] for shard in shards}
    size = dict.fromkeys(shards, 0)
    batch_bytes = max(1, _COALESCED_BYTES // len(shards))
    with ExitStack() as stack:
        writers = {}
        for shard, out in zip(shards, outs, strict=True):
            out.parent.mkdir(parents=True, exist_ok=True)
            writers[shard] = stack.enter_context(ipc_writer(out, RECORD_ARROW_SCHEMA))
        for shard, table in _pieces(paths, shards):
            for batch in table.to_batches():
                held[shard].append(batch)
                size[shard] += batch.get_total_buffer_size()  # ``nbytes`` walks list offsets
                if size[shard] >= batch_bytes:
                    _write_joined(writers[shard], held[shard])
                    held[shard], size[shard] = [], 0
        for shard in shards:
            _write_joined(writers[shard], held[shard])


def _write_joined(writer: ipc.RecordBatchFileWriter, batches: list[pa.RecordBatch]) -> None:
    if batches:
        table = pa.Table.from_batches(batches, RECORD_ARROW_SCHEMA).combine_chunks()
        for batch in table.to_batches():
            writer.write_batch(batch)


def gather_groups(shards: int, fragments: int, workers: int = 1) -> list[tuple[int, ...]]:
    """The shards each gathering task takes: one, or ``GATHER_GROUP`` in a row when the
    extraction filed more than ``_MAPPED_AT_ONCE`` fragments, but never so many that
    ``workers`` would find fewer groups than themselves."""
    size = GATHER_GROUP if fragments > _MAPPED_AT_ONCE else 1
    size = min(size, max(1, shards // max(1, workers)))
    return [tuple(range(start, min(start + size, shards))) for start in range(0, shards, size)]


def contribution_table(rows: list[tuple[str, str, int, tuple[int, ...]]]) -> pa.Table:
    """(record_id, bucket, doc, keys) rows as a table of ``CONTRIBUTION_SCHEMA``."""
    columns = list(zip(*rows, strict=True)) if rows else [()] * 4
    arrays = [pa.array(c, f.type) for c, f in zip(columns, CONTRIBUTION_SCHEMA, strict=True)]
    return pa.Table.from_arrays(arrays, schema=CONTRIBUTION_SCHEMA)


def gather_shards(shards: tuple[int, ...], ctx: PackContext) -> tuple[int, int]:
    """Task 2 over a group of shards (``gather_groups``): each gathered by ``gather_shard``,
    the work files filed by shard read for the whole group, each opened once. Returns how many
    shards it gathered and how many reused rows gave way to a new row of their id.

    The group's coalesced copies (``_coalesced``) are on disk together, about eight shards'
    new rows; each is removed once its shard is gathered. With a remote work folder they go
    to the worker's temporary folder: eight uploads at once would each buffer a part."""
    paths = ctx.work.fragments()
    with tempfile.TemporaryDirectory(prefix="archive-gather-") as scratch:
        copies: list[Path | RemotePath] = []
        if len(paths) > _MAPPED_AT_ONCE:
            remote = isinstance(ctx.work.root, RemotePath)
            copies = [
                Path(scratch) / f"{shard:05d}.arrow" if remote else ctx.work.coalesced(shard)
                for shard in shards
            ]
            _coalesced(paths, shards, copies)
        reuse = _shard_tables(ctx.work.reuse_lists(), shards, REUSE_SCHEMA)
        contributions = ctx.work.unit_contributions() if _learning(ctx) else []
        contributed = _shard_tables(contributions, shards, CONTRIBUTION_SCHEMA)
        dropped = 0
        for k, shard in enumerate(shards):
            source = copies[k] if copies else paths
            # popped: what a shard gathered holds is not kept while the next is gathered
            dropped += gather_shard(shard, ctx, source, reuse.pop(shard), contributed.pop(shard))
            if copies:
                copies[k].unlink(missing_ok=True)  # a mapping outlives its name
    return len(shards), dropped


def gather_shard(
    shard: int,
    ctx: PackContext,
    source: list[Path | RemotePath] | Path | RemotePath,
    reuse: list[pa.Table],
    contributed: list[pa.Table],
) -> int:
    """The shard's new rows, sorted, and what each adds to the furniture counts. The
    new rows' contributions were computed as they were extracted; the rows reused from the
    parent are left for ``finalize_shard`` to read, their contributions taken from the parent
    pack's cache; without that cache they are gathered here too, to have their contributions
    computed. Rows that give one record id more than once are settled here (``_repeats``).
    The new rows are read from ``source``: the fragments, or the shard's coalesced copy;
    ``reuse``, ``contributed``: the shard's reuse lists and contributions.
    Returns how many reused rows gave way to a new row of their id."""
    sheds = []  # what drops the pages read of a mapped file
    if not isinstance(source, list):
        table, shed_copy = mapped_ipc(source)
        tables, sheds = [table], [shed_copy]
    else:  # read into memory: a shard's rows, a few tens of MiB
        tables = [table for _, table in _pieces(source, (shard,))]
    new_rows = sum(t.num_rows for t in tables)  # the reused rows, if gathered, follow
    apart = bool(reuse) and _reused_apart(ctx)
    if reuse and not apart:
        ids = pa.concat_tables(reuse)["record_id"]
        reused = parent_rows(ctx.parent.path, list(ctx.parent.shards), ids.to_pylist())
        tables.append(_without_corpus_state(reused))
        if _learning(ctx):
            contributed.append(_table_contributions(tables[-1]))
    table = pa.concat_tables(tables) if tables else RECORD_ARROW_SCHEMA.empty_table()
    order = pc.sort_indices(table["record_id"]).to_numpy()
    reused_ids = _reused_ids(reuse) if apart else pa.array([], pa.string())
    repeats = _repeats(ctx, table, order, reused_ids, new_rows)
    if repeats is not None:
        order = order[~np.isin(order, repeats.dropped_rows)]
        write_quarantine_fragment(ctx.work.shard_quarantine(shard), repeats.quarantine)
        if len(repeats.dropped_reuse):
            reused_ids = _without(reused_ids, repeats.dropped_reuse)
    if reuse:
        kept = reused_ids if apart else _reused_ids(reuse)
        if not apart and repeats is not None and len(repeats.dropped_reuse):
            kept = _without(kept, repeats.dropped_reuse)
        path = ctx.work.kept_reuse(shard)
        path.parent.mkdir(exist_ok=True)
        write_ipc(pa.table({"record_id": kept}), path)

    def shed() -> None:
        for shed_mapped in sheds:
            shed_mapped()

    def in_order() -> Iterator[pa.RecordBatch]:
        # Sorted a slice at a time, a column at a time: neither the shard nor a slice of it is
        # copied whole, and what was read of the fragments is shed as it is copied; but the
        # small columns are joined once (``_joined_columns``).
        sizes = column_sizes(table)
        joined = _joined_columns(table, sizes)
        shed()
        for start in range(0, len(order), _PY_BATCH):
            chunk = _rows_by_column(table, order[start : start + _PY_BATCH], shed, sizes, joined)
            yield from chunk.to_batches()
            del chunk  # written: not held while the next is taken

    path = ctx.work.gathered(shard)
    path.parent.mkdir(exist_ok=True)
    write_ipc_batches(in_order(), RECORD_ARROW_SCHEMA, path)
    if _learning(ctx):
        parts = [_in_id_order(contributed, repeats)]
        if repeats is not None:  # the kept rows of repeated ids contribute as themselves
            parts.append(_table_contributions(table.take(pa.array(repeats.kept_rows, pa.int64()))))
        if apart:
            parts.append(_reused_contributions(ctx, reused_ids))
        path = ctx.work.contribution(shard)
        path.parent.mkdir(exist_ok=True)
        write_ipc(pa.concat_tables(parts), path)
    release_memory()
    return 0 if repeats is None else len(repeats.dropped_reuse)


def _in_id_order(parts: list[pa.Table], repeats: _Repeats | None) -> pa.Table:
    """The contributions of ``parts`` as one batch in ``record_id`` order, as the shard's
    rows are gathered; none of a ``repeats`` id (its kept row's is computed apart)."""
    if not parts:
        return contribution_table([])
    table = pa.concat_tables(parts)
    if repeats is not None:
        table = table.filter(pc.invert(pc.is_in(table["record_id"], value_set=repeats.ids)))
    return table.take(pc.sort_indices(table["record_id"])).combine_chunks()


@dataclass(frozen=True)
class _Repeats:
    """What a shard holds of one record id given more than once: a WARC file giving one
    WARC-Record-ID twice gives one capture key twice (its rows may come from several units, a
    span each, or be a new row beside the parent's reused one). The row first in the file is
    the record; each other is quarantined as ``repeated-id``."""

    ids: pa.Array  # the ids given more than once
    kept_rows: list[int]  # the positions of the rows kept (a reused row kept apart is not one)
    dropped_rows: np.ndarray  # the positions of the rows that give way
    dropped_reuse: pa.Array  # the ids of reused rows that give way to a new row
    quarantine: list[dict]


def _repeats(
    ctx: PackContext, table: pa.Table, order: np.ndarray, reused_ids: pa.Array, new_rows: int
) -> _Repeats | None:
    """The record ids ``table`` (its rows sorted by ``order``; those past ``new_rows`` reused)
    gives more than once, or beside a reused row kept apart (``reused_ids``); None when there is
    none, as nearly always: then only a comparison of neighbours and a set lookup run, in
    Arrow."""
    ids = table["record_id"].combine_chunks()
    found = [pa.array([], pa.string())]
    if len(order) > 1:
        ranked = ids.take(pa.array(order))
        same = pc.equal(ranked.slice(1), ranked.slice(0, len(order) - 1))
        found.append(ranked.slice(1).filter(pc.fill_null(same, False)))
    if len(reused_ids):
        found.append(ids.filter(pc.is_in(ids, value_set=reused_ids)))
    repeated = pc.unique(pa.concat_arrays(found))
    if not len(repeated):
        return None
    positions = np.flatnonzero(pc.is_in(ids, value_set=repeated).to_numpy(zero_copy_only=False))
    columns = ["record_id", "raw_sha256", "raw_bytes", "capture"]
    rows = table.take(positions).select(columns).to_pylist()
    given: dict[str, list] = {}  # id -> (offset, position or None: reused apart, row)
    for position, row in zip(positions.tolist(), rows, strict=True):
        offset = row["capture"]["warc_offset"]
        given.setdefault(row["record_id"], []).append((offset, position, row))
    apart = repeated.filter(pc.is_in(repeated, value_set=reused_ids))  # reused ids, kept apart
    if len(apart):
        shards = list(ctx.parent.shards)
        apart = apart.take(pc.array_sort_indices(apart))
        for row in parent_columns(ctx.parent.path, shards, apart, columns).to_pylist():
            given[row["record_id"]].append((row["capture"]["warc_offset"], None, row))
    kept_rows, dropped_rows, dropped_reuse, quarantine = [], [], [], []
    for rid in sorted(given):
        first, *later = sorted(given[rid], key=lambda g: (g[0] is None, g[0] or 0))
        if first[1] is not None:
            kept_rows.append(first[1])
        for offset, position, row in later:
            quarantine.append(_repeat_entry(row, offset, first[0]))
            if position is None or position >= new_rows:
                dropped_reuse.append(rid)
            if position is not None:
                dropped_rows.append(position)
    return _Repeats(
        repeated,
        kept_rows,
        np.asarray(dropped_rows, np.int64),
        pa.array(dropped_reuse, pa.string()),
        quarantine,
    )


def _repeat_entry(row: dict, offset: int | None, kept: int | None) -> dict:
    """The quarantine row of a row giving way to the one at offset ``kept`` of its id."""
    capture, rid = row["capture"], row["record_id"]
    if offset is None:  # a file, named as a WARC record's capture key
        message = f"its capture key is that of the WARC record at offset {kept} of another file"
    elif capture["warc_record_id"] is None:  # keyed by its offset, as another's id reads
        message = (
            f"the record at offset {offset} has no WARC-Record-ID, and its capture key is that "
            f"of the record at offset {kept}"
        )
    else:
        message = (
            f"WARC record {capture['warc_record_id']} at offset {offset} gives the WARC-Record-ID "
            f"of the one at offset {kept} again"
        )
    path, size, digest = capture["source_path"], row["raw_bytes"], row["raw_sha256"]
    entry = QuarantineEntry(
        path, "repeated-id", f"{message}; that one is record {rid}", size, digest, offset
    )
    return quarantine_row(entry)


def _without(ids: pa.Array, dropped: pa.Array) -> pa.Array:
    """``ids`` but those in ``dropped``, in their order."""
    return ids.filter(pc.invert(pc.is_in(ids, value_set=dropped))) if len(dropped) else ids


def _table_contributions(table: pa.Table) -> pa.Table:
    """The contributions of the text rows of ``table``, read back from their columns a slice
    at a time (the reused rows of a parent pack whose cache is missing)."""
    found: list[tuple] = []
    for start in range(0, table.num_rows, _PY_BATCH):
        for part in _text_slices(table.slice(start, _PY_BATCH)):
            found.extend(_contributions(part))
    return contribution_table(found)


_SLICE_TEXT = 1 << 22  # bytes of capture text a slice of rows holds as Python strings at once
# bytes of a slice's column (its rows' share of the whole column) copied twice to put it in order
_TAKEN_TWICE = 1 << 22
_SHED_BYTES = 1 << 24  # of fragments taken from between two sheds of their mapped pages


def column_sizes(table: pa.Table) -> list[int]:
    """The bytes of each column of ``table``, its buffers' sizes: what a chunk of the mapped
    fragments holds, counted without reading it (``nbytes`` walks the offsets of every chunk
    of a list or struct column: 73 ms a shard of 320 fragments). Measured once for all its
    slices."""
    return [
        sum(chunk.get_total_buffer_size() for chunk in column.chunks) for column in table.columns
    ]


def _joined_columns(table: pa.Table, sizes: list[int]) -> dict[int, pa.Array]:
    """The smallest columns of ``table``, each joined into one array, up to ``_JOINED_BYTES``
    in all (a fictional text shard's columns but ``capture_text`` weigh about 30 MiB). Taken a
    slice of rows at a time from every fragment, they cost a few C calls per fragment per
    slice, and a shard has a fragment per flush of every extraction worker: the gathering grew
    with the square of the corpus (200,000 captures: 14 s; 400,000: 54 s). No column over
    ``_JOINED_COLUMN_BYTES`` is joined: a shard of web pages weighs under ``_JOINED_BYTES``
    all told, and joining its page text copied the whole shard (the gathering of a 1 GB WARC
    file's pages peaked at 346 MiB)."""
    joined, held = {}, 0
    for column in sorted(range(table.num_columns), key=sizes.__getitem__):
        held += sizes[column]
        if held > _JOINED_BYTES or sizes[column] > _JOINED_COLUMN_BYTES:
            break
        joined[column] = table.column(column).combine_chunks()
    return joined


_JOINED_BYTES = 1 << 26
_JOINED_COLUMN_BYTES = 1 << 24


def _rows_by_column(
    table: pa.Table,
    indices: np.ndarray,
    shed,
    sizes: list[int] | None = None,
    joined: dict[int, pa.Array] | None = None,
) -> pa.Table:
    """``rows_at(table, indices)``, the same arrays, calling ``shed()`` after the light
    columns and after each heavy one. The ``joined`` columns (``_joined_columns``) are taken
    from their one array; the light columns are taken fragment by fragment, all at once, then
    put in order (two copies, a few C calls a fragment); a heavy one (a column of a thousand
    web pages weighs tens of megabytes) is built from its rows in place, in order: one copy,
    but a call per row. ``sizes``: the table's ``column_sizes``, when known."""
    indices = np.asarray(indices, dtype=np.int64)
    batches = table.to_batches()
    if not len(indices) or not batches:
        return table.schema.empty_table()
    joined = joined or {}
    columns: list = [None] * table.num_columns
    for column, array in joined.items():
        columns[column] = array.take(pa.array(indices))
    starts = np.cumsum([0] + [batch.num_rows for batch in batches], dtype=np.int64)
    owner = np.searchsorted(starts, indices, "right") - 1
    at = indices - starts[owner]
    share = len(indices) / table.num_rows
    sizes = sizes or column_sizes(table)
    rest = [c for c in range(table.num_columns) if c not in joined]
    light = [c for c in rest if sizes[c] * share <= _TAKEN_TWICE]
    if light:
        grouped = np.argsort(owner, kind="stable")  # positions, fragment by fragment
        cuts = np.flatnonzero(np.diff(owner[grouped])) + 1
        parts = [(int(owner[mine[0]]), pa.array(at[mine])) for mine in np.split(grouped, cuts)]
        in_order = pa.array(np.argsort(grouped, kind="stable"))
        taken = _light_columns(batches, parts, light, in_order, shed)
        for column, array in zip(light, taken, strict=True):
            columns[column] = array
    heavy = [c for c in rest if c not in light]
    rows = None
    for column in heavy:
        rows = rows or list(zip(owner.tolist(), at.tolist(), strict=True))
        cells = [batch.column(column) for batch in batches]
        columns[column] = pa.concat_arrays([cells[k].slice(a, 1) for k, a in rows])
        shed()
    return pa.Table.from_arrays(columns, schema=table.schema)


def _light_columns(
    batches: list[pa.RecordBatch], parts: list, light: list[int], in_order: pa.Array, shed
) -> list[pa.Array]:
    """The ``light`` columns of the rows ``parts`` (a fragment and the rows taken from it),
    put ``in_order``. Taking touches the fragments' mapped pages of every light column, so
    they are shed whenever those taken from since weigh ``_SHED_BYTES``, and at the end."""
    pieces, weight = [], 0
    for k, rows in parts:
        pieces.append(batches[k].select(light).take(rows))
        weight += batches[k].get_total_buffer_size()
        if weight >= _SHED_BYTES:
            shed()
            weight = 0
    taken = pa.Table.from_batches(pieces).take(in_order)
    shed()
    return [column.combine_chunks() for column in taken.columns]


def _text_slices(chunk: pa.Table) -> Iterator[pa.Table]:
    """``chunk`` in consecutive slices of rows holding about ``_SLICE_TEXT`` bytes of capture
    text at most (or one row)."""
    sizes = pc.fill_null(pc.binary_length(chunk["capture_text"]), 0).to_numpy()
    for start, stop in bounded_slices(sizes, _SLICE_TEXT):
        yield chunk.slice(start, stop - start)


CORPUS_FLAGS = ("spun-suspected",)  # raised by relations, which this pack finds afresh


def _reused_apart(ctx: PackContext) -> bool:
    """Whether the rows reused from the parent skip the gathered file, to be read once, when
    the shard is finalized: always, unless furniture is learned and the parent pack's cache of
    contributions is missing (then they are gathered to have their contributions computed)."""
    return ctx.parent is not None and (not _learning(ctx) or ctx.parent.cache is not None)


def _reused_ids(reuse: list[pa.Table]) -> pa.Array:
    """The ids of a shard's reused rows (from its units' reuse lists), sorted."""
    ids = pa.concat_tables(reuse)["record_id"].combine_chunks()
    return ids.take(pc.array_sort_indices(ids))


def _reused_contributions(ctx: PackContext, ids: pa.Array) -> pa.Table:
    """The furniture contributions of reused rows, from the parent pack's cache: those of the
    rows whose text the parent release holds (a row withheld by its redistribution class has
    none to contribute, as when it is gathered)."""
    if not _learning(ctx):
        return CONTRIBUTION_SCHEMA.empty_table()
    parent = ctx.parent
    rows = parent_columns(parent.path, list(parent.shards), ids, ["redistribution"])
    held = pc.fill_null(pc.not_equal(rows["redistribution"], "metadata-only"), False)
    return cached_contributions(parent.cache, rows["record_id"].filter(held))


def _without_corpus_state(table: pa.Table) -> pa.Table:
    """Reused rows as a record alone determines them: ``duplicate_of`` and the flags relations
    raised belong to the parent's corpus and are found again over this one."""
    index = RECORD_ARROW_SCHEMA.get_field_index("duplicate_of")
    nulls = pa.nulls(table.num_rows, pa.string())
    table = table.set_column(index, RECORD_ARROW_SCHEMA.field(index), nulls)
    raised = pc.is_in(pc.list_flatten(table["flags"]), value_set=pa.array(CORPUS_FLAGS))
    if pc.any(raised).as_py():  # rows as Python lists only when there is a flag to drop
        flags = table["flags"].to_pylist()
        kept = [[f for f in row if f not in CORPUS_FLAGS] for row in flags]
        index = RECORD_ARROW_SCHEMA.get_field_index("flags")
        column = pa.array(kept, RECORD_ARROW_SCHEMA.field(index).type)
        table = table.set_column(index, RECORD_ARROW_SCHEMA.field(index), column)
    return table


def _contributions(chunk: pa.Table) -> Iterator[tuple]:
    """Each text row's furniture contribution, computed on the spans as extraction left them
    (before any learned furniture). Read column by column: only the spans a contribution
    reads (the body's, and learned ones, reverted) become objects."""
    from archive.extract import contribution, revert_learned
    from archive.extract.learned import _LEARNABLE

    keep = pc.and_(_learning_rows(chunk), pc.is_valid(chunk["capture_text"]))
    rows = chunk.filter(pc.fill_null(keep, False))
    if rows.num_rows == 0:
        return
    spans = rows["spans"].combine_chunks()
    flat = pc.list_flatten(spans)
    kinds = pc.struct_field(flat, "kind")
    read = pc.is_in(kinds, value_set=pa.array([*_LEARNABLE, "furniture-learned"]))
    parents = pc.filter(pc.list_parent_indices(spans), read).to_numpy().tolist()
    fields = [pc.filter(pc.struct_field(flat, n), read).to_pylist() for n in _SPAN_FIELDS]
    per_row: list[list[Span]] = [[] for _ in range(rows.num_rows)]
    for parent, *values in zip(parents, *fields, strict=True):
        per_row[parent].append(Span(*values))
    columns = (rows[n].to_pylist() for n in ("record_id", "capture_text", "outlet"))
    for (rid, text, outlet), held in zip(zip(*columns, strict=True), per_row, strict=True):
        found = contribution(text, revert_learned(tuple(held)), outlet)
        if found is not None:
            yield (rid, *found)


_SPAN_FIELDS = ("start", "end", "kind", "rule")  # Span's, in order


def learned_furniture(ctx: PackContext) -> LearnedFurniture | None:
    """Fold every capture's contribution into the counts, and return what they teach (or
    None). The counts depend only on the set of contributions, so the order does not matter."""
    from archive.extract.learned import learned_of_contributions

    parts = ctx.work.contributions() if _learning(ctx) else []
    if not parts:
        return None
    return learned_of_contributions(read_ipc(path) for path in parts)


def finalize_shard(shard: int, ctx: PackContext, learned: LearnedFurniture | None) -> int:
    """Task 3: the shard's final rows (before duplicate marking) and its body-hash index.

    Learned furniture is applied to new rows, and to reused rows of the outlets whose learned
    furniture differs from the parent's; the other reused rows already carry exactly what it
    would give."""
    table, shed = mapped_ipc(ctx.work.gathered(shard))
    final, index_path = ctx.work.final(shard), ctx.work.duplicate_index(shard)
    for path in (final, index_path):
        path.parent.mkdir(exist_ok=True)
    keys: list[pa.Table] = []
    reused = _kept_reuse(ctx, shard)
    if reused is not None and _reused_apart(ctx):
        batches = _with_reused_rows(ctx, table, reused, learned)
    else:
        settled = _settled_rows(ctx, table, learned, reused)
        batches = table.to_batches()
        if learned is not None and table.num_rows:
            batches = _learned_batches(table, learned, settled)

    def finished() -> Iterator[pa.RecordBatch]:
        for batch in batches:
            keys.append(_duplicate_keys(batch))
            yield batch
            shed()  # the batch is written: the gathered rows read for it need not stay

    write_ipc_batches(finished(), RECORD_ARROW_SCHEMA, final)
    index = pa.concat_tables(keys) if keys else DUP_INDEX_SCHEMA.empty_table()
    index = index.sort_by([("text_sha256", "ascending"), ("record_id", "ascending")])
    write_ipc(index, index_path, MERGE_BATCH_ROWS)
    release_memory()
    return table.num_rows


def _kept_reuse(ctx: PackContext, shard: int) -> pa.Array | None:
    """The sorted ids of the shard's rows reused from the parent, but those that gave way to a
    new row of their id when the shard was gathered (None: no row is reused)."""
    path = ctx.work.kept_reuse(shard)
    if not path.exists():
        return None
    return read_ipc(path)["record_id"].combine_chunks()


def _with_reused_rows(
    ctx: PackContext, table: pa.Table, ids: pa.Array, learned: LearnedFurniture | None
) -> Iterator[pa.RecordBatch]:
    """The shard's final rows, in order and in the batches a gathered shard has (slices of
    ``_PY_BATCH`` rows): the new rows of ``table`` and the parent's rows ``ids``, read here
    once. Learned furniture is applied to the new rows and to the reused rows of the outlets
    whose learned furniture differs from the parent's, as when every row is gathered; the other
    reused rows are copied as Arrow columns, never as Python objects."""
    reused = _without_corpus_state(parent_rows(ctx.parent.path, list(ctx.parent.shards), ids))
    if learned is not None:
        settled = _settled_mask(ctx, reused, learned)
        fresh = pa.concat_tables([table, reused.filter(pc.invert(settled))])
        fresh = fresh.take(pc.sort_indices(fresh["record_id"]))
        if fresh.num_rows:
            learned_rows = _learned_batches(fresh, learned, frozenset())
            fresh = pa.Table.from_batches(list(learned_rows), RECORD_ARROW_SCHEMA)
        table, reused = fresh, pa.concat_tables(rows_kept(reused, settled))
    merged = pa.concat_tables([table, reused])
    order = pc.sort_indices(merged["record_id"]).to_numpy()
    for start in range(0, merged.num_rows, _PY_BATCH):
        yield from rows_in_runs(merged, order[start : start + _PY_BATCH]).to_batches()


def _settled_mask(ctx: PackContext, reused: pa.Table, learned: LearnedFurniture) -> pa.Array:
    """Which ``reused`` rows' outlets learned the same furniture as in the parent pack (see
    ``_settled_rows``)."""
    if ctx.parent.learned is None:
        return pa.array([False] * reused.num_rows, pa.bool_())
    changed = learned.outlets_changed(ctx.parent.learned)
    unchanged = pc.invert(
        pc.is_in(reused["outlet"], value_set=pa.array(sorted(changed), pa.string()))
    )
    return pc.fill_null(unchanged, True).combine_chunks()


def _duplicate_keys(batch: pa.RecordBatch) -> pa.Table:
    """(text_sha256, record_id) of the rows whose body can be duplicated: an empty body (a
    capture that is all headline or furniture) is no evidence that two captures are copies."""
    keys = pa.Table.from_batches([batch]).select(["text_sha256", "record_id"])
    return keys.filter(pc.not_equal(keys.column("text_sha256"), _EMPTY_BODY_SHA256))


def _settled_rows(
    ctx: PackContext, table: pa.Table, learned: LearnedFurniture | None, reused: pa.Array | None
) -> frozenset[str]:
    """Ids of reused rows (``reused``) whose outlet learned the same furniture as in the parent
    pack."""
    if reused is None or learned is None or ctx.parent is None or ctx.parent.learned is None:
        return frozenset()
    changed = learned.outlets_changed(ctx.parent.learned)
    table = table.select(["record_id", "outlet"])
    reused = pc.is_in(table["record_id"], value_set=reused)
    unchanged = pc.invert(
        pc.is_in(table["outlet"], value_set=pa.array(sorted(changed), pa.string()))
    )
    keep = pc.and_(reused, pc.fill_null(unchanged, True))
    return frozenset(pc.filter(table["record_id"], keep).to_pylist())


def _learned_batches(
    table: pa.Table, learned: LearnedFurniture, settled: frozenset[str]
) -> Iterator[pa.RecordBatch]:
    from archive.extract import apply_learned, revert_learned

    def learn(row: dict) -> bool:
        if not _learns(row["media_type"], row["redistribution"]):
            return False
        if row["capture_text"] is None or not row["outlet"]:
            return False
        if row["record_id"] in settled:
            return False
        before = _extraction_of(row)
        reverted = revert_learned(before.spans)
        if reverted != before.spans:  # a reused row: back to extraction's spans first
            from archive.extract import body_from_spans

            text = body_from_spans(row["capture_text"], reverted)
            before = replace(before, spans=reverted, text=text)
        after = apply_learned(row["capture_text"], before, learned)
        if after.spans == before.spans and after.text == before.text and before.text == row["text"]:
            return False
        row["spans"] = [vars(s) for s in after.spans]
        row["text"] = after.text
        row["text_sha256"] = sha256_text(after.text)
        row["flags"] = sorted(set(row["flags"]) | set(after.flags))
        return True

    settled_ids = pa.array(sorted(settled), pa.string())
    outlets = pa.array(sorted({outlet for outlet, _, _ in learned.entries}), pa.string())

    def candidates(batch: pa.RecordBatch) -> pa.Array:
        """The rows ``learn`` may change: fresh text rows of an outlet that learned furniture,
        or holding learned spans to revert (any other row it leaves as it is)."""
        text = pc.and_(
            _learning_rows(batch),
            pc.and_(pc.is_valid(batch.column("capture_text")), pc.is_valid(batch.column("outlet"))),
        )
        fresh = pc.invert(pc.is_in(batch.column("record_id"), value_set=settled_ids))
        holds_learned = pa.array(_holds_kind(batch.column("spans"), "furniture-learned"))
        relevant = pc.or_(pc.is_in(batch.column("outlet"), value_set=outlets), holds_learned)
        return pc.fill_null(pc.and_(pc.and_(text, fresh), relevant), False)

    return _mapped_rows(table, learn, candidates)


def _holds_kind(spans: pa.Array, kind: str) -> np.ndarray:
    """For each row's list of spans, whether one of them is of ``kind``."""
    of_kind = pc.equal(pc.struct_field(pc.list_flatten(spans), "kind"), kind)
    parents = pc.filter(pc.list_parent_indices(spans), of_kind)
    out = np.zeros(len(spans), dtype=bool)
    out[parents.to_numpy()] = True
    return out


def _mapped_rows(table: pa.Table, change, candidates) -> Iterator[pa.RecordBatch]:
    """The batches of ``table`` with ``change(row) -> bool`` applied to the rows that
    ``candidates(batch)`` (a boolean array, vectorized) selects; only those rows become Python
    objects, and only the columns a change touched are rebuilt."""
    for batch in table.to_batches(max_chunksize=_PY_BATCH):
        at = np.flatnonzero(candidates(batch).to_numpy(zero_copy_only=False))
        if len(at) == 0:
            yield batch
            continue
        rows = batch.take(pa.array(at)).to_pylist()
        changed = [k for k, row in enumerate(rows) if change(row)]
        if not changed:
            yield batch
            continue
        columns = list(batch.columns)
        for name in _LEARN_CHANGES:
            index = RECORD_ARROW_SCHEMA.get_field_index(name)
            values = columns[index].to_pylist()
            for k in changed:
                values[at[k]] = rows[k][name]
            columns[index] = pa.array(values, RECORD_ARROW_SCHEMA.field(index).type)
        yield pa.RecordBatch.from_arrays(columns, schema=RECORD_ARROW_SCHEMA)


_LEARN_CHANGES = ("spans", "text", "text_sha256", "flags")  # what ``learn`` may set in a row


def _extraction_of(row: dict) -> Extraction:
    return Extraction(
        text=row["text"],
        spans=tuple(Span(**s) for s in row["spans"]),
        title=row["title"],
        standfirst=row["standfirst"],
        authors=tuple(row["authors"]),
        outlet=row["outlet"],
        published_at=row["published_at"],
        published_precision=row["published_precision"],
        published_utc_offset=row["published_utc_offset"],
        modified_at=row["modified_at"],
        modified_utc_offset=row["modified_utc_offset"],
        language=row["language"],
        provenance=tuple(Provenance(**p) for p in row["provenance"]),
        flags=tuple(row["flags"]),
    )


@dataclass(frozen=True)
class ShardSummary:
    """What one written shard holds: the figures the manifest adds up."""

    index: int
    path: str
    rows: int
    counts: dict = field(default_factory=dict)
    furniture_chars: dict = field(default_factory=dict)
    languages: dict = field(default_factory=dict)
    digests: tuple[str, str, int] | None = None  # (sha256, sha512, bytes) of the file written


def write_shard(shard: int, ctx: PackContext) -> ShardSummary:
    """Task 4: mark duplicates, withhold text where the tier says so, and write the shard's
    Parquet file into the release."""
    table, shed = mapped_ipc(ctx.work.final(shard))
    dups_path = ctx.work.duplicates(shard)
    if dups_path.exists():
        table = _with_duplicates(table, read_ipc(dups_path))
    flags_path = ctx.work.flags(shard)
    if flags_path.exists():
        table = _with_flags(table, read_ipc(flags_path))
    table = withheld(table, ctx.settings.tier)
    path = ctx.work.shard_file(shard, ctx.shards)
    write_parquet(table, path, shed)
    languages = Counter(v for v in table["language"].to_pylist() if v)
    release_memory()
    # Hashed here, while the file is in the page cache and the workers run in parallel, not
    # read again by the driver for the manifest (a remote file is hashed where it lands).
    digests = None if isinstance(path, RemotePath) else file_digests(path)
    return ShardSummary(
        shard,
        release_shard(shard, ctx.shards),
        table.num_rows,
        unknown_counts(table),
        _furniture(table),
        dict(languages),
        digests,
    )


def _with_flags(table: pa.Table, extra: pa.Table) -> pa.Table:
    """``table`` with the corpus-level flags of ``extra`` (record_id, flag) added to its rows."""
    added: dict[str, set[str]] = {}
    for rid, flag in zip(extra["record_id"].to_pylist(), extra["flag"].to_pylist(), strict=True):
        added.setdefault(rid, set()).add(flag)
    flags = [
        sorted(set(current) | added[rid]) if rid in added else current
        for rid, current in zip(
            table["record_id"].to_pylist(), table["flags"].to_pylist(), strict=True
        )
    ]
    index = RECORD_ARROW_SCHEMA.get_field_index("flags")
    column = pa.array(flags, RECORD_ARROW_SCHEMA.field(index).type)
    return table.set_column(index, RECORD_ARROW_SCHEMA.field(index), column)


def withheld(table: pa.Table, tier: str) -> pa.Table:
    """``table`` with ``text`` and ``capture_text`` nulled for every row (``metadata-only``
    tier) or for the rows whose own redistribution class is ``metadata-only``."""
    if tier == "metadata-only":
        keep = pa.array([False] * table.num_rows, pa.bool_())
    else:
        keep = pc.not_equal(table["redistribution"], "metadata-only")
    if pc.all(keep).as_py() is not False and tier != "metadata-only":
        return table
    for name in ("text", "capture_text"):
        index = RECORD_ARROW_SCHEMA.get_field_index(name)
        nulls = pa.nulls(table.num_rows, pa.string())
        column = pc.if_else(keep, table[name], nulls)
        table = table.set_column(index, RECORD_ARROW_SCHEMA.field(index), column)
    return table


def _with_duplicates(table: pa.Table, dups: pa.Table) -> pa.Table:
    dups = dups.sort_by("record_id")
    position = pc.index_in(table["record_id"], value_set=dups["record_id"])
    duplicate_of = pc.take(dups["duplicate_of"], position)
    column = RECORD_ARROW_SCHEMA.get_field_index("duplicate_of")
    return table.set_column(column, RECORD_ARROW_SCHEMA.field(column), duplicate_of)


def _furniture(table: pa.Table) -> dict:
    spans = pc.list_flatten(table["spans"])
    if len(spans) == 0:
        return {}
    kinds = pc.struct_field(spans, "kind")
    lengths = pc.subtract(pc.struct_field(spans, "end"), pc.struct_field(spans, "start"))
    furniture = pc.starts_with(kinds, "furniture-")
    spans = pa.table({"kind": kinds.filter(furniture), "length": lengths.filter(furniture)})
    totals = spans.group_by("kind").aggregate([("length", "sum")])
    return dict(
        sorted(zip(*totals.select(["kind", "length_sum"]).to_pydict().values(), strict=True))
    )


def duplicate_links(ctx: PackContext) -> int:
    """Merge the shards' body-hash indexes (streaming) and file each duplicate under its shard.

    The first record of a group of equal bodies, in ``record_id`` order, is the original; every
    other one gets ``duplicate_of`` pointing at it.
    """
    links: dict[int, list[tuple[str, str]]] = {}
    found = 0
    current_hash, original = None, None
    indexes = [ctx.work.duplicate_index(shard) for shard in range(ctx.shards)]
    for text_hash, rid in merged_rows(indexes, ["text_sha256", "record_id"]):
        if text_hash != current_hash:
            current_hash, original = text_hash, rid
            continue
        links.setdefault(shard_of(rid, ctx.shards), []).append((rid, original))
        found += 1
    for shard, pairs in links.items():
        rids, originals = zip(*pairs, strict=True)
        table = pa.table(
            {"record_id": list(rids), "duplicate_of": list(originals)}, schema=DUPS_SCHEMA
        )
        path = ctx.work.duplicates(shard)
        path.parent.mkdir(parents=True, exist_ok=True)
        write_ipc(table, path)
    return found
