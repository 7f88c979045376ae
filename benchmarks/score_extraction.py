"""Score plain-text extraction against a labelled folder, or show what it asserts on any folder.

Usage::

    python benchmarks/score_extraction.py tests/extraction            # captures/ + labels.json
    python benchmarks/score_extraction.py /path/to/captures --json    # unlabelled: per capture
    python benchmarks/score_extraction.py tests/extraction --bench 2000
    python benchmarks/score_extraction.py --labels tests/extraction/examples_labels.json
    python benchmarks/score_extraction.py --fiction 500 --seed 1   # generated blind set

A labelled folder holds ``captures/*.txt`` and ``labels.json`` (one entry per capture stem:
``title``, ``standfirst``, ``authors``, ``outlet``, ``published_at`` (ISO, UTC) with
``published_precision``, optional ``modified_at``, ``language`` (default ``en``), ``hints``,
``body_start``/``body_end`` phrases, ``furniture`` and ``exclude`` phrases, expected ``flags``).
A labels file given with ``--labels`` may key its entries by capture path instead of stem
(relative to the labels file, e.g. ``../../examples/captures/x/y.txt``); those files are decoded
as ``archive pack`` decodes them (BOMs, UTF-16, cp1252).

``--fiction N --seed S`` scores N articles rendered by ``benchmarks/fiction.py`` against the truth
the generator drew (see ``fiction_cases``), with the outlet table of every fictional outlet as the
only hint: nothing from a capture log or a URL, so every value comes from the text.

For each field it prints the precision of *asserted* values (a null is not an assertion) and
the coverage (correct values / labelled non-null values); for the body, token precision,
recall and F1 against the gold body: the lines from ``body_start`` to ``body_end`` minus the
lines holding a furniture or exclude phrase.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import fiction  # noqa: E402

from archive.extract import extract_text_capture  # noqa: E402
from archive.model import Extraction, Hints  # noqa: E402
from archive.text.decode import decode_bytes  # noqa: E402
from archive.text.normalize import normalize_text  # noqa: E402

FIELDS = ("title", "standfirst", "authors", "outlet", "published_at", "modified_at", "language")
_TOKEN = re.compile(r"\w+")


def captures_in(folder: Path) -> list[Path]:
    """The capture files of a folder (``captures/`` inside it when present)."""
    root = folder / "captures" if (folder / "captures").is_dir() else folder
    return sorted(p for p in root.iterdir() if p.suffix == ".txt")


def hints_from(label: dict | None) -> Hints:
    """Hints (capture-log facts) a label carries."""
    h = (label or {}).get("hints") or {}
    published = h.get("published_at")
    return Hints(
        url=h.get("url"),
        outlet=h.get("outlet"),
        published_at=datetime.fromisoformat(published) if published else None,
        domain_outlets=tuple(sorted((h.get("domain_outlets") or {}).items())),
        evidence=h.get("evidence"),
    )


def gold_body(text: str, label: dict) -> str:
    """The labelled body: lines from the start phrase to the end phrase, minus furniture."""
    lines = text.split("\n")
    start = next(i for i, ln in enumerate(lines) if label["body_start"] in ln)
    end = next(i for i in range(len(lines) - 1, -1, -1) if label["body_end"] in lines[i])
    drop = list(label.get("furniture", ())) + list(label.get("exclude", ()))
    kept = [ln for ln in lines[start : end + 1] if not any(p in ln for p in drop)]
    return "\n".join(kept)


def tokens(text: str) -> Counter[str]:
    """Lower-cased word tokens, as a multiset."""
    return Counter(_TOKEN.findall(text.lower()))


def field_value(x: Extraction, name: str) -> object:
    """The extraction's value of a scored field, in the label's form."""
    value = getattr(x, name)
    if name in ("published_at", "modified_at"):
        return (
            None
            if value is None
            else (value.isoformat(), x.published_precision if name == "published_at" else None)
        )
    if name == "authors":
        return list(value) or None
    return value


def label_value(label: dict, name: str) -> object:
    """The label's expected value of a scored field (None when absent or null)."""
    if name == "published_at":
        v = label.get("published_at")
        return None if v is None else (v, label.get("published_precision"))
    if name == "modified_at":
        v = label.get("modified_at")
        return None if v is None else (v, None)
    if name == "language":
        return label.get("language", "en")
    if name == "authors":
        return label.get("authors") or None
    return label.get(name)


def folder_cases(folder: Path) -> list[tuple[str, str, dict, str]]:
    """``(name, capture text, label, gold body)`` for every capture of a labelled folder."""
    labels = json.loads((folder / "labels.json").read_text(encoding="utf-8"))
    cases = []
    for path in captures_in(folder):
        label = labels[path.stem]
        text = normalize_text(path.read_text(encoding="utf-8"))
        cases.append((path.stem, text, label, gold_body(text, label)))
    return cases


