"""SIGTERM and SIGHUP to a pack are met as Ctrl-C is: the workers stop, the partial release is
removed, and the command exits 128 + the signal's number, leaving no process behind."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest


def _session(sid: int) -> list[int]:
    """The processes of session ``sid`` (the pack, its fork server, workers, tracker)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rpartition(")")[2].split()
            except OSError:
                continue
            if int(fields[3]) == sid and fields[0] != "Z":
                found.append(int(entry.name))
    return found


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
def test_a_signalled_pack_stops_its_workers_and_removes_its_partial_release(tmp_path, signum):
    captures = tmp_path / "captures"
    captures.mkdir()
    for n in range(3000):
        (captures / f"{n:04}.txt").write_text(
            f"Story number {n}\n\nBy Ada Quill\n\nThe council met on Monday about item {n}.\n",
            encoding="utf-8",
        )
    dist = tmp_path / "dist"
    process = subprocess.Popen(
        [sys.executable, "-m", "archive.cli", "pack", str(captures), "--out", str(dist),
         "--version", "1.0.0", "--jobs", "2"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
    )  # fmt: skip
    deadline = time.monotonic() + 120
    while len(_session(process.pid)) < 5 and time.monotonic() < deadline:  # both workers up
        time.sleep(0.05)
    assert process.poll() is None, process.stderr.read()
    process.send_signal(signum)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 128 + signum
    assert stderr.decode().splitlines() == ["archive: interrupted; nothing was written"]
    deadline = time.monotonic() + 10
    while _session(process.pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _session(process.pid) == []
    assert sorted(p.name for p in dist.iterdir()) == []
