"""The values that flow through a pack: captures in, records and quarantine entries out.

Every class here is a frozen dataclass; the Parquet/JSON form of each is defined by the JSON
Schemas in ``schemas/`` and by ``archive.format.schema`` (the explicit Arrow schema).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from archive.capture.warc import WarcPayload

SPAN_KINDS = (
    "headline",
    "standfirst",
    "byline",
    "dateline",
    "body",
    "caption",
    "credit",
    "subheading",
    "furniture-notification",
    "furniture-cookie",
    "furniture-support",
    "furniture-login",
    "furniture-error",
    "furniture-share",
    "furniture-related",
    "furniture-comments",
    "furniture-learned",
    "furniture-other",
)
BODY_KINDS = ("body", "subheading")
"""Span kinds whose text makes the record's ``text`` (subheadings are part of the story)."""


@dataclass(frozen=True)
class Span:
    """A classed region ``[start, end)`` of the capture text (code-point offsets).

    ``rule`` names the rule that classed it, so every decision can be traced.
    """

    start: int
    end: int
    kind: str
    rule: str


@dataclass(frozen=True)
class Provenance:
    """Where a derived field's value came from.

    ``method`` is one of a fixed vocabulary (``capture-log``, ``url-domain``, ``dateline``,
    ``header-line``, ``byline``, ``self-reference``, ``site-name``, ``html-meta``,
    ``warc-header``, ``language-detector`` ...); ``evidence`` is the text that was read (a log
    line, the matched words, a meta tag); ``start``/``end`` locate that evidence in the
    capture text when it is there.
    """

    field: str
    method: str
    evidence: str
    start: int | None = None
    end: int | None = None


@dataclass(frozen=True)
class CaptureInfo:
    """What is known about how a document was captured (the ``capture`` struct of a row).

    ``source_path`` is relative to the named source root (``<root>/<path>``), POSIX style.
    WARC fields are null for files that were not read from a WARC.
    """

    source_path: str
    url: str | None = None
    retrieved_at: datetime | None = None
    agent: str | None = None
    content_type: str | None = None
    warc_filename: str | None = None
    warc_offset: int | None = None
    warc_record_id: str | None = None
    warc_date: datetime | None = None
    http_status: int | None = None
    ip_address: str | None = None
    payload_digest: str | None = None
    extra: str | None = None  # canonical JSON of the capture log's free keys

    @classmethod
    def from_warc(cls, source_path: str, payload: WarcPayload) -> CaptureInfo:
        """The ``capture`` struct of a WARC response."""
        content_type = payload.content_type
        if content_type and payload.charset:
            content_type = f"{content_type}; charset={payload.charset}"
        return cls(
            source_path=source_path,
            url=payload.target_uri,
            retrieved_at=payload.warc_date,
            content_type=content_type,
            warc_filename=payload.filename,
            warc_offset=payload.offset,
            warc_record_id=payload.warc_record_id,
            warc_date=payload.warc_date,
            http_status=payload.http_status,
            ip_address=payload.ip_address,
            payload_digest=payload.payload_digest,
        )


@dataclass(frozen=True)
class Record:
    """One release row: a capture that became a record.

    Invariants: ``text_sha256 == sha256(text)``, ``capture_text_sha256 == sha256(capture_text)``,
    every non-null derived field (outlet, published_at, modified_at, title, standfirst,
    authors, language) has at least one ``Provenance`` entry naming it.
    """

    record_id: str
    raw_sha256: str
    raw_bytes: int
    raw_encoding: str
    raw_encoding_method: str
    media_type: str
    capture_text: str
    capture_text_sha256: str
    text: str
    text_sha256: str
    capture: CaptureInfo
    title: str | None = None
    standfirst: str | None = None
    authors: tuple[str, ...] = ()
    outlet: str | None = None
    published_at: datetime | None = None
    published_precision: str | None = None
    published_utc_offset: int | None = None
    modified_at: datetime | None = None
    modified_utc_offset: int | None = None
    language: str | None = None
    site_name: str | None = None
    categories: tuple[str, ...] = ()
    rights_holder: str | None = None
    redistribution: str = "full"
    provenance: tuple[Provenance, ...] = ()
    spans: tuple[Span, ...] = ()
    flags: tuple[str, ...] = ()
    duplicate_of: str | None = None
    extractor: str = ""
    derivation_sha256: str = ""
    raw_encoding_confidence: int | None = None


