"""Stream the records of a WARC (or ARC) file as captures, skips and damage, losing none.

``iter_warc`` yields, in file order, one item per record:

* ``WarcPayload`` - a ``response``, ``resource`` or ``conversion`` record holding HTML or text
  (by its Content-Type: ``text/html``, ``application/xhtml+xml`` or ``text/plain``, any other
  being ``non-html``; or sniffed as browsers do when there is none): the payload bytes
  (transfer and content encodings undone) and the capture fields of the WARC and HTTP headers,
  with the stored digests checked against the bytes read (``digest_ok``, ``bad_digests``) and
  ``flags`` naming what was read leniently;
* ``WarcSkipped`` - a record that is counted, not packed, with its ``kind``: ``warcinfo``,
  ``request``, ``metadata`` (also a crawler's own log or manifest stored as a ``resource``,
  and any record whose target is a ``urn:``, as the page text browsertrix-crawler derives),
  ``dns``, ``revisit`` (pointing to its original), ``redirect``, ``error-status``, ``non-html``,
  ``empty``, ``too-large``, ``undecodable``, ``truncated`` (a page its crawler stored cut
  short), ``segmented`` (a page stored in several records), ``partial`` (a 206 response
  holding part of a page) or ``other``; its digests are
  checked too;
* ``WarcDamage`` - a region that could not be read (a truncated gzip member, a bad record header,
  a record cut short by the end of the file) with its byte offset. Reading resumes at the next
  gzip member or ``WARC/1.x`` header line after it, so every readable record is still yielded.

What warcio and FastWARC read is read: bodies stored de-chunked under a ``chunked`` header,
header lines ending LF or CR CR LF, a version line in lower case, header fields folded on to a
second line, LZ4 files, gzip bodies missing their trailer (flagged), target URIs in angle
brackets. A response opening with interim responses (``100 Continue``, ``103 Early Hints``) is
read as the final response after them, where both stop at the first (flag
``http-interim-response``; its payload digest may cover the bytes after either). A record whose
Content-Length lies is read to where the next record begins, searched from its own block (flag
``warc-content-length-mismatch``), so the records after it are not lost. A gzip file whose
members do not hold a record each (one gzip stream) is read as its inflated bytes, its offsets
counting them (flag ``warc-offset-inflated``). Nothing is inflated past ``max_bytes``
(``too-large``, with the size and hash of the stored bytes) and chunk sizes are checked, so a
hostile file costs bounded memory and time.

Reader: fastwarc, measured against warcio on the same files (``benchmarks/bench_warc.py
--pages 8000``: 24,000 request/response/metadata records, fictional pages of 25-60 KB, one
core of a shared 2-core machine, digests checked on every response, peak RSS per process):

==================  ======================  ======================  ======================
file                fastwarc                warcio                  iter_warc (this module)
==================  ======================  ======================  ======================
.warc.gz   92 MB    33,400 rec/s 127 MB/s   8,800 rec/s  34 MB/s    25,400 rec/s  97 MB/s
.warc     240 MB    88,900 rec/s 890 MB/s   16,100 rec/s 161 MB/s   54,900 rec/s 549 MB/s
==================  ======================  ======================  ======================

Plain read+sha256 of the same files: 850-1,250 MB/s. Peak memory is flat (20 MiB fastwarc,
27 MiB warcio; iter_warc 86 MiB of which ~65 MiB is importing the ``archive`` package).
fastwarc is 3.8x (gzip) to 5.5x (plain) faster than warcio. Its own ``verify_digests=True``
*skips* records whose digest fails, silently, so it is not used: each
digest is checked per record and reported. warcio reads ARC files, which fastwarc does not:
ARC goes through warcio (no resync after damage there; the damage ends the file). fastwarc
parses the framing only (``parse_http=False``): HTTP heads, digests and decoding are done here,
by the rules above; records fastwarc cannot frame are read by ``_extent`` instead.
"""

from __future__ import annotations

import base64
import binascii
import errno
import hashlib
import re
import tempfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO, Protocol

from fastwarc.warc import ArchiveIterator, WarcRecord

from archive.capture import storage
from archive.capture.storage import open_input
from archive.errors import NoSpaceError
from archive.format.codings import CODINGS, decoded

MAX_PAYLOAD_BYTES = 64 * 1024 * 1024
_GZIP_MAGIC = b"\x1f\x8b\x08"
# A record's first line: WARC/1.0 and 1.1, and the 0.17/0.18 drafts ClueWeb09 was written in;
# any run of CRs before the LF (CR CR LF is what some writers put out). The standard's grammar
# is ABNF, whose strings match in either case (``warc/1.0``).
_WARC_LINE = re.compile(rb"(?i:WARC)/(?:1\.[01]|0\.1[78])\r*\n")
_HEAD_END = re.compile(rb"\n\r*\n")  # the empty line after header lines ending LF, CRLF or CRCRLF
# An interim response (RFC 9110 15.2: 100 Continue, 102, 103 Early Hints) a server may send
# before the final one, which a WARC response block then holds after it; 101 Switching
# Protocols ends the HTTP exchange and is no interim.
_INTERIM_STATUS = re.compile(rb"HTTP/\S+[ \t]+1(?!01)[0-9]{2}\b")
_TEXT_TYPES = ("text/html", "application/xhtml+xml", "text/plain")
_UNREADABLE_TYPES = ("unknown/unknown", "application/unknown", "*/*")
_SCAN_BLOCK = 1 << 20
_READ_BLOCK = 1 << 16
_HEAD_LIMIT = 64 * 1024
_HEADS_LIMIT = 4 * _HEAD_LIMIT  # interim responses and the final head after them
_COUNTED_TYPES = ("warcinfo", "request", "metadata")
_PAYLOAD_TYPES = ("response", "resource", "conversion")
# Target schemes of a crawler's own records. No web page has a urn: address: browsertrix-crawler
# writes the text it derives from a page (urn:text:, urn:textFinal:) and notes on it
# (urn:pageinfo:, urn:view:) as resource records.
_CRAWLER_SCHEMES = {"metadata": "metadata", "filedesc": "metadata", "dns": "dns", "urn": "metadata"}
_CHUNK_SIZE = re.compile(rb"[0-9A-Fa-f]{1,16}")
_DIGESTS = {"sha1": "sha1", "sha-1": "sha1", "sha256": "sha256", "sha-256": "sha256",
            "sha512": "sha512", "sha-512": "sha512", "md5": "md5"}  # fmt: skip
# WHATWG MIME sniffing: tags that make unlabelled bytes HTML when followed by space or '>'.
_HTML_SNIFF = re.compile(
    rb"<(?:!doctype html|html|head|script|iframe|h1|div|font|table|a|style|title|b|body|br|p|!--)"
    rb"[ >]",
    re.IGNORECASE,
)
_BINARY_BYTES = re.compile(rb"[\x00-\x08\x0b\x0e-\x1a\x1c-\x1f]")
_SNIFF_BYTES = 1445


@dataclass(frozen=True)
class WarcPayload:
    """An HTML or text payload with what the WARC and HTTP headers say about its capture.

    ``payload`` is the entity body with chunking and ``Content-Encoding`` undone. ``digest_ok``
    is ``True``/``False`` when the record carries a payload digest (or, lacking a readable one,
    a block digest; ``digest_kind`` says which) and it was checked, ``None`` when there is none
    it can read (``digest_unreadable``: it names one, in an unknown algorithm or a malformed
    value) or checking was off. ``content_type`` is the media type alone, lower case (sniffed
    from the bytes when the headers give none, with the flag ``content-type-sniffed``);
    ``charset`` the ``charset`` parameter of the HTTP Content-Type, as written. ``flags`` name
    what was read leniently (see ``_decoded``); ``bad_digests`` the digests (``block``,
    ``payload``) that fail.
    """

    payload: bytes
    target_uri: str | None
    warc_date: datetime | None
    warc_record_id: str | None
    filename: str
    offset: int
    http_status: int | None
    content_type: str | None
    charset: str | None
    ip_address: str | None
    payload_digest: str | None
    digest_ok: bool | None
    digest_kind: str | None = None
    digest_unreadable: bool = False  # it names digests, none of which can be read
    flags: tuple[str, ...] = ()
    bad_digests: tuple[str, ...] = ()
    record_type: str | None = None


@dataclass(frozen=True)
class WarcSkipped:
    """A record that is counted, not packed; ``detail`` says why in words (status, type...).

    ``size``/``sha256`` are those of the stored payload for ``too-large`` and ``undecodable``.
    """

    kind: str
    filename: str
    offset: int
    target_uri: str | None = None
    warc_record_id: str | None = None
    detail: str | None = None
    refers_to_target: str | None = None
    refers_to_record_id: str | None = None
    refers_to_date: str | None = None
    size: int | None = None
    sha256: str | None = None
    bad_digests: tuple[str, ...] = ()
    record_type: str | None = None


