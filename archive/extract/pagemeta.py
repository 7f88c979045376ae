"""trafilatura's metadata of a parsed page, read from the page's one tree, each costly step only
when a field asks for it.

``page_metadata`` gives what ``trafilatura.metadata.extract_metadata`` gives for the fields
``archive.extract.html`` reads (title, description, categories, author, htmldate's date), step
by step as it computes them, and without the site name, tags and licence nothing here reads.
The author and the date are functions: trafilatura's byline search prunes a copy of the whole
page and htmldate searches its text, and a page whose tags name its authors, or state its date,
needs neither.

One of trafilatura's searches is replaced by an equivalent: its six category link paths all
end in a link whose address must hold ``/categor``, so a page with no such link (most pages)
skips them.

``tests/test_pagemeta.py`` holds ``page_metadata`` to trafilatura's ``extract_metadata``.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from datetime import date
from functools import cache
from html import unescape

from htmldate import find_date
from lxml.etree import XPath
from lxml.html import HtmlElement
from trafilatura.metadata import (
    examine_meta,
    extract_author,
    extract_catstags,
    extract_meta_json,
    extract_title,
    extract_url,
)
from trafilatura.utils import line_processing


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
        return _trimmed(found.author or extract_author(tree))

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


# Each of trafilatura's category paths ends in a link whose address holds ``/categor``.
_CATEGORY_LINK = XPath("//a[contains(@href, '/categor')]")
_SECTION_TAGS = XPath(
    './/head//meta[@property="article:section" or contains(@name, "subject")][@content]'
)


def categories_of(tree: HtmlElement) -> list[str]:
    """trafilatura's ``extract_catstags("category", tree)``, without its six searches of the
    page when no link there can match them: one search for such a link first."""
    if _CATEGORY_LINK(tree):
        return extract_catstags("category", tree)
    sections = [e.attrib["content"] for e in _SECTION_TAGS(tree)]
    return [value for value in dict.fromkeys(line_processing(v) for v in sections if v) if value]