def labels_file_cases(labels_path: Path) -> list[tuple[str, str, dict, str]]:
    """Cases of a labels file keyed by capture path (relative to the file) or by stem in
    ``captures/`` beside it. Captures that do not decode (an empty file) are skipped: they are
    quarantined before extraction."""
    labels = json.loads(labels_path.read_text(encoding="utf-8"))
    root = labels_path.parent
    cases = []
    for key, label in sorted(labels.items()):
        path = root / key if key.endswith(".txt") else root / "captures" / f"{key}.txt"
        raw = path.read_bytes()
        if label.get("quarantined"):
            continue
        text = normalize_text(decode_bytes(raw).text)
        cases.append((key, text, label, gold_body(text, label)))
    return cases


def fiction_label(story: fiction.Article, text: str, table: dict[str, str]) -> dict:
    """The truth behind one rendered fictional article, in the labels' form.

    Only what the text shows is expected: no title when the headline was not rendered, no
    authors when the byline does not print them, no outlet when the page never names it. The
    date is what the printed dateline means under the extractor's precision rules: with a
    known zone the instant (``PT`` read through the tz database, as the text says, although
    the generator uses a fixed -7 hours), otherwise the printed calendar day.
    """
    outlet = fiction._outlet_of(story)
    lines = set(text.split("\n"))
    zone = outlet.tz_label
    if zone in ("", "IST"):  # no zone, or an ambiguous one: the printed day
        d = story.published_at
        published = datetime(d.year, d.month, d.day, tzinfo=UTC)
        precision = "day"
    else:
        wall = story.published_at.replace(tzinfo=None)
        if zone == "PT":
            published = wall.replace(tzinfo=ZoneInfo("America/Los_Angeles")).astimezone(UTC)
        else:
            published = story.published_at.astimezone(UTC)
        precision = "minute"
    names_people = outlet.style not in ("aggregator", "farm")
    updated = story.dateline.startswith(("Updated", "Last updated"))
    return {
        "title": story.headline if story.headline in lines else None,
        "standfirst": story.standfirst,
        "authors": list(story.authors) if names_people else [],
        "outlet": story.outlet if outlet.named else None,
        "published_at": published.isoformat(),
        "published_precision": precision,
        # an "Updated" dateline is the update time; the generator means it as both
        "modified_at": published.isoformat() if updated else None,
        "hints": {"domain_outlets": table},
    }


def fiction_cases(n: int, seed: int) -> list[tuple[str, str, dict, str]]:
    """``n`` rendered fictional articles with their truth (document ``i`` depends only on
    ``seed`` and ``i``)."""
    table = {o.domain: o.name for o in fiction.OUTLETS}
    cases = []
    for i in range(n):
        rng = random.Random(f"{seed}/doc/{i}")
        story = fiction.article(rng)
        text = normalize_text(fiction.render_text(story, rng))
        label = fiction_label(story, text, table)
        cases.append((f"fiction-{seed}-{i}", text, label, "\n".join(story.paragraphs)))
    return cases


def score(folder: Path, *, language: bool = True) -> dict:
    """Score every labelled capture of ``folder``; the report as a dict."""
    return score_cases(folder_cases(folder), language=language)


def score_cases(cases: list[tuple[str, str, dict, str]], *, language: bool = True) -> dict:
    """Score ``(name, capture text, label, gold body)`` cases; the report as a dict."""
    counts = {f: Counter() for f in FIELDS}
    wrong: list[str] = []
    body = Counter()
    missing_flags: list[str] = []
    for name_, text, label, gold_text in cases:
        x = extract_text_capture(text, hints_from(label), language=language)
        for name in FIELDS:
            if name == "language" and not language:
                continue
            got, want = field_value(x, name), label_value(label, name)
            c = counts[name]
            c["labelled"] += want is not None
            if got is not None:
                c["asserted"] += 1
                if got == want:
                    c["correct"] += 1
                else:
                    wrong.append(f"{name_}: {name} = {got!r}, expected {want!r}")
        gold, found = tokens(gold_text), tokens(x.text)
        overlap = sum((gold & found).values())
        body["overlap"] += overlap
        body["found"] += sum(found.values())
        body["gold"] += sum(gold.values())
        for flag in label.get("flags", ()):
            if flag not in x.flags:
                missing_flags.append(f"{name_}: {flag} not in {x.flags}")
    fields = {}
    for name, c in counts.items():
        fields[name] = {
            "asserted": c["asserted"],
            "correct": c["correct"],
            "labelled": c["labelled"],
            "precision": c["correct"] / c["asserted"] if c["asserted"] else None,
            "coverage": c["correct"] / c["labelled"] if c["labelled"] else None,
        }
    p = body["overlap"] / body["found"] if body["found"] else 0.0
    r = body["overlap"] / body["gold"] if body["gold"] else 0.0
    return {
        "captures": len(cases),
        "fields": fields,
        "body": {"precision": p, "recall": r, "f1": 2 * p * r / (p + r) if p + r else 0.0},
        "wrong": wrong,
        "missing_flags": missing_flags,
    }


