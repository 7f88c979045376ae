"""``page_metadata`` gives what trafilatura's ``extract_metadata`` gives, field for field.

The golden values are trafilatura's own: ``extract_metadata`` run on the same page with the
same date settings, not code of this project.
"""

from __future__ import annotations

import gzip
from datetime import date
from pathlib import Path

import lxml.html
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from trafilatura.metadata import extract_author, extract_catstags, extract_metadata
from trafilatura.utils import load_html

from archive.extract.pagemeta import byline_of, categories_of, page_metadata

PAGES = sorted((Path(__file__).resolve().parents[1] / "benchmarks/realpages/pages").glob("*.gz"))
MIN, MAX = date(1990, 1, 1), date(2030, 12, 31)


def _trafilatura(tree, url):
    params = {
        "original_date": True,
        "extensive_search": True,
        "min_date": MIN.isoformat(),
        "max_date": MAX.isoformat(),
    }
    return extract_metadata(tree, url, params)


def _same(page: bytes, url: str | None = None) -> None:
    theirs = _trafilatura(load_html(page), url)
    ours = page_metadata(load_html(page), url, MIN, MAX)
    assert ours.title == theirs.title
    assert ours.description == theirs.description
    assert list(ours.categories) == list(theirs.categories or [])
    assert ours.author() == theirs.author
    assert ours.date() == theirs.date


@pytest.mark.parametrize("path", PAGES[::10], ids=lambda p: p.name)
def test_real_pages_get_trafilatura_s_metadata(path):
    _same(gzip.decompress(path.read_bytes()), "https://www.example.org/2019/05/story.html")


def test_the_tree_is_left_as_parsed():
    page = gzip.decompress(PAGES[0].read_bytes())
    tree = load_html(page)
    before = load_html(page)
    found = page_metadata(tree, None, MIN, MAX)
    found.author(), found.date()
    assert [e.tag for e in tree.iter()] == [e.tag for e in before.iter()]


LINKS = st.sampled_from(
    [
        "/category/tides/",
        "/categories/harbour/",
        "/categorys/x/",
        "/categor/",
        "/tag/tides/",
        "/news/",
        "https://x.example/category/boats/",
    ]
)
CLASSES = st.sampled_from(["post-meta", "meta", "entry-meta x", "cat-links", "row", "tags", ""])


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.tuples(CLASSES, LINKS, st.sampled_from(["Tides", "Boats", " "])), max_size=5),
    st.sampled_from(["", '<meta property="article:section" content="Harbour">']),
)
def test_categories_are_trafilatura_s(links, section):
    body = "".join(f'<div class="{c}"><a href="{h}">{t}</a></div>' for c, h, t in links)
    page = f"<html><head>{section}</head><body><p>Words.</p>{body}</body></html>"
    tree = load_html(page)
    assert categories_of(tree) == extract_catstags("category", tree)


def test_a_page_with_a_byline_and_a_dated_text_gets_both():
    page = (
        "<html><head><title>Tide tables</title></head><body><h1>Tide tables</h1>"
        '<p class="byline">Ann Lee</p><p>Posted on 12 March 2021.</p>'
        "<p>High water at six, low water at noon.</p></body></html>"
    )
    found = page_metadata(load_html(page), None, MIN, MAX)
    assert found.author() == "Ann Lee"
    assert found.date() == "2021-03-12"
    _same(page.encode())


@pytest.mark.parametrize("given", ["//div[@id='a']", "//noscript"])
def test_categories_of_any_element_are_trafilaturas(given):
    # trafilatura searches the whole document for category links, and a <head> inside the
    # element it is given for section tags, whichever element that is
    page = (
        "<html><head><noscript><meta property='article:section' content='World'></noscript>"
        "<meta property='article:section' content='News'></head><body><div id='a'><p>x</p>"
        "</div><a href='/category/news/'>News</a></body></html>"
    )
    element = lxml.html.fromstring(page).xpath(given)[0]
    assert categories_of(element) == extract_catstags("category", element)


@pytest.mark.parametrize("path", PAGES, ids=lambda p: p.name)
def test_real_pages_get_trafilatura_s_byline(path):
    # byline_of restates trafilatura's byline search (its paths, its deletions); held to
    # trafilatura's own function on every real page, so an upgrade that moves it is seen
    tree = load_html(gzip.decompress(path.read_bytes()))
    assert byline_of(tree) == extract_author(tree)


_BYLINE_TAGS = st.sampled_from(["div", "span", "a", "p", "section", "address", "time", "h3"])
_BYLINE_CLASSES = st.sampled_from(
    ["author", "byline", "author-name", "posted-by", "comments", "sidebar", "quote", "print", ""]
)
_BYLINE_TEXTS = st.sampled_from(["", "By Ana Reyes", "Tom Hale", "and", " 3 May ", "Share"])


def _element(children):
    return st.builds(
        lambda tag, cls, text, tail, inner: (
            f'<{tag} class="{cls}">{text}{"".join(inner)}</{tag}>{tail}'
        ),
        _BYLINE_TAGS, _BYLINE_CLASSES, _BYLINE_TEXTS, _BYLINE_TEXTS, children,
    )  # fmt: skip


@settings(max_examples=200, deadline=None)
@given(st.lists(st.recursive(st.just(""), lambda c: _element(st.lists(c, max_size=3))), max_size=4))
def test_nested_bylines_get_trafilatura_s_byline(blocks):
    page = f"<html><head></head><body><p>Words of the story.</p>{''.join(blocks)}</body></html>"
    tree = load_html(page)
    assert byline_of(tree) == extract_author(tree)
