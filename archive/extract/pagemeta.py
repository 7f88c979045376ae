"""trafilatura's metadata of a parsed page, read from the page's one tree, each costly step only
when a field asks for it.

``page_metadata`` gives what ``trafilatura.metadata.extract_metadata`` gives for the fields
``archive.extract.html`` reads (title, description, categories, author, htmldate's date), step
by step as it computes them, and without the site name, tags and licence nothing here reads.
The author and the date are functions: trafilatura's byline search prunes a copy of the whole
page and htmldate searches its text, and a page whose tags name its authors, or state its date,
needs neither.

Two of trafilatura's searches are replaced by equivalents: its six category link paths all
end in a link whose address must hold ``/categor``, so a page with no such link (most pages)
skips them; and its byline search (``byline_of``), which copies the whole page to prune it and
runs five XPath searches with a regular expression test of every element, is made in one walk
over the page, without the copy.

``tests/test_pagemeta.py`` holds ``page_metadata`` to trafilatura's ``extract_metadata``.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from datetime import date
from functools import cache
from html import unescape
from re import compile as re_compile

from htmldate import find_date
from lxml.etree import Element
from lxml.html import HtmlElement
from trafilatura.json_metadata import normalize_authors
from trafilatura.metadata import (
    examine_meta,
    extract_author,
    extract_catstags,
    extract_meta_json,
    extract_title,
    extract_url,
)
from trafilatura.utils import line_processing, trim


@dataclass(frozen=True)
class PageMetadata:
    """trafilatura's metadata fields of one page, trimmed as its ``Document.clean_and_trim``
    leaves them; ``author()`` and ``date()`` compute theirs on first call."""

    title: str | None
    description: str | None
    categories: tuple[str, ...]
    author: Callable[[], str | None]
    date: Callable[[], str | None]


def page_metadata(
    tree: HtmlElement, url: str | None, min_date: date, max_date: date
) -> PageMetadata:
    """trafilatura's metadata of ``tree`` (htmldate with ``original_date`` and extensive
    search, between ``min_date`` and ``max_date``). ``tree`` is not modified; htmldate and the
    byline search work on copies."""
    found = examine_meta(tree)
    if found.author and " " not in found.author:
        found.author = None
    with suppress(Exception):  # trafilatura's own guard: its JSON-LD reader fails on odd blobs
        found = extract_meta_json(tree, found)
    title = found.title or extract_title(tree)
    categories = found.categories or categories_of(tree)

    @cache
    def author() -> str | None:
        return _trimmed(found.author or byline_of(tree))

    @cache
    def published() -> str | None:
        params = {
            "original_date": True,
            "extensive_search": True,
            "min_date": min_date.isoformat(),
            "max_date": max_date.isoformat(),
            "url": found.url or extract_url(tree, url),
        }
        return _trimmed(find_date(tree, **params))

    return PageMetadata(
        _trimmed(title), _trimmed(found.description), tuple(categories), author, published
    )


def _trimmed(value: str | None) -> str | None:
    """A metadata string as trafilatura's ``Document.clean_and_trim`` leaves it."""
    if not isinstance(value, str):
        return value
    if len(value) > 10000:
        value = value[:9999] + "…"
    return line_processing(unescape(value))


def categories_of(tree: HtmlElement) -> list[str]:
    """trafilatura's ``extract_catstags("category", tree)``, without its six searches of the
    page when no link there can match them (each of its category paths ends in a link whose
    address holds ``/categor``): one look at the page's links first."""
    # trafilatura's paths start with ``//``: the whole document, whatever element is given
    if any("/categor" in (link.get("href") or "") for link in tree.getroottree().iter("a")):
        return extract_catstags("category", tree)
    sections = [e.attrib["content"] for e in _section_tags(tree)]
    return [value for value in dict.fromkeys(line_processing(v) for v in sections if v) if value]


def _section_tags(tree: HtmlElement) -> list[HtmlElement]:
    """What trafilatura's XPath ``.//head//meta[@property="article:section" or
    contains(@name, "subject")][@content]`` finds, in document order: walked in Python, which
    does not build XPath's node sets for every descendant of every element."""
    return [
        meta
        for meta in tree.iterdescendants("meta")
        if meta.get("content") is not None
        and (meta.get("property") == "article:section" or "subject" in (meta.get("name") or ""))
        and _below_head(meta, tree)
    ]


def _below_head(element: HtmlElement, tree: HtmlElement) -> bool:
    """Whether a ``<head>`` inside ``tree`` (not ``tree`` itself) holds ``element``."""
    for ancestor in element.iterancestors():
        if ancestor is tree:
            return False
        if ancestor.tag == "head":
            return True
    return False


