"""The release manifest: what a release holds and the hash of every file in it.

``manifest.json`` is canonical JSON (sorted keys, two-space indent, UTF-8, final newline) so equal
releases have equal manifests; ``manifest.json.sha256`` holds its digest in ``sha256sum`` format
(``sha256sum -c manifest.json.sha256`` checks it), so an edited manifest is detected.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator
from itertools import islice
from pathlib import Path
from typing import BinaryIO

from archive.capture.storage import RemotePath
from archive.errors import UsageError
from archive.format import boundedjson

MANIFEST = "manifest.json"
MANIFEST_DIGEST = "manifest.json.sha256"
QUARANTINE_FILE = "quarantine.jsonl"
WITHDRAWN_FILE = "withdrawn.jsonl"
CHANGES_FILE = "CHANGES.json"
FORMAT = "archive-release"
FORMAT_VERSION = "1.0"
_BLOCK = 1024 * 1024


def canonical_json(data) -> bytes:
    """The one byte form of a JSON document that this project writes and hashes."""
    listed = objects_json(data)
    if listed is not None:
        return listed
    text = json.dumps(data, sort_keys=True, indent=2, ensure_ascii=False, allow_nan=False)
    return (text + "\n").encode("utf-8")


def objects_json(data) -> bytes | None:
    """``canonical_json`` of a non-empty list of non-empty objects whose values are JSON
    scalars (a record's spans or provenance), in one call of the compiled encoder: an indent
    makes ``json.dumps`` use its pure-Python one, three times slower here. None for any other
    value. With a line break and indent as the separator, a separator between two objects is
    the only one after a ``}``: no value is an object, and a string holds no raw line break."""
    if type(data) is not list or not data or not all(type(item) is dict and item for item in data):
        return None
    if not {type(value) for item in data for value in item.values()} <= _SCALARS:
        return None
    text = _OBJECTS.encode(data)[2:-2].replace("},\n    {", "\n  },\n  {\n    ")
    return ("[\n  {\n    " + text + "\n  }\n]\n").encode("utf-8")


_SCALARS = frozenset((str, int, float, bool, type(None)))
_OBJECTS = json.JSONEncoder(
    sort_keys=True, ensure_ascii=False, allow_nan=False, separators=(",\n    ", ": ")
)


class SpilledArray:
    """A JSON array kept in a file, an element per line as ``json.dumps`` writes it in
    canonical form (an array of millions of record ids, say): ``write_canonical_json`` copies
    it line by line, so it is never held whole."""

    def __init__(self, path: Path, count: int):
        self.path, self.count = path, count

    def __len__(self) -> int:
        return self.count

    def __iter__(self) -> Iterator:
        return map(json.loads, self.encoded())

    def encoded(self) -> Iterator[str]:
        with open(self.path, encoding="utf-8", newline="\n") as handle:
            for line in handle:
                yield line[:-1]


def write_canonical_json(
    data: dict[str, object], handle: BinaryIO, *, allow_nan: bool = False, default=None
) -> None:
    """Write the object ``data`` (its keys strings) to ``handle`` as ``canonical_json`` gives
    it, byte for byte, where a value of its own (not one nested deeper) may be a
    ``SpilledArray``: its elements are copied from its file, a few thousand at a time.
    ``allow_nan`` and ``default`` are ``json.dumps``'s (a command's output may be looser than
    a release's file)."""
    if not data:
        handle.write(b"{}\n")
        return
    lead = "{\n  "
    for key, value in sorted(data.items()):
        name = json.dumps(key, ensure_ascii=False)
        handle.write(f"{lead}{name}: ".encode())
        lead = ",\n  "
        if not isinstance(value, SpilledArray):
            text = json.dumps(
                value,
                sort_keys=True,
                indent=2,
                ensure_ascii=False,
                allow_nan=allow_nan,
                default=default,
            )
            handle.write(text.replace("\n", "\n  ").encode())  # one level in, as dumps nests
        else:
            _write_spilled(value, handle)
    handle.write(b"\n}\n")


def _write_spilled(array: SpilledArray, handle: BinaryIO) -> None:
    """A spilled array one level in, as ``json.dumps`` nests an array: a few thousand elements
    a write (no call per element, and never the whole array at once)."""
    elements = array.encoded()
    lines = list(islice(elements, 4096))
    if not lines:
        handle.write(b"[]")
        return
    separator = "[\n    "
    while lines:
        handle.write((separator + ",\n    ".join(lines)).encode())
        separator = ",\n    "
        lines = list(islice(elements, 4096))
    handle.write(b"\n  ]")


