"""WARC reading speed: fastwarc vs warcio, digests checked, against read-and-hash of the same files.

Generates (once, deterministically) a WARC set of fictional news pages wrapped in realistic page
furniture, as a crawler writes it: per page a request, a response and a metadata record, with a
revisit every tenth page; one ``.warc.gz`` (a gzip member per record) and one plain ``.warc``.
Then each reader runs in its own subprocess, so peak memory (VmHWM) is its own; the ``archive-pack``
reader counts the largest process of the pack's whole tree, workers included.

    python benchmarks/bench_warc.py --pages 20000 --dir /tmp/warcbench
    python benchmarks/bench_warc.py --size-mb 3000   # a multi-GB set (takes a while to write)
    python benchmarks/bench_warc.py --readers archive-pack --jobs 2   # one file on two cores

Prints one line per (file, reader): records/s, MB/s of file bytes, peak RSS in MiB. The
``archive-pack`` reader is a whole ``archive pack`` of the file (every response extracted with
trafilatura; relations off), counted in WARC records read.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import random
import resource
import subprocess
import sys
import time
import zlib
from pathlib import Path

READERS = ("fastwarc", "warcio", "iter_warc", "read+sha256", "gunzip+sha256", "archive-pack")

_WORDS = (
    "harbour",
    "council",
    "ferry",
    "village",
    "market",
    "bridge",
    "orchard",
    "valley",
    "keeper",
    "light",
    "river",
    "storm",
    "school",
    "library",
    "festival",
    "choir",
    "tower",
    "cottage",
    "donors",
    "restoration",
    "winter",
    "spring",
    "harvest",
    "growers",
    "cooperative",
    "meeting",
    "hall",
    "residents",
    "plan",
    "route",
    "museum",
    "archive",
    "station",
    "quay",
    "the",
    "of",
    "and",
    "to",
    "in",
    "a",
    "on",
    "for",
    "with",
    "from",
    "by",
    "at",
    "as",
    "after",
    "before",
)
_PLACES = ("Tarrow Point", "Saltmere", "Aldergate", "Pellham", "Rouvray", "Wendlecombe")
_PEOPLE = ("Maren Oakhill", "Idris Fenwhistle", "Tobiah Wrenfield", "Odile Brackenbury")
_OUTLETS = (
    ("harbourlight-gazette.org", "Harbourlight Gazette"),
    ("valemont-courier.net", "Valemont Courier"),
    ("wendlecombe-post.co.uk", "Wendlecombe Post"),
)


def _sentence(rng: random.Random) -> str:
    words = [rng.choice(_WORDS) for _ in range(rng.randint(9, 24))]
    words.insert(rng.randrange(len(words)), rng.choice(_PLACES))
    return " ".join(words).capitalize() + "."


def render_page(n: int, rng: random.Random) -> tuple[str, bytes]:
    """A fictional article page (~25-60 KB, like real news pages with inline script and style)."""
    domain, outlet = _OUTLETS[n % len(_OUTLETS)]
    title = _sentence(rng)[:80]
    paragraphs = "".join(
        f"<p>{' '.join(_sentence(rng) for _ in range(rng.randint(2, 5)))}</p>\n"
        for _ in range(rng.randint(6, 18))
    )
    nav = "".join(f'<li><a href="/s/{w}">{w.title()}</a></li>' for w in _WORDS[:20])
    related = "".join(f'<li><a href="/story/{n}-{i}">{_sentence(rng)}</a></li>' for i in range(8))
    script = "var cfg=" + json.dumps({f"k{i}": rng.getrandbits(64) for i in range(400)}) + ";"
    style = "".join(
        f".c{i}{{margin:{i % 7}px;color:#{i * 4099 % 0xFFFFFF:06x}}}" for i in range(300)
    )
    day = 1 + n % 28
    page = f"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<title>{title} | {outlet}</title>
<meta property="og:site_name" content="{outlet}"><meta property="og:title" content="{title}">
<meta name="author" content="{rng.choice(_PEOPLE)}">
<meta property="article:published_time" content="2024-02-{day:02d}T09:30:00+00:00">
<style>{style}</style><script>{script}</script></head><body>
<div class="cookie-banner"><p>We use cookies. <button>Accept</button></p></div>
<header><a href="/">{outlet}</a><nav><ul>{nav}</ul></nav></header>
<main><article><h1>{title}</h1><div class="body">{paragraphs}</div></article>
<aside><h3>Related</h3><ul>{related}</ul></aside></main>
<footer><p>&copy; 2024 {outlet}</p></footer></body></html>"""
    return f"https://www.{domain}/news/{n}", page.encode("utf-8")


