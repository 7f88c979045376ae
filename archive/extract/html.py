"""One HTML page to its capture text, body and metadata, each value with the markup it came from.

``extract_html`` decodes the page (BOM, then the charset declared by an HTTP header or the capture
log, then the page's own ``<meta charset>``, then strict UTF-8, then detection; the method that
decided is recorded), parses it **once** with lxml as trafilatura's own loader does, and every
reader shares that tree: trafilatura for the body (on its own copy, as it prunes what it reads),
``archive.extract.pagemeta`` for trafilatura's title, description, categories and, only when a
field needs them, its byline guess and htmldate's date, and this module's markup readers. The
body is rebuilt with ``archive.text.normalize.body_text`` from the paragraph elements of
trafilatura's output, so the same article hashes the same whether it was captured as plain text
or as HTML.

Every derived value names its source: ``html-meta`` with the tag (``meta[property="og:title"]``,
``json-ld NewsArticle.datePublished``, ``html[lang]``...) when a tag of the page holds that
value, ``trafilatura``/``htmldate`` with ``page markup`` when the library found it elsewhere.

Bodies, titles, outlets: the body keeps the text trafilatura holds outside paragraph elements
(after a heading or a list), drops the headline and a standfirst at its top, and keeps a first
paragraph that repeats the description when the page shows it is the story's (``_story_text``).
A title loses an outlet's name at its start or end only when the page (site name tags), the
capture log or the address names that outlet, and the cut is in its provenance; the outlet is
the site's own name, never a section name.

Dates (see ``_DATE_RULES``): ``published_at`` is asserted only from the page's own publication
markup (a publication tag, JSON-LD ``datePublished``; or two weaker sources, ``meta[name=date]``,
``<time datetime>``, the URL's date, that agree), never from htmldate's guess, a year or month
alone, or the URL alone: those stay ``candidate:...`` provenance entries. htmldate
(``original_date=True``: first publication, not the last update) is asked only when the markup
decides nothing, and its answer is such a candidate. Every date lies between ``MIN_DATE``
(1990-01-01: no news page predates the web) and an upper bound that never comes from the wall
clock, so a re-run gives the same answer: the capture's retrieval date plus one day (a page is
not published after it was fetched; the day covers time zones) when known, else the
``max_date`` the caller passes (``DEFAULT_MAX_DATE`` if none). As in ``archive.extract.dates``,
a time with a known offset becomes UTC at ``minute`` (or ``second``) precision and the offset is
kept (``published_utc_offset``), so the day the page stated can be shown; a date alone, or a
time without a zone, is midnight UTC of the printed day at ``day`` precision. ``modified_at`` comes
only from explicit modification tags (``article:modified_time``, ``dateModified``...), never
from htmldate's guess, so it is never confused with the publication date.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Callable, Iterator
from copy import copy
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from email.utils import parsedate_to_datetime

import lxml.html
from lxml import etree
from lxml.html import HtmlElement
from trafilatura import bare_extraction
from trafilatura.settings import Extractor
from trafilatura.utils import is_dubious_html, repair_faulty_html

from archive.extract.authors import ARTICLE_KIND, page_authors
from archive.extract.caches import cached_when_short
from archive.extract.dates import (
    MAX_DATE,
    MIN_DATE,
    URL_DAY,
    after_capture,
    dateline,
    filed_day,
)
from archive.extract.langtags import is_language
from archive.extract.language import body_language
from archive.extract.lines import UNSPACED, wordset
from archive.extract.outlets import NO_SITE_NAMES, name_key, outlet_from_domain
from archive.extract.pagemeta import PageMetadata, page_metadata
from archive.extract.titles import domain_keys, site_named, title_without_names, written_domains
from archive.format import boundedjson
from archive.format.codings import decoded
from archive.model import (
    Extraction,
    Hints,
    Provenance,
    logged_precision,
    stated_date,
    utc_offset_minutes,
)
from archive.text.decode import Decoded, NotText, decode_bytes, decode_labelled, label_codecs
from archive.text.normalize import body_text, normalize_text

DEFAULT_MAX_DATE = MAX_DATE
MAX_HTML_BYTES = 64 * 1024 * 1024
MAX_EXTRACTED_CHARS = 4 * 1024 * 1024  # a news page is well under 1 MB

_GZIP_MAGIC = b"\x1f\x8b"
_DEEP_PARSER = lxml.html.HTMLParser(huge_tree=True, encoding="utf-8")
# trafilatura's parser settings. lxml.html's own parser picks each element's class in Python
# (a form's <input> gets InputElement...), a call for every element object made: 2 million
# calls on 300 real pages, 2.5% of the instructions of their extraction. No reader here, in
# trafilatura or in htmldate uses those classes, so every element is an HtmlElement, picked in C.
_PARSER = etree.HTMLParser(
    collect_ids=False,
    default_doctype=False,
    encoding="utf-8",
    remove_comments=True,
    remove_pis=True,
)
_PARSER.set_element_class_lookup(
    etree.ElementDefaultClassLookup(
        element=HtmlElement,
        comment=lxml.html.HtmlComment,
        pi=lxml.html.HtmlProcessingInstruction,
        entity=lxml.html.HtmlEntity,
    )
)
_BOMS = (codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_META_CHARSET = re.compile(rb"""<meta[^>]*?charset\s*=\s*["']?\s*([a-zA-Z0-9_.:-]+)""", re.I)
_WS = re.compile(r"\s+")
_LANG = re.compile(r"^[a-zA-Z]{2,3}(?=$|[-_])")
_ITEMPROP_OR_AUTHOR_LINK = etree.XPath(".//a[@rel='author']|.//*[@itemprop]")
_ITEMPROP_NAME = etree.XPath(".//*[@itemprop='name']")
_DATELINE_TAGS = ("time", "span", "div", "p", "li", "small", "abbr", "dd", "header")
_DATELINE_CLASS = re.compile(r"date|time|publish|posted|byline|dateline|meta", re.I)
_CONTAINERS = {"list", "table", "quote", "div", "section", "body"}
# Elements of trafilatura's output that stand apart from the text around them (and its
# ``quote``, where it would join words: an inline <q> becomes one too, as a <blockquote>).
_BLOCKS = ("head", "p", "list", "item", "table", "row", "cell")


@dataclass(frozen=True)
class HtmlResult:
    """A decoded page and what was extracted from it.

    ``capture_text`` is the page source in canonical form (``normalize_text``);
    ``encoding``/``encoding_method`` say how the bytes were decoded (``bom``, ``http-header`` or
    ``capture-log``, ``meta-charset``, ``utf-8``, ``utf-8-repaired``, ``detected``), and
    ``encoding_confidence`` how sure a detected one is (``archive.text.legacy``);
    ``categories`` and ``site_name`` are kept here because ``Extraction`` has no field for them.
    """

    capture_text: str
    encoding: str
    encoding_method: str
    extraction: Extraction
    categories: tuple[str, ...] = ()
    site_name: str | None = None
    gzipped: bool = False
    encoding_confidence: int | None = None


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
    tree = _parsed(decoded.text)
    if tree is None:
        raise NotText("unsupported", "the bytes do not parse as an HTML document")
    if _TRANSLATOR_MARK in decoded.text:
        _drop_translator(tree)
    markup = _markup_values(tree)
    url, url_evidence = _page_url(hints, markup)
    upper = _upper_date(hints, max_date)
    site = _site_name(markup, url)
    categories: tuple[str, ...] = ()
    if len(decoded.text) > MAX_EXTRACTED_CHARS:
        extraction = _over_budget(decoded.text)
    else:
        body = _body(tree, url)
        metadata = page_metadata(tree, url, MIN_DATE, upper)
        categories = metadata.categories
        page = _Page(markup, url, url_evidence, upper, tree, site)
        extraction = _extraction(metadata, body, hints, page)
        if "no-body" in extraction.flags:
            extraction = _deep_page_fallback(extraction, decoded.text, tree)
    if decoded.flags:
        flags = tuple(sorted(set(extraction.flags) | set(decoded.flags)))
        extraction = replace(extraction, flags=flags)
    return HtmlResult(
        capture_text=capture_text,
        encoding=decoded.encoding,
        encoding_method=decoded.method,
        extraction=extraction,
        categories=categories,
        site_name=site[0] if site else None,
        gzipped=gzipped,
        encoding_confidence=decoded.confidence,
    )


def _parsed(text: str) -> HtmlElement | None:
    """The page's tree as ``trafilatura.utils.load_html`` parses a decoded page (its repairs,
    its retry from bytes, its rejection of a tree too small for a page that names no ``html``),
    with ``_PARSER``."""
    beginning = text[:50].lower()
    text = repair_faulty_html(text, beginning)
    try:
        tree = lxml.html.fromstring(text, parser=_PARSER)
    except (ValueError, etree.LxmlError):  # a str that declares its encoding, an empty page
        tree = None
    if tree is None or len(tree) < 1:
        tree = _parsed_bytes(text)
    if tree is not None and is_dubious_html(beginning) and len(tree) < 2:
        return None
    return tree


# Google Translate's tooltip (``<div id="goog-gt-tt">`` with its ``<h1>Original text</h1>``),
# which the translation widget or a browser writes into the page it shows: not the publisher's
# text. Its lone <h1> became the title of two real pages.
_TRANSLATOR_MARK = "goog-gt-"
_TRANSLATOR = etree.XPath(f"//*[starts-with(@id, '{_TRANSLATOR_MARK}')]")


def _drop_translator(tree: HtmlElement) -> None:
    for element in _TRANSLATOR(tree):
        if element.getparent() is not None:
            element.drop_tree()


def _parsed_bytes(text: str) -> HtmlElement | None:
    try:
        return lxml.html.fromstring(text.encode("utf8", "surrogatepass"), parser=_PARSER)
    except (ValueError, etree.LxmlError):
        return None