def canonical_line(row: dict) -> bytes:
    """One JSON Lines line: sorted keys, no spaces, UTF-8, newline."""
    text = json.dumps(row, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return (text + "\n").encode("utf-8")


def file_sha256(path: Path | RemotePath) -> tuple[str, int]:
    """(hex SHA-256, size) of a file, read once in fixed blocks."""
    digest = hashlib.sha256()
    size = 0
    with path.open_input() if isinstance(path, RemotePath) else open(path, "rb") as handle:
        while block := handle.read(_BLOCK):
            digest.update(block)
            size += len(block)
    return digest.hexdigest(), size


def file_digests(path: Path) -> tuple[str, str, int]:
    """(hex SHA-256, hex SHA-512, size) of a file, both hashed in one read."""
    sha256, sha512 = hashlib.sha256(), hashlib.sha512()
    size = 0
    with open(path, "rb") as handle:
        while block := handle.read(_BLOCK):
            sha256.update(block)
            sha512.update(block)
            size += len(block)
    return sha256.hexdigest(), sha512.hexdigest(), size


def release_files(release: Path, exclude: frozenset[str] = frozenset()) -> list[str]:
    """Every file below ``release`` as sorted POSIX paths, but the manifest, its digest and
    ``exclude`` (the files derived from the manifest)."""
    found = []
    skip = {MANIFEST, MANIFEST_DIGEST} | exclude
    for folder, dirs, files in os.walk(release):
        dirs.sort()
        for name in files:
            relative = Path(folder, name).relative_to(release).as_posix()
            if relative not in skip:
                found.append(relative)
    return sorted(found)


def file_entries(
    release: Path, rows: dict[str, int], known: dict[str, tuple[str, str, int]] | None = None
) -> list[dict]:
    """The manifest's entry of every file of ``release``; ``known`` holds the digests of files
    hashed already (by the task that wrote them), which are not read again."""
    entries = []
    known = known or {}
    for relative in release_files(release):
        sha256, sha512, size = known.get(relative) or file_digests(release / relative)
        entry = {"path": relative, "bytes": size, "sha256": sha256, "sha512": sha512}
        if relative in rows:
            entry["rows"] = rows[relative]
        entries.append(entry)
    return entries


def write_manifest(release: Path, manifest: dict) -> str:
    """Write ``manifest.json``, its digest file and the files derived from it; return the
    digest."""
    from archive.exporters import derived_files

    data = canonical_json(manifest)
    (release / MANIFEST).write_bytes(data)
    for relative, content in derived_files(release, manifest, data).items():
        (release / relative).parent.mkdir(parents=True, exist_ok=True)
        (release / relative).write_bytes(content)
    digest = hashlib.sha256(data).hexdigest()
    (release / MANIFEST_DIGEST).write_text(f"{digest}  {MANIFEST}\n", encoding="ascii")
    return digest


def read_digest_file(release: Path) -> str:
    """The digest recorded in ``manifest.json.sha256`` (raises ValueError if malformed)."""
    data = boundedjson.read_capped(release / MANIFEST_DIGEST, 2**10)
    digest = data[:64].decode("ascii", errors="replace")
    if len(data) != 64 + len(MANIFEST) + 3 or data[64:] != f"  {MANIFEST}\n".encode():
        raise ValueError(f"{MANIFEST_DIGEST} is not exactly '<sha256>  {MANIFEST}\\n'")
    if any(c not in "0123456789abcdef" for c in digest):
        raise ValueError(f"{MANIFEST_DIGEST} does not start with a lowercase hex SHA-256")
    return digest


def unsafe_path(relative: str) -> str | None:
    """Why ``relative`` (a path from a manifest) cannot name a file of the release, or None."""
    if not isinstance(relative, str) or not relative:
        return "empty"
    if "\\" in relative or "\x00" in relative:
        return "holds a backslash or a NUL"
    if relative.startswith("/"):
        return "absolute"
    if any(part in ("", ".", "..") for part in relative.split("/")):
        return "has an empty, '.' or '..' part"
    return None


def digest_problem(release: Path, data: bytes):
    """Whether ``manifest.json.sha256`` vouches for the manifest bytes ``data``: None when it
    does, else the ``Problem`` (E002: it cannot be read or is malformed; E003: another digest)."""
    from archive.errors import Problem

    try:
        recorded = read_digest_file(release)
    except (OSError, ValueError) as exc:
        return Problem("E002", MANIFEST_DIGEST, str(exc))
    actual = hashlib.sha256(data).hexdigest()
    if recorded != actual:
        message = f"does not match {MANIFEST_DIGEST} (one of them was edited)"
        return Problem("E003", MANIFEST, message, recorded, actual)
    return None


def beside(release: str | Path, suffix: str) -> Path:
    """``<release><suffix>`` in the folder that holds the release, the release given as a
    path of its own or as ``.`` or ``..`` (from inside it).

    >>> beside("dist/example-1.0.0", ".tar").as_posix()
    'dist/example-1.0.0.tar'
    """
    path = Path(release)
    if path.name in ("", ".", ".."):
        path = Path(os.path.abspath(path))
    return path.with_name(path.name + suffix)


def checked_manifest(release: Path) -> tuple[dict, str]:
    """A release's manifest and digest, refused unless ``manifest.json.sha256`` vouches for it:
    ``UsageError`` when either file is unreadable, ``VerificationError`` (E003) when they differ.
    """
    from archive.errors import Problem, UsageError, VerificationError

    try:
        data = boundedjson.read_capped(Path(release) / MANIFEST, boundedjson.MAX_MANIFEST_BYTES)
        manifest = boundedjson.loads(data)
        recorded = read_digest_file(Path(release))
    except (OSError, ValueError) as exc:
        raise UsageError(f"{release}: {exc}; run archive verify {release}") from None
    digest = hashlib.sha256(data).hexdigest()
    if recorded != digest:
        problem = Problem("E003", MANIFEST, "edited after it was written", recorded, digest)
        raise VerificationError([problem])
    return manifest, digest


def require_release(path: str | os.PathLike) -> Path:
    """``path`` as a release folder, or ``UsageError`` with the one line every command gives
    for something that is not a release (a folder with no ``manifest.json``, a missing path, a
    file). A release whose manifest.json is present but broken is a release that fails: E001."""
    path = Path(path)
    manifest = path / MANIFEST
    if not (path.exists() or path.is_symlink()):
        raise UsageError(f"{path} is not a release: it does not exist")
    if not path.is_dir():
        raise UsageError(f"{path} is not a release: not a folder")
    if not (manifest.exists() or manifest.is_symlink()):
        raise UsageError(f"{path} is not a release: no {MANIFEST}")
    return path
