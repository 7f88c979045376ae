"""Score text extraction on real layouts: the real pages of ``benchmarks/realpages`` saved as
text (``benchmarks/realtext``, made by ``render_realtext.py``), against the pages' own labels.

Usage::

    python benchmarks/score_realtext.py                     # a table
    python benchmarks/score_realtext.py --wrong             # and every wrong assertion
    python benchmarks/score_realtext.py --json              # the whole report
    python benchmarks/score_realtext.py --renderer plain    # the pages rendered otherwise
    python benchmarks/score_realtext.py --renderer w3m      # as a text browser dumps them
    python benchmarks/score_realtext.py --renderer chromium # as a browser's copy gives them

``--renderer plain`` scores the same pages rendered by ``render_plaintext.py`` (lxml alone:
the page's title first, no list markers, no style sheet), made afresh in a temporary folder:
the rules tuned on the stored set must hold on text laid out otherwise. ``--renderer w3m``
and ``--renderer lynx`` score the pages as those text browsers dump them, ``--renderer
chromium`` as selecting all and copying in Chromium gives them (``benchmarks/browsertext``,
made by ``render_browsertext.py``), held out when they were made (their PROVENANCE.md says
which rules were written with them in view since).

The captures are packed as a user would pack saved text (``archive.pack`` with the capture
log, which gives each its URL and nothing else), and compared with
``benchmarks/realpages/labels.jsonl`` by the rules of ``score_realpages.py``. A text capture
holds only what the page shows: a label taken from a page's markup (a date in a meta tag, an
``og:site_name``) may not be in its text at all, so coverage here is lower than on the HTML by
nature. Precision is the figure to hold: a value the text extractor asserts must be the page's.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import render_plaintext  # noqa: E402
import score_realpages  # noqa: E402

HERE = Path(__file__).resolve().parent / "realtext"
BROWSERS = Path(__file__).resolve().parent / "browsertext"
RENDERERS = ("inscriptis", "plain", "w3m", "lynx", "chromium")


def labels() -> list[dict]:
    """The real pages' labels, each naming its text capture."""
    found = score_realpages.read_labels()
    return [{**label, "file": f"pages/{label['id']}.txt"} for label in found]


def score(*, jobs: int = 2, keep: Path | None = None, renderer: str = "inscriptis") -> dict:
    """Pack the text captures (the stored set; with ``renderer="plain"`` the pages rendered
    by ``render_plaintext.py``; ``"w3m"``, ``"lynx"`` or ``"chromium"`` the stored browsers'
    text), compare with the labels; the report as a dict."""
    if renderer not in RENDERERS:
        raise ValueError(f"no renderer {renderer!r}: one of {', '.join(RENDERERS)}")
    if renderer != "plain":
        folder = HERE if renderer == "inscriptis" else BROWSERS / renderer
        return score_realpages.score(folder, baseline=False, jobs=jobs, keep=keep, labels=labels())
    with tempfile.TemporaryDirectory(prefix="archive-plaintext-") as tmp:
        render_plaintext.render(Path(tmp))
        return score_realpages.score(
            Path(tmp), baseline=False, jobs=jobs, keep=keep, labels=labels()
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument("--wrong", action="store_true", help="list every wrong assertion")
    parser.add_argument("--jobs", type=int, default=2, help="pack worker processes (default 2)")
    parser.add_argument(
        "--renderer",
        choices=RENDERERS,
        default="inscriptis",
        help="the stored set (inscriptis, default), the pages rendered by lxml alone (plain), "
        "as a text browser dumps them (w3m, lynx), or as a browser's copy gives them (chromium)",
    )
    args = parser.parse_args(argv)
    report = score(jobs=args.jobs, renderer=args.renderer)
    if args.json:
        print(json.dumps(report, indent=1, ensure_ascii=False))
    else:
        score_realpages._print_report(report, show_wrong=args.wrong)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
