"""Score text extraction on real layouts: the real pages of ``benchmarks/realpages`` saved as
text (``benchmarks/realtext``, made by ``render_realtext.py``), against the pages' own labels.

Usage::

    python benchmarks/score_realtext.py            # a table
    python benchmarks/score_realtext.py --wrong    # and every wrong assertion
    python benchmarks/score_realtext.py --json     # the whole report

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
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import score_realpages  # noqa: E402

HERE = Path(__file__).resolve().parent / "realtext"


def labels() -> list[dict]:
    """The real pages' labels, each naming its text capture."""
    found = score_realpages.read_labels()
    return [{**label, "file": f"pages/{label['id']}.txt"} for label in found]


def score(*, jobs: int = 2, keep: Path | None = None) -> dict:
    """Pack the text captures, compare with the labels; the report as a dict."""
    return score_realpages.score(HERE, baseline=False, jobs=jobs, keep=keep, labels=labels())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument("--wrong", action="store_true", help="list every wrong assertion")
    parser.add_argument("--jobs", type=int, default=2, help="pack worker processes (default 2)")
    args = parser.parse_args(argv)
    report = score(jobs=args.jobs)
    if args.json:
        print(json.dumps(report, indent=1, ensure_ascii=False))
    else:
        score_realpages._print_report(report, show_wrong=args.wrong)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