def _over_budget(text: str) -> Extraction:
    """A page over ``MAX_EXTRACTED_CHARS``: trafilatura's time grows faster than the page
    (68 s for 16 MB), so such a page is not handed to it and never stalls a pack. Its visible
    text is the body, flagged ``extraction-over-budget``; the size, not a clock, decides, so
    every machine gives the same record. (The body's source is said by the flag: the record
    schema has provenance for the fields it names, and the body is none of them.)"""
    body = body_text(_visible_text(text).split("\n"))
    return Extraction(
        text=body,
        flags=("extraction-over-budget",) if body else ("extraction-over-budget", "no-body"),
    )


def _deep_page_fallback(extraction: Extraction, text: str, tree: HtmlElement) -> Extraction:
    """A page nested deeper than libxml2's default limit (255 levels) loses everything below
    it in the parse, and so its body: parsed again without the limit, its visible text becomes
    the body, paragraph by line, flagged ``body-plain-text-fallback``. Pages that simply have
    no body (a menu, a sign-in wall) keep ``no-body``: the deep parse finds no more text."""
    visible = _visible_text(text)
    if len(visible) <= len(_shown_text(tree)):
        return extraction
    body = body_text(visible.split("\n"))
    flags = {*extraction.flags, "body-plain-text-fallback"} - {"no-body"}
    return replace(extraction, text=body, flags=tuple(sorted(flags)))


def _visible_text(text: str) -> str:
    """The page's text as a reader sees it, parsed without libxml2's depth limit."""
    # Bytes, not str: lxml refuses a str that declares an encoding (<?xml ... encoding=?>).
    deep = lxml.html.document_fromstring(text.encode("utf-8"), parser=_DEEP_PARSER)
    return _shown_text(deep)


def _shown_text(tree: HtmlElement) -> str:
    """The text of ``tree`` a reader sees: without scripts, styles and the head."""
    shown = tree.xpath(
        "//text()[not(ancestor::script or ancestor::style or ancestor::noscript or ancestor::head)]"
    )
    return normalize_text("".join(shown))


# --- bytes to text ----------------------------------------------------------------------------


def _gunzipped(raw: bytes) -> bytes:
    """The page a ``.html.gz`` file holds, its gzip members one after another."""
    try:
        data, flag = decoded(raw, "gzip", MAX_HTML_BYTES)
    except ValueError as exc:
        raise NotText("undecodable", f"damaged {exc}") from None  # "gzip: ..."
    if data is None:
        raise NotText("too-large", f"the page inflates to more than {MAX_HTML_BYTES} bytes")
    if flag == "content-encoding-truncated":
        raise NotText("undecodable", "truncated gzip data: the file ends inside the stream")
    return data


def _decoded(raw: bytes, declared: str | None, source: str) -> Decoded:
    """Decode with the strongest evidence that works; say which evidence it was.

    The declared charset (``source``), then the page's ``<meta>``, read as browsers read them
    (``archive.text.decode.decode_labelled``: a page that is UTF-8 is UTF-8, whatever a label
    says). A byte-order mark, NUL bytes (binary, or a stray few left out) and empty input take
    ``decode_bytes``'s rules, and so does a page no label nor UTF-8 reads and no label's
    reading applies to (repair, then the browser reading of ``archive.text.legacy``, with its
    confidence). The label paths skip its control-character census: a full scan of every page
    for a flag that trafilatura's parser makes moot (it drops those characters) costs ~10% of
    the extraction.
    """
    if not raw or raw.isspace() or raw.startswith(_BOMS) or b"\x00" in raw:
        decoded = decode_bytes(raw, next(iter(label_codecs(declared)), None))
        return replace(decoded, method=source) if decoded.method == "declared" else decoded
    labelled = (
        (label_codecs(declared), source),
        (label_codecs(_meta_charset(raw), in_page=True), "meta-charset"),
    )
    return decode_labelled(raw, labelled) or decode_bytes(raw)


def _meta_charset(raw: bytes) -> str | None:
    if raw.startswith(_BOMS):
        return None
    match = _META_CHARSET.search(raw, 0, 4096)
    return match.group(1).decode("ascii") if match else None


# --- what the markup says ----------------------------------------------------------------------


def _markup_values(tree: HtmlElement) -> _Markup:
    """Every (tag, value) pair of the page that can back a field, in document order."""
    found: list[tuple[str, str]] = []
    lang = tree.get("lang") or tree.get("xml:lang")
    if lang:
        found.append(("html[lang]", lang))
    elements = _markup_elements(tree)
    for meta in elements["meta"]:
        if meta.get("content") is None:
            continue
        if meta.get("itemprop") and _outside_the_story(meta):
            continue  # microdata of another story: a related item's date or author
        content = _WS.sub(" ", meta.get("content", "")).strip()
        for attr in ("property", "name", "itemprop", "http-equiv"):
            key = meta.get(attr)
            if key and content:
                found.append((f'meta[{attr}="{key.lower()}"]', content))
                break
    for link in elements["link"]:
        if link.get("rel") == "canonical" and link.get("href"):
            found.append(('link[rel="canonical"]', link.get("href")))
    story: set[str] | None = None  # the first article's headline (and name), folded
    for script in elements["script"]:
        if script.get("type") != "application/ld+json":
            continue
        for is_article, pairs in _json_ld_items(script.text or ""):
            titles = {_fold(v) for t, v in pairs if t.endswith((".headline", ".name")) and v}
            if is_article and story is not None and not titles & story:
                # another story's (a related story, a list; not a second item of the same
                # headline, as an AMP or a theme's beside the SEO plugin's): its date tells the
                # date rule that the page lists articles; its other values are not this
                # page's, named as another item's so that no field takes them (and a guess
                # naming its author is turned down, as one naming any item's author)
                pairs = [
                    (t if t.endswith(".datePublished") else _ANOTHER + t.partition(".")[2], v)
                    for t, v in pairs
                ]
            if is_article and story is None:
                story = titles
            found.extend(pairs)
    for title in elements["title"]:
        if not any(a.tag == "svg" for a in title.iterancestors()):  # not an icon's tooltip
            found.append(("<title>", _WS.sub(" ", title.text_content()).strip()))
    headlines = elements["h1"]
    for h1 in headlines:
        found.append(("<h1>", _WS.sub(" ", h1.text_content()).strip()))
    for time in elements["time"]:
        if time.get("datetime") is None or _outside_the_story(time) or _update_time(time):
            continue
        tag = "article time[datetime]" if _article_time(time) else "time[datetime]"
        found.append((tag, time.get("datetime")))
    visible = _visible_dateline(tree, headlines)
    if visible:
        found.append(visible)
    dated, authors = _itemprops(tree)
    for element in dated:
        value = element.get("datetime") or element.get("content") or element.text_content()
        found.append(('[itemprop="datepublished"]', _WS.sub(" ", value).strip()))
    for author in authors:
        # a Person's own name elements, whose texts its text runs together ("Ann LeeBo Chen")
        for n in (author.get("itemprop") and _own_names(author)) or [author]:
            value = n.get("content", "") if n.tag == "meta" else n.text_content()
            found.append(('[rel="author"]', _WS.sub(" ", value).strip()))
    return _Markup(found)


def _own_names(item: HtmlElement) -> list[HtmlElement]:
    """An author item's own ``itemprop="name"`` elements (a schema.org Person's names, whose
    texts run together unspaced in the item's), not those of an item inside it (the
    Organization of its ``affiliation`` or ``worksFor``)."""
    return [
        n
        for n in _ITEMPROP_NAME(item)
        if not any(a.get("itemscope") is not None for a in _ancestors_below(n, item))
    ]


def _ancestors_below(element: HtmlElement, top: HtmlElement) -> Iterator[HtmlElement]:
    for ancestor in element.iterancestors():
        if ancestor is top:
            return
        yield ancestor


_MARKUP_TAGS = ("meta", "link", "script", "title", "h1", "time")


def _markup_elements(tree: HtmlElement) -> dict[str, list[HtmlElement]]:
    """The page's elements of each of ``_MARKUP_TAGS`` below its root, in document order:
    one walk over the page for all of them."""
    elements: dict[str, list[HtmlElement]] = {tag: [] for tag in _MARKUP_TAGS}
    for element in tree.iterdescendants(_MARKUP_TAGS):
        elements[element.tag].append(element)
    return elements


def _itemprops(tree: HtmlElement) -> tuple[list[HtmlElement], list[HtmlElement]]:
    """The elements, in document order, that state a publication date by ``itemprop`` (any
    ``datePublished`` spelling with a lower-case p, ``<meta>`` aside: read with the other
    metas), and those that name an author (``<a rel="author">``, ``itemprop="author"``).
    One search for every element with an ``itemprop``, sorted in Python: an XPath test of the
    attribute's value runs for every element of the page (three times the time)."""
    dated, authors = [], []
    for element in _ITEMPROP_OR_AUTHOR_LINK(tree):
        prop = element.get("itemprop")
        if prop == "author" or (element.tag == "a" and element.get("rel") == "author"):
            authors.append(element)
        dates = prop and element.tag != "meta" and prop.replace("P", "p") == "datepublished"
        if dates and not _outside_the_story(element):
            dated.append(element)
    return dated, authors


def _site_header(element: HtmlElement) -> HtmlElement | None:
    """The site's ``<header>`` that holds ``element``, or None: a ``<header>`` outside every
    ``<article>`` that holds a ``<nav>``, where a page shows its logo, its menu and the day it
    is viewed."""
    chain = [element, *element.iterancestors()]
    for at, ancestor in enumerate(chain):
        if ancestor.tag == "header" and ancestor.find(".//nav") is not None:
            return None if any(outer.tag == "article" for outer in chain[at:]) else ancestor
    return None


def _outside_the_story(element: HtmlElement) -> bool:
    """Whether ``element`` is in a photo caption (``<figcaption>``), a navigation block
    (``<nav>``), an ``<aside>`` outside every ``<article>``, a block of readers' comments or of
    other stories (by its class or id, or a schema.org ``Comment`` item), even inside the
    article: a date there is a photo's, the site's, a comment's or another story's (related
    stories, most read), never the page's own. An aside inside the article is often the
    story's own sidebar of category, date and reading time."""
    chain = [element, *element.iterancestors()]
    for at, ancestor in enumerate(chain):
        if ancestor.tag in ("figcaption", "nav"):
            return True
        if ancestor.tag == "aside":
            return all(outer.tag != "article" for outer in chain[at + 1 :])
        if (
            ancestor is not element
            and ancestor.tag != "article"
            and _elsewhere(ancestor.get("class"), ancestor.get("id"))
            and ancestor.find(".//h1") is None  # a block holding the page's headline is its own
        ):
            return True
        if "Comment" in ancestor.get("itemtype", ""):
            return True
    return False


