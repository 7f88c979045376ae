"""The row checks of one records shard, as pure functions of its Parquet file (and those of the
relations table, ``relation_rows``).

``shard_rows`` reads every row of a shard (schema by column, text hashes, ids unique, sorted
and in their shard, the per-field counts, ``duplicate_of`` links); ``sampled_rows`` reads only
the rows of a sample. Both run in worker processes (``archive.verification.tasks``) and return a
``ShardRows`` the row checks merge in shard order.
"""

from __future__ import annotations

import binascii
import hashlib
from bisect import bisect_right
from collections import Counter
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from archive.errors import Problem
from archive.format.counts import UNKNOWN_COLUMNS, unknown_counts, value_counts
from archive.format.parquetio import (
    PARQUET_ERRORS,
    group_rows,
    iter_batches,
    parquet_file,
    string_data,
    string_offsets,
)
from archive.format.schema import column_problems, schema_problems
from archive.model import BODY_KINDS
from archive.records import HTML_EXTRACTOR_NAME, PLAIN_EXTRACTOR, plain_body
from archive.relations.model import WITHHELD_KEY
from archive.relations.table import RELATIONS_ARROW_SCHEMA, params_problems
from archive.release.plan import RECORD_ID_PREFIX
from archive.text.normalize import body_text, sha256_text

# The manifest's per-field counts that the rows must reproduce.
COUNTED_FIELDS = ("duplicates", *UNKNOWN_COLUMNS)
# Decoded bytes of the batches a shard is checked in: each batch costs some fifty Arrow calls
# whatever its size, which at the readers' usual 4 MiB came to a quarter of the checks' time;
# 16 MiB raised a worker's high-water mark by about 40 MiB (100,000 records: 160 to 205 MiB),
# still bounded whatever the shard (a row group, at most ``ROW_GROUP_BYTES`` of text, comes
# in one to three batches).
ROW_BATCH_BYTES = 16 * 1024 * 1024


@dataclass
class ShardRows:
    """What the row checks of one shard found."""

    rows: int = 0
    problems: list[Problem] = field(default_factory=list)
    counts: Counter = field(default_factory=Counter)
    links: dict[str, tuple[str, str]] = field(default_factory=dict)  # id -> (original, hash)
    readable: bool = True
    unlisted: Counter = field(default_factory=Counter)  # code -> problems past MAX_LISTED
    languages: Counter = field(default_factory=Counter)  # coverage.languages over the rows
    furniture: Counter = field(default_factory=Counter)  # coverage.furniture_chars


def shard_rows(
    path: Path,
    relative: str,
    index: int,
    shards: int | None,
    *,
    hashes: bool,
    dehydrated: bool | None = None,
) -> ShardRows:
    """Check every row of one records shard (``shards=None``: not part of a release, so the
    shard's id range is not checked; ``dehydrated``: the release is metadata-only, None when
    the shard is read alone, so its tier is unknown)."""
    result = ShardRows()
    previous = None
    bad_order = bad_shard = 0
    try:
        for batch in iter_batches(path, batch_bytes=ROW_BATCH_BYTES):
            # Parquet's reader leaves UTF-8 unchecked, and the checks below compare bytes.
            batch.validate(full=True)
            _check_batch(result, batch, relative, hashes)
            ids = batch.column("record_id")
            bad_order += _out_of_order(ids, previous)
            if shards is not None:
                bad_shard += _outside_shard(ids, index, shards)
            if len(ids):
                previous = ids[len(ids) - 1].as_py() or previous
            result.counts.update(_batch_counts(batch))
            result.links.update(_batch_links(batch))
            result.languages.update(value_counts(batch.column("language")))
            result.furniture.update(_batch_furniture(batch))
            _add_invariants(result, batch, relative, dehydrated)
    except PARQUET_ERRORS as exc:
        result.problems.append(Problem("E009", relative, f"cannot be read as Parquet ({exc})"))
        result.readable = False
        return result
    if bad_order:
        message = f"{bad_order} record id(s) repeated or out of order"
        result.problems.append(Problem("E013", relative, message))
    if bad_shard:
        message = f"{bad_shard} record id(s) outside this shard's id range"
        result.problems.append(Problem("E013", relative, message))
    return result


# Past this many, a shard's problems of one code are counted, not listed (memory stays bounded
# whatever a hostile shard holds; the report bounds them again across shards).
MAX_LISTED = 1000


