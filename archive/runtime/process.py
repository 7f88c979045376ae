"""How archive sets up its own processes (the command line, its local workers, the Ray workers
of its own job) and hands memory and file handles back between tasks."""

from __future__ import annotations

import gc
import os
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

STOPS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
ARROW_POOL_VARIABLE = "ARROW_DEFAULT_MEMORY_POOL"  # read by Arrow's C++ code, once


def use_system_allocator() -> None:
    """Arrow buffers from the C library's allocator in this process (archive's own processes:
    the command line and its workers). mimalloc, pyarrow's default, keeps pages it freed: a
    worker's high-water mark grew by about 50 MiB per shard it gathered.

    ``set_memory_pool`` covers what pyarrow allocates; Arrow's C++ code allocates some buffers
    from its own default pool (the Parquet reader's pages), chosen once, from
    ``ARROW_DEFAULT_MEMORY_POOL``, when first used. Left to mimalloc, those pages were faulted
    in afresh, 2 MiB at a time, batch after batch: zeroing them was 16% of the CPU samples of
    a verify of 100,000 records, whose workers held 50 MiB more. So the variable is set too,
    before pyarrow is imported here, for this process and those it starts.

    Before pyarrow is imported, the variable alone chooses for both, and pyarrow is left to
    the code that needs it: a pack's fork server starts while this process imports it (the
    command line's set-up would otherwise spend 70 ms importing it first)."""
    chosen = os.environ.setdefault(ARROW_POOL_VARIABLE, "system")
    if chosen == "system" and "pyarrow" not in sys.modules:
        return
    import pyarrow as pa

    pa.set_memory_pool(pa.system_memory_pool())


@contextmanager
def system_allocator_inherited() -> Iterator[None]:
    """Processes started in this block choose the C library's allocator for all of Arrow
    (``use_system_allocator``), whatever pool this process, perhaps an API caller's, uses;
    unless the variable is set already, which is kept. Only the environment the block's
    processes start with changes: ``os.environ`` is as it was after the block."""
    before = os.environ.get(ARROW_POOL_VARIABLE)
    os.environ.setdefault(ARROW_POOL_VARIABLE, "system")
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(ARROW_POOL_VARIABLE, None)


def fewer_full_collections() -> None:
    """Python's collector looks at every object it tracks (a full collection) a hundred times
    less often, in archive's own processes. A pack holds many long-lived objects (the records
    of a unit until they are written, the caches of lines and datelines), and by default each
    rise of a quarter in them brings a full collection: in a one-process pack of 10,000
    captures, 9 of them took 0.35 s and freed 10 objects (and the whole pack's CPU went down by
    5%), as its objects hold next to no cycles. The young generations are collected as before,
    so a cycle dropped soon is freed soon; what holds memory outside Python's heap is closed,
    not left to the collector (``storage.close_index``). Python 3.14's incremental collector
    has no such threshold: nothing changes there."""
    young, middle, _ = gc.get_threshold()
    gc.set_threshold(young, middle, 1000)


def reuse_freed_memory() -> None:
    """C's heap keeps what it frees for the next allocation, up to 32 MiB a block (glibc:
    ``mallopt``). By default a block of more than 128 KiB, as most Arrow buffers are, is mapped
    afresh and unmapped when freed: each batch's buffers then fault in their pages again (a
    verify's workers faulted in 100,000-190,000 pages on 100,000 records, 86,000 so; the
    kernel's time for them, zeroing each page, is CPU time the checks wait on). Set in the
    command line and its local workers (verify's too): a pack builds and drops such buffers at
    every flush of records and every batch of bodies (10,000 captures took 5% less time with it
    on two processes, 3% on one). A process keeps up to what its largest batch needed (the
    pack's driver about 10 MiB more at 10,000 captures); tasks hand the rest back when they
    end (``release_memory``)."""
    try:
        import ctypes

        libc = ctypes.CDLL(None)
        libc.mallopt(_M_MMAP_THRESHOLD, 32 * 1024 * 1024)
        libc.mallopt(_M_TRIM_THRESHOLD, 256 * 1024 * 1024)
    except (OSError, AttributeError):  # not glibc: its own policy stands
        pass