@cached_when_short(4096)  # a page's blocks repeat a few class names
def _elsewhere(class_: str | None, id_: str | None) -> bool:
    """Whether a block's class or id names readers' comments or other stories (``_ELSEWHERE``)."""
    return bool(_ELSEWHERE.search(f" {class_ or ''} {id_ or ''} "))


# A block of readers' comments or of other stories, by a whole word of its class or id (not
# ``has-comments`` on the article itself, nor ``comment-count`` in its header)
_ELSEWHERE = re.compile(
    r"\s(?:comments?|comment-(?:list|section|thread|item|body)|commentlist|disqus_thread|"
    r"related(?:-(?:stories|articles|posts|links))?|recommended(?:-\w+)?|more-stories|"
    r"most-(?:read|popular|viewed)|read-next|trending)\s",
    re.I,
)


def _article_time(time: HtmlElement) -> bool:
    """Whether a ``<time>`` is placed or named as its article's date: inside ``<article>``,
    marked ``pubdate``, or classed as a date, or its parent is (``<div class="post-date">``)."""
    if time.get("pubdate") is not None or _DATELINE_CLASS.search(time.get("class", "")):
        return True
    parent = time.getparent()
    if parent is not None and _DATELINE_CLASS.search(parent.get("class", "")):
        return True
    return any(parent.tag == "article" for parent in time.iterancestors())


def _update_time(time: HtmlElement) -> bool:
    """Whether a ``<time>`` is shown as an update's (``Updated <time>``): the moment a story
    changed, never when it was published. Not by its class: WordPress themes class the
    publication time ``entry-date published updated`` (hAtom's names)."""
    parent = time.getparent()
    before = time.getprevious()
    label = before.tail if before is not None else parent.text if parent is not None else ""
    return bool(label and _UPDATE_LABEL.search(label))


# the words a page prints before an update's time, in the languages of its dates
_UPDATE_LABEL = re.compile(
    r"(?:updated|last (?:updated|modified)|modified|edited|aktualisiert|mis à jour|"
    r"actualizado|actualizada|aggiornato|bijgewerkt|atualizado)\W*(?:on|at|:)?\s*$",
    re.I,
)


def _visible_dateline(tree: HtmlElement, headlines: list[HtmlElement]) -> tuple[str, str] | None:
    """(tag, text) of the page's visible publication dateline: a short element, classed as a
    date or byline, whose text is a dateline and nothing else (``archive.extract.dates.dateline``),
    what a reader sees. The one nearest a headline (``<h1>``) wins, if near enough; else the
    first one, tagged ``_DISTANT_DATELINE`` when the page has a headline it is far from. A date
    in the site's header gives way to any other (``_without_banners``).

    Why the headline: the dateline a publisher gives its story sits in the headline block (kicker,
    byline, standfirst). On real pages a dateline thousands of characters away from every ``<h1>``
    is a current-date banner, a comment's or a related story's date far more often than the
    story's own. Datelines of one element and class that state different dates are a list's
    (related stories, comments, a listing page's posts) and are skipped, unless one touches a
    headline (no shown text between them) of its own item: a list whose items each have a
    headline and a dateline, not a listing's heading over its first post's date.
    ``headlines``: the page's ``<h1>`` elements.
    """
    datelines = []
    for element in tree.iter(_DATELINE_TAGS):
        get = element.get
        if not _dateline_names(element.tag == "time", get("class"), get("id"), get("itemprop")):
            continue
        if get("datetime") is not None:
            continue
        text = _WS.sub(" ", element.text_content()).strip()
        if not 6 <= len(text) <= 80:
            continue
        if element.find(".//time[@datetime]") is not None:
            continue  # a <time datetime> is read by its datetime: its text is no second source
        if _outside_the_story(element):
            continue
        found, _ = dateline(text)
        if found and found[0].role == "published":
            datelines.append((element, text))
            if len(datelines) == _MAX_DATELINES:
                break
    if not datelines:
        return None
    # a date in the site's header is the day the page is viewed (``_without_banners``)
    banners = {e: header for e, _ in datelines if (header := _site_header(e)) is not None}
    spans = _text_spans(tree, {e for e, _ in datelines} | set(headlines)) if headlines else {}

    def gap(element: HtmlElement) -> int | None:
        return min((_gap(spans[element], spans[h1]) for h1 in headlines), default=None)

    listed = _listed(datelines)

    def heads_its_item(element: HtmlElement) -> bool:
        return any(
            _gap(spans[element], spans[h1]) == 0 and _own_headline(element, h1, listed)
            for h1 in headlines
        )

    kept = [(e, t) for e, t in datelines if e not in listed or heads_its_item(e)]
    kept = _without_banners(kept, banners, spans, headlines)
    if not kept:
        return None
    if not headlines:
        return "visible dateline", kept[0][1]
    near = [(g, i) for i, (e, _) in enumerate(kept) if (g := gap(e)) <= _HEADLINE_REACH]
    if near:
        # the nearest: a banner's date (the day the page is viewed) stands further off
        return "visible dateline", kept[min(near)[1]][1]
    return _DISTANT_DATELINE, kept[0][1]


def _without_banners(
    kept: list[tuple[HtmlElement, str]], banners: dict, spans: dict, headlines: list
) -> list[tuple[HtmlElement, str]]:
    """``kept`` without the datelines in the site's header (``banners``: element -> its
    header), the day the page is viewed: any other dateline is the story's before them. With
    none, such a date is the story's only where a headline outside that header follows it with
    no shown text between (a story's own header, holding its breadcrumb menu)."""
    others = [(e, t) for e, t in kept if e not in banners]
    if others or not banners:
        return others
    return [
        (e, t)
        for e, t in kept
        if any(
            _gap(spans[e], spans[h1]) == 0 and banners[e] not in h1.iterancestors()
            for h1 in headlines
        )
    ]


def _listed(datelines: list[tuple[HtmlElement, str]]) -> set[HtmlElement]:
    """The datelines another dateline of the same element and class contradicts."""
    texts: dict[tuple, set[str]] = {}
    for element, text in datelines:
        texts.setdefault((element.tag, element.get("class", "")), set()).add(text)
    return {e for e, _ in datelines if len(texts[(e.tag, e.get("class", ""))]) > 1}


def _own_headline(element: HtmlElement, headline: HtmlElement, listed: set) -> bool:
    """Whether ``headline`` is the listed dateline ``element``'s own. Not when another
    dateline of the list lies in what holds ``element`` below the nearest element holding
    both, nor in a post beside one of those (``_posts_alike``): a listing page's heading
    over its first post's date has the other posts' dates beside that date, in the list or
    in the posts next to the first. A story's own date by its headline has a
    timeline's or a live blog's entries elsewhere below the story, and the stories of a page
    each have theirs."""
    holders = [element, *element.iterancestors()]
    held = set(holders)
    common = next((a for a in (headline, *headline.iterancestors()) if a in held), None)
    if common is None:
        return False
    below = holders[: holders.index(common)]
    items = set(below) | {
        twin
        for holder in below[1:]
        for twin in holder.itersiblings(holder.tag, preceding=False)
        if _posts_alike(holder, twin)
    }
    return not any(
        other is not element and not items.isdisjoint(other.iterancestors()) for other in listed
    )


def _posts_alike(holder: HtmlElement, twin: HtmlElement) -> bool:
    """Whether ``twin`` is a post beside the post ``holder``, as a listing puts them: items
    or articles of one class, or elements of one class that each hold a heading. Not any
    wrapper of a date alike: a live blog's entries, a story's later updates."""
    if twin.get("class") != holder.get("class"):
        return False
    if holder.tag in ("li", "article"):
        return True
    return bool(holder.get("class")) and all(
        next(e.iter("h2", "h3", "h4"), None) is not None for e in (holder, twin)
    )


_TODAY = re.compile(r"today|current-?date|date-?today|header-?date", re.I)


@cached_when_short(4096)  # a page repeats a few class names many times, a site its pages'
def _dateline_names(time: bool, *names: str | None) -> bool:
    """Whether an element (a ``<time>`` or not) with these class, id and itemprop may be a
    dateline: a ``<time>`` is a date by its name, other elements by their class; never the
    site's banner of the day it is shown."""
    joined = " ".join(name or "" for name in names)
    return (time or bool(_DATELINE_CLASS.search(joined))) and not _TODAY.search(joined)


_MAX_DATELINES = 20
_HEADLINE_REACH = 1000  # characters of shown text between a dateline and the headline
_DISTANT_DATELINE = "visible dateline far from the headline"
_UNSHOWN = {"script", "style", "noscript", "template"}


def _text_spans(tree: HtmlElement, wanted: set[HtmlElement]) -> dict[HtmlElement, tuple[int, int]]:
    """The (start, end) offset of each ``wanted`` element in the page's shown text (stripped
    text pieces, without scripts and styles), walked without recursion (pages nest deeper than
    Python's stack) and no further than the last of them."""
    spans: dict[HtmlElement, tuple[int, int]] = {}
    starts: dict[HtmlElement, int] = {}
    hidden = 0
    offset = 0
    for event, element in etree.iterwalk(tree, events=("start", "end")):
        tag = element.tag
        shown = isinstance(tag, str) and tag not in _UNSHOWN
        if event == "start":
            if element in wanted:
                starts[element] = offset
            hidden += not shown
            if shown and not hidden:
                offset += len((element.text or "").strip())
        else:
            hidden -= not shown
            if element in wanted:
                spans[element] = (starts.pop(element), offset)
                if len(spans) == len(wanted):
                    break
            if not hidden:
                offset += len((element.tail or "").strip())
    return spans