def _add_invariants(
    result: ShardRows, batch: pa.RecordBatch, relative: str, dehydrated: bool | None
) -> None:
    """E025 for rows whose id is not the hash of their capture key, E026 for rows whose text is
    not the body their spans mark, E023 for text withheld or shipped against its redistribution
    class, E011 for what the record schema states but cannot express: dates that disagree, and
    offsets outside the capture text."""
    withheld, shipped, split = withheld_rows(batch, dehydrated)
    # The bodies and the offsets both count capture_text's code points: found once when every
    # row's body is checked. Otherwise the bodies count them over the rows checked alone, and
    # a scan of the whole batch would be spent on the offsets only (Arrow counts them faster).
    checked = pc.all(_body_checked(batch)).as_py()
    continuation = continuation_bytes(batch.column("capture_text")) if checked else None
    for code, rids, what in (
        ("E025", misplaced_ids(batch), "record_id is not the hash of its capture key"),
        ("E026", unfounded_bodies(batch, continuation),
         "text is not the body its spans mark in capture_text"),
        ("E023", withheld, "text withheld, but it may be redistributed in full"),
        ("E023", shipped, "text present, but its redistribution class is metadata-only"),
        ("E023", split, "text and capture_text are not withheld together"),
        ("E011", misdated_rows(batch), "published_date, published_precision or an offset "
         "disagrees with published_at (or modified_utc_offset with modified_at)"),
        ("E011", misplaced_offsets(batch, continuation), "a span or provenance offset lies "
         "outside capture_text, or ends before it starts"),
        ("E011", unsorted_flags(batch), "flags are not sorted, each once"),
    ):  # fmt: skip
        listed = sum(1 for problem in result.problems if problem.code == code)
        for rid in rids[: max(0, MAX_LISTED - listed)]:
            result.problems.append(Problem(code, relative, f"record {rid}: {what}"))
        left = len(rids) - max(0, MAX_LISTED - listed)
        if left > 0:
            result.unlisted[code] += left


def withheld_rows(batch: pa.RecordBatch, dehydrated: bool | None) -> tuple[list, list, list]:
    """Ids of the rows whose text is withheld though it may be redistributed in full (in a
    release of the full tier: a dehydrated one withholds every text, and one rehydrated in
    part some; ``dehydrated`` None: a shard read alone, of no known tier); of those whose text
    is present though they are metadata-only; and of those whose text and capture_text are not
    withheld together. From the rows alone: the Parquet footer's statistics are the file's own
    word, which a forger writes too."""
    text, capture = batch.column("text"), batch.column("capture_text")
    ids = batch.column("record_id")
    kept = pc.fill_null(pc.equal(batch.column("redistribution"), "metadata-only"), False)
    withheld = pc.and_(pc.is_null(text), pc.invert(kept))
    cases = (
        withheld if dehydrated is False else pa.array(np.zeros(len(batch), bool)),
        pc.and_(pc.is_valid(text), kept),
        pc.xor(pc.is_null(text), pc.is_null(capture)),
    )
    return tuple(_ids_where(ids, case) for case in cases)


def misdated_rows(batch: pa.RecordBatch) -> list[str]:
    """Ids of the rows whose ``published_date`` is not the day ``published_at`` states
    (``archive.model.stated_date``: the instant moved by its offset, but at day precision), or
    with a precision or an offset and no ``published_at`` (or no precision with one), or a
    ``modified_utc_offset`` and no ``modified_at``."""
    at = batch.column("published_at")
    precision = batch.column("published_precision")
    offset = batch.column("published_utc_offset")
    if at.type != pa.timestamp("us", tz="UTC") or offset.type != pa.int64():
        return []  # another type is E010
    moved = pc.and_(pc.is_valid(offset), pc.not_equal(precision, "day"))
    minutes = pc.multiply(pc.fill_null(offset, 0), 60_000_000)
    local = pc.add(pc.cast(at, pa.int64()), pc.if_else(pc.fill_null(moved, False), minutes, 0))
    day = pc.cast(pc.cast(local, pa.timestamp("us")), pa.date32())
    stated = pc.is_in(precision, value_set=pa.array(["day", "minute", "second"]))
    expected = pc.if_else(pc.fill_null(stated, False), day, pa.scalar(None, pa.date32()))
    date = batch.column("published_date")
    same = pc.or_(
        pc.and_(pc.is_null(date), pc.is_null(expected)),
        pc.fill_null(pc.equal(date, expected), False),
    )
    undated = pc.is_null(at)
    loose = pc.and_(undated, pc.or_(pc.is_valid(precision), pc.is_valid(offset)))
    vague = pc.and_(pc.invert(undated), pc.is_null(precision))
    modified = pc.and_(
        pc.is_null(batch.column("modified_at")), pc.is_valid(batch.column("modified_utc_offset"))
    )
    bad = pc.or_(pc.or_(pc.invert(same), loose), pc.or_(vague, modified))
    return _ids_where(batch.column("record_id"), bad)


