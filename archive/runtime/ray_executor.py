"""Run pack and verify tasks on a Ray cluster (the optional extra ``archive-corpus[ray]``).

The tasks are the very functions ``LocalExecutor`` runs, sent as Ray core tasks (``ray.remote``),
never Ray Data: Ray decides where a task runs, never what it writes, so a release packed on a
cluster is byte-identical to one packed on a laptop. Tasks read and write the work and release
folders where the pack put them: in the output's bucket for a remote ``--out`` (the nodes need
share no disk), else by local path, which every node must then see (one machine, or a shared file
system).

    >>> with RayExecutor(jobs=2) as executor:  # doctest: +SKIP
    ...     sorted(executor.map(pow, [1, 2, 3], 2))
    [1, 4, 9]
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable, Iterable, Iterator

import pyarrow as pa

from archive._version import __version__
from archive.errors import ArchiveError, UsageError
from archive.runtime.process import ARROW_POOL_VARIABLE

INSTALL_HINT = "pip install 'archive-corpus[ray]'"
OBJECT_STORE_BYTES = 200 * 1024 * 1024
MAX_RETRIES = 3
CONNECT_SECONDS = 10.0


class ExecutorError(ArchiveError):
    """A task could not be run to its end on the cluster, even after its retries."""


def require_ray():
    """The ``ray`` module, or ``UsageError`` naming the install command."""
    try:
        import ray
    except ImportError:
        raise UsageError(f"the Ray executor needs Ray: {INSTALL_HINT}") from None
    return ray


class RayExecutor:
    """Tasks on Ray: the cluster at ``address`` (``"auto"``: the one ``ray start`` left on this
    machine; default ``$RAY_ADDRESS``), or, with neither, a Ray started here with ``jobs`` CPUs
    and a capped object store, stopped on exit. Keeps at most two tasks per cluster CPU in
    flight, so a plan of a million units is never held in memory at once. A task whose worker or
    node dies, or that meets an ``OSError``, is retried up to ``max_retries`` times; a task that
    still fails raises (its own exception, as in a local run; ``ExecutorError`` for a lost
    worker)."""

    def __init__(
        self,
        jobs: int = 1,
        address: str | None = None,
        *,
        max_retries: int = MAX_RETRIES,
        object_store_bytes: int = OBJECT_STORE_BYTES,
    ):
        self._ray = require_ray()
        self.jobs = max(1, jobs)
        self.address = address
        self.max_retries = max_retries
        self.object_store_bytes = object_store_bytes
        self._owned = False
        self._pending: list = []

    def __enter__(self) -> RayExecutor:
        ray = self._ray
        if ray.is_initialized():
            return self  # the caller's own Ray session: use it, leave it running
        # Ray's own notices (startup, token auth) and the workers' logs would bury the progress.
        logging.getLogger("ray").setLevel(logging.ERROR)
        options = {"log_to_driver": False, "logging_level": logging.ERROR}
        # A worker has imported pyarrow before it runs our task, too late for
        # use_system_allocator to choose the pool of Arrow's own C++ allocations.
        pool = os.environ.get(ARROW_POOL_VARIABLE, "system")
        options["runtime_env"] = {"env_vars": {ARROW_POOL_VARIABLE: pool}}
        address = self.address or os.environ.get("RAY_ADDRESS")
        if address is None:
            options |= {
                "num_cpus": self.jobs,
                "object_store_memory": self.object_store_bytes,
                "include_dashboard": False,
            }
        if address not in (None, "auto", "local"):
            _check_answers(address)
        try:
            ray.init(address=address, **options)
        except ConnectionError as exc:
            raise UsageError(f"cannot join the Ray cluster at {address}: {exc}") from None
        self._owned = True
        return self

    def __exit__(self, *exc) -> None:
        ray = self._ray
        try:
            if self._pending:
                # Like a process pool's shutdown: nothing still writes in the work folder
                # once the caller goes on (and removes it).
                for ref in self._pending:
                    ray.cancel(ref)
                ray.wait(self._pending, num_returns=len(self._pending), timeout=60)
                self._pending = []
        finally:
            if self._owned:
                ray.shutdown()
                self._owned = False

    def fresh_workers(self) -> None:
        """Nothing to do: Ray starts, reuses and stops its workers itself."""

    def map(self, fn: Callable, items: Iterable, *args) -> Iterator:
        ray = self._ray
        remote = ray.remote(_run_task).options(
            max_retries=self.max_retries, retry_exceptions=[OSError]
        )
        # Shared arguments (the pack context) go to the object store once, not with each task.
        shared = [ray.put(arg) for arg in args]
        expected = _node_identity()
        limit = 2 * max(1, int(ray.cluster_resources().get("CPU", 1)))
        pending = self._pending
        for item in items:
            pending.append(remote.remote(expected, self._owned, fn, item, *shared))
            if len(pending) >= limit:
                yield from self._finished(pending)
        while pending:
            yield from self._finished(pending)

    def _finished(self, pending: list) -> Iterator:
        ray = self._ray
        done, rest = ray.wait(pending, num_returns=1)
        pending[:] = rest
        for ref in done:
            yield self._result(ref)

    def _result(self, ref):
        ray = self._ray
        try:
            return ray.get(ref)
        except ray.exceptions.RayTaskError as exc:
            cause = exc.cause
            raise (cause if isinstance(cause, BaseException) else exc) from exc
        except ray.exceptions.RayError as exc:
            raise ExecutorError(
                f"a task failed on the Ray cluster after {self.max_retries} retries: "
                f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
            ) from exc


def _check_answers(address: str, timeout: float = CONNECT_SECONDS) -> None:
    """``UsageError`` unless something listens at ``address`` (``host:port`` or ``ray://...``):
    Ray itself retries a silent address for minutes, printing its C++ connection lines."""
    host, _, port = address.removeprefix("ray://").rpartition(":")
    if not host or not port.isdigit():
        raise UsageError(f"--address {address!r} is not host:port (or 'auto')")
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=timeout).close()
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise UsageError(f"no Ray cluster answers at {address} ({reason})") from None


def _node_identity() -> tuple[str, str]:
    """What must match on every node for the bytes to match: the Parquet footer names the
    pyarrow version, and the extraction is archive's."""
    return __version__, pa.__version__


def _run_task(expected: tuple[str, str], own_job: bool, fn: Callable, item, *args):
    from archive.runtime.process import fewer_full_collections, forgo_pandas, use_system_allocator

    use_system_allocator()  # a Ray worker is archive's process while it runs our task
    if own_job:  # not a caller's own Ray session: its other tasks may want pandas
        forgo_pandas()
        fewer_full_collections()
    found = _node_identity()
    if found != expected:
        raise ExecutorError(
            f"a Ray node runs archive {found[0]} with pyarrow {found[1]}, the driver archive "
            f"{expected[0]} with pyarrow {expected[1]}: install the same versions on every node"
        )
    return fn(item, *args)
