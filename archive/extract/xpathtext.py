"""XPath expressions with their EXSLT regular expressions written as plain string tests.

trafilatura's XPaths test ``@class`` and ``@id`` with ``re:test(@class, 'author|writer')``. lxml
runs each such test as a call into Python, one per element with the attribute: on real pages
that is most of the time the expression takes. Most of these patterns name a handful of
literal strings, and a search for one of them is the same test as ``contains()`` for each
(``starts-with()`` when anchored by ``^``), which libxml2 runs without leaving C.

``plain_xpath`` rewrites every ``re:test`` whose pattern is such a finite set of strings, and
leaves any other one as it was, so the expression selects the same nodes in the same order.
"""

from __future__ import annotations

import re
from itertools import product

from lxml.etree import XPath

REGEXP_NS = {"re": "http://exslt.org/regular-expressions"}
MAX_STRINGS = 64  # more strings than this and the rewritten test is no longer cheaper

_RE_TEST = re.compile(r"re:test\(\s*(@[\w-]+(?:\s*\|\s*@[\w-]+)*)\s*,\s*'([^']*)'\s*\)")
_LITERAL = re.compile(r"[\w -]", re.ASCII)


def plain_xpath(expression: XPath) -> XPath:
    """``expression`` with each ``re:test`` of a finite set of strings written as string tests.

    >>> plain_xpath(XPath("//div[re:test(@class, '^post-?meta|byline')]", namespaces=REGEXP_NS)).path
    "//div[(starts-with(@class, 'post-meta') or starts-with(@class, 'postmeta') or contains(@class, 'byline'))]"
    """  # noqa: E501
    return XPath(plain_path(expression.path), namespaces=REGEXP_NS)


def plain_path(path: str) -> str:
    """The text of an XPath with ``plain_xpath``'s rewriting."""
    return _RE_TEST.sub(_string_tests, path)


def _string_tests(match: re.Match) -> str:
    subject, pattern = match.group(1), match.group(2)
    strings = pattern_strings(pattern)
    if strings is None:
        return match.group(0)
    tests = [
        f"starts-with({subject}, '{text}')" if anchored else f"contains({subject}, '{text}')"
        for anchored, text in strings
    ]
    return "(" + " or ".join(tests) + ")"


def pattern_strings(pattern: str) -> list[tuple[bool, str]] | None:
    """(anchored at the start, string) pairs a search for ``pattern`` amounts to, or None when
    the pattern is not a finite set of plain strings.

    >>> pattern_strings("^[Cc]omments|comment-?list")
    [(True, 'Comments'), (True, 'comments'), (False, 'comment-list'), (False, 'commentlist')]
    >>> pattern_strings("(^|\\\\s)link(\\\\s|$)") is None
    True
    """
    try:
        branches, end = _alternatives(pattern, 0, top=True)
    except _NotPlain:
        return None
    if end != len(pattern) or len(branches) > MAX_STRINGS:
        return None
    found = [(text.startswith("^"), text.removeprefix("^")) for text in branches]
    if any(not text for _, text in found):
        return None
    return list(dict.fromkeys(found))


class _NotPlain(Exception):
    """The pattern holds more than literals, ``X?``, ``[..]``, ``(?:..)``, ``|`` and ``^``."""


def _alternatives(pattern: str, at: int, *, top: bool) -> tuple[list[str], int]:
    """The strings of ``a|b|...`` from ``at`` to the closing ``)`` (or the end at the top)."""
    branches: list[str] = []
    while True:
        strings, at = _sequence(pattern, at, top=top)
        branches += strings
        if len(branches) > MAX_STRINGS:
            raise _NotPlain
        if at < len(pattern) and pattern[at] == "|":
            at += 1
            continue
        return branches, at


def _sequence(pattern: str, at: int, *, top: bool) -> tuple[list[str], int]:
    """The strings of one branch: its pieces one after another."""
    strings = [""]
    start = at
    while at < len(pattern) and pattern[at] not in "|)":
        if pattern[at] == "^" and top and at == start:
            pieces, at = ["^"], at + 1
            if pattern.startswith("?", at):
                raise _NotPlain
        else:
            pieces, at = _piece(pattern, at)
        if at < len(pattern) and pattern[at] == "?":
            pieces, at = ["", *pieces], at + 1
        strings = ["".join(p) for p in product(strings, pieces)]
        if len(strings) > MAX_STRINGS:
            raise _NotPlain
    return strings, at


def _piece(pattern: str, at: int) -> tuple[list[str], int]:
    """The strings of one literal character, character set or ``(?:...)`` group at ``at``."""
    char = pattern[at]
    if _LITERAL.fullmatch(char):
        return [char], at + 1
    if char == "[":
        end = pattern.find("]", at + 1)
        chars = pattern[at + 1 : end]
        inner = chars[1:-1]  # a "-" first or last is itself; elsewhere it makes a range
        if end < 0 or not chars or not all(map(_LITERAL.fullmatch, chars)) or "-" in inner:
            raise _NotPlain
        return list(chars), end + 1
    if pattern.startswith("(?:", at):
        strings, at = _alternatives(pattern, at + 3, top=False)
        if at >= len(pattern) or pattern[at] != ")":
            raise _NotPlain
        return strings, at + 1
    raise _NotPlain
