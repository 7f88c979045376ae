"""Where captures and releases live: local folders, or URLs of a file system that pyarrow
(``s3://``, ``gs://``, ``hdfs://``, ``file://``) or, failing that, fsspec understands.

Credentials come from the usual environment of each file system (for S3: ``AWS_*`` variables,
``~/.aws``, instance roles), never from the command line or the release. For S3-compatible
servers the endpoint comes from ``AWS_ENDPOINT_URL_S3`` or ``AWS_ENDPOINT_URL``, as for the AWS
tools (pyarrow does not read them itself: apache/arrow#49643).

A remote input is listed without reading it; the worker that packs it opens it by URL. Tasks
reach their work files in the output's bucket through :class:`RemotePath`. A release is
assembled on local disk and then uploaded, its manifest last, so a reader that finds
``manifest.json.sha256`` finds a whole release.
"""

from __future__ import annotations

import fnmatch
import os
import posixpath
import shutil
import stat
import tempfile
import time
from collections.abc import Iterator
from contextlib import suppress
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.fs as pafs

from archive.capture.locations import is_url, split_url
from archive.errors import UsageError

if TYPE_CHECKING:
    import sqlite3

# Uploaded last, in this order: their presence says the release is whole.
FINAL_FILES = ("manifest.json", "manifest.json.sha256")
_BLOCK = 4 << 20


# Object stores: the bucket is the first segment of the path within the file system.
_BUCKETED = ("s3", "gs", "gcs")


def safe_relative(path: str) -> bool:
    """Whether an object key below a folder is a plain relative path (no ``..``, no empty or
    ``.`` segment, not absolute): one that cannot name a place outside the folder."""
    parts = path.split("/")
    return bool(path) and all(part not in ("", ".", "..") for part in parts)


@lru_cache(maxsize=16)
def _filesystem(scheme: str, netloc: str) -> pafs.FileSystem:
    if scheme == "s3":
        endpoint = os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL")
        if endpoint:
            return pafs.S3FileSystem(endpoint_override=endpoint)
    try:
        return pafs.FileSystem.from_uri(f"{scheme}://{netloc}/")[0]
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, ValueError):
        pass
    try:
        import fsspec.core
    except ImportError:
        raise UsageError(
            f"no file system for {scheme}:// (pyarrow has none; fsspec is not installed)"
        ) from None
    try:
        handler = pafs.FSSpecHandler(fsspec.core.url_to_fs(f"{scheme}://{netloc}/")[0])
    except (ImportError, ValueError, TypeError) as exc:
        raise UsageError(f"no file system for {scheme}://: {exc}") from None
    return pafs.PyFileSystem(handler)


def resolve(url: str) -> tuple[pafs.FileSystem, str]:
    """The file system of ``url`` and the path within it: ``bucket/key`` for object stores,
    the path alone where the host is the connection (``hdfs://namenode:8020/path``)."""
    scheme, netloc, path = split_url(url)
    fs = _filesystem(scheme, netloc)
    if scheme in _BUCKETED:
        return fs, f"{netloc}{path}".rstrip("/")
    if isinstance(fs, pafs.PyFileSystem):  # fsspec's: it knows where its host goes
        import fsspec.core

        return fs, fsspec.core.url_to_fs(url)[1].rstrip("/") or "/"
    return fs, path.rstrip("/") or "/"


def join(url: str, *names: str) -> str:
    return posixpath.join(url.rstrip("/"), *names)


def name_of(url: str) -> str:
    """The last component of ``url``'s path."""
    _, netloc, path = split_url(url)
    return posixpath.basename(path.rstrip("/")) or netloc


def is_folder(url: str) -> bool:
    fs, path = resolve(url)
    return fs.get_file_info(path).type == pafs.FileType.Directory


def is_release(url: str) -> bool:
    """Whether a whole release is at ``url`` (its manifest digest, uploaded last, is there)."""
    fs, path = resolve(url)
    return fs.get_file_info(f"{path}/{FINAL_FILES[-1]}").type == pafs.FileType.File


def files_under(url: str) -> Iterator[tuple[str, int]]:
    """Every file under the folder ``url`` as ``(relative POSIX path, size)``, in the order a
    local walk gives (each folder's entries sorted by name as bytes), listed without reading
    any. A key that is not a plain relative path is yielded as it is: see
    :func:`safe_relative`."""
    fs, root = resolve(url)
    infos = fs.get_file_info(pafs.FileSelector(root, recursive=True, allow_not_found=True))
    prefix = root.rstrip("/") + "/"
    found = [
        (info.path[len(prefix) :], info.size or 0)
        for info in infos
        if info.type == pafs.FileType.File
    ]
    yield from sorted(found, key=lambda item: [p.encode() for p in item[0].split("/")])


