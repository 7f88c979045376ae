"""Benchmark `archive report`: build the report of a generated N-record release, and open it.

Generates N fictional captures (``bench_pack.corpus``), packs them (not timed), then times
``archive report`` as a whole process (the verify it runs included, ``--level`` as given) with
its peak memory, the report's size in files and bytes, and how long the system's Chromium
takes to load ``index.html`` and ``records.html`` from file:// (navigation start to the load
event, then the record table drawn). Projects the 1,000,000-record figures: time grows with
the records (one pass over the shards, and verify); the size does not, past the sampled record
table (``TABLE_ROWS``) and the bounded record and relation pages.

    python benchmarks/bench_report.py -n 20000
    python benchmarks/bench_report.py -n 100000 --level hashes --json
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_pack import corpus, folder_bytes, measure  # noqa: E402

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip


def load_seconds(page: Path, profile: Path, ready: str) -> float:
    """Seconds from navigation to the load event of ``page``, then until ``ready`` matches."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch_persistent_context(
            str(profile), executable_path=str(CHROMIUM), headless=True, args=ARGS
        )
        try:
            tab = browser.new_page()
            tab.goto("about:blank")
            started = time.perf_counter()
            tab.goto(page.as_uri(), wait_until="load")
            tab.wait_for_selector(ready)
            return time.perf_counter() - started
        finally:
            browser.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=20_000, help="captures to generate")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--level", default="rows", help="report --level (the verify it shows)")
    parser.add_argument("--no-relations", action="store_true", help="pack without relations")
    parser.add_argument(
        "--workdir", type=Path, default=Path(tempfile.gettempdir()) / "archive-bench"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()

    args.workdir.mkdir(parents=True, exist_ok=True)
    base = corpus(args.workdir, args.n, args.seed)
    out = base / "dist"
    release = out / "bench-1.0.0"
    if not (release / "manifest.json.sha256").exists():
        shutil.rmtree(out, ignore_errors=True)
        pack = [sys.executable, "-m", "archive.cli", "pack", str(base / "captures"), "--out",
                str(out), "--name", "bench", "--version", "1.0.0", "-q"]  # fmt: skip
        env = dict(os.environ, SOURCE_DATE_EPOCH="1767225600")
        subprocess.run(pack + (["--no-relations"] if args.no_relations else []), env=env,
                       check=True)  # fmt: skip
    report = out / "bench-1.0.0-report"
    command = [sys.executable, "-m", "archive.cli", "report", str(release), "--force",
               "--level", args.level]  # fmt: skip
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    built = measure(command)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    size = folder_bytes(report)
    files = sum(1 for p in report.rglob("*") if p.is_file())
    figures = {
        "records": args.n,
        "release_mb": round(folder_bytes(release) / 1e6, 1),
        "report_seconds": round(built["wall"], 2),
        # CPU seconds of the report's processes: on a shared machine, wall time is mostly waiting.
        "report_cpu_seconds": round(cpu, 2),
        "report_peak_mib": round(built["peak_mib"], 1),
        "report_mb": round(size / 1e6, 2),
        "report_files": files,
        "records_html_mb": round((report / "records.html").stat().st_size / 1e6, 2),
    }
    if CHROMIUM.is_file():
        with tempfile.TemporaryDirectory() as profile:
            figures["load_index_s"] = round(
                load_seconds(report / "index.html", Path(profile) / "a", "#chart-outlets svg"), 3
            )
            figures["load_records_s"] = round(
                load_seconds(report / "records.html", Path(profile) / "b", "#records-table td"), 3
            )
    scale = 1_000_000 / args.n
    figures["projected_1m_report_seconds"] = round(built["wall"] * scale, 1)
    figures["projected_1m_report_cpu_seconds"] = round(cpu * scale, 1)
    # The table, record pages and relation pages are bounded; the index grows only with the
    # outlets and months drawn. So the size stays what it is once N passes the table's cap.
    figures["projected_1m_report_mb"] = figures["report_mb"]
    if args.json:
        print(json.dumps(figures, indent=2))
    else:
        for key, value in figures.items():
            print(f"{key:32} {value}")


if __name__ == "__main__":
    main()