@dataclass(frozen=True)
class WarcDamage:
    """Bytes from ``offset`` on could not be read as records; ``resumed_at`` is where reading
    went on (``None``: nothing readable followed)."""

    filename: str
    offset: int
    message: str
    resumed_at: int | None = None


WarcItem = WarcPayload | WarcSkipped | WarcDamage


@dataclass(frozen=True)
class WarcSpan:
    """A byte range of a WARC file read as one task: the records from ``start`` on, up to the
    first of ``stops`` that a record begins at. ``stops`` are the file's later split points in
    order, the first this span's end. A split point is found by its bytes (``split_points``),
    so it may lie inside a record (a WARC stored in a WARC); the reading then goes over it and
    ends at the next stop a record begins at, and the spans it went over do not count
    (``spans_kept``)."""

    start: int
    stops: tuple[int, ...] = ()


@dataclass(frozen=True)
class WarcSpanEnd:
    """The last item of a span's reading: the stop a record began at, where the next span
    that counts takes over (``None``: the reading went to the end of the file)."""

    filename: str
    start: int
    stop: int | None


@dataclass(frozen=True)
class _Options:
    filename: str
    check_digests: bool
    max_bytes: int


class _Reader(Protocol):
    def read(self, size: int = ...) -> bytes: ...


def iter_warc(
    path: Path | str,
    *,
    check_digests: bool = True,
    max_bytes: int = MAX_PAYLOAD_BYTES,
    span: WarcSpan | None = None,
) -> Iterator[WarcItem | WarcSpanEnd]:
    """Yield every record of the WARC/ARC file at ``path`` (or a URL) as a capture, a skip or
    damage. A payload whose stored or decoded bytes pass ``max_bytes`` is skipped as
    ``too-large``. With ``span`` (from ``split_points``), only the records of that span, then
    a ``WarcSpanEnd``.

    Memory stays bounded: one record's payload at a time (two around a damaged region), each
    at most ``max_bytes``.

    >>> kinds = [type(item).__name__ for item in iter_warc(Path("crawl.warc.gz"))]  # doctest: +SKIP
    """
    name = _name(path)
    opts = _Options(name, check_digests, max_bytes)
    if _is_arc(name):
        yield from _iter_arc(path, opts)
        return
    with open_input(str(path)) as stream:
        if name.lower().endswith(".lz4"):
            yield from _iter_lz4(stream, opts)
            return
        # such a file is never split into spans: the span at 0 is all of it
        if (span is None or not span.start) and _one_stream(stream):
            records = _inflated_records(stream, opts)
        else:
            records = _records_from(stream, span.start if span else 0, opts)
        yield from (records if span is None else _spanned(records, span, name))


def _name(path: Path | str) -> str:
    return storage.name_of(path) if storage.is_url(path) else Path(path).name


def _records_from(stream: BinaryIO, start: int | None, opts: _Options) -> Iterator[WarcItem]:
    """Every item from the record at ``start`` to the end of the file."""
    size = stream.seek(0, 2)
    while start is not None and start < size:
        stream.seek(start)
        gz = stream.read(3) == _GZIP_MAGIC  # sniffed again after damage: files can mix
        start = yield from _read_from(stream, start, size, gz, opts)


def _is_arc(name: str) -> bool:
    return name.lower().endswith((".arc", ".arc.gz"))


# --- spans: one big file read as several tasks ---------------------------------------------------


def split_points(path: Path | str, every: int, *, tail: bool = False) -> tuple[int, ...]:
    """Offsets at least ``every`` bytes apart where a record may begin, to read a big WARC file
    as spans in parallel: each the first gzip member start (or ``WARC/1.x`` line in a plain
    file) ``every`` bytes or more after the last, found as reading resumes after damage
    (``_starts_record``: a member that inflates to a WARC line). None for ARC and LZ4 files
    (their readers do not resume after damage, so a span could read what one reading of the
    file would not), nor for a gzip file whose first member does not end within 8 MiB (one
    gzip stream for the whole file, which cannot be entered midway). Reads a block about each
    point, not the file.

    With ``tail``, the points are ``span_step`` apart instead: ``every``, narrowing towards the
    end of the file, so the workers run out of spans nearly together instead of one reading a
    last whole span alone."""
    name = _name(path)
    if every <= 0 or _is_arc(name) or name.lower().endswith(".lz4"):
        return ()
    with open_input(str(path)) as stream:
        size = stream.seek(0, 2)
        if size <= every:
            return ()
        stream.seek(0)
        if stream.read(3) == _GZIP_MAGIC and (
            not _member_ends(stream, _MEMBER_PROBE) or _one_stream(stream)
        ):
            return ()
        points: list[int] = []
        at = span_step(every, size) if tail else every
        while at < size and (found := _next_start(stream, at)) is not None:
            points.append(found)
            at = found + (span_step(every, size - found) if tail else every)
        return tuple(points)