def _gap(a: tuple[int, int], b: tuple[int, int]) -> int:
    """Characters of shown text between two spans (0 when one holds or overlaps the other)."""
    return max(a[0] - b[1], b[0] - a[1], 0)


def _json_ld_items(blob: str) -> Iterator[tuple[bool, list[tuple[str, str]]]]:
    """Each item of a JSON-LD blob (a ``@graph``'s too): whether it is an article
    (``ARTICLE_KIND``), and its (tag, value) pairs."""
    try:
        data = boundedjson.loads(blob)
    except ValueError:
        return
    if isinstance(data, dict):
        data = data.get("@graph", [data])
    for item in data if isinstance(data, list) else ():
        if not isinstance(item, dict):
            continue
        kind = item.get("@type", "Thing")
        kind = kind[0] if isinstance(kind, list) and kind else kind
        yield bool(ARTICLE_KIND.search(str(kind))), list(_item_values(item, kind))


def _item_values(item: dict, kind) -> Iterator[tuple[str, str]]:
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
            if key == "author" and _organisation(person):
                continue  # an author the page types as an organisation names no person
            name = person.get("name") if isinstance(person, dict) else person
            if isinstance(name, str):
                yield f"json-ld {kind}.{key}.name", name


def _organisation(item) -> bool:
    kinds = _as_list(item.get("@type")) if isinstance(item, dict) else []
    return any(isinstance(k, str) and _ORGANISATION.search(k) for k in kinds)


_ORGANISATION = re.compile(r"organi[sz]ation|corporation|newsmedia", re.I)


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
        "json-ld WebSite.name",
        'meta[name="application-name"]',
        'meta[name="publisher"]',
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


class _Markup(list):
    """The page's (tag, value) pairs in document order (``_markup_values``), which hold each
    field's candidates once they are asked for: a page asks for some fields several times."""

    def __init__(self, pairs: list[tuple[str, str]]) -> None:
        super().__init__(pairs)
        self.fields: dict[str, list[tuple[str, str]]] = {}
        self.tagged: dict[str, list[tuple[str, str]]] | None = None

    def candidates(self, field: str) -> list[tuple[str, str]]:
        if field not in self.fields:
            if self.tagged is None:
                self.tagged = {}
                for tag, value in self:
                    self.tagged.setdefault(tag, []).append((tag, value))
            self.fields[field] = list(_sourced(self, field, self.tagged))
        return self.fields[field]


def _candidates(markup: list[tuple[str, str]], field: str) -> Iterator[tuple[str, str]]:
    """The page's values for ``field``, strongest tag first (``_sourced``)."""
    if isinstance(markup, _Markup):
        return iter(markup.candidates(field))
    return _sourced(markup, field)


def _sourced(
    markup: list[tuple[str, str]], field: str, tagged: dict | None = None
) -> Iterator[tuple[str, str]]:
    """The page's values for ``field``, strongest tag first (``tagged``: the pairs by tag). A
    JSON-LD item's headline, description, author, publisher and modification date count only
    from an article (a description and a modification date from a ``WebPage`` too, the page
    itself): a ``WebSite``'s description is the site's tagline, a ``VideoObject``'s author and
    publisher (YouTube) are the video's."""
    for source in _SOURCES[field]:
        if source.startswith("json-ld *."):
            suffix = source[len("json-ld *") :]
            any_kind = suffix in _ANY_ITEM
            yield from (
                (t, v)
                for t, v in markup
                if t.startswith("json-ld ")
                and t.endswith(suffix)
                and t.count(".") == suffix.count(".")
                and (
                    (any_kind and not t.startswith(_ANOTHER))
                    or ARTICLE_KIND.search(kind := t[len("json-ld ") :].partition(".")[0])
                    or (suffix in _PAGE_ITEM and kind.endswith("Page"))
                )
            )
        elif tagged is not None:
            yield from tagged.get(source, ())
        else:
            yield from ((t, v) for t, v in markup if t == source)


_ANOTHER = "json-ld AnotherItem."  # a later article's values: no field's source
_ANY_ITEM = frozenset({".inLanguage"})  # a WebPage's or WebSite's language is the page's too
_PAGE_ITEM = frozenset({".dateModified", ".description"})  # a WebPage's are the page's


def _backing(markup: list[tuple[str, str]], field: str, value: str) -> str | None:
    """The tag whose value is (or contains) ``value``, for provenance."""
    wanted = _fold(value)
    for tag, found in _candidates(markup, field):
        if wanted and wanted in _fold(found):
            return f"{tag}={found!r}"
    return None


@cached_when_short(1024, chars=2000)  # a page folds its titles and paragraphs many times
def _fold(text: str) -> str:
    return _WS.sub(" ", text).strip().casefold()


def _site_name(markup: list[tuple[str, str]], url: str | None = None) -> tuple[str, str] | None:
    """The page's own name for its site, with its tag: a name the address agrees with
    (``The Harbour Courier`` at ``harbourcourier.example``) before the first-ranked tag's, and
    never a name that is only the page's section (``og:site_name`` ``Magazine`` beside
    ``article:section`` ``Magazine``, or a section's word alone, ``_is_section_word``; sites
    that give their own name as the section, at an address that agrees, keep it). See
    ``_address_names`` for the names the address agrees with."""
    own = domain_keys(url) if url else {}
    sections = {name_key(value) for _, value in _sections(markup)} - own.keys()
    found = [
        (tag, value)
        for tag, value in _candidates(markup, "site_name")
        if not value.startswith(("http:", "https:", "@"))
        and name_key(value)
        and name_key(value) not in sections
        and name_key(value) not in _SOFTWARE
        and not _is_section_word(value, own)
    ]
    agreed = _address_names(found, markup, own, url)
    if agreed:
        # A name written as words before the address's own label (``Miami Herald`` from the
        # title, where og:site_name says ``miamiherald``).
        return next((a for a in agreed if a[0] != own.get(name_key(a[0]))), agreed[0])
    if not found:
        return None
    tag, value = found[0]
    return value, f"{tag}={value!r}"


def _is_section_word(value: str, own: dict[str, str]) -> bool:
    """Whether a site-name tag's ``value`` is a word that names a section or a page, not a site
    (``_SECTION_WORDS``: "U.S." in og:site_name on a news agency's story), though no section tag
    says so. Not when the address agrees: it is the address's own name (sport.example), or
    that name's start before a word such as "mag" (Science at sciencemag.org); nor when it is
    written with its "The" ("The World", a programme's name)."""
    key = name_key(value)
    if key not in _SECTION_WORDS or value.casefold().startswith("the "):
        return False
    return not any(
        name == key or (name.startswith(key) and name[len(key) :] in _PUBLICATION_WORDS)
        for name in own
    )


# Words that name a section or a page of a site (``outlets.NO_SITE_NAMES``: "Sport", "Home"),
# or a region's desk ("U.S."), never the site itself
_SECTION_WORDS = NO_SITE_NAMES | wordset("africa americas asia europe uk us")
# What an address may add to a site's one-word name: sciencemag.org is Science's
_PUBLICATION_WORDS = wordset("daily journal mag magazine news online post times weekly")


# Publishing software a page may name as its application (``application-name``), never a site
_SOFTWARE = frozenset(
    ("wordpress", "drupal", "joomla", "ghost", "wix", "squarespace", "typo3", "hugo", "jekyll",
     "webflow", "weebly")
)  # fmt: skip


def _address_names(found, markup, own: dict[str, str], url: str | None) -> list[tuple[str, str]]:
    """(name, evidence) of the site names the address agrees with, strongest first: a site-name
    tag's value; then a value whose last part it agrees with (``E-books | BOOK☆WALKER``, kept
    whole), or whose first part it agrees with when the rest is a tagline (``Raw Story -
    Celebrating 18 Years of Independent Journalism`` at ``rawstory.com``: ``Raw Story``); then,
    only on a page whose site-name tags give no name but the address's own label
    (``miamiherald``), or none (every one a section's, ``_site_name``), the last part of its
    ``<title>`` as it names a text capture's site (``titles.site_named``: ``Story | Miami
    Herald``, ``Story | Los Angeles Times`` at latimes.com; not a platform's name, nor a
    section's). A title's part never outranks a tag's name, however the address spells it
    (``Story | WSJ`` beside ``The Wall Street Journal``)."""
    exact, partial = [], []
    for position, (tag, value) in enumerate(found):
        parts = _parts(value)
        keys = [name_key(part) for part in parts]
        shown = f"{tag}={value!r}"
        if name_key(value) in own:
            named = f" (the address names {own[name_key(value)]!r})" if position else ""
            exact.append((value, shown + named))
        elif len(keys) > 1 and keys[-1] in own:
            partial.append((value, f"{shown} (the address names {own[keys[-1]]!r})"))
        elif len(keys) > 1 and keys[0] in own:
            because = f"its tagline cut: the address names {own[keys[0]]!r}"
            partial.append((parts[0], f"{shown} ({because})"))
    agreed = exact + partial
    if all(own.get(name_key(value)) == value for value, _ in agreed) and len(agreed) == len(found):
        for tag, value in markup:
            if tag == "<title>" and len(parts := _parts(value)) > 1:
                # as a text's title names its site: a name the address shortens counts at the
                # end, a platform's or a section's never (``titles.site_named``)
                named = site_named(parts[-1], url) if url else None
                if named is not None:
                    because = f"its last part: the address names {named!r}"
                    agreed.append((parts[-1], f"{tag}={value!r} ({because})"))
                break  # the page's own title, the first
    return agreed


def _parts(value: str) -> list[str]:
    """``value``'s parts between taglines' separators (``_TAGLINE``), a separator left dangling
    at its end dropped (``Story - BOOK☆WALKER -``); those with no letter or digit left out."""
    value = " ".join(value.split())  # one space at most between words: no backtracking
    parts = [part.strip() for part in _TAGLINE.split(value.rstrip(" -–—|｜:·•"))]
    return [part for part in parts if any(ch.isalnum() for ch in part)]


