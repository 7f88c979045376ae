"""Cut canonical capture text into lines and blocks, keeping code-point offsets."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Line:
    """One non-empty line of a capture.

    ``start``/``end`` bound the line's text without its indentation (``text ==
    capture[start:end]``); ``block`` numbers the blank-line-separated block it belongs to;
    ``index`` is its position among non-empty lines.
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
    for raw in capture_text.split("\n"):
        stripped = raw.strip()
        if stripped:
            if blank_before and lines:
                block += 1
            blank_before = False
            indent = len(raw) - len(raw.lstrip())
            start = offset + indent
            lines.append(Line(start, start + len(stripped), stripped, block, len(lines), indent))
        else:
            blank_before = True
        offset += len(raw) + 1
    return tuple(lines)
