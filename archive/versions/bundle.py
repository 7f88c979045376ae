"""``bundle``: one reproducible file for moving a release, and safe opening of such a file.

A bundle is a POSIX (pax) tar, plain (``.tar``, the default: the Parquet shards are already
compressed) or gzipped (``.tar.gz``, ``.tgz``). It holds ``<name>-<version>/`` and every regular
file below it in sorted order, each with the release's ``created`` time as mtime, uid/gid 0, no
owner names, mode 0o644 (folders 0o755): the same release always gives the same bytes.

Every file the manifest lists, and every file derived from it, is hashed as it is written and
must match, so a damaged release is never bundled. ``opened_bundle`` extracts a bundle into a
temporary folder after refusing absolute paths, ``..``, links, devices and duplicate names.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import re
import shutil
import tarfile
import tempfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path, PurePosixPath

from archive.errors import ArchiveError, Problem, UsageError, VerificationError
from archive.exporters import derived_files
from archive.format import boundedjson
from archive.format.manifest import MANIFEST, MANIFEST_DIGEST, digest_problem, require_release
from archive.format.signing import SIGNATURE_FILE
from archive.inspect import manifest_shape_problem

FILE_MODE = 0o644
_UNLISTED = frozenset({MANIFEST, MANIFEST_DIGEST, SIGNATURE_FILE})  # held, never listed
DIR_MODE = 0o755
SUFFIXES = (".tar", ".tar.gz", ".tgz")
_BLOCK = 1024 * 1024


MAX_UNLISTED_BYTES = 64 * 1024 * 1024  # manifest, README, ecosystem files: small by design


class BundleError(ArchiveError):
    """A bundle that cannot be opened safely (unsafe member, not a tar, ...). CLI exit code 1."""


def bundle(release: str | os.PathLike, out_file: str | os.PathLike, *, force: bool = False) -> Path:
    """Write ``release`` as the reproducible bundle ``out_file`` and return its path.

    Raises ``VerificationError`` (and writes nothing) when a file differs from the manifest.

    >>> bundle("dist/example-1.0.0", "dist/example-1.0.0.tar")  # doctest: +SKIP
    PosixPath('dist/example-1.0.0.tar')
    """
    root, out = Path(release), Path(out_file)
    manifest, manifest_bytes = _read_manifest(root)
    if not out.name.endswith(SUFFIXES):
        raise UsageError(f"{out}: a bundle is named *.tar, *.tar.gz or *.tgz")
    if out.exists() and not force:
        raise UsageError(f"{out} already exists (give --force to replace it)")
    if out.resolve().is_relative_to(root.resolve()):
        raise UsageError(f"{out} would be inside the release it bundles")
    # a bundle of a release whose digest file is missing or stale fails verify
    problem = digest_problem(root, manifest_bytes)
    if problem is not None:
        raise VerificationError([problem])
    mtime = _epoch(manifest["created"])
    expected = _expected_digests(root, manifest, manifest_bytes)
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(f".{out.name}.partial-{os.getpid()}")
    try:
        with open(partial, "wb") as raw:
            problems = _write(raw, out.name, root, _top(manifest, root), mtime, expected)
        if problems:
            raise VerificationError(problems)
        os.replace(partial, out)
    finally:
        partial.unlink(missing_ok=True)
    return out


def _read_manifest(root: Path) -> tuple[dict, bytes]:
    require_release(root)
    try:
        data = (root / MANIFEST).read_bytes()
        manifest = boundedjson.loads(data)
    except (OSError, ValueError) as exc:
        raise UsageError(f"{root} has no readable {MANIFEST} ({exc})") from None
    wrong = manifest_shape_problem(manifest)
    if wrong is not None:
        message = f"{root / MANIFEST}: not a release manifest ({wrong}); run archive verify"
        raise UsageError(message)
    return manifest, data


def _epoch(created: str) -> int:
    return int(datetime.fromisoformat(created.replace("Z", "+00:00")).timestamp())


def _expected_digests(root: Path, manifest: dict, manifest_bytes: bytes) -> dict[str, str]:
    """path -> SHA-256 for every file whose content the manifest fixes."""
    expected = {e["path"]: e["sha256"] for e in manifest.get("files", [])}
    try:
        derived = derived_files(root, manifest, manifest_bytes)
    except (KeyError, TypeError, ValueError):
        derived = {}  # a manifest too broken to derive from; the listed hashes still apply
    for relative, content in derived.items():
        expected[relative] = hashlib.sha256(content).hexdigest()
    return expected


def _top(manifest: dict, root: Path) -> str:
    """The bundle's folder: ``<name>-<version>`` of its manifest, whatever the folder bundled
    is called (a renamed copy's bundle named its copy, and failed verify: E027); the folder's
    own name only for a manifest without both."""
    name, version = manifest.get("name"), manifest.get("version")
    if isinstance(name, str) and isinstance(version, str):
        top = f"{name}-{version}"
        if _FOLDER_NAME.fullmatch(top):  # never "../x": the schema's name and version
            return top
    return root.resolve().name


# A name and a version as the manifest schema has them ("-" between): no "/", no leading dot.
_FOLDER_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*-[0-9][0-9A-Za-z.+-]*")


def _write(
    raw, out_name: str, root: Path, top: str, mtime: int, expected: dict[str, str]
) -> list[Problem]:
    problems: list[Problem] = []
    seen: set[str] = set()
    if out_name.endswith(".tar"):
        stream = raw
    else:
        # No file name and a fixed time in the gzip header: the bytes depend on content only.
        stream = gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=mtime, compresslevel=6)
    with stream, tarfile.open(fileobj=stream, mode="w", format=tarfile.PAX_FORMAT) as tar:
        tar.addfile(_info(top, tarfile.DIRTYPE, DIR_MODE, 0, mtime))
        for relative, kind in _tree(root):
            name = f"{top}/{relative}"
            if kind == "dir":
                tar.addfile(_info(name, tarfile.DIRTYPE, DIR_MODE, 0, mtime))
                if _empty(root / relative):
                    problems.append(Problem("E008", f"{relative}/", "an empty folder"))
                continue
            seen.add(relative)
            with open(root / relative, "rb") as handle:
                size = os.fstat(handle.fileno()).st_size
                reader = _HashingReader(handle)
                tar.addfile(_info(name, tarfile.REGTYPE, FILE_MODE, size, mtime), reader)
            want = expected.get(relative)
            if want is not None and reader.hexdigest() != want:
                problems.append(
                    Problem("E007", relative, "content differs", want, reader.hexdigest())
                )
            elif want is None and relative not in _UNLISTED:
                problems.append(Problem("E008", relative, "not listed in the manifest"))
    for relative in sorted(set(expected) - seen):
        problems.append(Problem("E005", relative, "listed in the manifest but missing"))
    return problems


def _info(name: str, kind: bytes, mode: int, size: int, mtime: int) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type, info.mode, info.size, info.mtime = kind, mode, size, mtime
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info


def _empty(folder: Path) -> bool:
    with os.scandir(folder) as entries:
        return next(entries, None) is None


def _tree(root: Path) -> Iterator[tuple[str, str]]:
    """(relative POSIX path, "dir" or "file") below ``root`` in sorted, depth-first order.

    Links and special files are refused: a bundle holds only what the release itself holds.
    """
    for entry in sorted(os.scandir(root), key=lambda e: e.name):
        path = Path(entry.path)
        relative = path.relative_to(root).as_posix()
        if entry.is_symlink():
            raise UsageError(f"{path} is a symbolic link; a release holds only regular files")
        if entry.is_dir():
            yield relative, "dir"
            for below, kind in _tree(path):
                yield f"{relative}/{below}", kind
        elif entry.is_file():
            yield relative, "file"
        else:
            raise UsageError(f"{path} is not a regular file")


class _HashingReader:
    """A file reader that hashes what tarfile reads from it (one pass over the bytes)."""

    def __init__(self, handle):
        self._handle = handle
        self._digest = hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        data = self._handle.read(size)
        self._digest.update(data)
        return data

    def hexdigest(self) -> str:
        return self._digest.hexdigest()


def is_bundle(path: str | os.PathLike) -> bool:
    """Whether ``path`` is a file that looks like a bundle (a tar, maybe gzipped)."""
    target = Path(path)
    return target.is_file() and tarfile.is_tarfile(target)


@contextmanager
def opened_bundle(path: str | os.PathLike) -> Iterator[Path]:
    """Extract the bundle at ``path`` into a temporary folder and yield its release folder.

    Every member is checked before anything is written: no absolute path, no ``..``, no link,
    device or FIFO, no duplicate name, and exactly one top-level folder. The folder is removed on
    exit.

    >>> with opened_bundle("dist/example-1.0.0.tar") as release:  # doctest: +SKIP
    ...     verify(release)
    """
    source = Path(path)
    with tempfile.TemporaryDirectory(prefix="archive-bundle-") as folder:
        try:
            with tarfile.open(source, "r:*") as tar:
                members = tar.getmembers()
                top = _safe_top(source, members)
                stated = _stated_sizes(tar, top, members)
                _check_sizes(source, top, members, stated, shutil.disk_usage(folder).free)
                tar.extractall(folder, members=members, filter="data")
        except (OSError, tarfile.TarError, EOFError, zlib.error) as exc:
            raise BundleError(f"{source} cannot be read as a tar bundle ({exc})") from None
        yield Path(folder) / top


def _stated_sizes(tar: tarfile.TarFile, top: str, members: list[tarfile.TarInfo]) -> dict:
    """The sizes the bundle's own manifest states, by member name (empty when it has none or it
    cannot be read: verify then reports the manifest itself)."""
    name = f"{top}/{MANIFEST}"
    member = next((m for m in members if m.name == name and m.isfile()), None)
    if member is None or member.size > boundedjson.MAX_MANIFEST_BYTES:
        return {}
    try:
        manifest = boundedjson.loads(tar.extractfile(member).read())
        return {f"{top}/{entry['path']}": int(entry["bytes"]) for entry in manifest["files"]}
    except (ValueError, KeyError, TypeError, AttributeError):
        return {}


def _check_sizes(
    source: Path, top: str, members: list[tarfile.TarInfo], stated: dict, free: int
) -> None:
    """Refuse, before writing a byte, a member larger than the manifest says (or, for files it
    derives or does not list, larger than ``MAX_UNLISTED_BYTES``; the manifest itself, larger
    than verify reads), and a bundle whose members add up to more than the free space where it
    would be extracted: a small compressed bundle can declare members of many gigabytes, and
    its own manifest is no authority on how many bytes are acceptable."""
    total = sum(member.size for member in members if member.isfile())
    if total > free:
        raise BundleError(
            f"{source}: its members hold {total:,} bytes, more than the {free:,} free where it "
            "would be opened; not extracted"
        )
    for member in members:
        if not member.isfile():
            continue
        own = member.name == f"{top}/{MANIFEST}"
        limit = (
            boundedjson.MAX_MANIFEST_BYTES if own else stated.get(member.name, MAX_UNLISTED_BYTES)
        )
        if member.size > limit:
            raise BundleError(
                f"{source}: {member.name} holds {member.size:,} bytes, more than the "
                f"{limit:,} its manifest allows; not extracted"
            )


def unsafe_members(members: list[tarfile.TarInfo]) -> list[str]:
    """Why each unsafe member is unsafe, as ``name: reason`` lines (empty: all safe)."""
    reasons = []
    names: set[str] = set()
    for member in members:
        name = member.name
        parts = PurePosixPath(name).parts
        if name.startswith(("/", "\\")) or (parts and parts[0].endswith(":")):
            reasons.append(f"{name}: absolute path")
        elif ".." in parts or "\\" in name:
            reasons.append(f"{name}: path leaves the bundle")
        elif member.issym() or member.islnk():
            reasons.append(f"{name}: link")
        elif not (member.isfile() or member.isdir()):
            reasons.append(f"{name}: device, FIFO or other special file")
        elif "/".join(parts) in names:  # "./x" and "x//y" extract where "x" and "x/y" do
            reasons.append(f"{name}: duplicate name")
        names.add("/".join(parts))
    return reasons


def _safe_top(source: Path, members: list[tarfile.TarInfo]) -> str:
    reasons = unsafe_members(members)
    if reasons:
        raise BundleError(f"{source} is unsafe to open: " + "; ".join(reasons))
    tops = {PurePosixPath(m.name).parts[0] for m in members if PurePosixPath(m.name).parts}
    if len(tops) != 1:
        raise BundleError(f"{source} must hold exactly one release folder, found {sorted(tops)}")
    top = tops.pop()
    if top in (".", ""):
        raise BundleError(f"{source} has no release folder at its top")
    return top
