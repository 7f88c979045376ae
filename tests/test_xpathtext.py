"""``archive.extract.xpathtext``: a rewritten XPath selects what the regular expression did."""

from __future__ import annotations

import gzip
import re
from pathlib import Path

import lxml.html
import pytest
from hypothesis import given
from hypothesis import strategies as st
from lxml.etree import XPath
from trafilatura import xpaths

from archive.extract.xpathtext import REGEXP_NS, pattern_strings, plain_path, plain_xpath

PAGES = sorted((Path(__file__).parent.parent / "benchmarks/realpages/pages").glob("*.html.gz"))

# Pieces of the grammar plain_xpath rewrites, and of what it must leave alone.
_ATOMS = ["a", "b", "-", "_", " ", "[ab]", "[-a]", "[a_]", "(?:a|b-)", "(?:ab|)"]
_NOT_PLAIN = [r"\s", ".", "a*", "b+", "$", "(a)", "[a-c]", "(?!a)", "a{2}", "\\b"]


@st.composite
def patterns(draw, plain: bool = True) -> str:
    """A pattern of alternatives, each a run of atoms, some optional, some anchored."""
    atoms = _ATOMS if plain else _ATOMS + _NOT_PLAIN
    branches = []
    for _ in range(draw(st.integers(1, 3))):
        pieces = []
        for atom in draw(st.lists(st.sampled_from(atoms), min_size=1, max_size=4)):
            pieces.append(atom + ("?" if draw(st.booleans()) else ""))
        branches.append(("^" if draw(st.booleans()) else "") + "".join(pieces))
    return "|".join(branches)


def _test(pattern: str, attribute: str = "@class") -> str:
    return f"re:test({attribute}, '{pattern}')"


@given(patterns(), st.text(alphabet="ab-_ xAB", max_size=8))
def test_a_rewritten_test_matches_what_the_pattern_searches(pattern, value):
    element = lxml.html.fragment_fromstring("<div></div>")
    if value:  # and no attribute at all for the empty value
        element.set("class", value)
    regular = XPath(f"self::*[{_test(pattern)}]", namespaces=REGEXP_NS)
    plain = plain_xpath(regular)
    if pattern_strings(pattern) is not None:
        assert "re:test" not in plain.path
    assert bool(plain(element)) == bool(re.search(pattern, value))


@given(patterns(plain=False))
def test_a_pattern_beyond_plain_strings_is_left_as_it_is(pattern):
    strings = pattern_strings(pattern)
    path = f"//div[{_test(pattern)}]"
    if strings is None:
        assert plain_path(path) == path
    else:  # the draw may hold no atom beyond the plain ones
        assert not any(atom in pattern for atom in _NOT_PLAIN if atom not in "ab")


def test_a_test_with_flags_or_of_two_attributes_keeps_its_meaning():
    page = lxml.html.fromstring(
        "<html><body><p id='x' class='Comment-list'>a</p><p class='comments-x'>b</p>"
        "<p id='comments-1' class='zz'>c</p></body></html>"
    )
    flagged = "//p[re:test(@class, 'comment', 'i')]"
    assert plain_path(flagged) == flagged
    both = XPath("//p[re:test(@id|@class, '^comment[s-]')]", namespaces=REGEXP_NS)
    assert [p.text for p in plain_xpath(both)(page)] == [p.text for p in both(page)] == ["b", "c"]


def _expressions() -> list[tuple[str, XPath]]:
    """Every XPath trafilatura keeps in a list, with its list's name."""
    return [
        (name, expression)
        for name in dir(xpaths)
        if isinstance(value := getattr(xpaths, name), list)
        for expression in value
        if isinstance(expression, XPath)
    ]


def test_most_of_trafilaturas_regular_expressions_become_string_tests():
    tests = sum(e.path.count("re:test") for _, e in _expressions())
    left = sum(plain_path(e.path).count("re:test") for _, e in _expressions())
    assert tests > 30
    assert left < tests / 3


@pytest.mark.parametrize("page", PAGES[::10], ids=lambda p: p.name)
def test_each_of_trafilaturas_xpaths_selects_the_same_elements_on_real_pages(page):
    tree = lxml.html.fromstring(gzip.decompress(page.read_bytes()))
    assert len(tree.xpath("//*")) > 3  # a page, not compressed bytes read as text
    for name, expression in _expressions():
        plain = plain_xpath(expression)
        assert plain(tree) == expression(tree), name
