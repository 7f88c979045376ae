"""One HTML page to its capture text, body and metadata, each value with the markup it came from.

``extract_html`` decodes the page (BOM, then the charset declared by an HTTP header or the capture
log, then the page's own ``<meta charset>``, then strict UTF-8, then detection; the method that
decided is recorded), parses it **once** with lxml through trafilatura's own loader, and hands
that tree to trafilatura (body, title, authors, description, categories; htmldate inside it for
the publication date). The body is rebuilt with ``archive.text.normalize.body_text`` from the
paragraph elements of trafilatura's output, so the same article hashes the same whether it was
captured as plain text or as HTML.

Every derived value names its source: ``html-meta`` with the tag (``meta[property="og:title"]``,
``json-ld NewsArticle.datePublished``, ``html[lang]``...) when a tag of the page holds that
value, ``trafilatura``/``htmldate`` with ``page markup`` when the library found it elsewhere.

Dates (why these bounds): htmldate runs with ``original_date=True`` (first publication, not the
last update) between ``MIN_DATE`` (1990-01-01: no news page predates the web) and an upper bound
that never comes from the wall clock, so a re-run gives the same answer: the capture's retrieval
date plus one day (a page is not published after it was fetched; the day covers time zones)
when known, else the ``max_date`` the caller passes (``DEFAULT_MAX_DATE`` if none). As in
``archive.extract.dates``, a time with a known offset becomes UTC at ``minute`` (or ``second``)
precision; a date alone is midnight UTC at ``day`` precision. ``modified_at`` comes only from
explicit modification tags (``article:modified_time``, ``dateModified``...), never from htmldate's
guess, so it is never confused with the publication date.
"""

from __future__ import annotations

import codecs
import json
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta

from lxml.html import HtmlElement
from trafilatura import bare_extraction
from trafilatura.metadata import extract_metadata
from trafilatura.settings import Extractor
from trafilatura.utils import load_html

from archive.extract.authors import page_authors
from archive.extract.outlets import outlet_from_domain
from archive.model import Extraction, Hints, Provenance, logged_precision
from archive.text.decode import Decoded, NotText, decode_bytes
from archive.text.normalize import body_text, normalize_text

MIN_DATE = date(1990, 1, 1)
DEFAULT_MAX_DATE = date(2030, 12, 31)
MAX_HTML_BYTES = 64 * 1024 * 1024

