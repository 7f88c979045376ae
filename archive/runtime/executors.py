"""Run pack and verify tasks: in this process, in a pool of local processes, or on Ray.

An executor maps a task function over items and yields the results as they finish; the caller
sorts what it keeps, so the order of completion never reaches the output.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.forkserver
import os
import signal
import sys
import threading
import warnings
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from contextlib import contextmanager, suppress

from archive.errors import UsageError
from archive.runtime.process import stops_held, system_allocator_inherited

EXECUTORS = ("local", "ray")

# Imported once by the fork server, before it forks any worker: each worker then starts with
# the modules its tasks need instead of importing them again (about 0.6 s of CPU a worker, and
# pack replaces its workers between stages). The HTML extractor (trafilatura, lxml: 0.13 s and
# 15 MiB) is among them although a pack may hold no page: a worker of an HTML pack would
# otherwise import it before its first page. Nothing here reads the environment on import.
WORKER_MODULES = (
    "archive.release.stages",
    "archive.release.relation_stages",
    "archive.verification.tasks",
    "archive.extract.html",
)


def default_jobs() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def start_workers_early(jobs: int | None = None) -> bool:
    """Start the fork server of the local pool the caller is about to enter with ``jobs``
    worker processes (None: all cores), before it imports its own modules: the server imports
    the workers' meanwhile, on another core, and the first task starts sooner. Whether this
    started it: nothing is started for one job, where workers cannot start, or when a server
    runs already."""
    if (jobs or default_jobs()) > 1 and _main_importable() and _fork_server_pid() is None:
        _fork_server_started()
        return True
    return False


@contextmanager
def workers_started_early(jobs: int | None = None) -> Iterator[None]:
    """The block with ``start_workers_early(jobs)`` done first, and the server it started
    stopped if the block fails (its pools have ended by then). A block that fails before its
    pool, as a pack does on a usage error, would otherwise leave the server importing for half
    a second of CPU after the process has exited, holding its stdout and stderr open. A block
    that exits (``sys.exit``, once its work is done) leaves the server to the next pool."""
    started = start_workers_early(jobs)
    try:
        yield
    except SystemExit:
        raise
    except BaseException:
        if started:
            _fork_server_stopped()
        raise


def executor_for(name: str = "local", jobs: int = 1, address: str | None = None):
    """The executor ``name`` (``"local"`` or ``"ray"``), a context manager, checked now so a bad
    choice fails before any work: ``UsageError`` for an unknown name, an ``address`` without
    Ray, or Ray not installed. ``jobs`` is the local process count, or the CPUs of a Ray started
    here when no ``address`` names a cluster to join.

    >>> with executor_for("local", jobs=1) as executor:
    ...     list(executor.map(pow, [2, 3], 2))
    [4, 9]
    """
    if name == "local":
        if address is not None:
            raise UsageError("--address names a Ray cluster: add --executor ray")
        return LocalExecutor(jobs)
    if name == "ray":
        from archive.runtime.ray_executor import RayExecutor

        return RayExecutor(jobs, address)
    raise UsageError(f"executor {name!r} is not one of {', '.join(EXECUTORS)}")


class LocalExecutor:
    """``jobs`` worker processes (1: run in this process). Keeps at most ``2 * jobs`` tasks
    queued, so a plan of a million units is never held in memory at once."""

    def __init__(self, jobs: int = 1):
        self.jobs = max(1, jobs)
        self._pool: ProcessPoolExecutor | None = None

    def __enter__(self) -> LocalExecutor:
        if self.jobs > 1 and not _main_importable():
            warnings.warn(
                "archive: working in this process only: worker processes cannot start from a "
                "script read on stdin (save it to a file to use jobs)",
                RuntimeWarning,
                stacklevel=2,
            )
            self.jobs = 1
        if self.jobs > 1:
            context = multiprocessing.get_context("forkserver")
            # The fork server keeps the environment it started with (a pack's early start, or
            # this process's first pool); the workers take this pack's (file-system endpoints
            # and credentials live there).
            self._pool = ProcessPoolExecutor(
                self.jobs,
                mp_context=context,
                initializer=_adopt_environment,
                initargs=(dict(os.environ),),
            )
            # Started now, the server imports the workers' modules while the caller prepares
            # their first tasks (a pack walks its inputs), not after the first is submitted.
            try:
                _fork_server_started()
            except BaseException:
                self._pool.shutdown(wait=False)
                self._pool = None
                raise
        return self

    def __exit__(self, kind=None, *exc) -> None:
        if self._pool is not None:
            if kind is not None and issubclass(kind, KeyboardInterrupt):
                # Stopped (Ctrl-C, SIGTERM, SIGHUP): the workers may not have been signalled
                # with us, and nothing of theirs may still write once the caller cleans up.
                for process in list(getattr(self._pool, "_processes", {}).values()):
                    process.kill()
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def fresh_workers(self) -> None:
        """Replace the worker processes (between stages, all tasks done): the next stage starts
        without what the last one left resident, such as the heap an extraction worker grew
        over its pages and its per-line caches (a worker of a 1,000,000-capture pack peaked at
        165 MiB). Workers start in well under a second."""
        if self._pool is not None:
            self.__exit__()
            self.__enter__()

    def map(self, fn: Callable, items: Iterable, *args) -> Iterator:
        if self._pool is None:
            for item in items:
                yield fn(item, *args)
            return
        pending: set[Future] = set()
        for item in items:
            with stops_held():  # a submit may start a worker
                pending.add(self._pool.submit(fn, item, *args))
            if len(pending) >= 2 * self.jobs:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                yield from (f.result() for f in done)
        while pending:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            yield from (f.result() for f in done)


def _main_importable() -> bool:
    """Whether worker processes can import the caller's main module, as the fork server must:
    a script read on stdin (``python -``) names ``<stdin>`` as its file."""
    main_file = getattr(sys.modules.get("__main__"), "__file__", None)
    return main_file is None or os.path.isfile(main_file)


def _fork_server_started() -> None:
    """Start the fork server with Ctrl-C ignored, as it then is in its imports: a Ctrl-C at
    the terminal reaches every process of the command, and the server, still importing, would
    print a traceback. Its workers take Ctrl-C back (``_adopt_environment``)."""
    # the preload counts only for the server's start: once it runs, this changes nothing
    multiprocessing.get_context("forkserver").set_forkserver_preload(["__main__", *WORKER_MODULES])
    before = signal.getsignal(signal.SIGINT)
    with system_allocator_inherited():  # its imports (pyarrow's) precede its workers' set-up
        if before is None or threading.current_thread() is not threading.main_thread():
            multiprocessing.forkserver.ensure_running()
            return
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        try:
            multiprocessing.forkserver.ensure_running()
        finally:
            signal.signal(signal.SIGINT, before)


def _fork_server_pid() -> int | None:
    return getattr(multiprocessing.forkserver._forkserver, "_forkserver_pid", None)


def _fork_server_stopped() -> None:
    """Stop the fork server now. Closing its pipe alone (``_stop``) tells it to stop, which it
    hears only once its imports are done; a server forks nothing while no pool runs."""
    pid = _fork_server_pid()
    if pid is None:
        return
    with suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    stop = getattr(multiprocessing.forkserver._forkserver, "_stop", None)
    if stop is not None:  # private: a Python without it keeps a dead server's pipe until exit
        stop()


def _adopt_environment(environment: dict[str, str]) -> None:
    from archive.runtime import process

    signal.signal(signal.SIGINT, signal.default_int_handler)
    os.environ.clear()
    os.environ.update(environment)
    process.use_system_allocator()
    process.reuse_freed_memory()
    process.forgo_pandas()
    process.fewer_full_collections()