# Between a site's name and a tagline, or a title's parts: a bar, or a dash, colon or bullet
# with spaces round it (a hyphen inside a name, ``Harbour-Courier``, is not one).
_TAGLINE = re.compile(r"\s*[|｜]\s*|\s+[-–—:·•]\s+")


def _sections(markup: list[tuple[str, str]]) -> Iterator[tuple[str, str]]:
    """The page's section names (``article:section``, JSON-LD ``articleSection``), with tags."""
    for tag, value in markup:
        if tag == 'meta[property="article:section"]' or (
            tag.startswith("json-ld ") and tag.endswith(".articleSection")
        ):
            yield tag, value


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


# Built once: its constructor reads trafilatura's configuration file each time. Text output
# (not ``python``) spares a text rendering of the body that is rebuilt here from its elements.
_OPTIONS = Extractor(output_format="txt", comments=False, tables=True)


def _body(tree: HtmlElement, url: str | None) -> HtmlElement | None:
    """trafilatura's body tree, or None when it finds too little text. It works on a copy:
    ``tree`` stays the page as parsed, for every other reader."""
    options = copy(_OPTIONS)
    options.url = options.source = url
    document = bare_extraction(tree, options=options)
    return None if document is None else document.body


def _paragraphs(element) -> Iterator[str]:
    """Paragraph texts of trafilatura's output tree (``<lb/>`` is a line break inside one).

    Text the tree holds outside any paragraph element (a container's own text, and the tail
    after a heading, list, formula or paragraph) is a paragraph of its own: trafilatura keeps it
    as story text, and its own text output prints it. The root's own text is not: trafilatura
    puts none there, except when it falls back to a page's lone navigation block.
    """
    for child in element:
        if child.tag == "row":
            yield " ".join(_text(cell) for cell in child)
        elif child.tag in _CONTAINERS and len(child):
            if child.text and child.text.strip():
                yield child.text
            yield from _paragraphs(child)
        else:
            yield _text(child)
        if child.tail and child.tail.strip():
            yield child.tail


def _text(element) -> str:
    """The text of one paragraph of trafilatura's tree: a line break at each ``<lb/>``, and a
    space round each block inside it (a list item's heading and paragraph, a nested list's
    items), which its text does not hold (``<head>Title</head><p>Text``: ``Title Text``); round
    a quotation where it would run two words together."""
    for lb in element.iter("lb"):
        lb.tail = "\n" + (lb.tail or "")
    for block in element.iterdescendants(*_BLOCKS, "quote"):
        before, parent = block.getprevious(), block.getparent()
        ahead = (before.tail if before is not None else parent.text) or ""
        # a quote is a <q> in its sentence or a <blockquote>: apart only where words would join
        inside = "".join(block.itertext()) if block.tag == "quote" else None
        if inside is None or _joins_words(ahead, inside):
            if before is not None:
                before.tail = ahead + " "
            else:
                parent.text = ahead + " "
        if inside is None or _joins_words(inside, block.tail or ""):
            block.tail = " " + (block.tail or "")
    return "".join(element.itertext())


def _joins_words(left: str, right: str) -> bool:
    """Whether ``left`` ends and ``right`` begins with a letter or digit of a script written
    with spaces: a quotation between them, joined to both, would run two words together (a
    block quotation, or the space trafilatura trims after an inline one)."""
    ends = left[-1:] + right[:1]
    return len(ends) == 2 and all(c.isalnum() and not UNSPACED.match(c) for c in ends)


# --- the extraction ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Page:
    """What is read from the page before its fields are chosen."""

    markup: list[tuple[str, str]]
    url: str | None
    url_evidence: str
    upper: date
    tree: HtmlElement
    site: tuple[str, str] | None


def _extraction(metadata: PageMetadata, body, hints: Hints, page: _Page) -> Extraction:
    markup, url, url_evidence, upper, tree = (
        page.markup,
        page.url,
        page.url_evidence,
        page.upper,
        page.tree,
    )
    provenance: list[Provenance] = []
    flags: list[str] = []

    def backed(
        field: str, value: str | None, cut: str = "", source: str | None = None
    ) -> str | None:
        if value:
            tag = _backing(markup, field, source or value)
            method = "html-meta" if tag else "trafilatura"
            provenance.append(Provenance(field, method, (tag or "page markup") + cut))
        return value or None

    outlet_provenance: list[Provenance] = []
    outlet = _outlet(hints, page.site, url, url_evidence, outlet_provenance)
    # an outlet read from the title's end is no evidence for cutting that end
    from_title = any(p.evidence.startswith("<title>=") for p in outlet_provenance)
    names = _site_names(markup, None if from_title else outlet, url, url_evidence)
    read = metadata.title
    tagged = [(tag, value) for tag, value in _candidates(markup, "title") if value]
    shown = [value for _, value in tagged]
    if read and shown and not any(_fold(read) in _fold(value) for value in shown):
        # trafilatura's title is no part of any title the page gives (a nested JSON-LD item's
        # headline, a live blog's latest update's): the page's own first title stands, when
        # another kind of headline tag holds it too (a portal's first <h1> alone is a box's,
        # a logo's <h1> a static <title> repeats is the site's name)
        first_tag, first = tagged[0]
        others = [v for t, v in tagged if t not in (first_tag, "<title>")]
        if any(_fold(first) in _fold(v) for v in others):
            read = first
    title, cuts = title_without_names(
        read or "", [*names, *written_domains(read or "")], _sections(markup)
    )
    title, cuts = _headline_part(title, tree, cuts)
    # a cut title is backed by the tag that holds the title as it was before the cuts
    if read and not any(_fold(value) == _fold(read) for value in shown):
        cuts.insert(0, f"trafilatura read {read!r}")
    title = backed("title", title, "".join(f"; {cut}" for cut in cuts), read)
    standfirst = backed("standfirst", metadata.description or _first(markup, "standfirst"))
    found = page_authors(metadata.author, markup, url)
    authors = found.names if found else ()
    if found:
        provenance.append(Provenance("authors", found.method, found.evidence))
    provenance.extend(outlet_provenance)
    published = _published(metadata.date, markup, url, hints, upper, provenance, flags)
    if published is not None and published.flag:
        flags.append(published.flag)
    modified = _modified(markup, provenance, hints, flags)
    language = _language(markup, provenance)
    at = len(provenance)
    paragraphs = list(_paragraphs(body)) if body is not None else []
    text = body_text(_without_lead(paragraphs, markup, title, standfirst, tree))
    if not text:
        flags.append("no-body")
    if language is None:  # the markup states none: the body's, as a text capture's is found
        found = body_language(text) if text else None
        if found is None:
            flags.append("language-unknown")
        else:
            language, entry = found
            provenance.insert(at, entry)
    return Extraction(
        text=text,
        title=title,
        standfirst=standfirst,
        authors=authors,
        outlet=outlet,
        published_at=published.moment if published else None,
        published_precision=published.precision if published else None,
        published_utc_offset=published.utc_offset if published else None,
        modified_at=modified[0] if modified else None,
        modified_utc_offset=modified[1] if modified else None,
        language=language,
        provenance=tuple(provenance),
        flags=tuple(sorted(set(flags))),
    )


def _first(markup, field: str) -> str | None:
    return next((value for _, value in _candidates(markup, field) if value), None)


def _without_lead(paragraphs: list[str], markup, title, standfirst, tree) -> list[str]:
    """The body without the headline and standfirst trafilatura keeps at its top.

    Why: a text capture's headline and standfirst are classed apart from its body, so the body
    of the same article must not hold them either, or the two would hash differently. A
    paragraph that only repeats a description tag is kept when the page shows it is the story's
    first paragraph (``_story_text``): many sites copy that paragraph into ``og:description``.
    """
    headline = {_fold(v) for v in (title,) if v}
    headline |= {_fold(v) for t, v in markup if t in ("<h1>", "<title>") and v}
    described = {_fold(v) for v in (standfirst,) if v}
    described |= {_fold(v) for _, v in _candidates(markup, "standfirst") if v}
    found: dict[str, list[tuple[int, HtmlElement]]] = {}
    starts: list[dict] = []  # built on the first question, as most pages ask none

    def holders(folded: str) -> list[tuple[int, HtmlElement]]:
        if folded not in found:
            starts[:] = starts or [_text_starts(tree)]
            found[folded] = _holders(starts[0], folded)
        return found[folded]

    start = 0
    while start < len(paragraphs):
        folded = _fold(paragraphs[start])
        lead = folded in headline or (
            folded in described and not _story_text(paragraphs, start, holders)
        )
        if folded and not lead:
            break
        start += 1
    return paragraphs[start:]


# class, id, itemprop or data-* words that mark a standfirst (English, and the words of the
# French, Spanish, Portuguese, German and Nordic newsrooms: chapo, entradilla, sapo...)
_STANDFIRST_WORDS = wordset(
    """
    standfirst summary dek deck excerpt teaser subtitle subhead subheadline strapline strap
    abstract description lead lede intro introduction chapo chapeau sapo entradilla bajada
    vorspann ingress
    """
)
_ATTR_WORDS = re.compile(r"[A-Z]?[a-z]+|[0-9]+")
_HEADINGS = frozenset(("h1", "h2", "h3", "h4", "h5", "h6"))
_NO_TEXT = frozenset(("script", "style", "title", "noscript", "template", "textarea", "head"))


def _story_text(paragraphs: list[str], index: int, holders: Callable) -> bool:
    """Whether ``paragraphs[index]``, equal to a description tag, is story text on the page.

    It is when a page element holding it is no standfirst (``_standfirst_mark``) and sits
    beside the element holding the next paragraph trafilatura kept (same container, same tag or
    a ``<p>``), as a story's paragraphs do; a standfirst sits apart (in the article's header,
    above the byline or the lead picture). A paragraph nothing follows is story text unless it
    is marked as a standfirst: dropping it would leave no body at all. A page may hold the words
    twice, as a standfirst and as the story's opening, where trafilatura kept one copy or both
    (next to each other): the copies the story holds are kept, the first ones go. Without that
    evidence the paragraph stays a lead.
    """
    folded = _fold(paragraphs[index])
    nth = sum(1 for p in paragraphs[:index] if _fold(p) == folded)
    copies = sum(1 for p in paragraphs[index : index + 4] if _fold(p) == folded)
    following = [_fold(p) for p in paragraphs[index + 1 :] if _fold(p) not in ("", folded)][:3]
    story = [
        element
        for position, element in holders(folded)[nth:]
        if not _standfirst_mark(element) and _beside_next(position, element, following, holders)
    ]
    return len(story) >= copies