def generate(directory: Path, pages: int, plain: bool = True) -> list[Path]:
    """Write bench-<pages>.warc.gz and bench-<pages>.warc (same records), each unless it
    already exists; with ``plain`` false, the ``.warc.gz`` alone. The page count is in the name:
    a set of another size in the same folder is another set."""
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    paths = [directory / f"bench-{pages}.warc.gz", directory / f"bench-{pages}.warc"]
    paths = paths[: 2 if plain else 1]
    directory.mkdir(parents=True, exist_ok=True)
    for path in paths:
        if path.exists():
            continue
        rng = random.Random(20240307)
        # written under another name first: a run stopped midway left a short file that the
        # next run took for the whole set
        partial = path.with_name(path.name + ".partial")
        with open(partial, "wb") as out:
            writer = WARCWriter(out, gzip=path.suffix == ".gz", warc_version="1.1")
            for n in range(pages):
                url, body = render_page(n, rng)
                date = f"2024-03-{1 + n % 28:02d}T10:{n % 60:02d}:00Z"
                ids = [f"<urn:uuid:00000000-0000-4000-8000-{3 * n + k:012d}>" for k in range(3)]
                request = f"GET /news/{n} HTTP/1.1\r\nHost: example\r\n\r\n".encode()
                writer.write_record(
                    writer.create_warc_record(
                        url,
                        "request",
                        payload=io.BytesIO(request),
                        length=len(request),
                        warc_content_type="application/http; msgtype=request",
                        warc_headers_dict={"WARC-Record-ID": ids[0], "WARC-Date": date},
                    )
                )
                http = StatusAndHeaders(
                    "200 OK",
                    [
                        ("Content-Type", "text/html; charset=utf-8"),
                        ("Content-Length", str(len(body))),
                    ],
                    protocol="HTTP/1.1",
                )
                writer.write_record(
                    writer.create_warc_record(
                        url,
                        "response",
                        payload=io.BytesIO(body),
                        length=len(body),
                        http_headers=http,
                        warc_headers_dict={
                            "WARC-Record-ID": ids[1],
                            "WARC-Date": date,
                            "WARC-IP-Address": "192.0.2.1",
                        },
                    )
                )
                meta = f"outlinks: {n % 40}\r\n".encode()
                writer.write_record(
                    writer.create_warc_record(
                        url,
                        "metadata",
                        payload=io.BytesIO(meta),
                        length=len(meta),
                        warc_content_type="application/warc-fields",
                        warc_headers_dict={"WARC-Record-ID": ids[2], "WARC-Date": date},
                    )
                )
        partial.replace(path)
    return paths


def run_fastwarc(path: Path) -> int:
    from fastwarc.warc import ArchiveIterator, WarcRecordType

    count = 0
    with open(path, "rb") as stream:
        for record in ArchiveIterator(stream, parse_http=True):
            count += 1
            if record.record_type == WarcRecordType.response:
                record.verify_payload_digest()
                record.reader.read()
    return count


def run_warcio(path: Path) -> int:
    from warcio.archiveiterator import ArchiveIterator

    count = 0
    with open(path, "rb") as stream:
        for record in ArchiveIterator(stream, check_digests=True):
            count += 1
            record.content_stream().read()
    return count


def run_iter_warc(path: Path) -> int:
    from archive.capture.warc import iter_warc

    return sum(1 for _ in iter_warc(path, check_digests=True))