def open_input(fs_path: str):
    """Open an input file for reading without following a link: a file swapped for a link
    (to ``/etc/shadow``, say) after the walk fails with ``OSError`` instead of being read.
    A URL is opened on its file system."""
    if is_url(fs_path):
        return open_url(fs_path)
    descriptor, _ = input_descriptor(fs_path)
    try:
        return os.fdopen(descriptor, "rb")
    except BaseException:
        os.close(descriptor)
        raise


def input_descriptor(fs_path: str) -> tuple[int, int]:
    """(descriptor, size) of a local input file opened as :func:`open_input` opens it, for a
    caller that reads it whole with ``os.read`` (no buffered file object: a few microseconds
    a capture)."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    descriptor = os.open(fs_path, flags)
    try:
        found = os.fstat(descriptor)
        if not stat.S_ISREG(found.st_mode):
            raise OSError(0, "no longer a regular file")
    except BaseException:
        os.close(descriptor)
        raise
    return descriptor, found.st_size


def open_url(url: str):
    """A seekable binary file of the object at ``url``."""
    fs, path = resolve(url)
    return fs.open_input_file(path)


def download(url: str, local: Path) -> None:
    """Copy the folder ``url`` into ``local`` (created), file by file; a key that would land
    outside ``local`` raises ``UsageError`` (a hostile listing must not write elsewhere)."""
    fs, path = resolve(url)
    local.mkdir(parents=True, exist_ok=True)
    for relative, _ in files_under(url):
        if not safe_relative(relative):
            raise UsageError(f"{url}: {relative!r} is not a plain relative path; not copied")
        target = local.joinpath(*relative.split("/"))
        target.parent.mkdir(parents=True, exist_ok=True)
        with fs.open_input_stream(f"{path}/{relative}") as source, open(target, "wb") as sink:
            shutil.copyfileobj(source, sink, _BLOCK)


def upload_release(local: Path, url: str) -> None:
    """Copy the release folder ``local`` to ``url``, the manifest and its digest last.

    An object store cannot rename a folder into place. What an interrupted upload left at
    ``url`` (no manifest digest) is cleared first; a release appearing at ``url`` meanwhile
    stops the upload before the manifest; a failed upload removes the files it wrote. Two
    packs of one version uploading at once are not told apart: do not run them."""
    from archive.errors import ReleaseExistsError

    fs, path = resolve(url)
    if split_url(url)[0] in _BUCKETED and "/" not in path.strip("/"):
        raise UsageError(f"{url}: a release goes into a folder, not a bucket's top level")
    if not (local / FINAL_FILES[0]).is_file():
        raise UsageError(f"{local} has no {FINAL_FILES[0]}: not a release")
    if is_release(url):
        raise ReleaseExistsError(f"{url} already exists; releases are immutable")
    fs.delete_dir_contents(path, missing_dir_ok=True)
    last = [local / name for name in FINAL_FILES if (local / name).is_file()]
    files = [p for p in sorted(local.rglob("*")) if p.is_file() and p not in last]
    written: list[str] = []
    try:
        for file in [*files, *last]:
            if file == last[0] and is_release(url):
                raise ReleaseExistsError(f"{url} appeared while uploading")
            target = f"{path}/{file.relative_to(local).as_posix()}"
            fs.create_dir(posixpath.dirname(target), recursive=True)
            with open(file, "rb") as source, fs.open_output_stream(target) as sink:
                written.append(target)
                shutil.copyfileobj(source, sink, _BLOCK)
    except BaseException:
        if not is_release(url):
            for target in written:
                with suppress(OSError):
                    fs.delete_file(target)
        raise


def releases_in(url: str, name: str) -> list[str]:
    """The names of the whole releases of ``name`` in the folder ``url``."""
    fs, path = resolve(url)
    infos = fs.get_file_info(pafs.FileSelector(path, recursive=False, allow_not_found=True))
    found = []
    for info in infos:
        if info.type == pafs.FileType.Directory and info.base_name.startswith(f"{name}-"):
            digest = fs.get_file_info(f"{info.path}/{FINAL_FILES[-1]}")
            if digest.type == pafs.FileType.File:
                found.append(info.base_name)
    return sorted(found)


@dataclass(frozen=True, order=True)
class RemotePath:
    """A file or folder at a URL with the part of ``pathlib.Path``'s interface that the pack's
    tasks use on their work files, so a task reads and writes them the same way on local disk
    and in a bucket: cluster nodes may share no disk, only the output's file system.

    On an object store a folder exists while something is in it: ``mkdir`` does nothing there.
    """

    url: str

    def __truediv__(self, name: str) -> RemotePath:
        return RemotePath(join(self.url, name))

    def __str__(self) -> str:
        return self.url

    @property
    def name(self) -> str:
        return name_of(self.url)

    @property
    def parent(self) -> RemotePath:
        return RemotePath(self.url.rstrip("/").rsplit("/", 1)[0])

    def _info(self) -> pafs.FileInfo:
        fs, path = resolve(self.url)
        return fs.get_file_info(path)

    def exists(self) -> bool:
        return self._info().type != pafs.FileType.NotFound

    def is_dir(self) -> bool:
        return self._info().type == pafs.FileType.Directory

    def mkdir(self, parents: bool = False, exist_ok: bool = False) -> None:
        """Make the folder and its parents; one that exists is fine (work folders only)."""
        if split_url(self.url)[0] not in _BUCKETED:
            fs, path = resolve(self.url)
            fs.create_dir(path, recursive=True)

    def glob(self, pattern: str) -> list[RemotePath]:
        """The entries of this folder whose names match ``pattern`` (one level, sorted)."""
        fs, path = resolve(self.url)
        infos = fs.get_file_info(pafs.FileSelector(path, allow_not_found=True))
        names = sorted(i.base_name for i in infos if fnmatch.fnmatchcase(i.base_name, pattern))
        return [self / name for name in names]

    def idle_seconds(self) -> float:
        """Seconds since anything under this folder last changed."""
        fs, path = resolve(self.url)
        infos = fs.get_file_info(pafs.FileSelector(path, recursive=True, allow_not_found=True))
        times = [i.mtime.timestamp() for i in infos if i.mtime is not None]
        return time.time() - max(times) if times else float("inf")

    def unlink(self, missing_ok: bool = False) -> None:
        fs, path = resolve(self.url)
        try:
            fs.delete_file(path)
        except FileNotFoundError:
            if not missing_ok:
                raise

    def remove_tree(self) -> None:
        fs, path = resolve(self.url)
        if self.is_dir():
            fs.delete_dir(path)

    def open_input(self) -> pa.NativeFile:
        fs, path = resolve(self.url)
        return fs.open_input_file(path)

    def open_output(self) -> pa.NativeFile:
        fs, path = resolve(self.url)
        return fs.open_output_stream(path)

    def upload(self, local: Path) -> None:
        """Copy the local file ``local`` here."""
        with open(local, "rb") as source, self.open_output() as sink:
            shutil.copyfileobj(source, sink, _BLOCK)


def open_index(path: Path | RemotePath) -> sqlite3.Connection:
    """A read-only connection to the SQLite file at ``path`` (an index a task looks things up
    in), for the caller to close with ``close_index``. A remote file is copied to this machine's
    disk once per process, and its connection is shared by the process's callers: none closes
    it (``close_index`` leaves it open)."""
    if isinstance(path, RemotePath):
        return _opened_copy(path.url)
    import sqlite3

    return sqlite3.connect(f"file:{path}?mode=ro", uri=True)


def close_index(db: sqlite3.Connection | None, path: Path | RemotePath) -> None:
    """Close ``db``, which ``open_index(path)`` gave, once a task's lookups are done (a remote
    copy's connection is the process's, shared: it stays open). A connection merely dropped
    refers to itself through its statement cache, so only a full garbage collection frees it,
    and the pages its database cached with it: extraction workers opening one a task, with full
    collections made rare, held 230 MiB where they held 178, at 300,000 captures with a capture
    log."""
    if db is not None and not isinstance(path, RemotePath):
        db.close()


@lru_cache(maxsize=8)  # a pack reads two; an evicted copy goes with its last reader
def _opened_copy(url: str) -> sqlite3.Connection:
    """A connection to a local copy of the SQLite file at ``url`` whose name is removed once
    the connection holds it open: the system reclaims the copy when the process ends,
    however it ends once the copy is open (a process killed while it downloads leaves what it
    had written). Exit handlers cannot do it: Ray ends its workers without running them, and a
    killed process runs none."""
    import sqlite3

    descriptor, name = tempfile.mkstemp(prefix="archive-copy-", suffix=".sqlite")
    try:
        with os.fdopen(descriptor, "wb") as sink, RemotePath(url).open_input() as source:
            shutil.copyfileobj(source, sink, _BLOCK)
        # Shared within the process, by any thread: it only ever reads.
        # immutable: a copy in WAL mode would otherwise get -wal and -shm files beside it,
        # by name, that nothing removes; nothing else writes the copy, so nothing is lost.
        db = sqlite3.connect(f"file:{name}?mode=ro&immutable=1", uri=True, check_same_thread=False)
        db.execute("PRAGMA schema_version")  # reads the file now, while it has a name
    finally:
        os.unlink(name)
    return db


# A connection must not cross a fork (SQLite's rule): a forked child makes its own copy.
os.register_at_fork(after_in_child=_opened_copy.cache_clear)