_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # glibc's malloc.h


def forgo_blas_threads() -> None:
    """Start numpy's BLAS with no threads of its own in this process and the processes it
    starts, unless the environment chose a number. archive calls no BLAS routine, but OpenBLAS
    starts a thread per core when numpy is imported, and each one spins before it sleeps: a
    tenth of a second of CPU in every process that imports numpy (verify's start-up, pack's
    workers), taken from a core the others could use. Read by OpenBLAS when it loads, so set
    before numpy is imported."""
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")


def forgo_pandas() -> None:
    """Make pandas unimportable in this process, unless it is already imported: one of
    archive's own (the command line, its local workers, the Ray workers of its own job), which
    never hands pyarrow pandas objects. Arrow's conversion from Python lists imports pandas,
    when it is installed, to recognise its missing values: about 50 MiB more in every
    process."""
    if "pandas" not in sys.modules and not any(
        isinstance(f, _WithoutPandas) for f in sys.meta_path
    ):
        sys.meta_path.insert(0, _WithoutPandas())


class _WithoutPandas:
    """An import finder that refuses pandas (``None`` in ``sys.modules`` would not do:
    pyarrow's Cython import takes it for the module)."""

    def find_spec(self, name: str, path=None, target=None):
        if name.partition(".")[0] == "pandas":
            raise ModuleNotFoundError("archive's own processes do without pandas", name=name)
        return None


def allow_open_files(count: int) -> None:
    """Raise the soft limit on open files to ``count`` when the hard limit allows it."""
    try:
        import resource
    except ImportError:  # not a POSIX system: nothing to raise
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < count:
        wanted = count if hard == resource.RLIM_INFINITY else min(count, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))


def release_memory() -> None:
    """Hand freed memory back to the system between tasks: Arrow's pool and C's heap keep
    what they freed, and a worker runs many tasks."""
    import pyarrow as pa

    pa.default_memory_pool().release_unused()
    _trim_heap()


def _trim_heap() -> None:
    try:
        import ctypes

        ctypes.CDLL(None).malloc_trim(0)
    except (OSError, AttributeError):  # not glibc: nothing to trim
        pass


# The handlers each active hold replaced, innermost last: a process forked inside a hold (a
# pool's worker) takes the real ones back, or it would hold its stops for good.
_HOLDS: list[dict] = []


@contextmanager
def stops_held() -> Iterator[None]:
    """Ctrl-C, SIGTERM and SIGHUP wait until the block ends, then act as they would have: each
    one that came. A process pool forks a worker and only then records it: a stop in
    between would leave a worker the pool does not know, so never stopped, holding the
    command's stderr open. Only the main thread handles signals; elsewhere this holds nothing."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    held: list[int] = []

    def hold(signum, frame):
        held.append(signum)

    previous: dict = {}
    _HOLDS.append(previous)
    try:
        for signum in STOPS:
            handler = signal.getsignal(signum)
            if handler is not None:  # None: set outside Python, which cannot put it back
                previous[signum] = handler
                signal.signal(signum, hold)
        yield
    finally:
        _HOLDS.remove(previous)
        _restore(previous)
        if held:  # all made pending at once: one handler's exception must not drop the rest
            stops = list(dict.fromkeys(held))
            signal.pthread_sigmask(signal.SIG_BLOCK, stops)
            for signum in stops:
                signal.raise_signal(signum)
            signal.pthread_sigmask(signal.SIG_UNBLOCK, stops)


def _restore(handlers: dict) -> None:
    """Put ``handlers`` back, every one: ``signal.signal`` first runs the handlers of signals
    that came meanwhile, and one already put back may raise (Ctrl-C's); that is raised once all
    are back."""
    raised = None
    for signum, handler in handlers.items():
        while True:
            try:
                signal.signal(signum, handler)
                break
            except BaseException as exc:  # noqa: BLE001 - raised below, once all are back
                raised = raised or exc
    if raised is not None:
        raise raised


def _holds_released_in_child() -> None:
    for previous in reversed(_HOLDS):
        _restore(previous)
    _HOLDS.clear()


os.register_at_fork(after_in_child=_holds_released_in_child)