def _beside_next(position: int, element: HtmlElement, following: list[str], holders) -> bool:
    """Whether ``element`` sits beside the first of the ``following`` paragraphs found after it
    (or is the last paragraph)."""
    if not following:
        return True
    for text in following:
        after = [e for p, e in holders(text) if p > position]
        if after:
            return _side_by_side(element, after[0])
    return False


def _text_starts(tree) -> dict[str, list[tuple[int, HtmlElement, str]]]:
    """Every run of the page's text (an element's own text, or the tail after a child, as in
    ``<p><img>The Wing announced...</p>``) by its first letter (casefolded), with its place in
    document order, the element it starts in and the run itself: one pass over the page serves
    every ``_holders`` question about it."""
    starts: dict[str, list[tuple[int, HtmlElement, str]]] = {}
    for position, element in enumerate(tree.iter()):
        for node, text in ((element, element.text), (element.getparent(), element.tail)):
            if text and node is not None and isinstance(node.tag, str) and node.tag not in _NO_TEXT:
                letter = text.lstrip()[:1].casefold()
                if letter:
                    starts.setdefault(letter, []).append((position, node, text))
    return starts


def _holders(starts, folded: str) -> list[tuple[int, HtmlElement]]:
    """The widest page elements whose whole text folds to ``folded``, in document order, each
    with the place where its text starts (``starts`` is ``_text_starts`` of the page)."""
    found: list[tuple[int, HtmlElement]] = []
    for position, element, text in starts.get(folded[:1], ()):
        if not folded.startswith(_fold(text)):
            continue
        node = element
        while node is not None and node.tag not in _NO_TEXT:
            whole = _fold(node.text_content())
            if whole == folded:
                node = _outermost(node, folded)
                if all(node is not e for _, e in found):
                    found.append((position, node))
                break
            if not folded.startswith(whole):
                break
            node = node.getparent()
    return found


def _outermost(element: HtmlElement, folded: str) -> HtmlElement:
    """The widest element around ``element`` holding the same text (``<p><b>..</b></p>``)."""
    while (parent := element.getparent()) is not None and parent.tag not in ("body", "html"):
        if _fold(parent.text_content()) != folded:
            break
        element = parent
    return element


def _standfirst_mark(element: HtmlElement) -> str | None:
    """What marks ``element`` as a standfirst: a heading tag, a standfirst word in the class,
    id, itemprop, role or data-* attributes of it or of its single-child wrappers, or an
    enclosing ``<header>``."""
    if element.tag in _HEADINGS:
        return f"<{element.tag}>"
    node = element
    while node is not None:
        for attr, value in node.attrib.items():
            if attr in ("class", "id", "itemprop", "role") or attr.startswith("data-"):
                words = {w.lower() for w in _ATTR_WORDS.findall(value)}
                words |= set(re.split(r"[^a-z0-9]+", value.lower()))
                if not words.isdisjoint(_STANDFIRST_WORDS):
                    return f"{node.tag}[{attr}={value!r}]"
        node = node.getparent() if node is not _slot(element) else None
    if element.tag == "header" or any(a.tag == "header" for a in element.iterancestors()):
        return "<header>"
    return None


_INLINE = wordset("a abbr b cite em font i mark q s small span strong sub sup u")


def _block(element: HtmlElement) -> HtmlElement:
    """The nearest element around ``element`` (itself included) that is not an inline one."""
    while element.tag in _INLINE and (parent := element.getparent()) is not None:
        element = parent
    return element


def _slot(element: HtmlElement) -> HtmlElement:
    """``element`` with the wrappers that hold nothing else (``<div><p>..</p></div>``)."""
    node = element
    while (parent := node.getparent()) is not None and parent.tag not in ("body", "html"):
        if (parent.text or "").strip() or sum(isinstance(c.tag, str) for c in parent) != 1:
            break
        node = parent
    return node


def _side_by_side(element: HtmlElement, following: HtmlElement) -> bool:
    """Whether two elements are neighbouring paragraphs of one container (an inline element,
    ``<p><img><strong>words</strong></p>``, stands where its block stands)."""
    element, following = _block(element), _block(following)
    mine, theirs = _slot(element), _slot(following)
    same_tag = element.tag == "p" or element.tag == following.tag
    return same_tag and mine.getparent() is theirs.getparent()


def _site_names(markup, outlet, url, url_evidence) -> list[tuple[str, str]]:
    """(``name_key``, evidence) of every name the page, the outlet and the address give its
    site: what a title may carry besides the story's own title."""
    names = [(name_key(v), f"{t}={v!r}") for t, v in _candidates(markup, "site_name") if v]
    if outlet:
        names.append((name_key(outlet), f"outlet {outlet!r}"))
    if url:
        source = "capture URL" if url_evidence == "capture URL" else url_evidence
        names += [(key, f"{source} {name!r}") for key, name in domain_keys(url).items()]
    return [(key, evidence) for key, evidence in names if key]


def _headline_part(title: str, tree: HtmlElement, cuts: list[str]) -> tuple[str, list[str]]:
    """``title`` cut to the part of it the page's headline (an ``<h1>`` of the story, not the
    site's logo or a banner in its header) shows alone, when the title sets that part between
    separators with other words, it is the longest part, only a one-word kicker comes before
    it (``Opinion | Story``, ``Story - Your Money Today - Your Life``), and no
    other ``<h1>`` shows another part (a page whose logo and story headings each show a part
    does not tell which is the story's). Any other title stays whole."""
    parts = _parts(title)
    if len(parts) < 2:
        return title, cuts
    at = max(range(len(parts)), key=lambda k: len(parts[k]))
    if not all(_kicker_short(part) for part in parts[:at]):
        return title, cuts
    headings = [(h, _WS.sub(" ", h.text_content()).strip()) for h in tree.iterfind(".//h1")]
    shown = [
        (h, text) for h, text in headings if _same_words(text, parts[at]) and _story_heading(h)
    ]
    if not shown:
        return title, cuts
    others = [part for k, part in enumerate(parts) if k != at]
    if any(_same_words(text, part) for _, text in headings for part in others):
        return title, cuts
    removed = ", ".join(repr(part) for part in others)
    return parts[at], [*cuts, f"{removed} removed (the page's <h1> is {shown[0][1]!r})"]


# A heading of the site, not of the story: its logo, name or banner
_SITE_HEADING = re.compile(r"logo|brand|masthead|site-?(?:title|name|header)|global-header", re.I)


def _same_words(text: str, part: str) -> bool:
    """Whether a heading's ``text`` is the title ``part`` (a last full stop apart)."""
    return _fold(text).rstrip("。.") == _fold(part).rstrip("。.") != ""


def _kicker_short(part: str) -> bool:
    """A label a title may open with (``Opinion``, ``Analysis``, ``独自``): one word, or a few
    characters of a script written without spaces. Two words may be a story's own short
    headline (``Ferry woes | Jane Doe's Island Notebook``)."""
    return " " not in part and (len(part) <= 6 or UNSPACED.search(part) is None)


def _story_heading(h1: HtmlElement) -> bool:
    """Whether an ``<h1>`` may be the story's headline: not in the site's navigation, footer
    or an aside, nor in a page header outside the article, nor classed as the site's logo or
    name, nor only a link to the site's front page."""
    ancestors = [h1, *h1.iterancestors()]
    in_article = any(a.tag == "article" for a in ancestors)
    for element in ancestors:
        if element.tag in ("nav", "footer", "aside") or (
            element.tag == "header" and not in_article
        ):
            return False
        if _SITE_HEADING.search(f"{element.get('class', '')} {element.get('id', '')}"):
            return False
    links = h1.findall(".//a[@href]")
    return not (len(links) == 1 and links[0].get("href").rstrip("/") in ("", "."))


def _outlet(hints, site, url, url_evidence, provenance) -> str | None:
    if hints.outlet:
        provenance.append(Provenance("outlet", "capture-log", hints.evidence or ""))
        return hints.outlet
    found = outlet_from_domain(url, hints.domain_outlets) if url else None
    if found:
        evidence = found[1] if url_evidence == "capture URL" else f"{url_evidence}: {found[1]}"
        provenance.append(Provenance("outlet", "url-domain", evidence))
        return found[0]
    if site:
        provenance.append(Provenance("outlet", "html-meta", site[1]))
        return site[0]
    return None


def _published(found, markup, url, hints, upper, provenance, flags) -> _Stated | None:
    """The publication date the page's evidence supports, else None (see ``_DATE_RULES``);
    ``found`` returns htmldate's answer.

    Why so strict: on real pages a tag such as ``article:published_time`` is right ~95% of the
    time, but ``meta[name=date]`` only ~75%, htmldate's reading of the page text ~80%, and a
    year alone almost never; a wrong date is worse than none.
    """
    if hints.published_at is not None:
        precision = logged_precision(hints)
        if after_capture(hints.published_at, precision, hints.retrieved_at):
            # the log contradicts itself, and which of its two times is wrong is not known
            flags.append("published-date-after-capture")
            return None
        provenance.append(Provenance("published_at", "capture-log", hints.evidence or ""))
        offset = hints.published_utc_offset if precision != "day" else None
        return _Stated(hints.published_at, precision, offset, hints.published_at.date(), "")
    evidence, every, late = _date_evidence(markup, url, upper, flags, hints.retrieved_at)
    if late:
        # a publication tag dated after the capture contradicts every other source (the flag
        # says the date is null): which of them is wrong is not known
        named = [e for e in evidence if e.strength != "guess"]
        if not named:
            return _no_date(evidence, provenance, flags, "published-date-after-capture", late)
        return _no_date(evidence, provenance, flags, "date-conflict", [*named, *late])
    strong = [e for e in evidence if e.strength == "tag" and e.stated.precision in _EXACT]
    exact = [e for e in evidence if e.strength != "guess" and e.stated.precision in _EXACT]
    if strong:
        chosen = strong[0]
        stated, zone = _in_stated_zone(chosen, exact)
        against = [e for e in exact if e.checks and _apart(stated, e.stated)]
        if against:
            return _no_date(evidence, provenance, flags, "date-conflict", [chosen, *against])
        provenance.append(Provenance("published_at", "html-meta", chosen.shown))
        named = {chosen.group}
        if zone is not None:
            provenance.append(Provenance("published_at", zone.method, f"zone: {zone.shown}"))
            named.add(zone.group)
        _add_agreeing(named, stated.day, exact, provenance)
        return stated
    for i, first in enumerate(exact):
        backers = [e for e in exact[i + 1 :] if e.group != first.group and _same_day(first, e)]
        if backers:
            provenance.append(Provenance("published_at", first.method, first.shown))
            _add_agreeing({first.group}, first.stated.day, exact, provenance)
            return first.stated
    # Only here does htmldate's answer count (a candidate named in the provenance): it is asked
    # for now, not on the pages whose markup decides.
    evidence = _with_guess(evidence, every, found(), upper)
    return _no_date(evidence, provenance, flags, "date-unconfirmed", evidence)