_GZIP_MAGIC = b"\x1f\x8b"
_BOMS = (codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_META_CHARSET = re.compile(rb"""<meta[^>]*?charset\s*=\s*["']?\s*([a-zA-Z0-9_.:-]+)""", re.I)
# WHATWG: these labels mean windows-1252 in every browser (smart quotes in 0x80-0x9f).
_WINDOWS_1252_LABELS = {"iso-8859-1", "iso8859-1", "latin1", "latin-1", "l1", "us-ascii", "ascii"}
_WS = re.compile(r"\s+")
_LANG = re.compile(r"^[a-zA-Z]{2,3}(?=$|[-_])")
_CONTAINERS = {"list", "table", "quote", "div", "section", "body"}


@dataclass(frozen=True)
class HtmlResult:
    """A decoded page and what was extracted from it.

    ``capture_text`` is the page source in canonical form (``normalize_text``);
    ``encoding``/``encoding_method`` say how the bytes were decoded (``bom``, ``http-header`` or
    ``capture-log``, ``meta-charset``, ``utf-8``, ``utf-8-repaired``, ``detected``);
    ``categories`` and ``site_name`` are kept here because ``Extraction`` has no field for them.
    """

    capture_text: str
    encoding: str
    encoding_method: str
    extraction: Extraction
    categories: tuple[str, ...] = ()
    site_name: str | None = None
    gzipped: bool = False


def extract_html(
    raw: bytes,
    hints: Hints,
    *,
    charset_source: str = "capture-log",
    max_date: date = DEFAULT_MAX_DATE,
) -> HtmlResult:
    """Decode, parse and extract one HTML page (gzip-compressed bytes are accepted).

    ``charset_source`` names where ``hints.declared_charset`` came from (``http-header`` for a
    WARC response). Raises ``archive.text.decode.NotText`` (with a quarantine reason) for bytes that
    are not an HTML page.

    >>> page = b"<html lang='en'><head><title>Tide tables</title></head><body><p>High water at six.</p></body></html>"
    >>> extract_html(page, Hints()).extraction.language
    'en'
    """  # noqa: E501
    gzipped = raw.startswith(_GZIP_MAGIC)
    if gzipped:
        raw = _gunzipped(raw)
    decoded = _decoded(raw, hints.declared_charset, charset_source)
    capture_text = normalize_text(decoded.text)
    tree = load_html(decoded.text)
    if tree is None:
        raise NotText("unsupported", "the bytes do not parse as an HTML document")
    markup = _markup_values(tree)
    url, url_evidence = _page_url(hints, markup)
    upper = _upper_date(hints, max_date)
    document, body = _trafilatura(tree, url, upper)
    extraction = _extraction(document, body, markup, hints, url, url_evidence, upper)
    if decoded.flags:
        flags = tuple(sorted(set(extraction.flags) | set(decoded.flags)))
        extraction = replace(extraction, flags=flags)
    site = _site_name(markup)
    return HtmlResult(
        capture_text=capture_text,
        encoding=decoded.encoding,
        encoding_method=decoded.method,
        extraction=extraction,
        categories=tuple(document.categories or ()),
        site_name=site[0] if site else None,
        gzipped=gzipped,
    )


# --- bytes to text ----------------------------------------------------------------------------


def _gunzipped(raw: bytes) -> bytes:
    inflate = zlib.decompressobj(31)
    try:
        data = inflate.decompress(raw, MAX_HTML_BYTES + 1)
    except zlib.error as exc:
        raise NotText("undecodable", f"damaged gzip data: {exc}") from None
    if len(data) > MAX_HTML_BYTES:
        raise NotText("too-large", f"the page inflates to more than {MAX_HTML_BYTES} bytes")
    if not inflate.eof:
        raise NotText("undecodable", "truncated gzip data: the file ends inside the stream")
    return data


def _decoded(raw: bytes, declared: str | None, source: str) -> Decoded:
    """Decode with the strongest evidence that works; say which evidence it was.

    A byte-order mark, NUL bytes (binary) and empty input take ``decode_bytes``'s rules, and so
    does a page no declared charset nor UTF-8 decodes (repair, then detection). The strict
    paths skip its control-character census: a full scan of every page for a flag that
    trafilatura's parser makes moot (it drops those characters) costs ~10% of the extraction.
    """
    if not raw or raw.isspace() or raw.startswith(_BOMS) or b"\x00" in raw:
        return decode_bytes(raw, _codec(declared))
    candidates = ((declared, source), (_meta_charset(raw), "meta-charset"), ("utf-8", "utf-8"))
    for label, method in candidates:
        codec = _codec(label)
        if codec is not None:
            try:
                return Decoded(raw.decode(codec), codec, method)
            except UnicodeDecodeError:
                continue
    return decode_bytes(raw)


def _meta_charset(raw: bytes) -> str | None:
    if raw.startswith(_BOMS):
        return None
    match = _META_CHARSET.search(raw, 0, 4096)
    return match.group(1).decode("ascii") if match else None


def _codec(label: str | None) -> str | None:
    if not label:
        return None
    label = label.strip().lower()
    if label in _WINDOWS_1252_LABELS:
        return "cp1252"
    try:
        return codecs.lookup(label).name
    except LookupError:
        return None


# --- what the markup says ----------------------------------------------------------------------


def _markup_values(tree: HtmlElement) -> list[tuple[str, str]]:
    """Every (tag, value) pair of the page that can back a field, in document order."""
    found: list[tuple[str, str]] = []
    lang = tree.get("lang") or tree.get("xml:lang")
    if lang:
        found.append(("html[lang]", lang))
    for meta in tree.iterfind(".//meta[@content]"):
        content = _WS.sub(" ", meta.get("content", "")).strip()
        for attr in ("property", "name", "itemprop", "http-equiv"):
            key = meta.get(attr)
            if key and content:
                found.append((f'meta[{attr}="{key.lower()}"]', content))
                break
    for link in tree.iterfind(".//link[@rel='canonical']"):
        if link.get("href"):
            found.append(('link[rel="canonical"]', link.get("href")))
    for script in tree.iterfind(".//script[@type='application/ld+json']"):
        found.extend(_json_ld_values(script.text or ""))
    for title in tree.iterfind(".//title"):
        found.append(("<title>", _WS.sub(" ", title.text_content()).strip()))
    for h1 in tree.iterfind(".//h1"):
        found.append(("<h1>", _WS.sub(" ", h1.text_content()).strip()))
    for time in tree.iterfind(".//time[@datetime]"):
        found.append(("time[datetime]", time.get("datetime")))
    for author in tree.xpath(".//a[@rel='author']|.//*[@itemprop='author']"):
        found.append(('[rel="author"]', _WS.sub(" ", author.text_content()).strip()))
    return found


def _json_ld_values(blob: str) -> Iterator[tuple[str, str]]:
    try:
        data = json.loads(blob)
    except ValueError:
        return
    if not isinstance(data, (list, dict)):  # a bare scalar (seen on real pages): nothing to read
        return
    items = data if isinstance(data, list) else data.get("@graph", [data])
    for item in items:
        if not isinstance(item, dict):
            continue
        kind = item.get("@type", "Thing")
        kind = kind[0] if isinstance(kind, list) and kind else kind
        for key in (
            "headline",
            "name",
            "description",
            "datePublished",
            "dateModified",
            "articleSection",
            "inLanguage",
        ):
            value = item.get(key)
            if isinstance(value, str):
                yield f"json-ld {kind}.{key}", value
        for key in ("author", "publisher"):
            for person in _as_list(item.get(key)):
                name = person.get("name") if isinstance(person, dict) else person
                if isinstance(name, str):
                    yield f"json-ld {kind}.{key}.name", name


def _as_list(value) -> list:
    return value if isinstance(value, list) else [value] if value else []


_SOURCES = {
    "title": (
        'meta[property="og:title"]',
        'meta[name="twitter:title"]',
        'meta[name="title"]',
        'meta[itemprop="headline"]',
        "json-ld *.headline",
        "<h1>",
        "<title>",
    ),
    "standfirst": (
        'meta[property="og:description"]',
        'meta[name="description"]',
        'meta[name="twitter:description"]',
        'meta[itemprop="description"]',
        "json-ld *.description",
    ),
    "authors": (
        'meta[name="author"]',
        'meta[property="article:author"]',
        'meta[name="byl"]',
        'meta[name="dc.creator"]',
        "json-ld *.author.name",
        '[rel="author"]',
    ),
    "site_name": (
        'meta[property="og:site_name"]',
        "json-ld *.publisher.name",
        'meta[name="application-name"]',
        'meta[name="publisher"]',
    ),
    "published_at": (
        'meta[property="article:published_time"]',
        'meta[property="og:article:published_time"]',
        'meta[name="pubdate"]',
        'meta[name="publishdate"]',
        'meta[name="date"]',
        'meta[name="dc.date"]',
        'meta[itemprop="datepublished"]',
        "json-ld *.datePublished",
        "time[datetime]",
    ),
    "modified_at": (
        'meta[property="article:modified_time"]',
        'meta[property="og:updated_time"]',
        'meta[itemprop="datemodified"]',
        "json-ld *.dateModified",
        'meta[name="last-modified"]',
    ),
    "language": (
        "html[lang]",
        'meta[http-equiv="content-language"]',
        "json-ld *.inLanguage",
        'meta[property="og:locale"]',
    ),
}


def _candidates(markup: list[tuple[str, str]], field: str) -> Iterator[tuple[str, str]]:
    """The page's values for ``field``, strongest tag first."""
    for source in _SOURCES[field]:
        if source.startswith("json-ld *."):
            suffix = source[len("json-ld *") :]
            yield from (
                (t, v)
                for t, v in markup
                if t.startswith("json-ld ")
                and t.endswith(suffix)
                and t.count(".") == suffix.count(".")
            )
        else:
            yield from ((t, v) for t, v in markup if t == source)


def _backing(markup: list[tuple[str, str]], field: str, value: str) -> str | None:
    """The tag whose value is (or contains) ``value``, for provenance."""
    wanted = _fold(value)
    for tag, found in _candidates(markup, field):
        if wanted and wanted in _fold(found):
            return f"{tag}={found!r}"
    return None


def _fold(text: str) -> str:
    return _WS.sub(" ", text).strip().casefold()


def _site_name(markup: list[tuple[str, str]]) -> tuple[str, str] | None:
    for tag, value in _candidates(markup, "site_name"):
        if value and not value.startswith(("http:", "https:", "@")):
            return value, f"{tag}={value!r}"
    return None


def _page_url(hints: Hints, markup: list[tuple[str, str]]) -> tuple[str | None, str]:
    if hints.url:
        return hints.url, "capture URL"
    for tag, value in markup:
        if tag in ('link[rel="canonical"]', 'meta[property="og:url"]') and "//" in value:
            return value, tag
    return None, ""


# --- trafilatura ------------------------------------------------------------------------------


def _upper_date(hints: Hints, max_date: date) -> date:
    if hints.retrieved_at is not None:
        return min(max_date, hints.retrieved_at.astimezone(UTC).date() + timedelta(days=1))
    return max_date


def _trafilatura(tree: HtmlElement, url: str | None, upper: date):
    date_params = {
        "original_date": True,
        "extensive_search": True,
        "min_date": MIN_DATE.isoformat(),
        "max_date": upper.isoformat(),
    }
    options = Extractor(
        output_format="python",
        comments=False,
        tables=True,
        with_metadata=True,
        url=url,
        date_params=date_params,
    )
    document = bare_extraction(tree, options=options)
    if document is None:  # too little text for trafilatura: keep the metadata all the same
        return extract_metadata(tree, url, date_params), None
    return document, document.body


def _paragraphs(element) -> Iterator[str]:
    """Paragraph texts of trafilatura's output tree (``<lb/>`` is a line break inside one)."""
    for child in element:
        if child.tag == "row":
            yield " ".join(_text(cell) for cell in child)
        elif child.tag in _CONTAINERS and len(child):
            if child.text and child.text.strip():
                yield child.text
            yield from _paragraphs(child)
        else:
            yield _text(child)


def _text(element) -> str:
    for lb in element.iter("lb"):
        lb.tail = "\n" + (lb.tail or "")
    return "".join(element.itertext())


# --- the extraction ---------------------------------------------------------------------------


def _extraction(document, body, markup, hints, url, url_evidence, upper) -> Extraction:
    provenance: list[Provenance] = []
    flags: list[str] = []

    def backed(field: str, value: str | None) -> str | None:
        if value:
            tag = _backing(markup, field, value)
            method = "html-meta" if tag else "trafilatura"
            provenance.append(Provenance(field, method, tag or "page markup"))
        return value or None

    title = backed("title", document.title)
    standfirst = backed("standfirst", document.description or _first(markup, "standfirst"))
    found = page_authors(document.author, markup, url)
    authors = found.names if found else ()
    if found:
        provenance.append(Provenance("authors", found.method, found.evidence))
    outlet = _outlet(hints, markup, url, url_evidence, provenance)
    published, precision = _published(document.date, markup, hints, upper, provenance, flags)
    modified = _modified(markup, provenance)
    language = _language(markup, provenance)
    paragraphs = list(_paragraphs(body)) if body is not None else []
    text = body_text(_without_lead(paragraphs, markup, title, standfirst))
    if not text:
        flags.append("no-body")
    return Extraction(
        text=text,
        title=title,
        standfirst=standfirst,
        authors=authors,
        outlet=outlet,
        published_at=published,
        published_precision=precision,
        modified_at=modified,
        language=language,
        provenance=tuple(provenance),
        flags=tuple(sorted(set(flags))),
    )


def _first(markup, field: str) -> str | None:
    return next((value for _, value in _candidates(markup, field) if value), None)


def _without_lead(paragraphs: list[str], markup, title, standfirst) -> list[str]:
    """The body without the headline and standfirst trafilatura keeps at its top.

    Why: a text capture's headline and standfirst are classed apart from its body, so the body
    of the same article must not hold them either, or the two would hash differently.
    """
    lead = {_fold(v) for v in (title, standfirst) if v}
    lead |= {_fold(v) for t, v in markup if t in ("<h1>", "<title>") and v}
    lead |= {_fold(v) for _, v in _candidates(markup, "standfirst") if v}
    start = 0
    while start < len(paragraphs) and _fold(paragraphs[start]) in lead | {""}:
        start += 1
    return paragraphs[start:]


def _outlet(hints, markup, url, url_evidence, provenance) -> str | None:
    if hints.outlet:
        provenance.append(Provenance("outlet", "capture-log", hints.evidence or ""))
        return hints.outlet
    found = outlet_from_domain(url, hints.domain_outlets) if url else None
    if found:
        evidence = found[1] if url_evidence == "capture URL" else f"{url_evidence}: {found[1]}"
        provenance.append(Provenance("outlet", "url-domain", evidence))
        return found[0]
    site = _site_name(markup)
    if site:
        provenance.append(Provenance("outlet", "html-meta", site[1]))
        return site[0]
    return None


def _published(found, markup, hints, upper, provenance, flags):
    if hints.published_at is not None:
        provenance.append(Provenance("published_at", "capture-log", hints.evidence or ""))
        return hints.published_at, logged_precision(hints)
    if not found:
        return None, None
    day = date.fromisoformat(found)
    for tag, value in _candidates(markup, "published_at"):
        moment = _parse_moment(value)
        if moment is not None and moment.date() == day:
            provenance.append(Provenance("published_at", "htmldate", f"{tag}={value!r}"))
            return _utc_with_precision(moment, flags)
    provenance.append(
        Provenance(
            "published_at", "htmldate", f"page markup (bounded {MIN_DATE}..{upper}, original date)"
        )
    )
    return datetime(day.year, day.month, day.day, tzinfo=UTC), "day"


def _modified(markup, provenance) -> datetime | None:
    for tag, value in _candidates(markup, "modified_at"):
        moment = _parse_moment(value)
        if moment is not None and moment.tzinfo is not None:
            provenance.append(Provenance("modified_at", "html-meta", f"{tag}={value!r}"))
            return moment.astimezone(UTC)
    return None


def _language(markup, provenance) -> str | None:
    for tag, value in _candidates(markup, "language"):
        match = _LANG.match(value.strip())
        if match:
            provenance.append(Provenance("language", "html-meta", f"{tag}={value!r}"))
            return match.group(0).lower()
    return None


def _parse_moment(value: str) -> datetime | None:
    try:
        return datetime.fromisoformat(value.strip().replace(" ", "T", 1))
    except ValueError:
        return None


def _utc_with_precision(moment: datetime, flags: list[str]) -> tuple[datetime, str]:
    has_time = (moment.hour, moment.minute, moment.second) != (0, 0, 0)
    if moment.tzinfo is None or not has_time:
        if has_time:
            flags.append("date-time-without-zone")
        return datetime(moment.year, moment.month, moment.day, tzinfo=UTC), "day"
    return moment.astimezone(UTC), "second" if moment.second else "minute"