def misplaced_offsets(batch: pa.RecordBatch, continuation: np.ndarray | None = None) -> list[str]:
    """Ids of the rows with a span, or a provenance entry that has offsets, outside their
    ``capture_text`` (code points) or ending before it starts; rows whose capture text is
    withheld are not bounded. ``continuation``: capture_text's ``continuation_bytes``, when
    found already."""
    length = _code_point_counts(batch.column("capture_text"), continuation)
    bad = np.zeros(len(batch), bool)
    for column, optional in (("spans", False), ("provenance", True)):
        lists = batch.column(column)
        values = pc.list_flatten(lists)
        if not len(values):
            continue
        owner = np.asarray(pc.list_parent_indices(lists))
        start = pc.struct_field(values, "start")
        end = pc.struct_field(values, "end")
        limit = pa.array(length[owner])
        wrong = pc.or_(pc.less(end, start), pc.greater(end, limit))
        wrong = pc.or_(wrong, pc.less(start, 0))
        if optional:  # an entry without offsets locates nothing; one offset alone is wrong
            wrong = pc.or_(pc.fill_null(wrong, False), pc.xor(pc.is_null(start), pc.is_null(end)))
        bad[owner[np.asarray(pc.fill_null(wrong, True), bool)]] = True
    return _ids_where(batch.column("record_id"), pa.array(bad))


def continuation_bytes(strings: pa.Array) -> np.ndarray | None:
    """Where the UTF-8 continuation bytes (0x80-0xBF) of a string array's values lie in its
    data buffer, ascending: a code point's byte offset is its index plus the continuation
    bytes before it. None for an array of another type."""
    if strings.type != pa.string():
        return None
    bounds = string_offsets(strings)
    low, high = int(bounds[0]), int(bounds[-1])
    return np.flatnonzero(string_data(strings)[low:high].view(np.int8) < -64) + low


def _code_point_counts(strings: pa.Array, continuation: np.ndarray | None) -> np.ndarray:
    """The code points of each value of a string array, from its ``continuation_bytes`` (None:
    counted by Arrow), the largest int64 for a null."""
    if continuation is None:  # or another type (E010): as Arrow counts it, or fails to
        counts = pc.fill_null(pc.cast(pc.utf8_length(strings), pa.int64()), _UNBOUNDED)
        return np.asarray(counts, np.int64)
    bounds = string_offsets(strings).astype(np.int64)
    counts = np.diff(bounds - np.searchsorted(continuation, bounds))
    if strings.null_count:
        counts[~np.asarray(strings.is_valid(), bool)] = _UNBOUNDED
    return counts


_UNBOUNDED = np.iinfo(np.int64).max


def unsorted_flags(batch: pa.RecordBatch) -> list[str]:
    """Ids of the rows whose flags are not in ascending order, each once, as the schema
    states them (readers may take the list as a set, and the manifest counts it so)."""
    flags = batch.column("flags")
    values = pc.list_flatten(flags)
    if len(values) < 2:
        return []
    owner = np.asarray(pc.list_parent_indices(flags))
    same_row = owner[1:] == owner[:-1]
    ascending = np.asarray(pc.fill_null(pc.less(values[:-1], values[1:]), False), bool)
    bad = np.zeros(len(batch), bool)
    bad[owner[1:][same_row & ~ascending]] = True
    return _ids_where(batch.column("record_id"), pa.array(bad))


def _ids_where(ids: pa.Array, mask: pa.Array) -> list[str]:
    mask = pc.fill_null(mask, False)
    if not pc.any(mask).as_py():
        return []
    return pc.filter(ids, mask).to_pylist()