def run_read_sha256(path: Path) -> int:
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        while block := stream.read(512 * 1024):
            digest.update(block)
    return 0


def run_gunzip_sha256(path: Path) -> int:
    digest = hashlib.sha256()
    inflate = zlib.decompressobj(31)
    with open(path, "rb") as stream:
        while block := stream.read(512 * 1024):
            data = inflate.decompress(block)
            while inflate.eof:  # next gzip member
                rest = inflate.unused_data
                inflate = zlib.decompressobj(31)
                data += inflate.decompress(rest)
            digest.update(data)
    return 0


def run_archive_pack(path: Path) -> int:
    """A whole ``archive pack`` of the one file (HTML extraction included, relations off)."""
    import os
    import shutil

    source = path.parent / f"pack-{path.name}" / "crawl"
    out = path.parent / f"pack-{path.name}" / "dist"
    shutil.rmtree(source.parent, ignore_errors=True)
    source.mkdir(parents=True)
    os.link(path, source / path.name)
    root = Path(__file__).resolve().parents[1]
    command = [
        sys.executable,
        "-m",
        "archive.cli",
        "pack",
        str(source),
        "--out",
        str(out),
        "--version",
        "1.0.0",
        "--no-relations",
        "-q",
        "--created",
        "2026-01-01T00:00:00Z",
        "--jobs",
        str(_PACK_JOBS[0]),
    ]
    ran = _measure_tree(command, dict(os.environ, PYTHONPATH=str(root)))
    _PACK_PEAK_MIB.append(ran["peak_mib"])
    _PACK_CPU_S.append(ran["cpu_s"])
    _PACK_PROCESS_S.append(ran["process_s"])
    _PACK_DRIVER_S.append(ran["driver_s"])
    manifest = json.loads((out / "crawl-1.0.0" / "manifest.json").read_bytes())
    shutil.rmtree(source.parent, ignore_errors=True)
    counts = manifest["counts"]
    skipped = sum(manifest["warc_records_skipped"].values())
    return counts["records"] + skipped + counts["quarantined"]


_PACK_PEAK_MIB: list[float] = []  # archive-pack: the largest process of the pack's tree
_PACK_CPU_S: list[float] = []  # archive-pack: CPU seconds of every process of the tree
_PACK_PROCESS_S: list[list[float]] = []  # archive-pack: CPU seconds of each process, largest first
_PACK_DRIVER_S: list[float] = []  # archive-pack: CPU seconds of the pack's own process (serial)


def _measure_tree(command: list[str], env: dict) -> dict:
    """Run ``command``; its wall time, and, read from ``/proc`` every 50 ms, the largest
    ``VmHWM`` of its tree and each process's CPU time as last seen (a fork server's workers
    are not our children's children, so ``RUSAGE_CHILDREN`` would miss them)."""
    import os
    import threading

    tick = os.sysconf("SC_CLK_TCK")
    peak, cpu = [0.0], {}

    def tree(root: int) -> list[int]:
        parent = {}
        for name in os.listdir("/proc"):
            try:
                with open(f"/proc/{name}/stat") as f:
                    fields = f.read().rpartition(")")[2].split()
                parent[int(name)] = int(fields[1])
                if int(name) in found or int(fields[1]) in found:
                    cpu[int(name)] = (int(fields[11]) + int(fields[12])) / tick
            except (OSError, ValueError, IndexError):
                pass
        todo, seen = [root], []
        while todo:
            pid = todo.pop()
            seen.append(pid)
            todo += [c for c, q in parent.items() if q == pid]
        return seen

    def hwm(pid: int) -> float:
        try:
            with open(f"/proc/{pid}/status") as f:
                for line in f:
                    if line.startswith("VmHWM:"):
                        return int(line.split()[1]) / 1024
        except OSError:
            pass
        return 0.0

    start = time.perf_counter()
    child = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)
    found: set[int] = {child.pid}

    def watch() -> None:
        while child.poll() is None:
            found.update(tree(child.pid))
            peak[0] = max([peak[0], *(hwm(p) for p in found)])
            time.sleep(0.05)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    code = child.wait()
    wall = time.perf_counter() - start
    watcher.join()
    if code != 0:
        raise SystemExit(f"{' '.join(command)} exited {code}")
    return {"wall": wall, "peak_mib": peak[0], "cpu_s": sum(cpu.values()),
            "driver_s": cpu.get(child.pid, 0.0),
            "process_s": sorted((round(c, 2) for c in cpu.values()), reverse=True)}  # fmt: skip


