"""Score HTML extraction on the real pages of ``benchmarks/realpages`` against their labels.

Usage::

    python benchmarks/score_realpages.py            # a table
    python benchmarks/score_realpages.py --json     # the whole report
    python benchmarks/score_realpages.py --no-baseline --wrong   # skip trafilatura, list misses

The pages are packed as a user would pack them (``archive.pack`` with the capture log, so each
page has its URL and nothing else: no outlet table, no dates), and the release's Parquet rows
are compared with ``labels.jsonl``. What the labels mean and where they come from is in
``benchmarks/realpages/PROVENANCE.md``.

For title, authors, outlet and date it prints the count of asserted values (a null or an empty
list is not an assertion), their precision, and the coverage (correct / labelled present).
Matching rules:

- title: NFKC, casefold, every run of non-word characters one space (``ʼ``, U+02BC, which
  some renderings print for an apostrophe, counts as one); equal to the label or to one of its
  ``title_alternatives``.
- authors: the same normalisation per name; the set equals the label's. A label ``[]`` (the page
  names nobody) makes any assertion wrong.
- outlet: the ``outlet`` column, normalised as a title, and also without a leading "the" and a
  trailing domain suffix ("Bloomberg.com" = "Bloomberg"); pages whose label is null are not
  scored, but assertions there are counted (``asserted_unlabelled``).
- date: the calendar day the publisher states, compared with ``published_date`` (the day in the
  publisher's own zone, the column a client shows); ``utc_day`` compares the UTC day of
  ``published_at`` instead, and ``publisher_day`` the day written in the markup the provenance
  names (when its value is an ISO date; otherwise the shown day). A page labelled with no date
  makes any asserted date wrong; ``asserted_on_no_date`` counts those. Precision is also given
  per provenance method (the tag named in the evidence).
- body: labels hold only the *opening* words of the body (goose3's ``cleaned_text`` prefix,
  postlight/parser's first-words excerpt), so no whole-body F1 exists. ``recall`` is the share
  of the opening's tokens found in the body, ``opening_f1`` the token F1 of the opening against
  the body's first as many tokens (does the body start where the article starts?), beside the
  same figures for bare ``trafilatura.extract`` on the same bytes.

Pages listed in a label's ``unscored`` are left out of that field's figures.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import sys
import tempfile
import unicodedata
from collections import Counter, defaultdict
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath

import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from archive import PackSettings, pack  # noqa: E402

HERE = Path(__file__).resolve().parent / "realpages"
FIELDS = ("title", "authors", "outlet", "published")
# U+02BC, a modifier letter (a word character), stands for an apostrophe in some renderings
# (Lynx prints ’ and ' as it): it separates words as the apostrophe does
_NONWORD = re.compile(r"[\W_\u02bc]+")
_TOKEN = re.compile(r"\w+")
_SUFFIX = re.compile(r"\s(com|net|org|co|uk|fr|de|jp|ca|gov|in)$")
_ISO_DAY = re.compile(r"^\s*(\d{4}-\d{2}-\d{2})")


def norm(text: str | None) -> str:
    """Text for comparison: NFKC, casefolded, non-word runs as one space."""
    return _NONWORD.sub(" ", unicodedata.normalize("NFKC", text or "").casefold()).strip()


def norm_outlet(name: str | None) -> str:
    """An outlet name for comparison: as ``norm``, without "the" and a trailing domain suffix."""
    text = norm(name).removeprefix("the ")
    while _SUFFIX.search(text):
        text = _SUFFIX.sub("", text)
    return text


def tokens(text: str | None) -> list[str]:
    """Lower-cased word tokens in order."""
    return _TOKEN.findall(unicodedata.normalize("NFKC", text or "").casefold())


def read_labels(folder: Path = HERE) -> list[dict]:
    """The labels, one dict per page, in file order."""
    with open(folder / "labels.jsonl", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def pack_pages(folder: Path, out: Path, *, jobs: int = 2) -> tuple[dict[str, dict], list[dict]]:
    """Pack the pages through the public API; (rows by page file name, quarantine entries)."""
    settings = PackSettings(
        "realpages", "1.0.0", datetime(2026, 1, 1, tzinfo=UTC), relations=False, jobs=jobs
    )
    result = pack([folder / "pages"], out, settings, capture_log=folder / "captures.jsonl")
    rows = {
        PurePosixPath(r["capture"]["source_path"]).name: r
        for r in pq.read_table(Path(result.path) / "data").to_pylist()
    }
    qfile = Path(result.path) / "quarantine.jsonl"
    quarantine = [json.loads(x) for x in qfile.read_text().splitlines() if x.strip()]
    return rows, quarantine


def date_provenance(row: dict) -> tuple[str, str | None]:
    """(method and tag the date came from, the ISO day written in that tag or None)."""
    for p in row["provenance"]:
        if p["field"] == "published_at":
            evidence = p["evidence"]
            match = re.match(r"^(.*?\]|[^=\[]*?)=(['\"])(.*)\2$", evidence, re.S)
            if not match:
                return f"{p['method']} <- {evidence.split(' (')[0]}", None
            day = _ISO_DAY.match(match.group(3))
            return f"{p['method']} <- {match.group(1)}", day.group(1) if day else None
    return "none", None


def judge(label: dict, row: dict) -> dict[str, tuple[bool, bool | None]]:
    """Per field: (asserted, correct or None when the label does not score it)."""
    out: dict[str, tuple[bool, bool | None]] = {}
    unscored = set(label.get("unscored", ()))
    titles = {norm(t) for t in [label["title"], *label.get("title_alternatives", [])] if t}
    got = row["title"]
    out["title"] = (bool(got), None if "title" in unscored else norm(got) in titles)
    got_authors = [a for a in row["authors"] or [] if a.strip()]
    want = label["authors"]
    out["authors"] = (
        bool(got_authors),
        None
        if "authors" in unscored or want is None
        else {norm(a) for a in got_authors} == {norm(a) for a in want},
    )
    outlet = row["outlet"]
    out["outlet"] = (
        bool(outlet),
        None if label["outlet"] is None else norm_outlet(outlet) == norm_outlet(label["outlet"]),
    )
    return out


def score(
    folder: Path = HERE,
    *,
    baseline: bool = True,
    jobs: int = 2,
    keep: Path | None = None,
    labels: list[dict] | None = None,
) -> dict:
    """Pack the pages of ``folder``, compare with the labels (default: the folder's own); the
    report as a dict."""
    labels = read_labels(folder) if labels is None else labels
    with tempfile.TemporaryDirectory() as tmp:
        rows, quarantine = pack_pages(folder, Path(keep or tmp), jobs=jobs)
    by_file = {PurePosixPath(lb["file"]).name: lb for lb in labels}
    quarantined = {PurePosixPath(q.get("source_path", q.get("path", ""))).name for q in quarantine}
    counts = {f: Counter() for f in FIELDS}
    methods: dict[str, Counter] = defaultdict(Counter)
    wrong: list[str] = []
    body = {"archive": Counter(), "trafilatura": Counter()}
    for name, label in by_file.items():
        row = rows.get(name)
        if row is None:
            continue
        for field, (asserted, correct) in judge(label, row).items():
            c = counts[field]
            c["asserted"] += asserted
            if correct is None:
                c["asserted_unlabelled"] += asserted
                continue
            want = label[field] if field != "title" else label["title"]
            c["labelled"] += bool(want)
            if asserted:
                c["scored"] += 1
                c["correct"] += correct
                if not correct:
                    wrong.append(f"{label['id']}: {field} = {row[field]!r}, expected {want!r}")
        _score_date(label, row, counts["published"], methods, wrong)
        ref = label.get("body_reference")
        if ref:
            _score_body(ref["text"], row["text"], body["archive"])
            if baseline:
                _score_body(
                    ref["text"], _trafilatura_text(folder / label["file"]), body["trafilatura"]
                )
    missing = sorted(set(by_file) - set(rows) - quarantined)
    return {
        "pages": len(labels),
        "records": len(rows),
        "quarantined": sorted(quarantined),
        "unaccounted": missing,
        "fields": {f: _figures(c) for f, c in counts.items()},
        "date_methods": {m: _figures(c) for m, c in sorted(methods.items())},
        "body": {k: _body_figures(c) for k, c in body.items() if c["pages"]},
        "wrong": wrong,
    }


def _score_date(label, row, c: Counter, methods, wrong) -> None:
    if "published" in label.get("unscored", ()):
        c["asserted"] += row["published_at"] is not None
        c["asserted_unlabelled"] += row["published_at"] is not None
        return
    want = (label["published"] or {}).get("date")
    got = row["published_at"]
    c["labelled"] += want is not None
    if got is None:
        return
    method, written_day = date_provenance(row)
    utc_day = got.astimezone(UTC).date().isoformat() if hasattr(got, "astimezone") else got[:10]
    shown = row.get("published_date")
    shown_day = shown.isoformat() if shown is not None else utc_day
    publisher_day = written_day or shown_day
    for counter in (c, methods[method]):
        counter["asserted"] += 1
        counter["scored"] += 1
        counter["correct"] += shown_day == want
        counter["correct_utc_day"] += utc_day == want
        counter["correct_publisher_day"] += publisher_day == want
        counter["asserted_on_no_date"] += want is None
    if shown_day != want:
        wrong.append(f"{label['id']}: date = {shown_day} ({method}), expected {want}")


def _score_body(reference: str, text: str | None, c: Counter) -> None:
    ref, found = tokens(reference), tokens(text)
    if not ref:
        return
    c["pages"] += 1
    c["ref_tokens"] += len(ref)
    c["recalled"] += sum((Counter(ref) & Counter(found)).values())
    head = found[: len(ref)]
    overlap = sum((Counter(ref) & Counter(head)).values())
    c["opening_overlap"] += overlap
    c["opening_found"] += len(head)
    c["verbatim"] += " ".join(ref) in " ".join(found)


def _trafilatura_text(path: Path) -> str | None:
    import trafilatura

    raw = path.read_bytes()
    if path.suffix == ".gz":
        raw = gzip.decompress(raw)
    return trafilatura.extract(raw)


def _figures(c: Counter) -> dict:
    scored, correct = c["scored"], c["correct"]
    out = {
        "asserted": c["asserted"],
        "scored": scored,
        "correct": correct,
        "labelled": c["labelled"],
        "precision": correct / scored if scored else None,
        "coverage": correct / c["labelled"] if c["labelled"] else None,
        "asserted_unlabelled": c["asserted_unlabelled"],
    }
    if "correct_publisher_day" in c or "asserted_on_no_date" in c:
        out["asserted_on_no_date"] = c["asserted_on_no_date"]
        out["correct_publisher_day"] = c["correct_publisher_day"]
        out["precision_publisher_day"] = c["correct_publisher_day"] / scored if scored else None
        out["precision_utc_day"] = c["correct_utc_day"] / scored if scored else None
    return out


def _body_figures(c: Counter) -> dict:
    p = c["opening_overlap"] / c["opening_found"] if c["opening_found"] else 0.0
    r = c["opening_overlap"] / c["ref_tokens"] if c["ref_tokens"] else 0.0
    return {
        "pages": c["pages"],
        "recall": c["recalled"] / c["ref_tokens"] if c["ref_tokens"] else 0.0,
        "opening_f1": 2 * p * r / (p + r) if p + r else 0.0,
        "opening_verbatim": c["verbatim"] / c["pages"],
    }


def _fmt(x: float | None) -> str:
    return "-" if x is None else f"{x:.3f}"


def _print_report(report: dict, *, show_wrong: bool) -> None:
    quarantined = len(report["quarantined"])
    print(f"pages {report['pages']}, records {report['records']}, quarantined {quarantined}")
    print(
        f"{'field':<11}{'asserted':>9}{'scored':>8}{'correct':>8}{'labelled':>9}"
        f"{'precision':>10}{'coverage':>9}{'unlabelled':>11}"
    )
    for name, f in report["fields"].items():
        print(
            f"{name:<11}{f['asserted']:>9}{f['scored']:>8}{f['correct']:>8}{f['labelled']:>9}"
            f"{_fmt(f['precision']):>10}{_fmt(f['coverage']):>9}{f['asserted_unlabelled']:>11}"
        )
    d = report["fields"]["published"]
    print(
        f"date: asserted on pages labelled no-date: {d['asserted_on_no_date']}; precision of "
        f"published_date {_fmt(d['precision'])}, as the UTC day of published_at "
        f"{_fmt(d['precision_utc_day'])}, as the day written in the tag "
        f"{_fmt(d['precision_publisher_day'])}"
    )
    print("date precision per provenance (published_date / UTC day, asserted, on no-date pages):")
    for method, m in report["date_methods"].items():
        print(
            f"  {_fmt(m['precision'])} / {_fmt(m['precision_utc_day'])}  "
            f"{m['asserted']:>4}  {m['asserted_on_no_date']:>3}  {method}"
        )
    for who, b in report["body"].items():
        print(
            f"body ({who}): {b['pages']} pages, opening recall {b['recall']:.3f}, "
            f"opening F1 {b['opening_f1']:.3f}, opening verbatim {b['opening_verbatim']:.3f}"
        )
    if show_wrong:
        for line in report["wrong"]:
            print("WRONG", line)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument("--no-baseline", action="store_true", help="skip bare trafilatura")
    parser.add_argument("--wrong", action="store_true", help="list every wrong assertion")
    parser.add_argument("--jobs", type=int, default=2, help="pack worker processes (default 2)")
    args = parser.parse_args(argv)
    report = score(baseline=not args.no_baseline, jobs=args.jobs)
    if args.json:
        print(json.dumps(report, indent=1, ensure_ascii=False))
    else:
        _print_report(report, show_wrong=args.wrong)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
