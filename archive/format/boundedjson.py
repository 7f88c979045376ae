"""JSON from files a release or a user hands us, parsed only within bounds.

Python's decoder recurses once per level of nesting, so ``[[[[...`` 100,000 deep ends a process
in ``RecursionError``. Every JSON document archive writes is at most a few levels deep; the
depth is checked before parsing, and only when the text holds enough brackets to exceed it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

MAX_DEPTH = 64
# The most bytes read from a JSON file of a release: a manifest of a few million files, or a
# CHANGES.json listing millions of changed ids (37 MiB a million), is far below it; a file that
# claims more is refused before it is read, never loaded to find out.
MAX_MANIFEST_BYTES = 512 * 2**20
MAX_SMALL_BYTES = 16 * 2**20  # schemas, the signature, the digest file
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


def read_capped(path: Path, limit: int = MAX_SMALL_BYTES) -> bytes:
    """The bytes of the file at ``path``; ``ValueError`` when it holds more than ``limit``
    (never more than ``limit + 1`` bytes are read, whatever the file claims)."""
    with open(path, "rb") as handle:
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise ValueError(f"larger than {limit} bytes, the most read from such a file")
    return data


def load(path: Path, limit: int = MAX_SMALL_BYTES):
    """The JSON document in the file at ``path``, read within ``limit`` bytes and parsed within
    the depth bound (``OSError`` or ``ValueError`` saying why not)."""
    return loads(read_capped(path, limit))


# The longest quarantine entry read: a path, a reason and a message are far below it.
MAX_ENTRY_LINE = 2**20
# The longest tombstone verify reads: above any a pack writes (its reason at most
# MAX_REASON_BYTES as JSON, the other fields a few hundred bytes), so only a hand-made one
# is refused, unread.
MAX_TOMBSTONE_LINE = 2**24
MAX_REASON_BYTES = 2**23


def json_lines(
    handle: BinaryIO, limit: int | None = None, *, skip_blank: bool = False
) -> Iterator[tuple[int, object, str]]:
    """``(number, value, "")`` for each line of a JSON Lines file opened in binary, or
    ``(number, None, why)`` for a line that is not one JSON value in UTF-8 (a blank line too,
    as JSON Lines has none, unless ``skip_blank``), or, with ``limit``, one of more than
    ``limit`` bytes, its newline counted, read past without being held. Lines end at ``\\n``
    only; the last needs none."""
    number = 0
    while line := (handle.readline() if limit is None else handle.readline(limit + 1)):
        number += 1
        if limit is not None and len(line) > limit:
            while line and not line.endswith(b"\n"):
                line = handle.readline(limit + 1)
            yield number, None, f"longer than {limit} bytes, the most read of a line"
            continue
        try:
            # JSON text is UTF-8 (RFC 8259); rebound, so a long line is not held twice
            line = line.decode("utf-8")
        except UnicodeDecodeError as exc:
            yield number, None, f"not UTF-8 ({exc})"
            continue
        if skip_blank and not line.strip():
            continue
        line = line.rstrip("\r\n")  # the decoder's position would count the newline as a line
        try:
            value = loads(line)
        except ValueError as exc:
            yield number, None, f"not JSON ({exc})"
            continue
        yield number, value, ""


def _has_surrogate(value) -> bool:
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False
