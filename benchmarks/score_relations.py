"""Score relation finding on the generated corpus, or list the relations in a folder of captures.

    python benchmarks/score_relations.py                  # precision/recall per kind, n=2000
    python benchmarks/score_relations.py --n 100000       # + docs/s and peak memory (5% / 1%)
    python benchmarks/score_relations.py --folder ../shared/seeds   # relations with evidence

Times are CPU seconds of this process (the machine may be shared); the generator's own time
is left out. Imports ``archive`` from the repository and ``relations`` from ``tests/``.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path

_REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(_REPO), str(_REPO / "tests")]

from archive.relations import RelationInput, RelationSettings, flags_for  # noqa: E402
from archive.relations.find import RelationFinder  # noqa: E402
from archive.text.normalize import body_text, sha256_text  # noqa: E402


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def score_generated(n: int, seed: int, syndicated: float, spun: float) -> int:
    """Stream a generated corpus into the finder (only the truth is kept), then score it."""
    from relations.corpus import Corpus, stream
    from relations.scoring import score

    before = _peak_mib()
    truth = {}
    generating = 0.0
    finder = RelationFinder(RelationSettings())
    wall, cpu = time.perf_counter(), time.process_time()
    made = time.process_time()
    for record, planted in stream(n, seed=seed, syndicated=syndicated, spun=spun):
        generating += time.process_time() - made
        truth[record.record_id] = planted
        finder.add(record)
        made = time.process_time()
    added = time.process_time()
    relations = list(finder.relations())
    done_cpu, done_wall = time.process_time(), time.perf_counter()
    signatures = added - cpu - generating
    confirming = done_cpu - added
    total = signatures + confirming
    print(
        f"corpus: {len(truth)} records ({syndicated:.0%} syndicated, {spun:.0%} spun), "
        f"streamed (generator CPU {generating:.1f}s, not counted)"
    )
    print(
        f"CPU: signatures {signatures:.1f}s ({len(truth) / signatures:.0f} docs/s); "
        f"candidates+confirmation {confirming:.1f}s; "
        f"relations end to end {len(truth) / total:.0f} docs/s on one core"
    )
    print(f"wall: {done_wall - wall:.1f}s including the generator")
    print(f"peak RSS: {_peak_mib():.0f} MiB (before: {before:.0f} MiB)")
    print("stats:", json.dumps(dict(sorted(finder.stats.items()))))
    print(
        f"{'kind':18} {'found':>7} {'correct':>8} {'precision':>9} {'expected':>8} "
        f"{'recall':>7} {'directed':>8} {'dir.right':>9}"
    )
    failed = False
    for kind, s in score(Corpus((), truth), relations).items():
        print(
            f"{kind:18} {s.found:7d} {s.correct:8d} {s.precision:9.4f} {s.expected:8d} "
            f"{s.recall:7.4f} {s.directed:8d} {s.directed_right:9d}"
        )
        failed |= kind in ("near-duplicate", "paraphrase-of") and s.precision < 0.99
    return 1 if failed else 0


def list_folder(folder: Path) -> int:
    records = []
    for path in sorted(folder.glob("*.txt")):
        text = body_text(path.read_text(encoding="utf-8").split("\n\n"))
        records.append(RelationInput(path.stem, text, sha256_text(text)))
    texts = {r.record_id: r.text for r in records}
    finder = RelationFinder(RelationSettings())
    for record in records:
        finder.add(record)
    relations = list(finder.relations())
    for rel in relations:
        arrow = "->" if rel.directed else "--"
        print(f"\n{rel.source_id} {arrow} {rel.target_id}  {rel.kind}  score={rel.score}")
        _print_evidence(json.loads(rel.evidence), texts[rel.source_id], texts[rel.target_id])
    print("\nflags:", flags_for(relations))
    print("stats:", json.dumps(dict(sorted(finder.stats.items()))))
    return 0


def _print_evidence(ev: dict, src: str, tgt: str) -> None:
    items = ev.get("passages") or ev.get("quotations") or ev.get("sentence_pairs") or []
    for item in items:
        (s0, s1), (t0, t1) = item["source"], item["target"]
        print(f"  source[{s0}:{s1}] {src[s0:s1]!r}")
        print(f"  target[{t0}:{t1}] {tgt[t0:t1]!r}")
        if item.get("substitutions"):
            print("  swaps:", ", ".join(f"{x}->{y}" for x, y in item["substitutions"]))
    rest = {k: v for k, v in ev.items() if k not in ("passages", "quotations", "sentence_pairs")}
    if rest:
        print("  ", json.dumps(rest, ensure_ascii=False))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000, help="records in the generated corpus")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--syndicated", type=float, default=0.05)
    parser.add_argument("--spun", type=float, default=0.01)
    parser.add_argument("--folder", type=Path, help="list relations among the .txt files here")
    args = parser.parse_args()
    if args.folder:
        return list_folder(args.folder)
    return score_generated(args.n, args.seed, args.syndicated, args.spun)


if __name__ == "__main__":
    raise SystemExit(main())