def capture_keys(batch: pa.RecordBatch) -> pa.Array:
    """The capture key of every row (``archive.records``): the source path; for a WARC record
    (``capture.warc_offset`` set) the WARC file's path, '#' and the WARC-Record-ID (or
    '@' and the offset when it has none, or an empty one), vectorized."""
    capture = batch.column("capture")
    path = pc.struct_field(capture, "source_path")
    offset = pc.struct_field(capture, "warc_offset")
    at = pc.binary_join_element_wise("@", pc.cast(offset, pa.string()), "")
    stated = pc.struct_field(capture, "warc_record_id")
    stated = pc.if_else(pc.equal(stated, ""), pa.scalar(None, pa.string()), stated)
    suffix = pc.coalesce(stated, at)
    warc = pc.binary_join_element_wise(path, suffix, "#")
    return pc.if_else(pc.is_valid(offset), warc, path)


def misplaced_ids(batch: pa.RecordBatch) -> list[str]:
    """Ids of the rows whose ``record_id`` is not the first 32 hex digits of SHA-256 over
    ``archive-record-v1\n`` + capture key (``archive.release.plan.record_id``)."""
    prefix = RECORD_ID_PREFIX.decode()
    keyed = pc.binary_join_element_wise(prefix, capture_keys(batch), "")
    if _digests_are(keyed, batch.column("record_id"), 16):
        return []
    digests = pa.array(hex_digests(keyed), pa.string())
    expected = pc.utf8_slice_codeunits(digests, 0, 32)
    ids = batch.column("record_id")
    return _ids_where(ids, pc.invert(pc.fill_null(pc.equal(expected, ids), False)))


def unfounded_bodies(batch: pa.RecordBatch, continuation: np.ndarray | None = None) -> list[str]:
    """Ids of the rows whose ``text_sha256`` is not the hash of the body their spans mark in
    ``capture_text``. Withheld rows (no capture text) are left to E023; the HTML extractor's
    rows are not checked: their body comes from the markup, which only re-extraction with the
    same extractor version could reproduce. ``continuation``: capture_text's
    ``continuation_bytes``, when found already."""
    checked = _body_checked(batch)
    if not pc.any(checked).as_py():
        return []
    table = pa.Table.from_batches([batch]).select(
        ["record_id", "capture_text", "spans", "text", "text_sha256", "extractor"]
    )
    if not pc.all(checked).as_py():  # a filter copies every column, text and all
        table, continuation = table.filter(checked), None  # the bytes kept are found anew
    table = table.combine_chunks()
    # Most bodies are their paragraphs as cut, compared in Arrow for the whole batch (E012 ties
    # ``text`` to its hash); only the other rows are rebuilt one by one.
    cut = _bodies_as_cut(table, continuation)
    if cut.all():
        return []
    return _unfounded_rows(table.filter(pa.array(~cut)))


def _body_checked(batch: pa.RecordBatch) -> pa.Array:
    """The rows whose body ``unfounded_bodies`` checks: those with a capture text, but a page's
    (a row of the HTML extractor; one that says otherwise is checked as any other)."""
    html = pc.and_(
        pc.starts_with(batch.column("extractor"), HTML_EXTRACTOR_NAME),
        pc.equal(batch.column("media_type"), "text/html"),
    )
    return pc.and_(pc.is_valid(batch.column("capture_text")), pc.invert(pc.fill_null(html, False)))


def _unfounded_rows(table: pa.Table) -> list[str]:
    """``unfounded_bodies`` row by row, in Python (the rows the batch comparison left)."""
    spans = table["spans"].chunk(0) if table.num_rows else pa.array([], table["spans"].type)
    # The spans as flat lists of starts, ends and kinds: no Python object per span.
    offsets = pc.fill_null(spans.offsets, 0).to_pylist()
    values = spans.values
    starts = pc.struct_field(values, "start").to_pylist()
    ends = pc.struct_field(values, "end").to_pylist()
    body = pc.is_in(pc.struct_field(values, "kind"), value_set=pa.array(BODY_KINDS)).to_pylist()
    bad = []
    rows = zip(*(table[c].to_pylist() for c in ("record_id", "capture_text", "text")), strict=True)
    hashes, names = table["text_sha256"].to_pylist(), table["extractor"].to_pylist()
    for i, (rid, capture_text, text) in enumerate(rows):
        if names[i] is not None and names[i].startswith(PLAIN_EXTRACTOR):
            expected = plain_body(capture_text)
        else:
            paragraphs = [
                capture_text[starts[j] : ends[j]]
                for j in range(offsets[i], offsets[i + 1])
                if body[j]
            ]
            if text is not None and "\n\n".join(paragraphs) == text:
                continue
            expected = body_text(paragraphs)
        if sha256_text(expected) != hashes[i]:
            bad.append(rid)
    return bad


