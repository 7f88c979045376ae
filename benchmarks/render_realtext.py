"""Render the real pages of ``benchmarks/realpages`` as text captures, into
``benchmarks/realtext`` (see its PROVENANCE.md): what a reader gets by saving a page's visible
text, for scoring the text extractor on real layouts with the pages' own labels.

    pip install 'inscriptis==2.7.6' && python benchmarks/render_realtext.py

Each page is parsed with lxml (as UTF-8 when its bytes are; else lxml reads the page's
declared charset) and rendered with inscriptis, a text renderer that lays out blocks as a
browser does (line breaks, blank lines around paragraphs, table cells side by side), without
images or links; each line is stripped and runs of blank lines made one, as a browser's copy of
a page gives them. The text goes to ``pages/<id>.txt`` (UTF-8; a second run writes the same
bytes), and ``captures.jsonl`` gives each the URL its page had. The renderer's version is
checked: another version may lay text out otherwise, and the stored captures are what the
scorer's figures hold to.
"""

from __future__ import annotations

import sys
from importlib.metadata import version
from pathlib import Path

from inscriptis import Inscriptis
from inscriptis.model.config import ParserConfig

sys.path.insert(0, str(Path(__file__).resolve().parent))

from render_plaintext import parsed, render  # noqa: E402

OUT = Path(__file__).resolve().parent / "realtext"
RENDERER = "2.7.6"


def rendered(raw: bytes) -> str:
    """The visible text of an HTML page, as inscriptis lays it out."""
    text = Inscriptis(parsed(raw), ParserConfig(display_images=False)).get_text()
    # A browser's copy keeps no indentation and no runs of blank lines; inscriptis keeps
    # both (nesting as padding, margins as empty lines).
    lines = [line.strip() for line in text.splitlines()]
    kept = [line for k, line in enumerate(lines) if line or (k and lines[k - 1])]
    return "\n".join(kept).strip("\n") + "\n"


def main() -> None:
    if version("inscriptis") != RENDERER:
        raise SystemExit(f"inscriptis {RENDERER} renders the stored captures; install it")
    print(f"{render(OUT, rendered)} text captures in {OUT / 'pages'}")


if __name__ == "__main__":
    main()
