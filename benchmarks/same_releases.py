"""Check that two versions of archive's code make the same releases, byte for byte.

A speed change must not change a release (issue 17: release bytes change only with the
extractor version). This packs fixed corpora with each version, in a process of its own, and
compares every file of the releases by SHA-256; it prints the files that differ and exits 1
when any does (2 when a pack fails). A version is a git commit of this repository (checked out
apart, then removed) or the folder of a checkout (its ``archive`` package and ``schemas``).

    python benchmarks/same_releases.py 0fcd46b HEAD
    python benchmarks/same_releases.py HEAD /path/to/checkout --sets examples,realtext -n 2000

The sets: ``examples`` (the bundled corpus), ``realtext`` and ``realpages`` (the 303 real
pages, as text and as HTML), ``text`` and ``html`` (``-n`` fictional captures and pages of
``fiction.py``) and ``planted`` (the relation test corpus, 5% syndicated and 1% spun). The
pack cache beside the releases is not compared: its key holds a digest of the code.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

from bench_html import pages  # noqa: E402
from bench_pack import corpus  # noqa: E402

SETS = ("examples", "realtext", "realpages", "text", "html", "planted")
CREATED = "2026-01-01T00:00:00Z"


def release_files(release: Path) -> dict[str, str]:
    """relative path -> SHA-256 of every file of ``release``."""
    return {
        path.relative_to(release).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(release.rglob("*"))
        if path.is_file()
    }


def differences(old: dict[str, str], new: dict[str, str]) -> list[str]:
    """The files one listing has and the other has not, or with other bytes, sorted.

    >>> differences({"a": "1", "b": "2"}, {"a": "1", "b": "3", "c": "4"})
    ['b: other bytes', 'c: only in the second']
    """
    found = []
    for name in sorted(old.keys() | new.keys()):
        if name not in new:
            found.append(f"{name}: only in the first")
        elif name not in old:
            found.append(f"{name}: only in the second")
        elif old[name] != new[name]:
            found.append(f"{name}: other bytes")
    return found


def pack_arguments(name: str, workdir: Path, n: int) -> list[str]:
    """The sources and options of ``archive pack`` for the set ``name``."""
    if name == "examples":
        root = REPO / "examples"
        return [str(root / "captures"), "--capture-log", str(root / "captures.jsonl"),
                "--outlets", str(root / "outlets.toml")]  # fmt: skip
    if name in ("realtext", "realpages"):
        root = HERE / name
        return [str(root / "pages"), "--capture-log", str(root / "captures.jsonl")]
    if name == "html":  # as bench_html.py packs them: with no capture log
        return [str(pages(workdir, n, 0))]
    kind = "fiction" if name == "text" else "planted"
    captures = corpus(workdir, n, 0, kind) / "captures"
    return [str(captures), "--capture-log", str(captures / "captures.jsonl")]


def packed(code: Path, name: str, arguments: list[str], out: Path, jobs: int) -> Path:
    """The release of set ``name`` packed by the archive package in folder ``code``."""
    command = [sys.executable, "-m", "archive.cli", "pack", *arguments, "--out", str(out),
               "--name", name, "--version", "1.0.0", "--created", CREATED, "--no-parent",
               "--jobs", str(jobs), "-q"]  # fmt: skip
    # Run from ``out``: a working folder holding another ``archive`` would shadow ``code``.
    env = dict(os.environ, PYTHONPATH=str(code))
    subprocess.run(command, env=env, cwd=out, check=True, stdout=subprocess.DEVNULL)
    return out / f"{name}-1.0.0"


def checked_out(version: str, folder: Path) -> Path:
    """A folder holding ``version``'s archive package: the folder itself, or a checkout of the
    commit at ``folder`` (a git worktree, removed by ``removed``)."""
    if (Path(version) / "archive" / "__init__.py").is_file():
        return Path(version).resolve()
    subprocess.run(["git", "-C", str(REPO), "worktree", "add", "--detach", str(folder), version],
                   check=True, capture_output=True)  # fmt: skip
    return folder


def removed(folder: Path, scratch: Path) -> None:
    """Remove ``folder`` when it is a worktree ``checked_out`` made in ``scratch``; a folder
    we were given stays, though it may be a worktree too (it has a .git file as well)."""
    if folder.parent == scratch and (folder / ".git").is_file():
        subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force", str(folder)],
                       check=True, capture_output=True)  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("first", help="a git commit, or the folder of a checkout")
    parser.add_argument("second", help="the same, for the version to compare")
    parser.add_argument("--sets", default=",".join(SETS), help=f"of {', '.join(SETS)}")
    parser.add_argument("-n", type=int, default=10_000, help="captures of the generated sets")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    workdir = Path(tempfile.gettempdir()) / "archive-same"
    parser.add_argument("--workdir", type=Path, default=workdir, help="the generated sets")
    args = parser.parse_args(argv)
    sets = [s for s in args.sets.split(",") if s]
    unknown = sorted(set(sets) - set(SETS))
    if unknown:
        parser.error(f"unknown sets: {', '.join(unknown)}")
    args.workdir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="archive-same-") as scratch:
        scratch = Path(scratch)
        versions = (args.first, args.second)
        codes = [checked_out(v, scratch / f"code-{k}") for k, v in enumerate(versions)]
        try:
            differing = 0
            for name in sets:
                arguments = pack_arguments(name, args.workdir, args.n)
                listings = []
                for k, code in enumerate(codes):
                    out = scratch / f"out-{k}-{name}"
                    out.mkdir()
                    try:
                        release = packed(code, name, arguments, out, args.jobs)
                    except subprocess.CalledProcessError as exc:
                        print(f"{name}: the pack of {versions[k]} failed ({exc.returncode})")
                        return 2
                    listings.append(release_files(release))
                found = differences(*listings)
                differing += bool(found)
                print(f"{name}: {len(listings[0])} files, " + ("same" if not found else "DIFFER"))
                for line in found:
                    print(f"  {line}")
        finally:
            for code in codes:
                removed(code, scratch)
    return 1 if differing else 0


if __name__ == "__main__":
    sys.exit(main())
