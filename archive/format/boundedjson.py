"""JSON from files a release or a user hands us, parsed only within bounds.

Python's decoder recurses once per level of nesting, so ``[[[[...`` 100,000 deep ends a process
in ``RecursionError``. Every JSON document archive writes is at most a few levels deep; the
depth is checked before parsing, and only when the text holds enough brackets to exceed it.
"""

from __future__ import annotations

import json
import re

MAX_DEPTH = 64
_STRINGS = re.compile(r'"(?:[^"\\]|\\.)*"', re.S)
_BRACKETS = re.compile(r"[\[\]{}]")


def depth(text: str) -> int:
    """The deepest nesting of arrays and objects in JSON ``text`` (brackets inside strings do
    not count).

    >>> depth('{"a": [1, {"b": "[[["}]}')
    3
    """
    deepest = level = 0
    for bracket in _BRACKETS.findall(_STRINGS.sub("", text)):
        level += 1 if bracket in "[{" else -1
        deepest = max(deepest, level)
    return deepest


def loads(text: str | bytes, max_depth: int = MAX_DEPTH):
    """``json.loads`` that refuses nesting deeper than ``max_depth`` and lone surrogates
    (``"\\ud800"``, which no UTF-8 file can hold), with ``ValueError`` saying which.

    >>> loads('[[1]]', max_depth=1)
    Traceback (most recent call last):
    ValueError: JSON nested deeper than 1 levels
    """
    if isinstance(text, bytes):
        text = text.decode("utf-8")
    if text.count("[") + text.count("{") > max_depth and depth(text) > max_depth:
        raise ValueError(f"JSON nested deeper than {max_depth} levels")
    value = json.loads(text)
    if "\\ud" in text.lower() and _has_surrogate(value):
        raise ValueError("JSON holds a lone surrogate (\\ud800-\\udfff), which is not text")
    return value


def _has_surrogate(value) -> bool:
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False