def _bodies_as_cut(table: pa.Table, continuation: np.ndarray | None = None) -> np.ndarray:
    """For each row (one chunk per column), whether ``text`` is its body spans cut from
    ``capture_text`` and joined by blank lines, as ``_unfounded_rows`` cuts and joins them.
    False where that is not so or not shown here: the plain extractor's rows, a null text,
    a body span with a null or negative bound, body spans out of order or overlapping,
    columns not of their schema's type. ``continuation``: capture_text's
    ``continuation_bytes``, when found already."""
    rows = table.num_rows
    if not rows or {table["capture_text"].type, table["text"].type} != {pa.string()}:
        return np.zeros(rows, bool)
    capture, text = table["capture_text"].chunk(0), table["text"].chunk(0)
    spans = table["spans"].chunk(0)
    offsets = np.asarray(spans.offsets)
    first, last = int(offsets[0]), int(offsets[-1])
    values = spans.values.slice(first, last - first)
    body = pc.fill_null(pc.is_in(pc.struct_field(values, "kind"), value_set=_body_kinds()), False)
    body = np.asarray(body, bool)
    starts = _int64s(pc.struct_field(values, "start"))[body]
    ends = _int64s(pc.struct_field(values, "end"))[body]
    owner = np.repeat(np.arange(rows), np.diff(offsets))[body]
    unsure = np.zeros(rows, bool)
    unsure[owner[(starts < 0) | (ends < 0)]] = True
    # Code-point offsets to byte offsets in capture_text's data, without decoding it.
    if continuation is None:
        continuation = continuation_bytes(capture)
    bounds = string_offsets(capture)
    base = bounds - np.searchsorted(continuation, bounds)  # code-point index of each row start
    points = np.diff(base)  # code points per row
    shifted = continuation - np.arange(len(continuation))

    def byte_at(point: np.ndarray) -> np.ndarray:
        return point + np.searchsorted(shifted, point, side="right")

    limit = points[owner]
    starts = np.minimum(np.maximum(starts, 0), limit)
    ends = np.maximum(np.minimum(ends, limit), starts)  # Python's slice: empty when reversed
    begin = byte_at(base[:-1][owner] + starts)
    lengths = byte_at(base[:-1][owner] + ends) - begin
    plain = pc.fill_null(pc.starts_with(table["extractor"].chunk(0), PLAIN_EXTRACTOR), False)
    return _pieces_match(owner, begin, lengths, capture, text, unsure) & ~np.asarray(plain, bool)


def _pieces_match(
    owner: np.ndarray,
    begin: np.ndarray,
    lengths: np.ndarray,
    capture: pa.Array,
    text: pa.Array,
    unsure: np.ndarray,
) -> np.ndarray:
    """For each row, whether its text is its paragraphs (the byte ranges ``begin``, ``lengths``
    of ``capture``'s data, owned by row ``owner``) joined by blank lines, unless ``unsure``
    or its paragraphs overlap or go back. Nothing is copied: a row whose text has the joined
    length has each paragraph at a known place in it, so both sides are the same byte ranges
    of their own data, compared as two binary arrays over those buffers (each range followed
    by the gap to the next, which the comparison ignores), and the blank lines are checked in
    place."""
    rows = len(text)
    together = owner[1:] == owner[:-1]  # a paragraph and the next, of one row
    back = np.zeros(rows, bool)
    back[owner[1:][together & (begin[1:] < begin[:-1] + lengths[:-1])]] = True
    text_bounds = string_offsets(text).astype(np.int64)
    paragraphs = np.bincount(owner, minlength=rows)
    joined_bytes = np.bincount(owner, weights=lengths, minlength=rows).astype(np.int64)
    joined_bytes += 2 * np.maximum(paragraphs - 1, 0)
    fits = (joined_bytes == np.diff(text_bounds)) & ~(unsure | back)
    fits &= np.asarray(text.is_valid(), bool)
    kept = fits[owner]
    # Where a row does not fit, its ranges shrink to nothing at the row's start on both sides,
    # so the offsets of both arrays still only grow.
    steps = lengths + 2
    placed = np.cumsum(steps) - steps
    row_first = (np.cumsum(paragraphs) - paragraphs)[owner]
    row_start = text_bounds[:-1][owner]
    in_text = np.where(kept, row_start + placed - placed[row_first], row_start)
    in_capture = np.where(kept, begin, string_offsets(capture)[:-1][owner])
    lengths = np.where(kept, lengths, 0)
    same = _same_ranges(in_capture, in_text, lengths, capture.buffers()[2], text.buffers()[2])
    bad = np.zeros(rows, bool)
    bad[owner[~same]] = True
    inner = np.flatnonzero(together & kept[:-1])
    blank = in_text[inner] + lengths[inner]  # where the blank line after a paragraph is
    data = string_data(text)
    apart = (data[blank] == 10) & (data[blank + 1] == 10) if len(blank) else np.ones(0, bool)
    bad[owner[inner[~apart]]] = True
    return fits & ~bad