# trafilatura's byline search (``extract_author``): the paths of ``AUTHOR_DISCARD_XPATHS``,
# whose elements it deletes from a copy of the page (keeping their tails), then those of
# ``AUTHOR_XPATHS`` in turn, each element's text a byline when 3 to 119 characters long. Here
# the same tests are made in one walk over the page, each class name tested once, and the
# deletions are only skipped over when a text is read: no copy of the page.
_DISCARD_TAGS = frozenset(("a", "div", "section", "span"))
_DROPPED_TAGS = frozenset(("time", "figure"))
_DISCARD_ID = re_compile(r"^comments|comment-?list|ProductReviews")
_DISCARD_CLASS = re_compile(
    r"^[Cc]omments|commentlist|comments-list|sidebar|is-hidden|quote|embedly-instagram|"
    r"article-(?:share|support)|print|category|meta-date|meta-reviewer"
)
_FIRST_TAGS = frozenset(("a", "address", "div", "link", "p", "span", "strong"))
_FIRST_CLASS = re_compile(r"author-?name|AuthorName|authorName")
_SECOND_TAGS = frozenset(("a", "div", "h3", "h4", "p", "span"))
_SECOND_ID = re_compile(r"author|zuozhe|bianji|xiaobian")
_SECOND_CLASS = re_compile(
    r"author|channel-name|zuozhe|bianji|xiaobian|submitted-by|posted-by|journalist-name"
)
_LAST_ID = re_compile(r"[Aa]uthor")
_LAST_CLASS = re_compile(r"[Aa]uthor|screenname|writer|[Bb]yline")


def byline_of(tree: HtmlElement) -> str | None:
    """trafilatura's ``extract_author(tree)``."""
    if tree.find(".//rel") is not None:  # its first path reads a <rel> element's text: rare
        return extract_author(tree)
    dropped, ranked = _byline_elements(tree)
    for found in ranked:
        for element in found:
            if element in dropped or any(e in dropped for e in element.iterancestors()):
                continue
            content = trim(" ".join(_kept_text(element, dropped)))
            if content and 2 < len(content) < 120:
                return normalize_authors(None, content)
    return None


def _byline_elements(tree: HtmlElement) -> tuple[set, list[list[HtmlElement]]]:
    """The elements trafilatura's byline search deletes, and those each of its paths finds
    (deleted ones too), in document order."""
    dropped: set[HtmlElement] = set()
    first: list[HtmlElement] = []
    second: list[HtmlElement] = []
    last: list[HtmlElement] = []
    seen: dict[tuple, tuple[bool, bool, bool, bool] | None] = {}  # a few names, many times
    for element in tree.iter(Element):
        get = element.get
        key = (element.tag, get("class"), get("id"))
        if not _READ_TOO.isdisjoint(element.keys()):
            key += (get("itemprop"), get("data-component"), get("rel"), get("data-testid"))
        if key in seen:
            tests = seen[key]
        else:
            tests = seen[key] = _byline_tests(*key)
        if tests is None:
            continue
        if tests[0] and element is not tree:
            dropped.add(element)
        if tests[1]:
            first.append(element)
        if tests[2]:
            second.append(element)
        if tests[3]:
            last.append(element)
    return dropped, [first, second, last]


# the attributes the byline paths read besides class and id (``_byline_tests``'s arguments)
_READ_TOO = frozenset(("itemprop", "data-component", "rel", "data-testid"))


def _byline_tests(
    tag: str,
    class_: str | None,
    id_: str | None,
    itemprop: str | None = None,
    component: str | None = None,
    rel: str | None = None,
    testid: str | None = None,
) -> tuple | None:
    """Whether trafilatura's byline search deletes an element (unless it is the root), and
    whether each of its three paths finds it; None when none of that is so."""
    class_, id_, itemprop, component = class_ or "", id_ or "", itemprop or "", component or ""
    dropped = tag in _DROPPED_TAGS or (
        tag in _DISCARD_TAGS
        and (
            id_ == "comments"
            or class_ in ("comments", "title", "date")
            or bool(_DISCARD_ID.search(id_))
            or bool(_DISCARD_CLASS.search(class_))
            or "Figure" in component
        )
    )
    first = tag == "author" or (
        tag in _FIRST_TAGS
        and (
            rel == "author"
            or id_ == "author"
            or class_ == "author"
            or itemprop == "author name"
            or testid in ("AuthorCard", "AuthorURL")
            or bool(_FIRST_CLASS.search(class_))
        )
    )
    second = tag in _SECOND_TAGS and (
        class_ in ("byline", "username", "byl", "BBL")
        or "author" in itemprop
        or bool(_SECOND_ID.search(id_))
        or bool(_SECOND_CLASS.search(class_))
    )
    last = (
        "Byline" in component
        or "author" in itemprop
        or bool(_LAST_ID.search(id_))
        or bool(_LAST_CLASS.search(class_))
    )
    tests = (dropped, first, second, last)
    return tests if any(tests) else None


def _kept_text(element: HtmlElement, dropped: set) -> list[str]:
    """The text pieces ``element.itertext()`` gives once the ``dropped`` elements are deleted
    as trafilatura deletes them: a deleted element's tail joins the text before it."""
    pieces: list[str] = []
    current = element.text
    for child in element:
        if child in dropped:
            if child.tail:
                current = (current or "") + child.tail
            continue
        if current is not None:
            pieces.append(current)
        if isinstance(child.tag, str):  # recursion: our parser's trees are at most 255 deep
            pieces += _kept_text(child, dropped)
        current = child.tail
    if current is not None:
        pieces.append(current)
    return pieces