_PACK_JOBS = [1]  # archive-pack: --jobs (a big file is cut into spans, one task each)

RUNNERS = {
    "fastwarc": run_fastwarc,
    "warcio": run_warcio,
    "iter_warc": run_iter_warc,
    "read+sha256": run_read_sha256,
    "gunzip+sha256": run_gunzip_sha256,
    "archive-pack": run_archive_pack,
}


def measure(reader: str, path: Path) -> dict:
    """Run one reader over one file in this process; print a JSON line."""
    if reader == "iter_warc":  # import (and archive's package imports) outside the timing
        sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
        import archive.capture.warc  # noqa: F401
    start = time.perf_counter()
    records = RUNNERS[reader](path)
    seconds = time.perf_counter() - start
    return {
        "reader": reader,
        "file": path.name,
        "records": records,
        "seconds": round(seconds, 3),
        "records_per_s": round(records / seconds) if records else None,
        "mb_per_s": round(path.stat().st_size / seconds / 1e6, 1),
        "peak_rss_mib": round(max([_peak_rss_mib(), *_PACK_PEAK_MIB]), 1),
        "cpu_s": round(sum(_PACK_CPU_S), 2) if _PACK_CPU_S else None,
        "process_cpu_s": [c for c in _PACK_PROCESS_S[0] if c >= 0.05] if _PACK_PROCESS_S else None,
        "driver_cpu_s": round(_PACK_DRIVER_S[0], 2) if _PACK_DRIVER_S else None,
    }


def _peak_rss_mib() -> float:
    # VmHWM, not ru_maxrss: on Linux ru_maxrss survives exec, so a child would report its
    # parent's peak.
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", type=Path, default=Path("/tmp/warcbench"))
    parser.add_argument("--pages", type=int, default=10000)
    parser.add_argument("--size-mb", type=int, help="pages enough for about this many MB per file")
    parser.add_argument("--readers", default=",".join(READERS))
    parser.add_argument("--jobs", type=int, default=1, help="archive-pack: worker processes")
    parser.add_argument("--gz-only", action="store_true", help="write and read the .warc.gz alone")
    parser.add_argument("--one", nargs=2, metavar=("READER", "FILE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    _PACK_JOBS[0] = args.jobs
    if args.one:
        print(json.dumps(measure(args.one[0], Path(args.one[1]))))
        return
    pages = args.size_mb * 1_000_000 // 42_000 if args.size_mb else args.pages
    paths = generate(args.dir, pages, plain=not args.gz_only)
    for path in paths:
        size_mb = path.stat().st_size / 1e6
        print(f"{path.name}: {size_mb:.1f} MB, {pages} pages, {3 * pages} records")
        for reader in args.readers.split(","):
            if reader == "gunzip+sha256" and path.suffix != ".gz":
                continue
            out = subprocess.run(
                [sys.executable, __file__, "--one", reader, str(path), "--jobs", str(args.jobs)],
                check=True,
                capture_output=True,
                text=True,
            ).stdout
            row = json.loads(out)
            print(
                f"  {row['reader']:14} {row['records_per_s'] or '-':>8} rec/s "
                f"{row['mb_per_s']:>8} MB/s  peak {row['peak_rss_mib']} MiB"
                + (f"  cpu {row['cpu_s']} s" if row["cpu_s"] is not None else "")
                + (f" (driver {row['driver_cpu_s']} s)" if row["driver_cpu_s"] is not None else "")
            )


if __name__ == "__main__":
    main()
