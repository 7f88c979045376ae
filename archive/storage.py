"""Where captures and releases live: local folders, or URLs of a file system that pyarrow
(``s3://``, ``gs://``, ``hdfs://``, ``file://``) or, failing that, fsspec understands.

Credentials come from the usual environment of each file system (for S3: ``AWS_*`` variables,
``~/.aws``, instance roles), never from the command line or the release. For S3-compatible
servers the endpoint comes from ``AWS_ENDPOINT_URL_S3`` or ``AWS_ENDPOINT_URL``, as for the AWS
tools (pyarrow does not read them itself: apache/arrow#49643).

A remote input is listed without reading it; the worker that packs it opens it by URL. A release
is built on local disk and then uploaded, its manifest last, so a reader that finds
``manifest.json.sha256`` finds a whole release.
"""

from __future__ import annotations

import os
import posixpath
import re
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path

import pyarrow as pa
import pyarrow.fs as pafs

from .errors import UsageError

# Uploaded last, in this order: their presence says the release is whole.
FINAL_FILES = ("manifest.json", "manifest.json.sha256")


_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")


def is_url(location: str | os.PathLike) -> bool:
    """Whether ``location`` names a file system by scheme (``s3://...``), not a local path."""
    return isinstance(location, str) and _SCHEME.match(location) is not None


def _split(url: str) -> tuple[str, str, str]:
    """Scheme, host and path of ``url``, split by hand: an object key may hold ``?`` or
    ``#``, which a URL parser would take for a query or a fragment."""
    scheme = _SCHEME.match(url).group(1).lower()
    rest = url[len(scheme) + 3 :]
    netloc, _, path = rest.partition("/")
    return scheme, netloc, "/" + path


@lru_cache(maxsize=16)
def _filesystem(scheme: str, netloc: str) -> pafs.FileSystem:
    if scheme == "file":
        return pafs.LocalFileSystem()
    if scheme == "s3":
        endpoint = os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL")
        if endpoint:
            return pafs.S3FileSystem(endpoint_override=endpoint)
    try:
        return pafs.FileSystem.from_uri(f"{scheme}://{netloc}/")[0]
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, ValueError):
        pass
    try:
        import fsspec
    except ImportError:
        raise UsageError(f"no file system for {scheme}:// (pyarrow has none; fsspec is not "
                         "installed)") from None
    try:
        handler = pafs.FSSpecHandler(fsspec.filesystem(scheme))
    except (ImportError, ValueError) as exc:
        raise UsageError(f"no file system for {scheme}://: {exc}") from None
    return pafs.PyFileSystem(handler)


def resolve(url: str) -> tuple[pafs.FileSystem, str]:
    """The file system of ``url`` and the path within it."""
    scheme, netloc, path = _split(url)
    if scheme == "file":
        return _filesystem("file", ""), path
    return _filesystem(scheme, netloc), f"{netloc}{path}".rstrip("/")


def join(url: str, *names: str) -> str:
    return posixpath.join(url.rstrip("/"), *names)


def name_of(url: str) -> str:
    """The last component of ``url``'s path."""
    _, netloc, path = _split(url)
    return posixpath.basename(path.rstrip("/")) or netloc


def is_folder(url: str) -> bool:
    fs, path = resolve(url)
    return fs.get_file_info(path).type == pafs.FileType.Directory


def exists(url: str) -> bool:
    fs, path = resolve(url)
    return fs.get_file_info(path).type != pafs.FileType.NotFound


def files_under(url: str) -> Iterator[tuple[str, int]]:
    """Every file under the folder ``url`` as ``(relative POSIX path, size)``, sorted by path
    as bytes (the order a local walk gives), listed without reading any."""
    fs, root = resolve(url)
    infos = fs.get_file_info(pafs.FileSelector(root, recursive=True, allow_not_found=True))
    found = [
        (info.path[len(root) :].lstrip("/"), info.size or 0)
        for info in infos
        if info.type == pafs.FileType.File
    ]
    yield from sorted(found, key=lambda item: item[0].encode("utf-8", "surrogateescape"))


def open_url(url: str):
    """A seekable binary file of the object at ``url``."""
    fs, path = resolve(url)
    return fs.open_input_file(path)


def size_of(url: str) -> int:
    fs, path = resolve(url)
    info = fs.get_file_info(path)
    if info.type != pafs.FileType.File:
        raise FileNotFoundError(f"{url} is not a file")
    return info.size


def download(url: str, local: Path) -> None:
    """Copy the folder ``url`` into ``local`` (created)."""
    fs, path = resolve(url)
    local.mkdir(parents=True, exist_ok=True)
    pafs.copy_files(path, str(local), source_filesystem=fs,
                    destination_filesystem=pafs.LocalFileSystem())


def upload_release(local: Path, url: str) -> None:
    """Copy the release folder ``local`` to ``url``, the manifest and its digest last."""
    fs, path = resolve(url)
    files = sorted(p for p in local.rglob("*") if p.is_file())
    last = [local / name for name in FINAL_FILES if (local / name).is_file()]
    for file in [*(p for p in files if p not in last), *last]:
        target = f"{path}/{file.relative_to(local).as_posix()}"
        fs.create_dir(posixpath.dirname(target), recursive=True)
        with open(file, "rb") as source, fs.open_output_stream(target) as sink:
            while block := source.read(1 << 22):
                sink.write(block)


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
