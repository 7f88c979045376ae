"""Crash safety: ``archive pack`` killed at each of its stages leaves no release or a complete,
verifying one, never a partial one; and the next pack succeeds and clears the leftovers.

Each kill is at a named stage, not at a fraction of a measured time: the pack runs in a process
group of its own, and its progress callback kills the whole group (a machine dying takes the
workers too) when the stage it names is reported."""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import write_captures

from archive import check_release

ROOT = Path(__file__).resolve().parent.parent
RELEASE = "crash-1.0.0"

# (stage, done) reported by pack, and what a kill there leaves: the release being built
# ("building": hidden, not verifying), built but not yet renamed ("built": hidden, verifying),
# or renamed into place ("published").
STOPS = (
    ("extract", 0, "building"),
    ("extract", 150, "building"),
    ("gather", 2, "building"),
    ("finalize", 1, "building"),
    ("relations-index", 3, "building"),
    ("relations-confirm", 0, "building"),
    ("write", 2, "building"),
    ("assemble", 0, "building"),
    ("assemble", 1, "building"),
    ("assemble", 2, "built"),
    ("publish", 0, "built"),
    ("publish", 1, "published"),
)

# Run as a script: pack as `archive pack` would, the group killed at the stage in argv.
KILLED_PACK = """
import os, signal, sys
from datetime import datetime, timezone

from archive import PackSettings, pack
from archive.runtime.process import forgo_pandas, use_system_allocator

use_system_allocator()
forgo_pandas()
corpus, out, jobs, stage, done = sys.argv[1:]

def progress(at, count, total):
    if at == stage and count >= int(done):  # extract counts documents, 50 a unit here
        os.killpg(0, signal.SIGKILL)

created = datetime(2026, 1, 1, tzinfo=timezone.utc)
settings = PackSettings("crash", "1.0.0", created, extract="none", shards=3, jobs=int(jobs),
                        unit_files=50)
pack([corpus], out, settings, progress=progress)
"""


def pack_command(corpus: Path, out: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "archive.cli",
        "pack",
        str(corpus),
        "--out",
        str(out),
        "--name",
        "crash",
        "--version",
        "1.0.0",
        "--extract",
        "none",
        "--shards",
        "3",
        "--created",
        "2026-01-01T00:00:00Z",
        "-q",
    ]


def run(command: list[str]) -> int:
    """Run ``command`` in a process group of its own; its exit code (-9 when killed)."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        return process.wait(timeout=120)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        raise


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    rng = random.Random(3)
    words = ("harbour", "council", "ferry", "ledger", "quarry", "tide", "lantern")
    captures = {}
    for index in range(300):
        body = " ".join(rng.choice(words) for _ in range(120))
        captures[f"wire-{index:03d}.txt"] = f"Wire {index} from fictional Saltmere\n\n{body}.\n"
    return write_captures(tmp_path_factory.mktemp("corpus") / "wires", captures)


def partials(out: Path) -> list[Path]:
    return sorted(out.glob(f".{RELEASE}.partial-*"))


def left_by_kill(out: Path) -> str:
    """What a killed pack left in ``out``: its release in place, or the release it was
    building, whole or not, in its hidden folder; and only its own hidden folder (each pack
    clears those of the packs killed before it)."""
    visible = [p.name for p in out.iterdir() if not p.name.startswith(".")]
    assert visible in ([], [RELEASE]), visible
    (partial,) = partials(out)
    if visible:
        report = check_release(out / RELEASE)
        assert report.ok, report.problems
        return "published"
    return "built" if check_release(partial / "release").ok else "building"


def test_a_pack_killed_at_any_stage_leaves_no_release_or_a_complete_one(corpus, tmp_path):
    out = tmp_path / "dist"
    out.mkdir()
    for trial, (stage, done, expected) in enumerate(STOPS):
        jobs = 1 + trial % 2  # in this process, and in worker processes
        command = [sys.executable, "-c", KILLED_PACK, str(corpus), str(out), str(jobs), stage,
                   str(done)]  # fmt: skip
        assert run(command) == -signal.SIGKILL, f"the pack never reported {stage} {done}"
        assert left_by_kill(out) == expected, (stage, done)
        if expected == "published":
            shutil.rmtree(out / RELEASE)

    assert run(pack_command(corpus, out)) == 0
    assert check_release(out / RELEASE).ok
    assert not partials(out), "leftovers of killed packs remain"