def describe(folder: Path, *, language: bool = True) -> list[dict]:
    """What the extractor asserts on each capture of an unlabelled folder."""
    out = []
    for path in captures_in(folder):
        text = normalize_text(path.read_text(encoding="utf-8", errors="replace"))
        x = extract_text_capture(text, Hints(), language=language)
        removed = Counter()
        for s in x.spans:
            if s.kind.startswith("furniture-") or s.kind in ("caption", "credit"):
                removed[s.kind] += s.end - s.start
        out.append(
            {
                "capture": path.name,
                "title": x.title,
                "standfirst": x.standfirst,
                "authors": list(x.authors),
                "outlet": x.outlet,
                "published_at": x.published_at.isoformat() if x.published_at else None,
                "published_precision": x.published_precision,
                "modified_at": x.modified_at.isoformat() if x.modified_at else None,
                "language": x.language,
                "body_chars": len(x.text),
                "body_start": x.text[:60],
                "removed_chars": dict(sorted(removed.items())),
                "flags": list(x.flags),
                "evidence": [f"{p.field} <- {p.method}: {p.evidence}" for p in x.provenance],
            }
        )
    return out


def bench(texts: list[str], n: int) -> dict:
    """Mean microseconds per capture, with and without language detection."""
    result = {"captures": len(texts), "mean_chars": sum(map(len, texts)) / len(texts)}
    for language in (False, True):
        extract_text_capture(texts[0], Hints(), language=language)  # warm caches
        t0 = time.perf_counter()
        for i in range(n):
            extract_text_capture(texts[i % len(texts)], Hints(), language=language)
        key = "us_per_doc_with_language" if language else "us_per_doc_without_language"
        result[key] = (time.perf_counter() - t0) / n * 1e6
    return result


def _print_report(report: dict) -> None:
    print(f"captures: {report['captures']}")
    print(
        f"{'field':<13}{'asserted':>9}{'correct':>9}{'labelled':>9}{'precision':>11}{'coverage':>10}"
    )
    for name, f in report["fields"].items():
        prec = "-" if f["precision"] is None else f"{f['precision']:.3f}"
        cov = "-" if f["coverage"] is None else f"{f['coverage']:.3f}"
        print(f"{name:<13}{f['asserted']:>9}{f['correct']:>9}{f['labelled']:>9}{prec:>11}{cov:>10}")
    b = report["body"]
    print(f"body tokens: precision {b['precision']:.3f} recall {b['recall']:.3f} F1 {b['f1']:.3f}")
    for line in report["wrong"]:
        print("WRONG", line)
    for line in report["missing_flags"]:
        print("FLAG", line)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("folder", type=Path, nargs="?")
    parser.add_argument("--labels", type=Path, help="a labels file (entries keyed by path)")
    parser.add_argument("--fiction", type=int, metavar="N", help="score N generated articles")
    parser.add_argument("--seed", type=int, default=0, help="seed of --fiction (default 0)")
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.add_argument("--no-language", action="store_true", help="skip language detection")
    parser.add_argument("--bench", type=int, metavar="N", help="also time N extractions")
    args = parser.parse_args(argv)
    language = not args.no_language
    cases = None
    if args.fiction:
        cases = fiction_cases(args.fiction, args.seed)
    elif args.labels:
        cases = labels_file_cases(args.labels)
    elif args.folder is None:
        parser.error("give a folder, --labels or --fiction")
    elif (args.folder / "labels.json").is_file():
        cases = folder_cases(args.folder)
    if cases is not None:
        report = score_cases(cases, language=language)
        if args.json:
            print(json.dumps(report, indent=1))
        else:
            _print_report(report)
        texts = [text for _, text, _, _ in cases]
    else:
        rows = describe(args.folder, language=language)
        if args.json:
            print(json.dumps(rows, indent=1, ensure_ascii=False))
        else:
            for row in rows:
                print(f"== {row.pop('capture')}")
                for key, value in row.items():
                    print(f"  {key}: {value}")
        texts = [
            normalize_text(p.read_text(encoding="utf-8", errors="replace"))
            for p in captures_in(args.folder)
        ]
    if args.bench:
        print(json.dumps(bench(texts, args.bench)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