@dataclass(frozen=True)
class QuarantineEntry:
    """An input that could not become a record, and why.

    ``reason`` is a stable code (see ``archive.errors.QUARANTINE_REASONS``); ``sha256`` and
    ``bytes`` are null only when the input could not be read at all.
    """

    source_path: str
    reason: str
    message: str
    bytes: int | None = None
    sha256: str | None = None
    offset: int | None = None


@dataclass(frozen=True)
class Hints:
    """What is known about a capture before its content is read.

    ``outlet``/``published_at`` come from the capture log (they outrank anything found in the
    text), with the precision the log wrote ``published_at`` at (see ``logged_precision``);
    ``domain_outlets`` maps registrable domains (``example-news.org``) to outlet names.
    ``evidence`` holds the capture-log line that asserted them, for provenance.
    """

    url: str | None = None
    outlet: str | None = None
    published_at: datetime | None = None
    published_precision: str | None = None
    published_utc_offset: int | None = None
    retrieved_at: datetime | None = None
    declared_charset: str | None = None
    domain_outlets: tuple[tuple[str, str], ...] = ()
    evidence: str | None = None


@dataclass(frozen=True)
class Extraction:
    """What an extractor derived from one capture's text; pure data, no I/O.

    ``text`` is the canonical body (``archive.text.normalize.body_text``). Every non-null field
    has a ``Provenance`` entry; ``flags`` explain doubts (e.g. ``date-caption-only``).
    """

    text: str
    spans: tuple[Span, ...] = ()
    title: str | None = None
    standfirst: str | None = None
    authors: tuple[str, ...] = ()
    outlet: str | None = None
    published_at: datetime | None = None
    published_precision: str | None = None
    published_utc_offset: int | None = None
    modified_at: datetime | None = None
    modified_utc_offset: int | None = None
    language: str | None = None
    provenance: tuple[Provenance, ...] = ()
    flags: tuple[str, ...] = ()


def record_with(record: Record, **changes) -> Record:
    """``dataclasses.replace(record, **changes)``, its fields copied as they stand: a record
    has no ``__post_init__`` to run, and ``replace`` calls its thirty-odd-field ``__init__``
    (several times the cost; a text capture's record was rebuilt twice)."""
    unknown = changes.keys() - record.__dict__.keys()
    if unknown:
        raise TypeError(f"Record has no field {sorted(unknown)[0]!r}")
    new = object.__new__(type(record))
    new.__dict__.update(record.__dict__, **changes)
    return new


def logged_precision(hints: Hints) -> str | None:
    """The precision of ``hints.published_at``: as the capture log wrote it (a bare date is
    ``day``, a time ``minute`` or ``second``), else read off the time (midnight: ``day``)."""
    if hints.published_at is None:
        return None
    if hints.published_precision:
        return hints.published_precision
    moment = hints.published_at
    if (moment.hour, moment.minute, moment.second) == (0, 0, 0):
        return "day"
    return "second" if moment.second else "minute"


def utc_offset_minutes(moment: datetime) -> int | None:
    """The UTC offset ``moment`` states, in minutes (``None`` for a naive datetime)."""
    offset = moment.utcoffset()
    return None if offset is None else int(offset.total_seconds() // 60)


def stated_date(moment: datetime | None, utc_offset: int | None, precision: str | None):
    """The calendar day a publisher stated: the UTC instant moved to its stated offset.

    Why: a page saying ``2020-02-15T07:00+09:00`` is published on the 15th, though its UTC
    instant falls on the 14th. A ``day``-precision value is already that day (midnight UTC of
    the printed date). ``None`` when there is no value, or its precision is coarser than a day.

    >>> stated_date(datetime(2020, 2, 14, 22, 0), 540, "minute")
    datetime.date(2020, 2, 15)
    """
    if moment is None or precision not in ("day", "minute", "second"):
        return None
    if utc_offset is not None and precision != "day":
        moment = moment + timedelta(minutes=utc_offset)
    return date(moment.year, moment.month, moment.day)