def span_step(every: int, left: int) -> int:
    """How many bytes the next span reads when ``left`` bytes of the file are left: ``every``,
    but near the end a quarter of what is left, never under an eighth of ``every``. The last
    spans are then small beside what up to four workers have left between them, so they run
    out of work nearly together (the number of workers must not cut the file: it is not
    known to every executor)."""
    return max(every // _SMALLEST_SPAN, min(every, left // _TAIL_PARTS))


_TAIL_PARTS = 4
_SMALLEST_SPAN = 8


_MEMBER_PROBE = 8 << 20  # compressed bytes read to see the first gzip member end


def _member_ends(stream: BinaryIO, limit: int) -> bool:
    """Whether the gzip member at the start of ``stream`` ends within ``limit`` bytes."""
    stream.seek(0)
    inflate = zlib.decompressobj(31)
    read = 0
    try:
        while read < limit and not inflate.eof:
            data = stream.read(min(_READ_BLOCK, limit - read))
            if not data:
                return False
            read += len(data)
            while data and not inflate.eof:
                inflate.decompress(data, _READ_BLOCK)
                data = inflate.unconsumed_tail
    except zlib.error:
        return False
    return inflate.eof


def spans_of(points: tuple[int, ...]) -> tuple[WarcSpan, ...]:
    """The spans a file's split points cut it into."""
    starts = (0, *points)
    return tuple(WarcSpan(start, points[n:]) for n, start in enumerate(starts))


def _spanned(items: Iterator[WarcItem], span: WarcSpan, filename: str) -> Iterator:
    stops = list(reversed(span.stops))
    for item in items:
        while stops and item.offset > stops[-1]:
            stops.pop()  # read over: that split point lies inside a record
        if stops and item.offset == stops[-1]:
            yield WarcSpanEnd(filename, span.start, stops[-1])
            return
        yield item
    yield WarcSpanEnd(filename, span.start, None)


def spans_kept(ends: dict[int, int | None]) -> frozenset[int]:
    """The starts of a file's spans whose records count, given where each span's reading
    stopped (``{start: stop}``): the span at 0, then the one starting where that one stopped,
    and so on. A span its predecessor read over began inside a record, and is dropped; the
    records kept are then exactly those of one reading of the whole file."""
    kept = []
    at: int | None = 0
    while at is not None and at in ends:
        kept.append(at)
        at = ends[at]
    return frozenset(kept)


def _read_from(
    stream: BinaryIO, start: int, size: int, gz: bool, opts: _Options
) -> Iterator[WarcItem]:
    """Read records from ``start`` with fastwarc until the end or damage; return where to go
    on, if anywhere.

    Each item is held back until the next record has been read, because only then is it
    known to be whole. The last one is checked against the file's framing: a record the file
    ends inside becomes damage; one whose Content-Length lies (fastwarc then fails on the
    next header, or reads on to the end of the file) is read again with its block ending
    where the next record begins, and flagged.
    """
    stream.seek(start)
    pending: WarcItem | None = None
    previous: int | None = None  # the offset of the item yielded before ``pending``
    failure = None
    try:
        for record in ArchiveIterator(stream, parse_http=False):
            item = _fast_item(record, opts)
            if item is None:  # header lines fastwarc took as one: read from here by our rules
                break
            if pending is not None:
                yield pending
                previous = pending.offset
            pending = item
    except OSError as exc:  # fastwarc reports any parse or inflate failure as OSError
        failure = str(exc) or type(exc).__name__
    if pending is None:
        return (yield from _after_failure(stream, start, size, gz, opts, failure))
    if gz and failure is None and pending.offset >= size:
        # one gzip stream for the whole file, not a member per record: fastwarc's offsets are
        # where its buffered reading stood, and it read the stream to its end without fault
        yield pending
        return None
    extent = _extent(stream, pending.offset, size, gz)
    if extent is None:
        where = "gzip member" if gz else "record"
        yield WarcDamage(
            opts.filename, pending.offset, f"truncated {where}: the file ends inside it"
        )
        return None
    if extent.declared == extent.length:
        yield pending
    else:
        framed = _lenient_item(stream, pending.offset, gz, extent, opts)
        if pending.offset == previous and _record_id(framed) != _record_id(pending):
            # the same offset as the record before it, where another record is framed:
            # fastwarc read both from one gzip member (a concatenating writer's) and gave each
            # the offset where its buffered reading stood, which does not locate this one.
            # It was read whole (the member holding it ends).
            framed = pending
        yield framed
    if _only_padding(stream, extent.resume, size):
        return None
    return extent.resume


def _one_stream(stream: BinaryIO) -> bool:
    """Whether a gzip file's members do not hold a record each, so no member offset locates
    its records: a second record begins in its first member (one gzip stream for the whole
    file, ``gzip crawl.warc``, or files joined by ``cat``), or the first member ends inside
    its record, or the member after it does not begin one (members of a fixed size, as BGZF
    writes them), or the first member is empty. So is a damaged file whose first member
    leaves no member after it to resume reading at: what it inflates to before the damage is
    read. It is then read as its inflated bytes (``_inflated_records``), in one task.

    The first record is passed over by its Content-Length (up to ``_LOOK_THROUGH`` bytes);
    lacking one, a second record is looked for in the first ``_LOOK_PAST`` inflated bytes.
    A first record larger than that is taken to fill its member."""
    stream.seek(0)
    if stream.read(3) != _GZIP_MAGIC:
        return False
    inflating = _Inflating(stream)
    head = _read_up_to(inflating, _HEAD_LIMIT)
    parsed = _warc_head(head)
    declared = _content_length(parsed[0]) if parsed is not None else None
    if parsed is None or declared is None or parsed[1] + declared > _LOOK_THROUGH:
        found = _second_record_line(inflating, head)
    else:
        found = _after_first_record(inflating, head, parsed[1] + declared)
        if found is None and not inflating.damaged:  # a length that lies: look for a record
            stream.seek(0)
            again = _Inflating(stream)
            found = _second_record_line(again, _read_up_to(again, _HEAD_LIMIT))
    if found is not None:
        return found
    if not inflating.damaged:
        return False
    if not inflating.boundaries:  # damaged inside its first member: read it, if nothing follows
        return _next_start(stream, inflating.start + 1) is None
    return _only_padding(stream, inflating.ends[0], stream.seek(0, 2))


def _after_first_record(inflating: _Inflating, head: bytes, end: int) -> bool | None:
    """``_one_stream`` for a first record whose block ends at inflated byte ``end`` by its
    Content-Length: what follows it in its member, or what follows its member; None when
    the member is damaged or cut first. A member that ends before ``end`` and is followed by
    a record's line is a record whose Content-Length lies, in a member of its own."""
    at_end, at_member_end = head[end : end + _SNIFF_BYTES], b""
    member_end = None
    while True:
        if inflating.boundaries and member_end is None:
            member_end = inflating.boundaries[0]
            at_member_end = head[member_end : member_end + _SNIFF_BYTES]
        last = end if member_end is None else member_end  # read on to what decides
        if inflating.done or inflating.out >= last + _SNIFF_BYTES:
            break
        before = inflating.out
        piece = inflating.read(min(_SCAN_BLOCK, last + _SNIFF_BYTES - before))
        at_end += _overlap(piece, before, end, _SNIFF_BYTES - len(at_end))
        if member_end is None and inflating.boundaries:
            at_member_end = _overlap(piece, before, inflating.boundaries[0], _SNIFF_BYTES)
            member_end = inflating.boundaries[0]
        elif member_end is not None:
            at_member_end += _overlap(piece, before, member_end, _SNIFF_BYTES - len(at_member_end))
    if member_end is None:  # the member goes on past the record: another, or a lying length
        return True if _WARC_LINE.match(at_end.lstrip(b"\r\n")) else None
    if not head[:member_end].strip(b"\r\n"):
        return True  # an empty member first
    after = at_member_end.lstrip(b"\r\n")
    if member_end < end:  # the member ends inside the record: unless a record follows it
        return None if inflating.damaged and not after else not _WARC_LINE.match(after)
    inside = at_end[: member_end - end].lstrip(b"\r\n")
    if inside:  # a second record in the member, or a length that lies
        return True if _WARC_LINE.match(inside) else None
    if not after:
        return None if inflating.damaged else False  # a record to the member, nothing after
    return _WARC_LINE.match(after) is None


def _overlap(piece: bytes, start: int, at: int, most: int) -> bytes:
    """The bytes of ``piece`` (inflated from ``start`` on) from ``at`` on, at most ``most``."""
    if most <= 0 or start + len(piece) <= at:
        return b""
    return piece[max(0, at - start) : max(0, at - start) + most]


def _second_record_line(inflating: _Inflating, head: bytes) -> bool | None:
    """``_one_stream`` for a first record of no length to pass it by (or one that lies): a
    record's header after the first in the first member's first ``_LOOK_PAST`` bytes; None
    when none is found."""
    seen = bytearray(head)
    first = len(seen) - len(seen.lstrip(b"\r\n")) + 1
    searched = first
    while True:
        end = inflating.boundaries[0] if inflating.boundaries else len(seen)
        if inflating.boundaries and not seen[:end].strip(b"\r\n"):
            return True  # an empty member first
        for line in _NEXT_WARC_LINE.finditer(seen, max(first, searched - 16), end):
            if _starts_a_record(bytes(seen[line.start() + 1 : line.start() + 1 + _HEAD_LIMIT])):
                return True
        searched = end
        if inflating.boundaries or inflating.done or len(seen) >= _LOOK_PAST:
            return None
        seen += inflating.read(_READ_BLOCK)


def _starts_a_record(data: bytes) -> bool:
    """Whether ``data`` begins a record's header, not a page quoting a WARC version line: its
    fields end in an empty line and state a length and a type or an id."""
    parsed = _warc_head(data)
    return (
        parsed is not None
        and _content_length(parsed[0]) is not None
        and bool({"warc-type", "warc-record-id"} & parsed[0].keys())
    )


# A WARC version line after a line end: a record that begins past the start of what is read.
_NEXT_WARC_LINE = re.compile(rb"\n(?i:WARC)/(?:1\.[01]|0\.1[78])\r*\n")
_LOOK_PAST = 16 << 20
_LOOK_THROUGH = 256 << 20


def _inflated_records(stream: BinaryIO, opts: _Options) -> Iterator[WarcItem]:
    """The records of a gzip file whose members do not hold a record each (``_one_stream``),
    read as ``zcat`` gives its bytes: inflated into a temporary file (at most
    ``_INFLATE_RATIO`` times the file's size) and read there as a plain file is, so it reads
    as its inflated copy does; offsets count the inflated bytes (flag
    ``warc-offset-inflated``). Damage to the gzip stream ends the inflating: what it gave is
    read, then the damage is told (a cut, with the record it cut); a member failing its
    check is told after the records."""
    size = stream.seek(0, 2)
    with tempfile.TemporaryFile(prefix="archive-inflated-") as plain:
        inflated = _Inflating(stream)
        written, error = _inflate_into(
            inflated, plain, max(_INFLATE_RATIO * size, 2 * opts.max_bytes)
        )
        held: WarcItem | None = None
        for item in _records_from(plain, 0, opts):
            if held is not None:
                yield held
            held = _inflated_item(item)
        if error is not None and isinstance(held, WarcDamage):
            held = replace(held, message=f"{held.message}: {error}")
        elif error is not None:
            held, last = WarcDamage(opts.filename, written, _damage_told(error)), held
            if last is not None:
                yield last
        if held is not None:
            yield held
        for at, fault in inflated.faults:
            message = f"{fault}: the records inflated from it may hold other bytes than stored"
            yield WarcDamage(opts.filename, at, f"{message} (at an offset in the inflated stream)")


def _inflate_into(inflated: _Inflating, plain: BinaryIO, limit: int) -> tuple[int, str | None]:
    """Write what ``inflated`` gives into ``plain``, at most ``limit`` bytes: how many, and
    why it stopped early (None: it did not). A temporary folder too small stops the pack."""
    written = 0
    try:
        while piece := inflated.read(_SCAN_BLOCK):
            if written + len(piece) > limit:
                plain.write(piece[: limit - written])
                return limit, (
                    f"it inflates past {limit} bytes ({_INFLATE_RATIO} times the file's size, "
                    "or twice the largest capture)"
                )
            plain.write(piece)
            written += len(piece)
    except OSError as exc:
        if exc.errno in (errno.ENOSPC, errno.EFBIG, errno.EDQUOT):
            raise NoSpaceError(tempfile.gettempdir()) from None
        raise
    return written, inflated.error


_INFLATE_RATIO = 64  # web pages deflate four to ten times; a stream past 64 is a bomb


def _damage_told(error: str) -> str:
    return (
        f"the gzip stream ends here: {error}; nothing read after it (at an offset in the "
        "inflated stream)"
    )


def _inflated_item(item: WarcItem) -> WarcItem:
    """An item read from a gzip file's inflated bytes, saying so."""
    if isinstance(item, WarcPayload):
        return replace(item, flags=tuple(sorted({*item.flags, "warc-offset-inflated"})))
    if isinstance(item, WarcDamage):
        return replace(item, message=f"{item.message} (at an offset in the inflated stream)")
    return replace(item, detail=f"{item.detail or item.kind} (at an offset in the inflated stream)")


def record_named(record_id: str | None, offset: int) -> str:
    """A record as a message names it: by its WARC-Record-ID, or, lacking one, its offset."""
    return f"WARC record {record_id}" if record_id else f"the WARC record at offset {offset}"


def _record_id(item: WarcItem) -> str | None:
    return getattr(item, "warc_record_id", None)


def _after_failure(
    stream: BinaryIO, start: int, size: int, gz: bool, opts: _Options, failure: str | None
) -> Iterator[WarcItem]:
    """fastwarc read nothing at ``start``: read the record there by looser rules, or report
    the bytes as damage and find where records begin again."""
    if failure is None and _only_padding(stream, start, size):
        return None
    extent = _extent(stream, start, size, gz)
    if extent is not None:
        yield _lenient_item(stream, start, gz, extent, opts)
        return extent.resume
    resume = _next_start(stream, start + 1)
    reason = failure or "bytes that are not a WARC record"
    yield WarcDamage(opts.filename, start, _damage_message(reason, start, resume), resume)
    return resume


def _damage_message(reason: str, offset: int, resume: int | None) -> str:
    if resume is None:
        return f"{reason}; nothing readable after offset {offset}"
    return f"{reason}; skipped {resume - offset} bytes, reading resumed at offset {resume}"


def _iter_lz4(stream: BinaryIO, opts: _Options) -> Iterator[WarcItem]:
    """An LZ4-framed WARC, through fastwarc's own LZ4 reader; no resync after damage here.
    A record whose block the file ends inside is damage (see ``_item``)."""
    last = None
    try:
        for record in ArchiveIterator(stream, parse_http=False):
            item = _fast_item(record, opts)
            if item is None:
                raise OSError("header lines ending LF only")
            last = item.offset
            yield item
    except OSError as exc:
        reason = str(exc) or type(exc).__name__
        where = f" after the record at offset {last}" if last is not None else ""
        message = f"{reason}{where}; nothing read after it in this LZ4 file"
        yield WarcDamage(opts.filename, last or 0, message)


# --- one record -> one item ----------------------------------------------------------------------


def _fast_item(record: WarcRecord, opts: _Options) -> WarcItem | None:
    """The item for a record fastwarc read, or None when it ran header lines ending LF only
    into one, or read another length than the Content-Length stated (folded on a second line,
    which fastwarc joins to the field but does not read)."""
    headers = {key.lower(): value for key, value in record.headers.items()}
    if any("\n" in value for value in headers.values()):
        return None
    if _content_length(headers) not in (None, record.content_length):
        return None
    return _item(headers, record.reader, record.content_length, record.stream_pos, opts)


def _item(
    headers: dict[str, str],
    reader: _Reader,
    length: int,
    offset: int,
    opts: _Options,
    flags: tuple[str, ...] = (),
) -> WarcItem:
    """The item for one record: ``headers`` (lower-case names), its block read from
    ``reader`` (``length`` bytes)."""
    rtype = (headers.get("warc-type") or "").strip().lower()
    uri = _target(headers.get("warc-target-uri"))
    record_id = headers.get("warc-record-id")
    kind = _counted_kind(rtype, uri)
    if kind is not None and not opts.check_digests and kind != "revisit":
        detail = rtype if kind == "other" else None
        return WarcSkipped(kind, opts.filename, offset, uri, record_id, detail, record_type=rtype)
    block = _read_block(reader, length, headers, rtype, opts)
    if block.short and length < _ARC_UNKNOWN:
        return WarcDamage(opts.filename, offset, "truncated record: the file ends inside it")
    bad = tuple(k for k, ok in block.checks if ok is False)
    if kind == "revisit":
        return WarcSkipped(
            "revisit",
            opts.filename,
            offset,
            uri,
            record_id,
            detail=headers.get("warc-profile"),
            refers_to_target=_target(headers.get("warc-refers-to-target-uri")),
            refers_to_record_id=headers.get("warc-refers-to"),
            refers_to_date=headers.get("warc-refers-to-date"),
            bad_digests=bad,
            record_type=rtype,
        )
    if kind is not None:
        detail = {"other": rtype or "no WARC-Type"}.get(kind)
        if kind in ("metadata", "dns") and rtype in _PAYLOAD_TYPES:
            detail = f"{rtype} record of the crawler ({uri})"
        return WarcSkipped(
            kind, opts.filename, offset, uri, record_id, detail, bad_digests=bad, record_type=rtype
        )
    return _payload_item(headers, block, offset, opts, flags, bad)


def _counted_kind(rtype: str, uri: str | None) -> str | None:
    """The kind a record is counted as, or None for a response, resource or conversion record
    that may hold a page."""
    if rtype in _COUNTED_TYPES or rtype == "revisit":
        return rtype
    if rtype not in _PAYLOAD_TYPES:
        return "other"
    scheme = (uri or "").partition(":")[0].lower()
    return _CRAWLER_SCHEMES.get(scheme) if uri and ":" in uri else None


def _payload_item(
    headers: dict[str, str],
    block: _Block,
    offset: int,
    opts: _Options,
    flags: tuple[str, ...],
    bad: tuple[str, ...],
) -> WarcItem:
    rtype = (headers.get("warc-type") or "").strip().lower()
    uri = _target(headers.get("warc-target-uri"))
    record_id = headers.get("warc-record-id")
    status, http = _http_head(block.head) if block.head is not None else (None, {})
    declared = http.get("content-type") if block.head is not None else headers.get("content-type")
    media, charset = _media_type(declared)

    def skipped(kind: str, detail: str | None, stored: bool = False) -> WarcSkipped:
        size, sha = (block.body_size, block.sha256()) if stored else (None, None)
        return WarcSkipped(kind, opts.filename, offset, uri, record_id, detail, size=size,
                           sha256=sha, bad_digests=bad, record_type=rtype)  # fmt: skip

    reason = _status_reason(status, http.get("location"))
    if reason is not None:
        return skipped(*reason)
    if media is not None and not _is_text(media):
        return skipped("non-html", media)
    if block.body is None:
        limit = f"over the {opts.max_bytes}-byte limit (max_capture_bytes)"
        return skipped("too-large", f"{block.body_size} bytes stored, {limit}", stored=True)
    # Content-Range counts the bytes as sent, past any Transfer-Encoding: as stored, if none
    sent = None if "transfer-encoding" in http else block.body_size
    partial = _partial(headers) or _partial_content(status, http.get("content-range"), sent)
    if partial is not None:
        return skipped(*partial, stored=True)
    try:
        decoded = _decoded(block.body, http, opts.max_bytes)
    except ValueError as exc:
        return skipped("undecodable", str(exc), stored=True)
    if decoded.payload is None:
        limit = f"{opts.max_bytes}-byte limit (max_capture_bytes)"
        return skipped("too-large", f"the payload inflates past the {limit}", stored=True)
    payload = decoded.payload
    flags = flags + decoded.flags
    if block.interim:
        flags += ("http-interim-response",)
    if media is None:
        media = _sniffed(payload)
        if not payload:
            return skipped("empty", "no Content-Type and no payload")
        if media is None:
            return skipped("non-html", "no readable Content-Type, and the bytes are binary")
        flags += ("content-type-sniffed",)
    checked = {kind: ok for kind, ok in block.checks if ok is not None}
    digest_kind = "payload" if "payload" in checked else "block" if "block" in checked else None
    return WarcPayload(
        payload=payload,
        target_uri=uri,
        warc_date=_warc_date(headers.get("warc-date")),
        warc_record_id=record_id,
        filename=opts.filename,
        offset=offset,
        http_status=status,
        content_type=media,
        charset=charset,
        ip_address=headers.get("warc-ip-address"),
        payload_digest=headers.get("warc-payload-digest"),
        digest_ok=checked[digest_kind] if digest_kind else None,
        digest_kind=digest_kind,
        digest_unreadable=digest_kind is None and bool(block.checks),
        flags=tuple(sorted(set(flags))),
        bad_digests=bad,
        record_type=rtype,
    )


def _partial(headers: dict[str, str]) -> tuple[str, str] | None:
    """Why a record holds only part of its page (kind, detail), or None: its crawler cut it
    short (``WARC-Truncated``: length, time, disconnect, unspecified), or it is a segment of
    a record stored in several (``WARC-Segment-Number``), which are not joined here."""
    truncated = headers.get("warc-truncated")
    if truncated is not None:
        why = truncated.strip() or "unspecified"
        return "truncated", f"the crawler stored it cut short (WARC-Truncated: {why})"
    segment = headers.get("warc-segment-number")
    if segment is not None:
        return "segmented", (
            f"segment {segment.strip()} of a record stored in several (WARC-Segment-Number); "
            "segments are not joined"
        )
    return None


def _partial_content(
    status: int | None, content_range: str | None, sent: int | None
) -> tuple[str, str] | None:
    """Why a 206 response holds only part of its page (kind, detail), or None: it answered a
    range request, and its Content-Range is not the whole (``bytes 0-<size - 1>/<size>``),
    or the body is not that size (``sent``: its bytes as sent, None when not known here)."""
    if status != 206:
        return None
    whole = re.fullmatch(r"\s*bytes\s+0-(\d+)/(\d+)\s*", content_range or "", re.IGNORECASE)
    if whole and int(whole[1]) + 1 == int(whole[2]) and sent in (None, int(whole[2])):
        return None
    stated = f"Content-Range: {content_range.strip()}" if content_range else "no Content-Range"
    return "partial", f"HTTP 206 Partial Content ({stated}); ranges are not joined"


def _status_reason(status: int | None, location: str | None) -> tuple[str, str] | None:
    """Why a response is not a capture to pack by its status (kind, detail), or None."""
    if status is not None and 300 <= status < 400:
        return "redirect", f"{status} -> {location}"
    if status is not None and not 200 <= status < 300:
        return "error-status", str(status)
    return None


def _is_text(media: str) -> bool:
    """Whether a declared media type is a page: HTML or plain text. Other text types (scripts,
    style sheets, XML, subtitles, CSV) are a page's parts or data, not pages."""
    return media in _TEXT_TYPES


def _target(value: str | None) -> str | None:
    """A WARC-Target-URI as the URI alone: WARC 1.0's grammar (and wget 1.14) wraps it in <>."""
    if value is None:
        return None
    value = value.strip()
    if value.startswith("<") and value.endswith(">"):
        value = value[1:-1].strip()
    return value or None


def _media_type(value: str | None) -> tuple[str | None, str | None]:
    """(media type, charset) of a Content-Type; the media type is None when the value is
    absent or says nothing (no ``type/subtype``, or ``unknown/unknown`` and the like), which
    is when browsers sniff."""
    if not value:
        return None, None
    media, *params = value.split(";")
    charset = None
    for param in params:
        key, _, val = param.partition("=")
        if key.strip().lower() == "charset":
            charset = val.strip().strip("\"'") or None
    media = media.strip().lower()
    if media.count("/") != 1 or " " in media or media in _UNREADABLE_TYPES:
        return None, charset
    return media, charset


def _sniffed(payload: bytes) -> str | None:
    """The media type browsers would give unlabelled bytes (WHATWG MIME sniffing, "identify
    an unknown MIME type"), narrowed to what matters here: HTML, XML or text; None for bytes
    that are binary."""
    head = payload[:_SNIFF_BYTES]
    for bom in (b"\xef\xbb\xbf", b"\xfe\xff", b"\xff\xfe"):
        if head.startswith(bom):
            return "text/plain"
    stripped = head.lstrip(b"\t\n\x0c\r ")
    if _HTML_SNIFF.match(stripped):
        return "text/html"
    if stripped.startswith(b"<?xml"):
        return "text/xml"
    if head.startswith((b"%PDF-", b"%!PS-Adobe-")) or _BINARY_BYTES.search(head):
        return None
    return "text/plain"


_DATE_AND_TIME = re.compile(r"\d[Tt ]\d")  # a day, then its time of day


def _warc_date(value: str | None) -> datetime | None:
    """A WARC-Date as a UTC moment; None for one without a time of day (a day alone would be
    read as its midnight, a precision the crawler never stated) or that is not ISO 8601."""
    if not value or not _DATE_AND_TIME.search(value):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


# --- the block: HTTP head, payload, digests ----------------------------------------------------


@dataclass(frozen=True)
class _Block:
    """A record's block as read: the final HTTP head (None when the block is not an HTTP
    message) and whether interim responses came before it (``interim``), the payload as
    stored (None when over the limit; ``body_size`` and ``over_sha256`` are then of all of
    it), each digest checked: (``block``|``payload``, ok or None when unreadable), and
    whether the file ended before the block did (``short``)."""

    head: bytes | None
    body: bytes | None
    body_size: int
    over_sha256: str | None
    checks: tuple[tuple[str, bool | None], ...]
    short: bool = False
    interim: bool = False

    def sha256(self) -> str:
        """sha256 of the payload as stored, kept or not."""
        return self.over_sha256 or hashlib.sha256(self.body or b"").hexdigest()


def _read_block(
    reader: _Reader, length: int, headers: dict[str, str], rtype: str, opts: _Options
) -> _Block:
    """Read ``length`` bytes of block in pieces, hashing as they come and keeping at most
    ``opts.max_bytes`` of payload."""
    first, span = _read_heads(reader, length, headers, rtype)
    head_len = span[1] if span is not None else None
    wanted = _wanted_digests(headers, rtype) if opts.check_digests else {}
    hashers = {kind: hashlib.new(name) for kind, (name, _) in wanted.items()}
    # After interim responses, a payload digest may cover what follows the first head, as
    # warcio's writer hashes it, or the final response's body: either holds.
    interim = span is not None and span[0] > 0
    after_first = hashlib.new(wanted["payload"][0]) if interim and "payload" in wanted else None
    if after_first is not None:
        after_first.update(first[_HEAD_END.search(first).end() :])
    sha = hashlib.sha256()
    kept: list[bytes] = []
    body_size = 0

    def take(piece: bytes, body: bytes) -> None:
        nonlocal body_size
        if "block" in hashers:
            hashers["block"].update(piece)
        if "payload" in hashers:
            hashers["payload"].update(body)
        body_size += len(body)
        if body_size <= opts.max_bytes:
            kept.append(body)
            return
        for held in kept:  # hashed only once it is too large to keep: else hashed when needed
            sha.update(held)
        kept.clear()
        sha.update(body)

    take(first, first[head_len:] if head_len is not None else first)
    remaining = length - len(first)
    while remaining > 0:
        piece = reader.read(min(_READ_BLOCK, remaining))
        if not piece:
            break
        remaining -= len(piece)
        take(piece, piece)
        if after_first is not None:
            after_first.update(piece)
    digests = {kind: [hasher.digest()] for kind, hasher in hashers.items()}
    if after_first is not None:
        digests["payload"].append(after_first.digest())
    checks = tuple((kind, wanted[kind][1] in digests[kind]) for kind in sorted(wanted))
    if opts.check_digests:
        checks += tuple((kind, None) for kind in _unreadable_digests(headers, rtype, wanted))
    return _Block(
        head=first[span[0] : span[1]] if span is not None else None,
        body=b"".join(kept) if body_size <= opts.max_bytes else None,
        body_size=body_size,
        over_sha256=sha.hexdigest() if body_size > opts.max_bytes else None,
        short=remaining > 0,
        checks=tuple(sorted(checks)),
        interim=interim,
    )


def _read_heads(
    reader: _Reader, length: int, headers: dict[str, str], rtype: str
) -> tuple[bytes, tuple[int, int] | None]:
    """The first bytes of a block of ``length`` bytes: at least its first ``_HEAD_LIMIT``, and
    more while interim responses fill them (up to ``_HEADS_LIMIT``); with (start, end) of the
    final HTTP head in them (``_http_heads``)."""
    first = _read_up_to(reader, min(length, _HEAD_LIMIT))
    heads = _http_heads(first, headers, rtype)
    while heads is not None and heads[2] and len(first) < min(length, _HEADS_LIMIT):
        first += _read_up_to(
            reader, min(length, _HEADS_LIMIT, len(first) + _HEAD_LIMIT) - len(first)
        )
        heads = _http_heads(first, headers, rtype)
    return first, heads[:2] if heads is not None else None


def _read_up_to(reader: _Reader, size: int) -> bytes:
    pieces, got = [], 0
    while got < size:
        piece = reader.read(size - got)
        if not piece:
            break
        pieces.append(piece)
        got += len(piece)
    return b"".join(pieces)


def _http_heads(first: bytes, headers: dict[str, str], rtype: str) -> tuple[int, int, bool] | None:
    """(start, end) of the final HTTP head the block opens with (status or request line to
    the empty line, whatever the line endings), after any interim responses before it, and
    whether the bytes read may end inside those heads (an interim response, or the head after
    it, not ended within them, or ended where they end); None when the block is not an HTTP
    message."""
    declared = (headers.get("content-type") or "").lower()
    if rtype not in ("response", "request", "revisit"):
        return None
    if "application/http" not in declared and not first.startswith(b"HTTP/"):
        return None
    start = 0
    while (end := _HEAD_END.search(first, start)) is not None:
        if not _INTERIM_STATUS.match(first, start):
            return start, end.end(), False
        if end.end() == len(first):
            return start, end.end(), True
        if not first.startswith(b"HTTP/", end.end()):
            return start, end.end(), False
        start = end.end()
    return start, len(first), start > 0 or _INTERIM_STATUS.match(first) is not None


def _http_head(head: bytes) -> tuple[int | None, dict[str, str]]:
    """(status, header fields by lower-case name) of an HTTP head with lines ending LF, CRLF
    or CRCRLF. Repeated Transfer-/Content-Encoding fields are joined; otherwise the first wins."""
    lines = head.split(b"\n")
    status_line = lines[0].rstrip(b"\r").decode("latin-1")
    match = re.match(r"HTTP/\S+\s+(\d{3})\b", status_line)
    status = int(match.group(1)) if match else None
    fields: dict[str, str] = {}
    for raw in lines[1:]:
        line = raw.rstrip(b"\r").decode("latin-1")
        if not line.strip():
            break
        name, sep, value = line.partition(":")
        if not sep:
            continue
        key, value = name.strip().lower(), value.strip()
        if key in fields and key in ("transfer-encoding", "content-encoding"):
            fields[key] = f"{fields[key]}, {value}"
        else:
            fields.setdefault(key, value)
    return status, fields


def _wanted_digests(headers: dict[str, str], rtype: str) -> dict[str, tuple[str, bytes]]:
    """The digests to check, by what they cover: WARC-Block-Digest the whole block;
    WARC-Payload-Digest the payload, which a revisit record does not hold (its digest is
    the original's), nor a segment of a record stored in several (its digest is of the
    payload the segments make together, which are not joined here)."""
    wanted = {}
    for kind, header in (("block", "warc-block-digest"), ("payload", "warc-payload-digest")):
        if kind == "payload" and _payload_elsewhere(headers, rtype):
            continue
        parsed = _parsed_digest(headers.get(header))
        if parsed is not None:
            wanted[kind] = parsed
    return wanted


def _unreadable_digests(headers: dict[str, str], rtype: str, wanted: dict) -> list[str]:
    named = (("block", "warc-block-digest"), ("payload", "warc-payload-digest"))
    return [
        kind
        for kind, header in named
        if headers.get(header)
        and kind not in wanted
        and not (kind == "payload" and _payload_elsewhere(headers, rtype))
    ]


def _payload_elsewhere(headers: dict[str, str], rtype: str) -> bool:
    """Whether a record's payload digest is of a payload it does not hold whole: a revisit's,
    or a segment's (``WARC-Segment-Number``)."""
    return rtype == "revisit" or "warc-segment-number" in headers


def _parsed_digest(value: str | None) -> tuple[str, bytes] | None:
    """(hashlib name, digest bytes) of ``algorithm:value`` in base32 (as WARC writers put it),
    hex or base64; None when absent or unreadable."""
    if not value:
        return None
    label, sep, encoded = value.strip().partition(":")
    name = _DIGESTS.get(label.strip().lower())
    if not sep or name is None:
        return None
    encoded = encoded.strip().rstrip("=")
    size = hashlib.new(name).digest_size
    try:
        if len(encoded) == 2 * size:
            raw = bytes.fromhex(encoded)
        elif len(encoded) == -(-size * 8 // 5):
            raw = _base32(encoded.upper(), size)
        else:
            raw = base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=True)
    except (ValueError, KeyError, binascii.Error):
        return None
    return (name, raw) if len(raw) == size else None


def _base32(text: str, size: int) -> bytes:
    # base64.b32decode is pure Python and slow; one digest per record makes it count
    bits = 0
    for char in text:
        bits = bits << 5 | _BASE32[char]
    return (bits >> (len(text) * 5 - size * 8)).to_bytes(size, "big")


_BASE32 = {char: n for n, char in enumerate("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")}


# --- transfer and content encodings, bounded ---------------------------------------------------


@dataclass(frozen=True)
class _Decoded:
    """A payload with its encodings undone (None: it inflates past the limit), and flags for
    what was read leniently."""

    payload: bytes | None
    flags: tuple[str, ...] = ()


def _decoded(raw: bytes, http: dict[str, str], limit: int) -> _Decoded:
    """``raw`` with chunking and Content-Encoding undone, inflating at most ``limit`` bytes.

    Read as warcio reads it: a body stored de-chunked under a ``chunked`` header is taken as
    it is (``transfer-encoding-not-applied``), as is a body a crawler stored inflated under a
    ``gzip`` header (``content-encoding-not-applied``); a gzip stream missing its end (the
    trailer, say) gives what it holds (``content-encoding-truncated``). Brotli (``br``), which
    browsers ask for first, and Zstandard (``zstd``), which they ask for since 2024, are undone
    too. Raises ValueError for an encoding that is not known or a stream that breaks midway.
    """
    flags: list[str] = []
    if "chunked" in http.get("transfer-encoding", "").lower():
        raw, flag = _dechunked(raw)
        flags += [flag] if flag else []
    codings = [c.strip().lower() for c in http.get("content-encoding", "").split(",")]
    for coding in reversed([c for c in codings if c not in ("", "identity", "none")]):
        if coding not in CODINGS:
            raise ValueError(f"unsupported Content-Encoding {coding!r}")
        inflated, flag = decoded(raw, coding, limit)
        if inflated is None:
            return _Decoded(None, tuple(flags))
        raw = inflated
        flags += [flag] if flag else []
    if len(raw) > limit:
        return _Decoded(None, tuple(flags))
    return _Decoded(raw, tuple(flags))


def _dechunked(raw: bytes) -> tuple[bytes, str | None]:
    """(``raw`` with HTTP chunking undone, flag). Chunk sizes must be 1-16 hex digits; where
    they are not, the rest is taken as it is, as warcio does (``transfer-encoding-not-applied``
    when no chunk came first, ``chunked-body-malformed`` otherwise); a body that ends before
    its last chunk gives what it holds (``chunked-body-truncated``)."""
    out: list[bytes] = []
    pos = 0
    while pos < len(raw):
        line_end = raw.find(b"\n", pos, pos + 1024)
        size_text = raw[pos:line_end].rstrip(b"\r").split(b";")[0].strip() if line_end >= 0 else b""
        if not _CHUNK_SIZE.fullmatch(size_text):
            break
        length = int(size_text, 16)
        if length == 0:
            return b"".join(out), None
        start = line_end + 1
        out.append(raw[start : start + length])
        pos = start + length
        if pos >= len(raw):
            return b"".join(out), "chunked-body-truncated"
        if raw.startswith(b"\r\n", pos):
            pos += 2
        elif raw.startswith(b"\n", pos):
            pos += 1
        else:
            break
    else:
        return b"".join(out), "chunked-body-truncated"
    if not out:
        return raw, "transfer-encoding-not-applied"
    return b"".join(out) + raw[pos:], "chunked-body-malformed"


# --- framing: the true extent of a record, read by looser rules than fastwarc's ------------------


@dataclass(frozen=True)
class _Extent:
    """Where a record's parts lie: its header fields, where the block starts (in the file, or
    in the inflated gzip member), the Content-Length declared and the block length the
    framing shows, and where the next record begins."""

    headers: dict[str, str]
    body_start: int
    declared: int | None
    length: int
    resume: int


def _extent(stream: BinaryIO, offset: int, size: int, gz: bool) -> _Extent | None:
    """The record at ``offset`` as framed in the file, or None when no WARC header parses there
    or the file ends inside it. The block ends at its Content-Length when the record's end is
    there; otherwise where the next record begins (the gzip member's end; in a plain file the
    next ``WARC/1.x`` line searched from the block's start, or the file's end when no record
    follows and the file does not end inside the length the record states)."""
    return _member_extent(stream, offset) if gz else _plain_extent(stream, offset, size)


def _plain_extent(stream: BinaryIO, offset: int, size: int) -> _Extent | None:
    stream.seek(offset)
    parsed = _warc_head(stream.read(_HEAD_LIMIT))
    if parsed is None:
        return None
    headers, head_len = parsed
    declared = _content_length(headers)
    body_start = offset + head_len
    if declared is not None:
        end = body_start + declared
        gap = _record_gap(stream, end, size)
        if gap is not None:
            return _Extent(headers, head_len, declared, declared, end + gap)
    found = _next_start(stream, body_start)
    if found is None:
        if declared is not None and body_start + declared > size:
            return None  # the file ends inside the length it states
        found = _padded_end(stream, body_start, size)  # no record after it: the file's end
    stream.seek(max(body_start, found - 4))
    before = stream.read(found - max(body_start, found - 4))
    length = found - body_start - (len(before) - len(before.rstrip(b"\r\n")))
    return _Extent(headers, head_len, declared, length, found)


def _padded_end(stream: BinaryIO, start: int, size: int) -> int:
    """Where the bytes from ``start`` to ``size`` end, the NUL padding after them (as
    writers pad a file to a block size) left out."""
    end = size
    while end > start:
        at = max(start, end - _READ_BLOCK)
        stream.seek(at)
        kept = stream.read(end - at).rstrip(b"\x00")
        end = at + len(kept)
        if kept:
            break
    return end


def _record_gap(stream: BinaryIO, end: int, size: int) -> int | None:
    """Bytes of line ends between a block ending at ``end`` and what follows, or None when the
    block is not followed by the empty lines that close a record (nor by the end of the file):
    then the Content-Length that put the end there does not hold."""
    if end > size:
        return None
    stream.seek(end)
    after = stream.read(64)
    gap = len(after) - len(after.lstrip(b"\r\n"))
    closed = after.startswith((b"\r\n\r\n", b"\n\n", b"\r\r\n\r\r\n"))
    return gap if closed or end + gap >= size else None


def _member_extent(stream: BinaryIO, offset: int) -> _Extent | None:
    member = _Member(stream, offset)
    try:
        head = _read_up_to(member, _HEAD_LIMIT)
        parsed = _warc_head(head)
        total, tail = len(head), head[-8:]
        while piece := member.read(_SCAN_BLOCK):
            total += len(piece)
            tail = (tail + piece)[-8:]
    except zlib.error:
        return None
    if parsed is None or member.end is None:
        return None
    headers, head_len = parsed
    declared = _content_length(headers)
    available = total - head_len
    length = available - min(4, len(tail) - len(tail.rstrip(b"\r\n")), available)
    if declared is not None and length <= declared <= available:
        length = declared  # the block itself may end in line ends
    return _Extent(headers, head_len, declared, length, member.end)


def _lenient_item(
    stream: BinaryIO, offset: int, gz: bool, extent: _Extent, opts: _Options
) -> WarcItem:
    """The item for the record at ``offset`` read by its framing, flagged when the block is not
    the length its Content-Length says. A block shorter than declared whose digest then fails
    lost bytes (a hole in the file) rather than lied about its length: that is damage."""
    if gz:
        source: _Reader = _Member(stream, offset)
        _read_up_to(source, extent.body_start)
    else:
        stream.seek(offset + extent.body_start)
        source = stream
    flags = () if extent.declared == extent.length else ("warc-content-length-mismatch",)
    block = _Limited(source, extent.length)
    item = _item(extent.headers, block, extent.length, offset, opts, flags)
    short = extent.declared is not None and extent.length < extent.declared
    if short and not isinstance(item, WarcDamage) and item.bad_digests:
        found = f"{extent.length} of {extent.declared} bytes"
        message = f"record shorter than its Content-Length ({found}) and its digest fails"
        return WarcDamage(opts.filename, offset, message, extent.resume)
    return item


def _warc_head(data: bytes) -> tuple[dict[str, str], int] | None:
    """(header fields by lower-case name, length of the header) of a WARC record header at the
    start of ``data``, lines ending LF, CRLF or CRCRLF; None if there is none."""
    lead = len(data) - len(data.lstrip(b"\r\n"))  # a writer's stray line ends before it
    first = _WARC_LINE.match(data, lead)
    if first is None:
        return None
    end = _HEAD_END.search(data, first.end() - 1)
    if end is None:
        return None
    fields: list[list[str]] = []
    for raw in data[first.end() : end.start()].split(b"\n"):
        line = raw.rstrip(b"\r").decode("utf-8", "replace")
        if line[:1] in (" ", "\t") and fields:  # a folded field goes on (WARC 1.0's LWS)
            fields[-1][1] += " " + line.strip()
            continue
        name, sep, value = line.partition(":")
        if sep:
            fields.append([name.strip().lower(), value.strip()])
    headers: dict[str, str] = {}
    for name, value in fields:
        headers.setdefault(name, value.strip())
    return headers, end.end()


def _content_length(headers: dict[str, str]) -> int | None:
    value = headers.get("content-length", "").strip()
    return int(value) if value.isdigit() and len(value) <= 18 else None


class _Member:
    """The inflated bytes of the one gzip member at ``offset``, read in bounded pieces;
    ``end`` is the member's end in the file once it has been read to it."""

    def __init__(self, stream: BinaryIO, offset: int):
        self.stream, self.pos = stream, offset
        self.inflate = zlib.decompressobj(31)
        self.buffer = b""
        self.end: int | None = None

    def read(self, size: int = _READ_BLOCK) -> bytes:
        while len(self.buffer) < size and not self.inflate.eof:
            data = self.inflate.unconsumed_tail
            if not data:
                self.stream.seek(self.pos)
                data = self.stream.read(_READ_BLOCK)
                self.pos += len(data)
                if not data:
                    break
            self.buffer += self.inflate.decompress(data, size - len(self.buffer))
        if self.inflate.eof and self.end is None:
            self.end = self.pos - len(self.inflate.unused_data)
        piece, self.buffer = self.buffer[:size], self.buffer[size:]
        return piece


class _Inflating:
    """The inflated bytes of the gzip members of ``stream`` one after another, read forward,
    past padding (NUL, white space) between them. Damage ends them, and ``error`` tells it
    with its place in the file: bytes that are not gzip, a member that does not inflate or
    is cut short. A member that fails its CRC or length check is kept and told in
    ``faults``: members are inflated raw (RFC 1952's header and trailer read here), so a
    failed check loses none of the bytes before it."""

    def __init__(self, stream: BinaryIO):
        self.stream = stream
        stream.seek(0)
        self.carry = b""  # read from the file, not yet inflated
        self.taken = 0  # bytes read from the file
        self.inflate: zlib._Decompress | None = None
        self.crc = self.length = self.start = 0
        self.out = 0  # inflated bytes so far
        self.boundaries: list[int] = []  # inflated bytes before each member's end
        self.ends: list[int] = []  # where each member ends in the file
        self.error: str | None = None  # why the inflating stopped early
        self.faults: list[tuple[int, str]] = []  # (inflated start, what): members that fail
        self.begins = self.data_start = 0  # the member's first inflated byte, its data
        self.done = False

    @property
    def damaged(self) -> bool:
        return self.error is not None or bool(self.faults)

    def read(self, size: int = _READ_BLOCK) -> bytes:
        pieces: list[bytes] = []
        got = 0
        while got < size and not self.done:
            if self.inflate is None:
                self._member()
                continue
            data = self.inflate.unconsumed_tail or self.carry or self._file(_READ_BLOCK)
            self.carry = b""
            if not data:
                self._fail("the file ends inside a gzip member")
                break
            try:
                piece = self.inflate.decompress(data, size - got)
            except zlib.error as exc:
                piece = self._salvaged()
                self._fail(f"a gzip member does not inflate ({exc})")
            self.crc, self.length = zlib.crc32(piece, self.crc), self.length + len(piece)
            self.out += len(piece)
            pieces.append(piece)
            got += len(piece)
            if self.inflate.eof:
                self._trailer(self.inflate.unused_data)
        return b"".join(pieces)

    def _file(self, size: int) -> bytes:
        data = self.stream.read(size)
        self.taken += len(data)
        return data

    def _fill(self, data: bytes, size: int) -> bytes:
        while len(data) < size and (more := self._file(_READ_BLOCK)):
            data += more
        return data

    def _member(self) -> None:
        """Read the header of the member that starts here, past padding (NUL, white space)
        before it; none is the end, unless bytes that are not gzip follow (damage)."""
        data = self.carry
        while not data.lstrip(_PADDING):
            data = self._file(_SCAN_BLOCK)
            if not data:
                self.done = True
                return
        data = self._fill(data.lstrip(_PADDING), _HEAD_LIMIT)
        self.start = self.taken - len(data)
        head = _gzip_header(data)
        while head == -1 and len(data) < _GZIP_HEADER_LIMIT:  # a long name or comment
            more = self._fill(data, 2 * len(data))
            data, head = more, _gzip_header(more) if len(more) > len(data) else None
        if head is None or head == -1:
            cut = head == -1 and len(data) < _GZIP_HEADER_LIMIT
            self._fail(f"the file ends inside the gzip header at byte {self.start}" if cut
                       else f"the bytes from byte {self.start} are not gzip")  # fmt: skip
            return
        self.inflate, self.carry = zlib.decompressobj(-zlib.MAX_WBITS), data[head:]
        self.crc = self.length = 0
        self.data_start, self.begins = self.start + head, self.out

    def _salvaged(self) -> bytes:
        """What the member that failed inflates to before its damage, past what it gave:
        zlib gives nothing of a step that fails, so the member is inflated again from its
        start, and the step that fails taken again a byte at a time (``_byte_by_byte``)."""
        self.stream.seek(self.data_start)
        inflate = zlib.decompressobj(-zlib.MAX_WBITS)
        given, kept, step = 0, bytearray(), _READ_BLOCK
        while not inflate.eof:
            data = inflate.unconsumed_tail or self.stream.read(_READ_BLOCK)
            if not data:
                break
            if given + step > self.length:  # near the damage: steps it can be told apart by
                step = min(step, _SALVAGE_STEP)
            saved = inflate.copy() if step < _READ_BLOCK else None  # what it gave inflates
            try:
                piece = inflate.decompress(data, step)
            except zlib.error:
                if saved is not None:  # the step again, a byte in and a byte out at a time
                    piece = _byte_by_byte(saved, data)
                    kept += piece[max(0, min(len(piece), self.length - given)) :]
                break
            kept += piece[max(0, min(len(piece), self.length - given)) :]
            given += len(piece)
        return bytes(kept)

    def _trailer(self, rest: bytes) -> None:
        self.boundaries.append(self.out)
        rest = self._fill(rest, 8)
        self.ends.append(self.taken - len(rest) + min(8, len(rest)))
        crc, length = int.from_bytes(rest[:4], "little"), int.from_bytes(rest[4:8], "little")
        if len(rest) < 8:
            self._fail("the file ends inside a gzip member's trailer")
        elif (crc, length) != (self.crc, self.length & 0xFFFFFFFF):
            message = f"the gzip member at byte {self.start} fails its CRC or length check"
            self.faults.append((self.begins, message))
        self.inflate, self.carry = None, rest[8:]

    def _fail(self, error: str) -> None:
        self.error = self.error or error
        self.done = True


def _byte_by_byte(inflate, data: bytes) -> bytes:
    """What ``inflate`` gives of ``data`` fed a byte at a time, a byte out at a time, up to
    an error: zlib gives nothing of a call that fails, so each call is kept to a byte."""
    out, at, tail = bytearray(), 0, b""  # ``data`` is all the input it has not taken
    try:
        while not inflate.eof:
            if not tail:
                if at >= len(data):
                    break
                tail, at = data[at : at + 1], at + 1
            out += inflate.decompress(tail, 1)
            tail = inflate.unconsumed_tail
    except zlib.error:
        pass
    return bytes(out)


_SALVAGE_STEP = 256
_GZIP_HEADER_LIMIT = 1 << 20
_PADDING = b"\r\n\t \x00"


def _gzip_header(data: bytes) -> int | None:
    """The length of the gzip member header ``data`` begins with (RFC 1952: the fixed ten
    bytes, then an extra field, a name, a comment and a header CRC, each when flagged); -1
    when ``data`` ends inside it; None when it begins none."""
    if not data.startswith(_GZIP_MAGIC[: len(data)]):
        return None
    if len(data) < 10:
        return -1
    flags, at = data[3], 10
    if flags & 4:
        at += 2 + int.from_bytes(data[at : at + 2], "little")
    for flag in (8, 16):
        if flags & flag:
            end = data.find(b"\0", at)
            if end < 0:
                return -1
            at = end + 1
    at += 2 if flags & 2 else 0
    return at if at <= len(data) else -1


class _Limited:
    """At most ``length`` bytes of ``source``."""

    def __init__(self, source: _Reader, length: int):
        self.source, self.left = source, length

    def read(self, size: int = _READ_BLOCK) -> bytes:
        piece = self.source.read(min(size, self.left)) if self.left > 0 else b""
        self.left -= len(piece)
        return piece


def _only_padding(stream: BinaryIO, start: int, size: int) -> bool:
    stream.seek(start)
    while start < size:
        block = stream.read(_SCAN_BLOCK)
        if block.strip(b"\r\n\t \x00"):
            return False
        start += len(block)
    return True


def _next_start(stream: BinaryIO, offset: int) -> int | None:
    """The first offset >= ``offset`` where a readable record begins (a gzip member holding a
    WARC record, or a ``WARC/1.x`` line), or None."""
    stream.seek(offset)
    carry = b""
    before = b""  # the byte before the window: none at ``offset``, taken as a line start
    base = offset
    while block := stream.read(_SCAN_BLOCK):
        window = carry + block
        hits = sorted(
            (at, gz)
            for magic, gz in ((_GZIP_MAGIC, True), (b"WARC/", False), (b"warc/", False))
            for at in _all(window, magic)
        )
        for at, gz in hits:
            if _starts_record(stream, base + at, gz, window, at, before):
                return base + at
        carry = window[-64:]  # a header cut by the block boundary is seen whole next time
        kept_from = len(window) - len(carry)
        if kept_from:
            before = window[kept_from - 1 : kept_from]
        base += kept_from
        stream.seek(base + len(carry))
    return None


def _all(window: bytes, magic: bytes) -> Iterator[int]:
    at = window.find(magic)
    while at >= 0:
        yield at
        at = window.find(magic, at + 1)


def _starts_record(
    stream: BinaryIO, offset: int, gz: bool, window: bytes, at: int, before: bytes = b""
) -> bool:
    if not gz:
        line_ok = (window[at - 1 : at] if at else before) in (b"", b"\n")
        return line_ok and _WARC_LINE.match(window, at) is not None
    position = stream.tell()
    stream.seek(offset)
    head = stream.read(4096)
    stream.seek(position)
    try:
        return _WARC_LINE.match(zlib.decompressobj(31).decompress(head, 16)) is not None
    except zlib.error:
        return False


# --- ARC, through warcio ---------------------------------------------------------------------


def _iter_arc(path: Path | str, opts: _Options) -> Iterator[WarcItem]:
    """ARC records (no digests in ARC) as the same items; damage ends the file here. ARC
    records have no ids (warcio makes up a random one), so they are known by offset."""
    from warcio.archiveiterator import ArchiveIterator as WarcioIterator
    from warcio.exceptions import ArchiveLoadFailed

    offset = 0
    with open_input(str(path)) as stream:
        records = WarcioIterator(stream, arc2warc=True)
        try:
            for record in records:
                item = _arc_item(record, opts)
                # warcio's get_record_offset() reads the record to its end: ask after the payload
                offset = records.get_record_offset()
                yield replace(item, offset=offset)
                offset = offset + records.get_record_length()
        except (ArchiveLoadFailed, OSError, EOFError, zlib.error, ValueError) as exc:
            message = f"{exc}; nothing read after it in this ARC file"
            yield WarcDamage(opts.filename, offset, message)


def _arc_item(record, opts: _Options) -> WarcItem:
    rec = record.rec_headers
    headers = {"warc-type": record.rec_type or ""}
    for name in ("WARC-Target-URI", "WARC-Date", "WARC-IP-Address", "Content-Type"):
        headers[name.lower()] = rec.get_header(name) or ""
    http = record.http_headers
    rtype = headers["warc-type"]
    if http is not None and rtype == "response":
        headers["content-type"] = "application/http; msgtype=response"
        head = http.to_bytes()
        stream: _Reader = _Prefixed(head, record.raw_stream)
        length = len(head) + _ARC_UNKNOWN
    else:
        stream, length = record.raw_stream, _ARC_UNKNOWN
    item = _item({k: v for k, v in headers.items() if v}, stream, length, 0, opts)
    return replace(item, warc_record_id=None)


_ARC_UNKNOWN = 1 << 62  # ARC lengths are warcio's to keep: read its stream to its end


class _Prefixed:
    """``prefix`` then ``source``."""

    def __init__(self, prefix: bytes, source: _Reader):
        self.prefix, self.source = prefix, source

    def read(self, size: int = _READ_BLOCK) -> bytes:
        if self.prefix:
            piece, self.prefix = self.prefix[:size], self.prefix[size:]
            return piece
        return self.source.read(size)