_DATE_RULES = """
A date is asserted when a publication tag states a day that no other publication tag
contradicts. Publication tags: ``_PUBLICATION_TAGS``, the first JSON-LD article's
``datePublished``, and, on a page that says it is an article (``og:type``, a JSON-LD article),
the first ``<time datetime>`` placed or named as the article's date and the visible dateline (a
short ``<time>`` or element classed as a date whose whole text is a date) by the headline; that
dateline is one too on a page that declares no ``og:type``. Without one, two weaker independent
sources (``meta[name=date]``, one of ``_META_DATE_NAMES``, another JSON-LD ``datePublished``, the
first ``<time datetime>``, a visible dateline elsewhere or far from the headline, the URL's date)
must state the same day. A ``<time>``, a URL date or a far dateline that differs from a tag does
not contradict it: on real pages it is most often an update, a comment, a banner or a print
edition's date; a dateline by the headline that differs does (a re-published page). Two days
one apart do not contradict each other when one may be a UTC rendering of the other (a ``Z``
time, a day without a zone). A tag stated in UTC takes the publisher's zone from a source
stating the same instant with an offset, or showing its local time (the day it shows is kept).
htmldate's answer, a year or month alone, and a lone weak source are only candidates, kept in
the provenance with method ``candidate:...`` and never asserted.
"""


@dataclass(frozen=True)
class _Stated:
    """A date as its evidence stated it: the UTC instant (midnight UTC of the day at ``day``
    precision, or of the first day of the year or month), its precision, the stated UTC offset
    in minutes, and the calendar day in the stated zone (``None`` for a year or month)."""

    moment: datetime
    precision: str
    utc_offset: int | None
    day: date | None
    flag: str = ""


@dataclass(frozen=True)
class _Evidence:
    """One place of the page that states a publication date."""

    source: str  # the tag, ``url`` or ``htmldate``
    value: str
    stated: _Stated
    strength: str  # ``tag`` (enough alone), ``weak`` (needs another source), ``guess`` (never)
    group: str  # evidence of one group is not independent of another of the same group
    checks: bool  # whether a different day here contradicts a tag

    @property
    def method(self) -> str:
        return "url-date" if self.source == "url" else "html-meta"

    @property
    def shown(self) -> str:
        return f"{self.source}={self.value!r}"


_EXACT = ("day", "minute", "second")
_LIVE_BLOG = "json-ld LiveBlogPosting."
_PUBLICATION_TAGS = (
    'meta[property="article:published_time"]',
    'meta[property="og:article:published_time"]',
    'meta[itemprop="datepublished"]',
    '[itemprop="datepublished"]',
    'meta[name="pubdate"]',
    'meta[name="publishdate"]',
    'meta[name="publish-date"]',
    'meta[name="parsely-pub-date"]',
    'meta[name="dc.date.issued"]',
    'meta[name="dcterms.issued"]',
)
_WEAK_TAGS = ('meta[name="date"]', 'meta[name="dc.date"]', 'meta[name="dcterms.date"]')
# Other publication-date meta names publishers write (htmldate reads them too). One group: a
# CMS fills them all from one field, so they never confirm one another, only another source.
_META_DATE_NAMES = frozenset(
    (
        "article_date_original",
        "article:published",
        "citation_publication_date",
        "date_published",
        "datecreated",
        "dc.date.created",
        "dcterms.created",
        "displaydate",
        "og:published_time",
        "originalpublicationdate",
        "pdate",
        "pub_date",
        "publication_date",
        "publish_date",
        "published_date",
        "sailthru.date",
    )
)
_META_NAME = re.compile(r'meta\[(?:name|property|itemprop)="([^"]+)"\]')


@cached_when_short(1024)  # a page's tags are a few hundred of a few thousand kinds
def _meta_date_name(tag: str) -> bool:
    """Whether ``tag`` is a meta tag of one of ``_META_DATE_NAMES``."""
    named = _META_NAME.fullmatch(tag)
    return bool(named and named[1] in _META_DATE_NAMES)


_URL_MONTH = re.compile(r"/((?:19|20)\d\d)/([01]?\d)/")
_ISO_COARSE = re.compile(r"((?:19|20)\d\d)(?:-([01]\d))?")


def _date_evidence(
    markup, url: str | None, upper: date, flags: list[str], retrieved: datetime | None = None
) -> tuple[list[_Evidence], list[_Evidence], list[_Evidence]]:
    """Every date the page states for its publication, strongest first, within the bounds;
    every one it states, out of bounds too; and the publication tags among them that state a
    date after the capture: a day after ``upper``, or, for a time given with its zone, a moment
    after ``retrieved`` (``dates.after_capture``, the rule for log dates and datelines)."""
    out: list[_Evidence] = []
    # a live blog's times are its updates', newest first: none is its publication alone
    article = _article_page(markup) and not any(t.startswith(_LIVE_BLOG) for t, _ in markup)
    headline = any(tag == "<h1>" for tag, _ in markup)
    undeclared = not any(tag == 'meta[property="og:type"]' for tag, _ in markup)
    for tag, value in markup:
        strength, group = _date_source(tag, out, article, headline, undeclared)
        if strength is None:
            continue
        stated = _stated(value)
        if stated is not None:
            checks = strength == "tag" and group != "time"
            out.append(_Evidence(tag, value, stated, strength, group, checks))
    if url:
        out.extend(_url_evidence(url))
    late = [e for e in out if _after_capture(e.stated, upper, retrieved)]
    kept = [e for e in out if e not in late and (e.stated.day is None or e.stated.day >= MIN_DATE)]
    # a publication tag dated after the capture; not a <time>, which is often an event's
    late_tags = [e for e in late if e.strength == "tag" and e.checks]
    if late_tags:
        flags.append("published-date-after-capture")
    rank = {"tag": 0, "weak": 1, "guess": 2}
    ranked = sorted(kept, key=lambda e: (rank[e.strength], _source_rank(e.source)))
    return ranked, out, late_tags


def _after_capture(stated: _Stated, upper: date, retrieved: datetime | None) -> bool:
    if stated.day is not None and stated.day > upper:
        return True
    exact = stated.utc_offset is not None and stated.precision in ("minute", "second")
    return exact and retrieved is not None and after_capture(stated.moment, "minute", retrieved)


def _with_guess(evidence, stated: list[_Evidence], found: str | None, upper: date) -> list:
    """``evidence`` and, last (the weakest rank of all), htmldate's answer ``found``: a guess,
    unless a date the page states (``stated``, in bounds or not) is that day or its year or
    month alone."""
    if not found:
        return evidence
    day = date.fromisoformat(found)
    if any(e.stated.day == day or _widens(e.stated, day) for e in stated):
        return evidence
    if not MIN_DATE <= day <= upper:
        return evidence
    midnight = datetime(day.year, day.month, day.day, tzinfo=UTC)
    guess = _Stated(midnight, "day", None, day)
    return [*evidence, _Evidence("htmldate", found, guess, "guess", "htmldate", False)]


def _widens(coarse: _Stated, day: date) -> bool:
    """Whether ``day`` is htmldate's widening of a year or month alone (to a 1st of the month)."""
    m = coarse.moment
    if coarse.precision == "year":
        return m.year == day.year
    return coarse.precision == "month" and (m.year, m.month) == (day.year, day.month)


def _article_page(markup) -> bool:
    """Whether the page says it is an article (``og:type``, or a JSON-LD article)."""
    for tag, value in markup:
        if tag == 'meta[property="og:type"]' and value.strip().lower() in ("article", "blog"):
            return True
        if tag.startswith("json-ld ") and ARTICLE_KIND.search(tag.split(".", 1)[0]):
            return True
    return False


def _date_source(
    tag: str, so_far: list[_Evidence], article: bool, headline: bool, undeclared: bool
) -> tuple[str | None, str]:
    """How far a tag's date can be trusted, and its group; the first of a kind only.

    Why the first ``<time datetime>`` placed or named as the article's date, and the first
    visible dateline classed as a date, are each enough alone on an article page: on real pages
    they then are its date; elsewhere (a concert listing, a video, a company or song page) a
    first date is often some other event's. A visible dateline by the headline is also enough
    on a page that declares no ``og:type`` (many blogs and older news pages), and a dateline far
    from the headline never is. A ``<time>`` does not contradict a tag: when they differ, it is
    most often an update. A dateline that is a publication tag here does: it is what the reader
    is shown (a page re-published later keeps its first date there).
    """
    if tag in _PUBLICATION_TAGS:  # the first only: later ones are nested items' (comments...)
        return ("tag", tag) if not any(e.group == tag for e in so_far) else (None, "")
    if tag.startswith("json-ld ") and tag.endswith(".datePublished"):
        kind = tag[len("json-ld ") : -len(".datePublished")]
        strength = "tag" if ARTICLE_KIND.search(kind) else "weak"
        if any(e.group == f"json-ld {strength}" for e in so_far):
            return None, ""  # a list of related articles: only the first block is this page's
        return strength, f"json-ld {strength}"
    if tag in _WEAK_TAGS:
        return "weak", tag
    if _meta_date_name(tag):
        return "weak", "meta"
    if tag in ("time[datetime]", "article time[datetime]") and not any(
        e.group == "time" for e in so_far
    ):
        return ("tag" if article and tag != "time[datetime]" else "weak"), "time"
    if tag == "visible dateline":
        return ("tag" if article or (headline and undeclared) else "weak"), "visible"
    if tag == _DISTANT_DATELINE:
        return "weak", "visible"
    return None, ""