def _same_ranges(
    left: np.ndarray,
    right: np.ndarray,
    lengths: np.ndarray,
    left_data: pa.Buffer | None,
    right_data: pa.Buffer | None,
) -> np.ndarray:
    """Whether bytes ``left[i]:left[i] + lengths[i]`` of ``left_data`` are those at
    ``right[i]`` of ``right_data``, for every i. The ranges of each side must be in ascending
    order, none overlapping the next, and inside the buffer: otherwise (only text that is not
    UTF-8 could place them so) nothing is shown the same."""
    count = len(lengths)
    if not count:
        return np.ones(0, bool)
    sides = []
    for at, data in ((left, left_data), (right, right_data)):
        bounds = np.empty(2 * count, np.int64)
        bounds[0::2], bounds[1::2] = at, at + lengths
        size = data.size if data is not None else 0
        if bounds[0] < 0 or bounds[-1] > size or (np.diff(bounds) < 0).any():
            return np.zeros(count, bool)
        ranges = [None, pa.py_buffer(bounds.astype(np.int32)), data or pa.py_buffer(b"")]
        sides.append(pa.Array.from_buffers(pa.binary(), 2 * count - 1, ranges))
    return np.asarray(pc.equal(*sides), bool)[0::2]


@cache
def _body_kinds() -> pa.Array:
    return pa.array(BODY_KINDS, pa.string())


def _int64s(values: pa.Array) -> np.ndarray:
    """An int64 array as numpy, nulls as -1 (a bound ``_bodies_as_cut`` leaves to Python)."""
    return np.asarray(pc.fill_null(values, -1) if values.null_count else values, np.int64)


def _batch_furniture(batch: pa.RecordBatch) -> Counter:
    """Characters per furniture kind over the spans (``coverage.furniture_chars``)."""
    spans = pc.list_flatten(batch.column("spans"))
    if len(spans) == 0:
        return Counter()
    kinds = pc.struct_field(spans, "kind")
    lengths = pc.subtract(pc.struct_field(spans, "end"), pc.struct_field(spans, "start"))
    furniture = pc.fill_null(pc.starts_with(kinds, "furniture-"), False)
    if not pc.any(furniture).as_py():
        return Counter()
    # Summed in numpy by the kinds' dictionary codes: Acero's group_by costs more to start.
    coded = pc.dictionary_encode(pc.filter(kinds, furniture))
    lengths = np.asarray(pc.fill_null(pc.filter(lengths, furniture), 0), np.int64)
    sums = np.zeros(len(coded.dictionary), np.int64)
    np.add.at(sums, np.asarray(coded.indices, np.int64), lengths)
    return Counter(dict(zip(coded.dictionary.to_pylist(), sums.tolist(), strict=True)))


def _check_batch(result: ShardRows, batch: pa.RecordBatch, relative: str, hashes: bool) -> None:
    """Count ``batch``'s rows; check them against the schema (E011) and their text hashes
    (E012, when ``hashes``)."""
    result.rows += batch.num_rows
    for problem in column_problems(batch):
        result.problems.append(Problem("E011", relative, problem))
    if hashes:
        for column in ("text", "capture_text"):
            for rid in mismatched_hashes(batch, column):
                message = f"record {rid}: {column} does not match {column}_sha256"
                result.problems.append(Problem("E012", relative, message))


def _out_of_order(ids: pa.Array, previous: str | None) -> int:
    """How many ids are not greater than the id before them (vectorized)."""
    if previous is not None:
        ids = pa.concat_arrays([pa.array([previous], pa.string()), ids])
    if len(ids) < 2:
        return 0
    ordered = pc.greater(ids.slice(1), ids.slice(0, len(ids) - 1))
    return len(ordered) - (pc.sum(pc.fill_null(ordered, True)).as_py() or 0)


