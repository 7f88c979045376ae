"""Cut canonical capture text into lines and blocks, keeping code-point offsets."""

from __future__ import annotations

import re
from typing import NamedTuple


class Line(NamedTuple):
    """One non-empty line of a capture.

    ``start``/``end`` bound the line's text without its indentation (``text ==
    capture[start:end]``); ``block`` numbers the blank-line-separated block it belongs to;
    ``index`` is its position among non-empty lines. (A named tuple: lines are made by the
    thousand per capture and a tuple is several times cheaper to build than a dataclass.)
    """

    start: int
    end: int
    text: str
    block: int
    index: int
    indent: int


def split_lines(capture_text: str) -> tuple[Line, ...]:
    """Return the non-empty lines of ``capture_text``, in order.

    >>> [(ln.text, ln.block) for ln in split_lines("Title\\n\\nOne\\n  two")]
    [('Title', 0), ('One', 1), ('two', 1)]
    """
    lines: list[Line] = []
    offset = 0
    block = 0
    blank_before = False
    make = tuple.__new__  # Line(...) without the named tuple's Python-level __new__
    for raw in capture_text.split("\n"):
        body = raw.lstrip()
        if body:
            if blank_before and lines:
                block += 1
            blank_before = False
            stripped = body.rstrip()
            indent = len(raw) - len(body)
            start = offset + indent
            lines.append(
                make(Line, (start, start + len(stripped), stripped, block, len(lines), indent))
            )
        else:
            blank_before = True
        offset += len(raw) + 1
    return tuple(lines)


def wordset(text: str) -> frozenset[str]:
    """The whitespace-separated words of ``text`` (for word lists written as prose)."""
    return frozenset(text.split())


# Kana and CJK ideographs: scripts written without spaces between words
UNSPACED = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff]")
