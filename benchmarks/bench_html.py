"""Benchmark an HTML pack against bare trafilatura + htmldate on the same pages, in one run.

Times, each as a whole process tree with the same number of processes:

* the baseline: one core reading every page and hashing it with SHA-256;
* bare: ``trafilatura.bare_extraction`` and ``htmldate.find_date`` on every page, in a pool of
  ``--jobs`` processes (what a user would otherwise run to get a body and a date);
* ``archive pack --jobs J --no-relations`` of the same pages (decode, extract body and every
  field with evidence, language, hashes, Parquet, manifest, verify-ready release).

and prints each time, docs/s, peak memory (largest process of the tree) and ``pack / bare``,
the figure the target bounds (at most 1.05). The pages are fictional (``benchmarks/fiction.py``)
or, with ``--pages DIR``, a folder of real pages such as ``benchmarks/realpages/pages``.

    python benchmarks/bench_html.py -n 2000
    python benchmarks/bench_html.py --pages benchmarks/realpages/pages --json
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_pack import BASELINE, compile_archive, folder_bytes, measure, row  # noqa: E402

PAGES = (".html", ".htm", ".html.gz", ".htm.gz")

BARE = """
import gzip, os, sys
from multiprocessing import Pool

def one(path):
    from htmldate import find_date
    from trafilatura import bare_extraction

    with (gzip.open if path.endswith(".gz") else open)(path, "rb") as handle:
        page = handle.read()
    bare_extraction(page)
    find_date(page)

PAGES = (".html", ".htm", ".html.gz", ".htm.gz")

if __name__ == "__main__":
    root, jobs = sys.argv[1], int(sys.argv[2])
    paths = sorted(
        os.path.join(folder, name)
        for folder, _, names in os.walk(root)
        for name in names
        if name.endswith(PAGES)
    )
    with Pool(jobs) as pool:
        for _ in pool.imap_unordered(one, paths, chunksize=16):
            pass
"""


def pages(workdir: Path, n: int, seed: int) -> Path:
    dest = workdir / f"html-{n}-{seed}"
    if not (dest / ".complete").exists():
        shutil.rmtree(dest, ignore_errors=True)
        from fiction import generate_html_corpus

        generate_html_corpus(dest / "captures", n, seed=seed, log=False)
        (dest / ".complete").write_text("ok")
    return dest / "captures"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=2000, help="fictional pages to generate")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--pages", type=Path, help="a folder of real pages instead")
    parser.add_argument("--jobs", type=int, default=os.cpu_count())
    parser.add_argument(
        "--workdir", type=Path, default=Path(tempfile.gettempdir()) / "archive-bench"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()

    args.workdir.mkdir(parents=True, exist_ok=True)
    captures = args.pages or pages(args.workdir, args.n, args.seed)
    count = sum(1 for p in captures.rglob("*") if p.name.endswith(PAGES))
    megabytes = folder_bytes(captures) / 1e6
    out = Path(tempfile.mkdtemp(dir=args.workdir))
    env = dict(os.environ, SOURCE_DATE_EPOCH="1767225600")
    jobs = str(args.jobs)

    compile_archive()
    measure([sys.executable, "-c", BASELINE, str(captures)])  # warm the page cache
    baseline = measure([sys.executable, "-c", BASELINE, str(captures)])
    bare = measure([sys.executable, "-c", BARE, str(captures), jobs])
    pack = [sys.executable, "-m", "archive.cli", "pack", str(captures), "--out", str(out)]
    packed = measure(
        [*pack, "--name", "html", "--version", "1.0.0", "--jobs", jobs, "--no-relations", "-q"],
        env,
    )
    shutil.rmtree(out, ignore_errors=True)
    rows = [
        row("read+sha256 (1 core)", baseline, count, megabytes, baseline["wall"]),
        row(
            f"bare trafilatura + htmldate ({jobs} processes)",
            bare,
            count,
            megabytes,
            baseline["wall"],
        ),
        row(f"archive pack --jobs {jobs}", packed, count, megabytes, baseline["wall"]),
    ]
    figures = {
        "pages": count,
        "megabytes": round(megabytes, 1),
        "jobs": args.jobs,
        "source": str(args.pages) if args.pages else f"fiction -n {args.n} --seed {args.seed}",
        "steps": rows,
        "pack_vs_bare": round(packed["wall"] / bare["wall"], 3),
    }
    if args.json:
        print(json.dumps(figures, indent=2))
        return
    print(f"{count} HTML pages ({figures['source']}), {megabytes:.1f} MB, {jobs} processes")
    for step in rows:
        print(
            f"  {step['step']:<44} {step['seconds']:>8.2f} s {step['docs_per_s']:>9.1f} docs/s "
            f"{step['peak_mib']:>7.1f} MiB peak"
        )
    print(f"  pack / bare: {figures['pack_vs_bare']:.3f} (target: at most 1.05)")


if __name__ == "__main__":
    main()