def _outside_shard(ids: pa.Array, index: int, shards: int) -> int:
    """How many ids lie outside shard ``index``'s range (``archive.release.plan.shard_of``,
    vectorized: ids are fixed-width lowercase hex, so string order is numeric order)."""
    low = -(-index * 2**32 // shards)
    high = -(-(index + 1) * 2**32 // shards)
    inside = pc.greater_equal(ids, f"{low:08x}")
    if index + 1 < shards:
        inside = pc.and_(inside, pc.less(ids, f"{high:08x}"))
    return len(ids) - ids.null_count - (pc.sum(pc.fill_null(inside, False)).as_py() or 0)


def sampled_rows(
    path: Path,
    relative: str,
    row_groups: tuple[int, ...],
    positions: tuple[int, ...],
    hashes: bool,
    dehydrated: bool | None = None,
) -> ShardRows:
    """Check the schema and text hashes of the rows at ``positions`` of one shard only (reads
    only the row groups that hold them)."""
    result = ShardRows()
    starts = [0]
    for size in row_groups:
        starts.append(starts[-1] + size)
    wanted: dict[int, list[int]] = {}
    for position in positions:
        group = bisect_right(starts, position) - 1
        wanted.setdefault(group, []).append(position - starts[group])
    try:
        parquet = parquet_file(path)
        for group, offsets in sorted(wanted.items()):
            table = group_rows(parquet, group, offsets)
            batch = table.combine_chunks().to_batches()[0]
            batch.validate(full=True)  # as shard_rows: UTF-8 unchecked by Parquet's reader
            _check_batch(result, batch, relative, hashes)
            _add_invariants(result, batch, relative, dehydrated)
    except (*PARQUET_ERRORS, IndexError) as exc:
        result.problems.append(Problem("E009", relative, f"cannot be read as Parquet ({exc})"))
        result.readable = False
    return result


def _batch_links(batch: pa.RecordBatch) -> dict[str, tuple[str, str]]:
    """duplicate id -> (original id, its text_sha256) for every marked duplicate of a batch."""
    marked = pc.is_valid(batch.column("duplicate_of"))
    if not pc.any(marked).as_py():
        return {}
    table = pa.Table.from_batches([batch]).select(["record_id", "duplicate_of", "text_sha256"])
    table = table.filter(marked)
    return {
        rid: (original, text_hash)
        for rid, original, text_hash in zip(
            table["record_id"].to_pylist(),
            table["duplicate_of"].to_pylist(),
            table["text_sha256"].to_pylist(),
            strict=True,
        )
    }


def _batch_counts(batch: pa.RecordBatch) -> Counter:
    duplicates = batch.num_rows - batch.column("duplicate_of").null_count
    return Counter({"duplicates": duplicates, **unknown_counts(batch)})


def hex_digests(array: pa.Array) -> list[str | None]:
    """SHA-256 of every value of a string array, read straight from its Arrow buffers."""
    if isinstance(array, pa.ChunkedArray):
        return [d for chunk in array.chunks for d in hex_digests(chunk)]
    if array.type == pa.large_string():
        return [
            None if v is None else hashlib.sha256(v.encode()).hexdigest() for v in array.to_pylist()
        ]
    _, offsets_buffer, data_buffer = array.buffers()
    offsets = memoryview(offsets_buffer).cast("i")[array.offset : array.offset + len(array) + 1]
    data = memoryview(data_buffer) if data_buffer is not None else memoryview(b"")
    valid = array.is_valid().to_pylist() if array.null_count else None
    digests = []
    sha256 = hashlib.sha256
    for i in range(len(array)):
        if valid is not None and not valid[i]:
            digests.append(None)
        else:
            digests.append(sha256(data[offsets[i] : offsets[i + 1]]).hexdigest())
    return digests


def _digests_are(values: pa.Array, stated: pa.Array, size: int) -> bool:
    """Whether every value's SHA-256, cut to ``size`` bytes, is its ``stated`` hex digest, all
    compared at once: the digests joined in hex against the stated column's data buffer (False:
    not shown so, for a null, a digest of another width, another layout)."""
    if isinstance(values, pa.ChunkedArray) or isinstance(stated, pa.ChunkedArray):
        return False
    if values.null_count or stated.null_count or {values.type, stated.type} != {pa.string()}:
        return False
    count = len(values)
    if not count:
        return True
    ends = string_offsets(stated)
    if ends[-1] - ends[0] != 2 * size * count or stated.buffers()[2] is None:
        return False  # not every stated digest is 2 * size hex digits
    if not (np.diff(ends) == 2 * size).all():
        return False
    # A hashlib call per value is the floor; the bounds come as Python ints from one list,
    # not indexed out of a memoryview two at a time (a tenth of the loop's time).
    bounds = string_offsets(values).tolist()
    data = memoryview(values.buffers()[2] or b"")
    sha256 = hashlib.sha256
    pairs = zip(bounds[:-1], bounds[1:], strict=True)
    digests = [sha256(data[start:end]).digest() for start, end in pairs]
    joined = b"".join(digests if size == 32 else [digest[:size] for digest in digests])
    return binascii.hexlify(joined) == stated.buffers()[2][ends[0] : ends[-1]].to_pybytes()


def mismatched_hashes(batch: pa.RecordBatch, column: str) -> list[str]:
    """Record ids of the rows whose ``column`` does not hash to ``<column>_sha256``."""
    values = batch.column(column)
    if _digests_are(values, batch.column(f"{column}_sha256"), 32):
        return []
    computed = pa.array(hex_digests(values), pa.string())
    same = pc.fill_null(pc.equal(computed, batch.column(f"{column}_sha256")), False)
    same = pc.or_(same, pc.is_null(values))  # withheld text: checked by withheld_rows
    return _ids_where(batch.column("record_id"), pc.invert(same))


def relation_rows(path: Path, relative: str, dehydrated: bool) -> tuple[int | None, list, Counter]:
    """The relations table's rows against its schema (E024), relations of a record with itself
    (E024), and relations withholding their evidence in a release of the full tier (E024): how
    many rows (None: the file breaks off or holds a string that is not UTF-8, E009, or its
    columns are not of the schema's types), the problems as (code, path, message), and how many
    rows of each kind.
    A table whose columns are not of the schema's types is not read further, and its count is
    not compared: only its footer, which nothing has checked, would give one."""
    rows = withheld = selves = 0
    problems: list[tuple[str, str, str]] = []
    params_seen: set[str] = set()
    kinds: Counter = Counter()
    try:
        parquet = parquet_file(path)
        mistyped = schema_problems(parquet.schema_arrow, RELATIONS_ARROW_SCHEMA)
        if mistyped:
            return None, [("E024", relative, problem) for problem in mistyped], kinds
        for batch in iter_batches(parquet):
            # as the record shards' (shard_rows): Parquet's reader leaves UTF-8 unchecked, and a
            # string that is not UTF-8 stops every reader of the table (pandas, polars, archive)
            batch.validate(full=True)
            rows += batch.num_rows
            problems += [
                ("E024", relative, problem) for problem in column_problems(batch, "relations")
            ]
            params = params_problems(batch.column("params"), params_seen)
            problems += [("E024", relative, problem) for problem in params]
            kinds.update(value_counts(batch.column("kind")))
            same = pc.equal(batch.column("source_id"), batch.column("target_id"))
            selves += pc.sum(pc.fill_null(same, False)).as_py() or 0
            if not dehydrated:
                withheld += withheld_evidence_count(batch)
    except (OSError, ValueError, pa.ArrowException) as exc:  # a damaged footer can be any
        problems.append(("E009", relative, f"cannot be read as Parquet ({exc})"))
        return None, problems, kinds
    if selves:
        problems.append(("E024", relative, f"{selves} relation(s) of a record with itself"))
    if withheld:
        message = (
            f"{withheld} relation(s) withhold their evidence, but the release is in the full tier"
        )
        problems.append(("E024", relative, message))
    return rows, problems, kinds


def withheld_evidence_count(batch: pa.RecordBatch) -> int:
    """Relations whose evidence is withheld (only a dehydrated release may hold them)."""
    names = batch.schema.names
    if "evidence" not in names or batch.schema.field("evidence").type != pa.string():
        return 0  # a missing or mistyped column breaks the schema, reported as such
    evidence = batch.column("evidence")
    key = f'"{WITHHELD_KEY}":'
    if isinstance(evidence, pa.Array) and not _may_hold(evidence, key):
        return 0
    return int(pc.sum(pc.match_substring(evidence, key)).as_py() or 0)


def _may_hold(strings: pa.Array, part: str) -> bool:
    """False when no value of ``strings`` can hold ``part``: one search of the data buffer,
    much faster than Arrow's search value by value (True: it may, or the data is absent)."""
    data = strings.buffers()[2]
    return data is None or data.to_pybytes().find(part.encode()) >= 0


__all__ = [
    "COUNTED_FIELDS",
    "ShardRows",
    "hex_digests",
    "mismatched_hashes",
    "relation_rows",
    "sampled_rows",
    "shard_rows",
]
