"""Canonical text forms, the ground every text hash in a release stands on.

Two forms exist:

* ``normalize_text`` turns a decoded capture into its canonical *capture text*: Unicode NFC,
  LF line ends, trailing whitespace removed from every line, no leading/trailing blank lines.
  Offsets of spans are code-point offsets into this string.
* ``body_text`` joins the paragraphs of an article body into the canonical *body*: each
  paragraph NFC, soft hyphens (U+00AD) removed, internal whitespace runs folded to one space,
  empty paragraphs dropped, paragraphs separated by one blank line. Every extractor (plain text,
  HTML, WARC) builds its body with it, so the same article hashes the same whatever it was
  captured as. A soft hyphen is an invisible hint where a word may break (``Kiess\\xadling``
  shows as ``Kiessling``); kept, it would make the word unsearchable and the hash depend on the
  page's typesetting. The capture text keeps it: it is the capture as captured.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable
from itertools import repeat

_LINE_BREAKS = re.compile(r"\r\n|\r|\u2028|\u2029|\x85|\x0b|\x0c")
_OTHER_BREAKS = ("\r", "\u2028", "\u2029", "\x85", "\x0b", "\x0c")
_SOFT_HYPHEN = "\u00ad"
_TRAILING_WS = " \t\u00a0" + "".join(map(chr, range(0x2000, 0x200C))) + "\u3000\ufeff"


def normalize_text(text: str) -> str:
    """Return the canonical capture text of ``text``.

    >>> normalize_text("Cafe\\u0301 \\r\\nline two\\t\\r\\n\\r\\n")
    'Café\\nline two'
    """
    if not text.isascii():
        text = unicodedata.normalize("NFC", text)
    # One substring search per other break (each a memchr-speed scan): a tenth of the cost
    # of testing every character, which a regex or str.isprintable does.
    if any(map(text.__contains__, _OTHER_BREAKS)):
        text = _LINE_BREAKS.sub("\n", text)
    # str methods, not a MULTILINE regex: ten times faster on long pages.
    text = "\n".join(map(str.rstrip, text.split("\n"), repeat(_TRAILING_WS)))
    return text.strip("\n")


def body_text(paragraphs: Iterable[str]) -> str:
    """Return the canonical body made of ``paragraphs``.

    >>> body_text(["  First  paragraph\\n continues. ", "", "Second."])
    'First paragraph continues.\\n\\nSecond.'
    >>> body_text(["Kiess\\xadling said so."])
    'Kiessling said so.'
    """
    # An ASCII paragraph holds no soft hyphen and is already NFC: it skips both (most do).
    kept = [_folded(p if p.isascii() else _without_soft_hyphens(p)) for p in paragraphs]
    return "\n\n".join(p for p in kept if p)


def _folded(paragraph: str) -> str:
    """``paragraph`` with each whitespace run folded to one space, none at either end."""
    # Every whitespace character but the space is unprintable (a control or a separator), so
    # a printable paragraph with no double space and no space at an end has nothing to fold:
    # most are one line, and this test costs a fraction of splitting them into words.
    if (
        paragraph.isprintable()
        and "  " not in paragraph
        and paragraph[:1] != " "
        and paragraph[-1:] != " "
    ):
        return paragraph
    # " ".join(p.split()) folds exactly the characters the regex \s folds (str.isspace).
    return " ".join(paragraph.split())


def _without_soft_hyphens(paragraph: str) -> str:
    # Removal first: a soft hyphen between a letter and its combining accent keeps them apart,
    # and they compose only once it is gone.
    return unicodedata.normalize("NFC", paragraph.replace(_SOFT_HYPHEN, ""))


def sha256_text(text: str) -> str:
    """Hex SHA-256 of ``text`` encoded as UTF-8 (``text_sha256`` and friends)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
