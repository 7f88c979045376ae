"""SIGTERM and SIGHUP to a pack are met as Ctrl-C is: the workers stop, the partial release is
removed, and the command exits 128 + the signal's number, leaving no process behind."""

from __future__ import annotations

import os
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


class _Stop(Exception):
    pass


def _raise_stop(signum, frame):
    raise _Stop(signum)


def test_a_stop_inside_a_held_block_acts_when_the_block_ends():
    from archive.runtime.process import stops_held

    before = signal.signal(signal.SIGTERM, _raise_stop)
    try:
        reached = []
        with pytest.raises(_Stop), stops_held():
            signal.raise_signal(signal.SIGTERM)
            reached.append("after the signal")
        assert reached == ["after the signal"]
        assert signal.getsignal(signal.SIGTERM) is _raise_stop
    finally:
        signal.signal(signal.SIGTERM, before)


def test_the_local_executor_holds_stops_while_a_submit_starts_a_worker():
    from archive.runtime.executors import LocalExecutor

    order = []

    def stop(signum, frame):
        order.append("handled")
        raise _Stop(signum)

    before = signal.signal(signal.SIGHUP, stop)
    try:
        with LocalExecutor(2) as executor:
            submit = executor._pool.submit

            def signalled_submit(*args):
                signal.raise_signal(signal.SIGHUP)  # lands as the pool forks its workers
                future = submit(*args)
                order.append("submitted")
                return future

            executor._pool.submit = signalled_submit
            with pytest.raises(_Stop):
                list(executor.map(abs, [-1]))
    finally:
        signal.signal(signal.SIGHUP, before)
    assert order == ["submitted", "handled"]


_SLOW_SPAWN = """
import time
import concurrent.futures.process as process


def _spawn_process(self):
    worker = self._mp_context.Process(
        target=process._process_worker,
        args=(self._call_queue, self._result_queue, self._initializer, self._initargs,
              self._max_tasks_per_child),
    )
    worker.start()
    time.sleep(3)  # the window between a worker's fork and the pool's record of it, widened
    self._processes[worker.pid] = worker


process.ProcessPoolExecutor._spawn_process = _spawn_process
"""


def test_a_stop_between_a_workers_fork_and_its_record_leaves_no_worker_behind(tmp_path):
    (tmp_path / "sitecustomize.py").write_text(_SLOW_SPAWN)  # imported by every process
    captures = tmp_path / "captures"
    captures.mkdir()
    for n in range(50):
        (captures / f"{n:02}.txt").write_text(f"Item {n}\n\nThe council met on Monday.\n")
    dist = tmp_path / "dist"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), *sys.path])}
    process = subprocess.Popen(
        [sys.executable, "-m", "archive.cli", "pack", str(captures), "--out", str(dist),
         "--version", "1.0.0", "--jobs", "2"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True, env=env,
    )  # fmt: skip
    deadline = time.monotonic() + 120
    # the command, its fork server and resource tracker, and a worker just forked
    while len(_session(process.pid)) < 4 and time.monotonic() < deadline:
        time.sleep(0.02)
    time.sleep(0.3)
    assert process.poll() is None, process.stderr.read()
    process.send_signal(signal.SIGTERM)
    try:
        _, stderr = process.communicate(timeout=60)
    finally:
        for pid in _session(process.pid):  # a worker the pool never knew holds stderr open
            os.kill(pid, signal.SIGKILL)
    assert process.returncode == 128 + signal.SIGTERM
    assert stderr.decode().splitlines() == ["archive: interrupted; nothing was written"]


def test_every_stop_held_acts_once_the_block_ends():
    from archive.runtime.process import stops_held

    came = []
    before = {s: signal.signal(s, lambda signum, frame: came.append(signum)) for s in _STOPS}
    try:
        with stops_held():
            signal.raise_signal(signal.SIGHUP)
            signal.raise_signal(signal.SIGTERM)
            signal.raise_signal(signal.SIGHUP)
            assert came == []
    finally:
        for signum, handler in before.items():
            signal.signal(signum, handler)
    assert sorted(came) == sorted([signal.SIGHUP, signal.SIGTERM])


_STOPS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


def test_a_stop_raised_while_the_handlers_go_back_waits_until_all_are_back(monkeypatch):
    from archive.runtime import process

    mine = {s: (lambda signum, frame: None) for s in _STOPS}
    before = {s: signal.signal(s, handler) for s, handler in mine.items()}
    real = signal.signal
    calls = []

    def interrupted_once(signum, handler):
        calls.append(signum)
        if len(calls) == 2:  # Ctrl-C's handler, put back first, meets a Ctrl-C
            raise KeyboardInterrupt
        return real(signum, handler)

    try:
        with pytest.raises(KeyboardInterrupt), process.stops_held():
            monkeypatch.setattr(process.signal, "signal", interrupted_once)
        monkeypatch.undo()
        assert {s: signal.getsignal(s) for s in _STOPS} == mine
    finally:
        monkeypatch.undo()
        for signum, handler in before.items():
            signal.signal(signum, handler)


def test_a_process_forked_inside_a_hold_has_the_real_handlers():
    from archive.runtime.process import stops_held

    read, write = os.pipe()
    with stops_held():
        pid = os.fork()
        if pid == 0:  # the child: report its handlers, then leave at once
            names = [getattr(signal.getsignal(s), "__name__", "") for s in _STOPS]
            os.write(write, ",".join(names).encode())
            os._exit(0)
    os.close(write)
    os.waitpid(pid, 0)
    reported = os.read(read, 1000).decode().split(",")
    os.close(read)
    assert reported == [getattr(signal.getsignal(s), "__name__", "") for s in _STOPS]
    assert "hold" not in reported


def test_a_held_stop_that_raises_does_not_drop_the_others():
    from archive.runtime.process import stops_held

    came = []

    def stop(signum, frame):
        came.append(signum)
        raise _Stop(signum)

    before = {
        signal.SIGHUP: signal.signal(signal.SIGHUP, stop),
        signal.SIGTERM: signal.signal(signal.SIGTERM, lambda signum, frame: came.append(signum)),
    }
    try:
        with pytest.raises(_Stop), stops_held():
            signal.raise_signal(signal.SIGHUP)  # its handler raises, first
            signal.raise_signal(signal.SIGTERM)
        for _ in range(1000):  # the other's handler runs at the next chance Python has
            pass
    finally:
        for signum, handler in before.items():
            signal.signal(signum, handler)
    assert sorted(came) == sorted([signal.SIGTERM, signal.SIGHUP])