def _source_rank(source: str) -> int:
    key = "json-ld" if source.startswith("json-ld ") else source
    if _meta_date_name(source):
        key = "meta"
    return _SOURCE_ORDER.get(key, len(_SOURCE_ORDER))


_SOURCE_ORDER = {
    key: rank
    for rank, key in enumerate(
        (
            *_PUBLICATION_TAGS,
            "json-ld",
            *_WEAK_TAGS,
            "meta",
            "article time[datetime]",
            "time[datetime]",
            "visible dateline",
            _DISTANT_DATELINE,
            "url",
            "htmldate",
        )
    )
}


def _url_evidence(url: str) -> list[_Evidence]:
    path = url.split("?", 1)[0].split("#", 1)[0]
    m = URL_DAY.search(path)
    if m:
        stated_day = filed_day(m)
        if stated_day is None:
            return []
        midnight = datetime(stated_day.year, stated_day.month, stated_day.day, tzinfo=UTC)
        stated = _Stated(midnight, "day", None, stated_day)
        return [_Evidence("url", url, stated, "weak", "url", False)]
    m = _URL_MONTH.search(path)
    if m and 1 <= int(m[2]) <= 12:
        stated = _Stated(datetime(int(m[1]), int(m[2]), 1, tzinfo=UTC), "month", None, None)
        return [_Evidence("url", url, stated, "guess", "url", False)]
    return []


@cached_when_short(1024)  # a page often states one date in several tags
def _stated(value: str) -> _Stated | None:
    """A date value as a page states it (ISO 8601, RFC 2822, or a dateline), else None."""
    text = value.strip()
    coarse = _ISO_COARSE.fullmatch(text)
    if coarse:  # a year or a month alone: a precision of its own, never 1 January
        month = int(coarse[2] or 1)
        if not 1 <= month <= 12:
            return None
        precision = "month" if coarse[2] else "year"
        return _Stated(datetime(int(coarse[1]), month, 1, tzinfo=UTC), precision, None, None)
    moment = _parse_moment(text)
    if moment is None:
        found, _ = dateline(text[:120])
        if not found:
            return None
        d = found[0]
        day = stated_date(d.value, d.utc_offset, d.precision)
        return _Stated(d.value, d.precision, d.utc_offset, day, ",".join(d.flags))
    return _as_stated(moment)


def _as_stated(moment: datetime) -> _Stated:
    """The instant in UTC with the offset it was stated in; a date alone, or a time without a
    zone, is the printed day at ``day`` precision (a zone is never guessed)."""
    day = date(moment.year, moment.month, moment.day)
    midnight = datetime(day.year, day.month, day.day, tzinfo=UTC)
    has_time = (moment.hour, moment.minute, moment.second) != (0, 0, 0)
    if not has_time:
        return _Stated(midnight, "day", None, day)
    if moment.tzinfo is None:
        return _Stated(midnight, "day", None, day, "date-time-without-zone")
    precision = "second" if moment.second else "minute"
    return _Stated(moment.astimezone(UTC), precision, utc_offset_minutes(moment), day)


def _in_stated_zone(chosen: _Evidence, others: list[_Evidence]) -> tuple[_Stated, _Evidence | None]:
    """``chosen``'s date in the publisher's zone when it was stated in UTC and another source
    states the same instant in a zone, or the local time it shows (then the evidence for the
    zone); else ``chosen``'s date as it is.

    Why: a page may give ``2020-02-14T22:00Z`` in one tag and ``2020-02-15T07:00+09:00`` in
    another, or show "February 15, 2020 7:00am" beside the UTC tag; either says which day the
    publisher meant, and its UTC offset.
    """
    stated = chosen.stated
    if stated.precision == "day" or stated.utc_offset != 0:
        return stated, None
    for other in others:
        offset = other.stated.utc_offset if other.stated.moment == stated.moment else None
        if other.stated.precision == "day" or not offset:
            offset = _implied_offset(stated.moment, other)
        if offset:
            local = stated.moment + timedelta(minutes=offset)
            return replace(stated, utc_offset=offset, day=local.date()), other
    return stated, None


_CLOCK = re.compile(r"(?:T|\b)([0-2]?\d)[:.h]([0-5]\d)(?::[0-5]\d)?\s*([ap]\.?m\b\.?)?", re.I)


def _implied_offset(moment: datetime, other: _Evidence) -> int | None:
    """The UTC offset a zone-less local time implies for the instant ``moment``, when that time
    shows the same minute in a real zone (``_ZONE_OFFSETS``)."""
    if "date-time-without-zone" not in other.stated.flag or other.stated.day is None:
        return None
    clock = _CLOCK.search(other.value)
    if clock is None:
        return None
    hour, minute = int(clock[1]), int(clock[2])
    if clock[3]:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if clock[3][0].lower() == "p" else 0)
    if hour > 23:
        return None
    day = other.stated.day
    local = datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)
    minutes = (local - moment.replace(second=0, microsecond=0)).total_seconds() / 60
    return int(minutes) if minutes in _ZONE_OFFSETS else None


# The UTC offsets the world's zones have had since 1990, standard and summer time (IANA tz
# database: Caracas -4:30 until 2016, Pyongyang +8:30 until 2018, Norfolk +11:30 until 2015,
# Pitcairn -8:30 until 1998, ...), in minutes: a local time that differs from a UTC tag by any
# other amount (+13:30) shows another moment, an update's, not the tag's in some zone.
_ZONE_OFFSETS = frozenset(h * 60 for h in range(-12, 15)) | frozenset(
    (-570, -510, -270, -210, -150, 210, 270, 330, 345, 390, 510, 525, 570, 585, 630, 690, 765, 825)
)


def _same_day(a: _Evidence, b: _Evidence) -> bool:
    return a.stated.day == b.stated.day


def _apart(a: _Stated, b: _Stated) -> bool:
    """Whether two stated days contradict each other (see ``_DATE_RULES``)."""
    gap = abs((a.day - b.day).days)
    if gap == 0:
        return False
    return gap > 1 or not (_maybe_utc(a) or _maybe_utc(b))


def _maybe_utc(s: _Stated) -> bool:
    """Whether a stated day may be another zone's day: a UTC time, or a day whose zone is
    unknown (a bare date, a time without a zone)."""
    return s.utc_offset in (0, None)


def _add_agreeing(seen: set[str], day: date | None, exact: list[_Evidence], provenance) -> None:
    """Name the independent sources that state the same day: agreement is evidence too."""
    for e in exact:
        if e.group not in seen and e.stated.day == day:
            seen.add(e.group)
            provenance.append(Provenance("published_at", e.method, f"agrees: {e.shown}"))


def _no_date(evidence, provenance, flags, flag: str, named: list[_Evidence]) -> None:
    """No date: the flag says why, the provenance keeps each candidate with its method."""
    if named:
        flags.append(flag)
    for e in named:
        day = e.stated.day.isoformat() if e.stated.day else e.stated.moment.strftime("%Y-%m")
        how = "htmldate-text" if e.source == "htmldate" else e.method
        evidence = f"{e.shown} ({e.strength}, {e.stated.precision} {day})"
        provenance.append(Provenance("published_at", f"candidate:{how}", evidence))
    return None


def _modified(markup, provenance, hints, flags) -> tuple[datetime, int | None] | None:
    """The page's modification moment, from the first tag stating one with its zone, or None:
    also when that moment cannot be one: before ``MIN_DATE``, as a CMS's 1970 default is, or
    later than the capture (flagged). One before the publication is kept: a scheduled post's
    last edit precedes its publication."""
    for tag, value in _candidates(markup, "modified_at"):
        stated = _parse_moment(value)
        if stated is None or stated.tzinfo is None:
            continue
        moment = stated.astimezone(UTC)
        if moment.date() < MIN_DATE:
            return None
        if after_capture(moment, "second", hints.retrieved_at):
            flags.append("modified-date-after-capture")
            return None
        provenance.append(Provenance("modified_at", "html-meta", f"{tag}={value!r}"))
        return moment, utc_offset_minutes(stated)
    return None


def _language(markup, provenance) -> str | None:
    for tag, value in _candidates(markup, "language"):
        match = _LANG.match(value.strip())
        if match and is_language(match.group(0)):
            provenance.append(Provenance("language", "html-meta", f"{tag}={value!r}"))
            return match.group(0).lower()
    return None


_SLASHED_DAY = re.compile(r"((?:19|20)\d\d)/(\d\d?)/(\d\d?)(?=$|[ T])")
_LOOSE_OFFSET = re.compile(r"(?<=\d)([+-])(\d\d?)[.:]?(\d\d)$")


def _parse_moment(value: str) -> datetime | None:
    """An ISO 8601 or RFC 2822 moment; also the forms pages write beside them: a year first
    day with slashes (``2023/02/21 21:20``) and an offset with a dot or one hour digit
    (``+5.30``)."""
    text = _SLASHED_DAY.sub(lambda m: f"{m[1]}-{int(m[2]):02d}-{int(m[3]):02d}", value.strip())
    text = _LOOSE_OFFSET.sub(lambda m: f"{m[1]}{int(m[2]):02d}:{m[3]}", text)
    try:
        return datetime.fromisoformat(text.replace(" ", "T", 1))
    except ValueError:
        pass
    try:
        return parsedate_to_datetime(text) if "," in text or ":" in text else None
    except (TypeError, ValueError, IndexError):
        return None
