"""Benchmark a new version: re-pack a corpus after changing a share of its captures.

Packs N fictional captures as version 1.0.0, rewrites ``--changed`` (default 1%) of them, then
packs 1.1.0 from the first (unchanged records are copied from the parent, not re-extracted) and,
for comparison, 1.1.0 again with no parent. Prints each as a whole process: seconds, peak
memory, the incremental pack as a share of the full one, and as a multiple of a one-core
read+sha256 of the same (changed) captures measured in the same run (the target is at most 2x).
``--trust-mtime`` re-packs with that option: the unchanged captures are not read.

    python benchmarks/bench_repack.py -n 100000 --changed 0.01 [--trust-mtime]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_pack import BASELINE, compile_archive, corpus, measure  # noqa: E402


def rewrite_share(captures: Path, share: float, seed: int) -> int:
    """Append a correction to ``share`` of the captures (chosen by ``seed``); return how many."""
    files = sorted(p for p in captures.rglob("*.txt"))
    chosen = random.Random(seed).sample(files, max(1, int(len(files) * share)))
    for path in chosen:
        with open(path, "ab") as handle:
            handle.write(b"\n\nCorrection: an earlier version of this story misspelled a name.\n")
    return len(chosen)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--changed", type=float, default=0.01, help="share of captures rewritten")
    parser.add_argument("--relations", action="store_true", help="also find relations")
    default_workdir = Path(tempfile.gettempdir()) / "archive-bench"
    parser.add_argument("--workdir", type=Path, default=default_workdir)
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="time the read+sha256 and the re-pack this often (the figures are medians)",
    )
    parser.add_argument("--no-fresh", action="store_true", help="skip the pack with no parent")
    parser.add_argument(
        "--trust-mtime",
        action="store_true",
        help="re-pack with --trust-mtime (not reading captures whose size and mtime are unchanged)",
    )
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    base = corpus(args.workdir, args.n, args.seed)
    work = args.workdir / f"repack-{args.n}-{args.seed}"
    shutil.rmtree(work, ignore_errors=True)
    shutil.copytree(base / "captures", work / "captures")
    captures, out = work / "captures", work / "dist"
    env = dict(os.environ, SOURCE_DATE_EPOCH="1767225600")

    def pack(version: str, *extra: str) -> dict:
        command = [sys.executable, "-m", "archive.cli", "pack", str(captures), "--out", str(out),
                   "--name", "bench", "--version", version, "-q",
                   "--capture-log", str(captures / "captures.jsonl"), *extra]  # fmt: skip
        if not args.relations:
            command.append("--no-relations")
        return measure(command, env)

    full = pack("1.0.0")
    changed = rewrite_share(captures, args.changed, args.seed)
    compile_archive()
    measure([sys.executable, "-c", BASELINE, str(captures)])  # warm the page cache
    baselines, incrementals = [], []
    for attempt in range(args.repeat):
        if attempt:  # the same version again: the last one and its pack cache go first
            shutil.rmtree(out / "bench-1.1.0")
            shutil.rmtree(out / ".archive-cache" / "bench-1.1.0", ignore_errors=True)
        baselines.append(measure([sys.executable, "-c", BASELINE, str(captures)]))
        trust = ["--trust-mtime"] if args.trust_mtime else []
        incrementals.append(pack("1.1.0", "--from", str(out / "bench-1.0.0"), *trust))
    baseline, incremental = _median(baselines), _median(incrementals)
    fresh = None if args.no_fresh else pack("1.1.0-fresh", "--no-parent")
    manifest = json.loads((out / "bench-1.1.0" / "manifest.json").read_bytes())
    figures = {
        "captures": args.n,
        "changed": changed,
        "reused": manifest["counts"]["reused"],
        "read_sha256_s": round(baseline["wall"], 2),
        "full_pack_s": round(full["wall"], 2),
        "incremental_pack_s": round(incremental["wall"], 2),
        "fresh_pack_s": round(fresh["wall"], 2) if fresh else None,
        "incremental_share_of_full": round(incremental["wall"] / full["wall"], 4),
        "incremental_vs_read_sha256": round(incremental["wall"] / baseline["wall"], 2),
        "peak_mib_full": round(full["peak_mib"]),
        "peak_mib_incremental": round(incremental["peak_mib"]),
        "incremental_equals_fresh": None if fresh is None else _same_shards(out),
        "repeats": args.repeat,
        "trust_mtime": args.trust_mtime,
    }
    shutil.rmtree(work, ignore_errors=True)
    if args.json:
        print(json.dumps(figures, indent=2))
        return
    for key, value in figures.items():
        print(f"{key:28} {value}")


def _median(results: list[dict]) -> dict:
    """The median wall time of ``results``, with the largest peak memory among them."""
    walls = sorted(r["wall"] for r in results)
    return {"wall": statistics.median(walls), "peak_mib": max(r["peak_mib"] for r in results)}


def _same_shards(out: Path) -> bool:
    """Whether the re-pack's record shards are byte for byte those of the pack with no parent."""
    reused = sorted((out / "bench-1.1.0" / "data").glob("*.parquet"))
    fresh = sorted((out / "bench-1.1.0-fresh" / "data").glob("*.parquet"))
    names = [p.name for p in reused] == [p.name for p in fresh]
    return names and all(
        a.read_bytes() == b.read_bytes() for a, b in zip(reused, fresh, strict=False)
    )


if __name__ == "__main__":
    main()
