"""Captures to records: one pure function per document.

``text_record`` turns the bytes of one plain-text capture (with its capture-log entry) into a
``Record`` or, when the bytes are not usable text, a ``QuarantineEntry``. It reads no files and
keeps no state, so any worker may run it on any capture.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import replace
from functools import cache

from archive.capture.capturelog import LogEntry, logged_capture
from archive.model import (
    CaptureInfo,
    Extraction,
    Hints,
    Provenance,
    QuarantineEntry,
    Record,
    logged_precision,
    record_with,
)
from archive.release.plan import record_id
from archive.settings import PackSettings
from archive.text.decode import NotText, decode_bytes
from archive.text.normalize import body_text, normalize_text, sha256_text

Extractor = Callable[[str, Hints], Extraction]


# The HTML extractor's body comes from the markup (trafilatura), not from spans of the capture.
HTML_EXTRACTOR_NAME = "archive-html/"


@cache
def _html_extractor() -> str:
    from importlib.metadata import version

    libraries = f"trafilatura/{version('trafilatura')} htmldate/{version('htmldate')}"
    return f"{HTML_EXTRACTOR_NAME}44 {libraries}"


def __getattr__(name: str) -> str:
    """``HTML_EXTRACTOR``, named when first asked for: naming it imports importlib.metadata
    and reads two packages' metadata (some 20 ms), which ``verify`` and the other commands
    that import this module for its names never need."""
    if name == "HTML_EXTRACTOR":
        return _html_extractor()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def hints_for(entry: LogEntry | None, log_name: str | None, settings: PackSettings) -> Hints:
    if entry is None:
        return Hints(domain_outlets=settings.domain_outlets)
    return Hints(
        url=entry.url,
        outlet=entry.outlet,
        published_at=entry.published_at,
        published_precision=entry.published_precision,
        published_utc_offset=entry.published_utc_offset,
        retrieved_at=entry.retrieved_at,
        declared_charset=entry.charset,
        domain_outlets=settings.domain_outlets,
        evidence=entry.evidence(log_name or "capture log"),
    )


PLAIN_EXTRACTOR = "archive-plain/"


def plain_body(capture_text: str) -> str:
    """The body the ``extract = "none"`` extractor keeps: every paragraph of the capture."""
    return body_text(capture_text.split("\n\n"))


def plain_extraction(capture_text: str, hints: Hints) -> Extraction:
    """The ``extract = "none"`` extractor: the body is the whole capture; metadata only from
    the capture log (nothing is read out of the text)."""
    # here: verify imports this module for its names, and archive.extract is all the extractors
    from archive.extract.dates import after_capture

    provenance = []
    flags = ()
    if hints.outlet:
        provenance.append(Provenance("outlet", "capture-log", hints.evidence or ""))
    published = hints.published_at
    if published and after_capture(published, logged_precision(hints), hints.retrieved_at):
        published, flags = None, ("published-date-after-capture",)  # as the extractors say
    if published:
        provenance.append(Provenance("published_at", "capture-log", hints.evidence or ""))
    return Extraction(
        text=plain_body(capture_text),
        outlet=hints.outlet,
        published_at=published,
        published_precision=logged_precision(hints) if published else None,
        published_utc_offset=hints.published_utc_offset if published else None,
        provenance=tuple(provenance),
        flags=flags,
    )


def warc_capture_key(source_path: str, payload) -> str:
    """The capture key of a WARC response: the file's source path and the record's id."""
    return f"{source_path}#{payload.warc_record_id or f'@{payload.offset}'}"


def warc_record(
    source_path: str,
    payload,
    settings: PackSettings,
    extractor: Extractor,
    extractor_name: str,
    raw_sha256: str | None = None,
    rights: LogEntry | None = None,
    log_name: str | None = None,
) -> Record | QuarantineEntry:
    """The record for one WARC response (``archive.capture.warc.WarcPayload``) of the WARC file at
    ``source_path``; a failed payload digest is kept and flagged, never silenced. ``rights`` is
    the capture-log line naming the WARC file, cut to its rights (``rights_of``): the only
    fields of such a line a record inside takes."""
    key = warc_capture_key(source_path, payload)
    hints = Hints(
        url=payload.target_uri,
        retrieved_at=payload.warc_date,
        declared_charset=payload.charset,
        domain_outlets=settings.domain_outlets,
    )
    capture = CaptureInfo.from_warc(source_path, payload)
    if payload.content_type == "text/plain":
        outcome = text_record(
            source_path,
            payload.payload,
            rights,
            log_name,
            settings,
            extractor,
            extractor_name,
            capture_key=key,
            hints=hints,
            capture=capture,
            raw_sha256=raw_sha256,
            charset_source="http-header",
        )
    else:
        outcome = html_record(
            source_path,
            key,
            payload.payload,
            hints,
            capture,
            settings,
            rights,
            log_name,
            charset_source="http-header",
            raw_sha256=raw_sha256,
        )
    if isinstance(outcome, QuarantineEntry):
        from archive.capture.warc import record_named  # loaded already: its record is read

        # named as the WARC file's other entries name a record: the file is not what is empty
        message = outcome.message.replace("the file", "the payload")
        message = f"{record_named(payload.warc_record_id, payload.offset)}: {message}"
        return replace(outcome, message=message, offset=payload.offset)
    flags = set(outcome.flags) | set(payload.flags)
    if payload.digest_ok is False:
        flags.add("payload-digest-mismatch")
    if payload.digest_ok is None:
        unreadable = payload.digest_unreadable
        flags.add("payload-digest-unreadable" if unreadable else "payload-digest-absent")
    return replace(outcome, flags=tuple(sorted(flags)))


def text_record(
    source_path: str,
    raw: bytes,
    entry: LogEntry | None,
    log_name: str | None,
    settings: PackSettings,
    extractor: Extractor,
    extractor_name: str,
    *,
    capture_key: str | None = None,
    hints: Hints | None = None,
    capture: CaptureInfo | None = None,
    raw_sha256: str | None = None,
    charset_source: str = "capture-log",
) -> Record | QuarantineEntry:
    """The record for one plain-text capture, or why it cannot be one.

    ``capture_key``/``hints``/``capture`` default to those of a file named ``source_path`` with
    capture-log ``entry``; a WARC response passes its own, and ``charset_source`` names where
    its declared charset came from. ``raw_sha256`` saves hashing the bytes again when the reader
    already did."""
    raw_sha256 = raw_sha256 or hashlib.sha256(raw).hexdigest()
    hints = hints or hints_for(entry, log_name, settings)
    try:
        decoded = decode_bytes(raw, hints.declared_charset)
    except NotText as exc:
        return QuarantineEntry(source_path, exc.reason, str(exc), len(raw), raw_sha256)
    capture_text = normalize_text(decoded.text)
    capture_text_sha256 = sha256_text(capture_text)
    extraction = extractor(capture_text, hints)
    method = decoded.method
    if method == "declared":
        method = charset_source
    record = Record(
        record_id=record_id(capture_key or source_path),
        raw_sha256=raw_sha256,
        raw_bytes=len(raw),
        raw_encoding=decoded.encoding,
        raw_encoding_method=method,
        raw_encoding_confidence=decoded.confidence,
        media_type="text/plain",
        capture_text=capture_text,
        capture_text_sha256=capture_text_sha256,
        text=extraction.text,
        text_sha256=sha256_text(extraction.text),
        capture=capture or logged_capture(source_path, entry),
        extractor=extractor_name,
        flags=tuple(sorted(set(decoded.flags) | set(extraction.flags))),
    )
    return with_extraction(record, extraction, entry, log_name, settings)


def html_record(
    source_path: str,
    capture_key: str,
    raw: bytes,
    hints: Hints,
    capture: CaptureInfo,
    settings: PackSettings,
    entry: LogEntry | None = None,
    log_name: str | None = None,
    charset_source: str = "capture-log",
    raw_sha256: str | None = None,
) -> Record | QuarantineEntry:
    """The record for one HTML page (a file, or a WARC response), or why it cannot be one."""
    from archive.extract.html import extract_html

    raw_sha256 = raw_sha256 or hashlib.sha256(raw).hexdigest()
    try:
        page = extract_html(raw, hints, charset_source=charset_source)
    except NotText as exc:
        return QuarantineEntry(source_path, exc.reason, str(exc), len(raw), raw_sha256)
    extraction = page.extraction
    record = Record(
        record_id=record_id(capture_key),
        raw_sha256=raw_sha256,
        raw_bytes=len(raw),
        raw_encoding=page.encoding,
        raw_encoding_method=page.encoding_method,
        raw_encoding_confidence=page.encoding_confidence,
        media_type="text/html",
        capture_text=page.capture_text,
        capture_text_sha256=sha256_text(page.capture_text),
        text=extraction.text,
        text_sha256=sha256_text(extraction.text),
        capture=capture,
        extractor=_html_extractor(),
        site_name=page.site_name,
        categories=page.categories,
    )
    record = with_extraction(record, extraction, entry, log_name, settings)
    extra = []
    if page.site_name:
        extra.append(Provenance("site_name", "html-meta", page.site_name))
    if page.categories:
        extra.append(Provenance("categories", "trafilatura", ", ".join(page.categories)))
    return replace(record, provenance=record.provenance + tuple(extra))


def with_extraction(
    record: Record,
    extraction: Extraction,
    entry: LogEntry | None,
    log_name: str | None,
    settings: PackSettings,
) -> Record:
    """``record`` carrying the derived fields of ``extraction`` and the rights that apply."""
    provenance = list(extraction.provenance)
    logged = entry.evidence(log_name or "capture log") if entry else ""
    # each from where it was stated: a line may state one of the two, archive.toml the other
    rights_holder = entry.rights_holder if entry and entry.rights_holder else None
    if rights_holder:
        provenance.append(Provenance("rights_holder", "capture-log", logged))
    elif settings.rights_holder:
        rights_holder = settings.rights_holder
        provenance.append(Provenance("rights_holder", "settings", "archive.toml"))
    if entry and entry.redistribution:
        redistribution = entry.redistribution
        provenance.append(Provenance("redistribution", "capture-log", logged))
    else:
        redistribution = settings.redistribution
        provenance.append(Provenance("redistribution", "settings", "default or archive.toml"))
    if extraction.language and not any(p.field == "language" for p in provenance):
        provenance.append(Provenance("language", "language-detector", ""))
    return record_with(
        record,
        text=extraction.text,
        text_sha256=sha256_text(extraction.text),
        title=extraction.title,
        standfirst=extraction.standfirst,
        authors=extraction.authors,
        outlet=extraction.outlet,
        published_at=extraction.published_at,
        published_precision=extraction.published_precision,
        published_utc_offset=extraction.published_utc_offset,
        modified_at=extraction.modified_at,
        modified_utc_offset=extraction.modified_utc_offset,
        language=extraction.language,
        rights_holder=rights_holder,
        redistribution=redistribution,
        provenance=tuple(provenance),
        spans=extraction.spans,
        flags=tuple(sorted(set(record.flags) | set(extraction.flags))),
    )


# A span weighs as this many characters against the bounds on the records a worker holds: its
# Span object until the row is built, then a row of the spans column. A capture of many short
# paragraphs is light in characters, not in memory: 560 captures of 4,000 two-letter paragraphs
# each (32 KB) took an extraction worker to 354-398 MiB weighed by their characters alone, and
# to 170 MiB weighed with their spans.
_SPAN_CHARS = 64


def held_weight(record: Record) -> int:
    """What ``record`` weighs against the bounds on the records a pack's worker holds
    (``archive.release.stages``): its characters (capture and body), and its spans."""
    return len(record.capture_text or "") + len(record.text or "") + _SPAN_CHARS * len(record.spans)


_RIGHTS_FIELDS = ("rights_holder", "redistribution")


def with_languages(outcomes: list[object], extractor_name: str) -> list[object]:
    """``outcomes`` with each record of ``extractor_name``, made from an extraction that left
    out the language (``extract_text_capture(..., language=False)``), given the language of its
    body: the record that extraction with its language would have made. The language's entry
    goes where that extraction puts it, after its own entries and before the rights entries
    ``with_extraction`` adds; no language is the ``language-unknown`` flag.

    The bodies are detected one after another: the detectors' tables then stay in the
    processor's caches, where a detection between two extractions finds them evicted (the
    extraction's CPU time a capture, fresh processes, 4,000 fictional captures: about 500 µs
    with each body detected as it is extracted, about 425 µs in batches of 256)."""
    from archive.extract.language import body_language

    waiting = []
    for i, outcome in enumerate(outcomes):
        if isinstance(outcome, Record) and outcome.extractor == extractor_name:
            if outcome.language is not None or "language-unknown" in outcome.flags:
                raise ValueError(f"record {outcome.record_id} has its language already")
            waiting.append(i)
    found = [body_language(outcomes[i].text) for i in waiting]
    done = list(outcomes)
    for i, language in zip(waiting, found, strict=True):
        record = done[i]
        if language is None:
            flags = tuple(sorted({*record.flags, "language-unknown"}))
            done[i] = record_with(record, flags=flags)
            continue
        tag, entry = language
        provenance = list(record.provenance)
        at = len(provenance)
        while at and provenance[at - 1].field in _RIGHTS_FIELDS:
            at -= 1
        provenance.insert(at, entry)
        done[i] = record_with(record, language=tag, provenance=tuple(provenance))
    return done


def quarantine_row(entry: QuarantineEntry) -> dict:
    return vars(entry)
