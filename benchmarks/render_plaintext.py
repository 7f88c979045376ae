"""Render the real pages of ``benchmarks/realpages`` as plain text a second way, with lxml
alone: the page's title on the first line, then its body's text with no style sheet applied.

    python benchmarks/render_plaintext.py OUT   # OUT/pages/<id>.txt and OUT/captures.jsonl

``benchmarks/realtext`` holds the pages as inscriptis lays them out, and the text extractor's
rules were tuned on it. This rendering differs from it on purpose, to check that they hold on
text laid out otherwise:

- the title first ("Story | Site"): many tools that save a page as text start with it;
- no list markers ("* "), as a browser's copy has none;
- what the markup hides (``hidden``, an inline ``display: none``, ``<noscript>``,
  ``<template>``) left out, as a browser leaves it out;
- block elements on lines of their own, paragraphs, headings, lists and tables set off by a
  blank line, inline elements run together: with no style sheet, text a site sets apart with
  CSS alone runs on ("By" and a name in two spans give "ByName"), as in a browser with styles
  turned off.

``score_realtext.py --renderer plain`` renders the set into a temporary folder and scores it.
Rendering the same pages with the same lxml gives the same bytes; another lxml (or libxml2)
may parse a broken page otherwise, which the figures held in ``tests/test_realpages.py`` allow
for by their margin.
"""

from __future__ import annotations

import gzip
import json
import re
import sys
from collections.abc import Callable
from pathlib import Path

import lxml.html

from archive.extract.lines import wordset

PAGES = Path(__file__).resolve().parent / "realpages"

_UNSHOWN = wordset(
    """
    head title script style noscript template svg iframe object embed canvas select option
    input textarea map audio video img picture source meta link
    """
)
_BLOCKS = wordset(
    """
    address article aside blockquote body caption center dd details dialog dir div dl dt
    fieldset figcaption figure footer form h1 h2 h3 h4 h5 h6 header hgroup hr html legend li
    main menu nav ol p pre section summary table tbody tfoot thead tr ul
    """
)
_PARAGRAPHS = wordset("p h1 h2 h3 h4 h5 h6 blockquote figure hr pre table ul ol dl")
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
_SPACES = re.compile(r"[ \t\r\n\f\u200b]+")


def plain_text(raw: bytes) -> str:
    """The title and body text of the HTML page ``raw``, as the module docstring lays it out."""
    tree = parsed(raw)
    titles = tree.xpath("//title[not(ancestor::svg)]")  # an icon's <title> names no page
    pieces: list[str | int] = [titles[0].text_content(), 2] if titles else []
    _walk(tree, pieces)
    return _laid_out(pieces)


def parsed(raw: bytes) -> lxml.html.HtmlElement:
    """The page ``raw`` parsed by lxml: as UTF-8 when its bytes are, else as lxml reads its
    declared charset (it takes undeclared bytes for Latin-1; most such pages are UTF-8)."""
    parser = lxml.html.HTMLParser(encoding="utf-8") if is_utf8(raw) else None
    return lxml.html.document_fromstring(raw, parser=parser)


def is_utf8(raw: bytes) -> bool:
    """Whether the page's bytes are UTF-8 (what every renderer here is then told they are)."""
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _walk(element, pieces: list[str | int]) -> None:
    """Append ``element``'s shown text to ``pieces``: strings, and ints for line breaks (1 a
    new line, 2 a blank line)."""
    tag = element.tag.lower() if isinstance(element.tag, str) else None
    shown = tag is not None and not (
        tag in _UNSHOWN
        or element.get("hidden") is not None
        or _HIDDEN_STYLE.search(element.get("style") or "")
    )
    if shown:
        breaks = 2 if tag in _PARAGRAPHS else 1 if tag in _BLOCKS or tag == "br" else 0
        pieces.append(breaks)
        if tag in ("td", "th"):
            pieces.append(" ")
        pieces.append(element.text or "")
        for child in element:
            _walk(child, pieces)
        pieces.append(breaks if tag != "br" else 0)
    pieces.append(element.tail or "")


def _laid_out(pieces: list[str | int]) -> str:
    """The text of ``pieces``: spaces collapsed, each line stripped, breaks in a row taken as
    the largest of them, no blank line first or twice."""
    lines: list[str] = []
    line, pending = "", 0
    for piece in pieces:
        if isinstance(piece, int):
            pending = max(pending, piece)
            continue
        text = _SPACES.sub(" ", piece)
        if not text.strip():
            line += " " if text and line and not line.endswith(" ") else ""
            continue
        if pending:
            if line.strip():
                lines.append(line.strip())
            if pending == 2 and lines and lines[-1]:
                lines.append("")
            line, pending = "", 0
        line += text
    if line.strip():
        lines.append(line.strip())
    kept = [t for k, t in enumerate(lines) if t or (k and lines[k - 1])]
    return "\n".join(kept).strip("\n") + "\n"


def render(out: Path, text_of: Callable[[bytes], str] = plain_text) -> int:
    """Render every labelled page with ``text_of`` into ``out`` (``pages/<id>.txt``,
    ``captures.jsonl`` with each page's URL); the number rendered."""
    (out / "pages").mkdir(parents=True, exist_ok=True)
    log = []
    for line in (PAGES / "labels.jsonl").read_text(encoding="utf-8").splitlines():
        label = json.loads(line)
        raw = gzip.decompress((PAGES / label["file"]).read_bytes())
        name = f"{label['id']}.txt"
        (out / "pages" / name).write_bytes(text_of(raw).encode("utf-8"))
        entry = {"path": name, **({"url": label["url"]} if label.get("url") else {})}
        log.append(json.dumps(entry, ensure_ascii=False))
    (out / "captures.jsonl").write_text("\n".join(log) + "\n", encoding="utf-8")
    return len(log)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit("usage: render_plaintext.py OUT")
    print(f"{render(Path(sys.argv[1]))} text captures in {Path(sys.argv[1]) / 'pages'}")
