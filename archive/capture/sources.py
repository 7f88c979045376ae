"""Find inputs: walk source folders in a fixed order and say what each file is, reading nothing.

Every path met is accounted for: a file we can read becomes an ``InputFile``; a link out of the
folder, a link to another file of the folder, or a file we cannot stat becomes a ``Skipped`` with
a quarantine reason. Directories are walked in sorted order (by name as bytes), so the walk is the
same on every machine.

Names are hostile data: they may hold spaces, quotes, newlines, terminal escapes or bytes that are
not UTF-8. They are kept as they are (undecodable bytes as ``\\xNN``) and escaped only when
printed; two names that would display the same are told apart by quarantining the second.
Links are never followed out of the source, and a link inside it is not read a second time.

A name says what a file is; when it does not (``kind`` ``other``), ``sniffed_kind`` looks at the
content the way browsers do (WHATWG MIME Sniffing, "rules for identifying an unknown MIME
type"): after a byte-order mark and whitespace, one of the HTML openings (``<!DOCTYPE HTML``,
``<html``, ``<head``, ``<body``, ``<!--`` ...) followed by a space or ``>`` makes it HTML.
"""

from __future__ import annotations

import codecs
import os
import re
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from archive.capture import storage
from archive.errors import UsageError

TEXT_SUFFIXES = (".txt",)
HTML_SUFFIXES = (".html", ".htm", ".html.gz", ".htm.gz")
WARC_SUFFIXES = (".warc", ".warc.gz", ".warc.lz4", ".arc", ".arc.gz")
# WHATWG MIME Sniffing, the HTML patterns: case-insensitive, after whitespace, each followed by a
# tag-terminating byte (space or ">").
_HTML_OPENINGS = re.compile(
    rb"[\t\n\x0c\r ]*<(?:!DOCTYPE HTML|HTML|HEAD|SCRIPT|IFRAME|H1|DIV|FONT|TABLE|A|STYLE|TITLE|B"
    rb"|BODY|BR|P|!--)[ >]",
    re.I,
)
SNIFF_BYTES = 1445  # the standard's resource header: what a browser looks at


@dataclass(frozen=True)
class InputFile:
    """A regular file under a source root.

    ``source_path`` (``<root name>/<relative path>``, POSIX, valid UTF-8) names it in the release;
    ``fs_path`` is what to open (it may hold undecodable bytes of the file system's names).
    """

    source_path: str
    fs_path: str
    size: int
    kind: str  # 'text' | 'html' | 'warc' | 'other'
    mtime_ns: int | None = None  # the walk's stat of a local file (None for a remote one)
    ctime_ns: int | None = None  # ... its inode's change time, which no one can set
    inode: int | None = None


@dataclass(frozen=True)
class Skipped:
    """A path that is not read, with its quarantine reason."""

    source_path: str
    reason: str
    message: str
    size: int | None = None


def kind_of(name: str) -> str:
    lower = name.lower()
    for kind, suffixes in (
        ("text", TEXT_SUFFIXES),
        ("html", HTML_SUFFIXES),
        ("warc", WARC_SUFFIXES),
    ):
        if lower.endswith(suffixes):
            return kind
    return "other"


def sniffed_kind(head: bytes) -> str:
    """``html`` when the first bytes of a file open an HTML document, else ``other``.

    >>> sniffed_kind(b"\\xef\\xbb\\xbf  <!doctype html><html lang=en>"), sniffed_kind(b"%PDF-1.7")
    ('html', 'other')
    """
    head = head[:SNIFF_BYTES]
    for bom, codec in ((codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be")):
        if head.startswith(bom):
            head = head[2:].decode(codec, errors="replace").encode("utf-8", errors="replace")
    head = head.removeprefix(codecs.BOM_UTF8)
    return "html" if _HTML_OPENINGS.match(head) else "other"


def display_name(name: str) -> str:
    """A file-system name as valid UTF-8: undecodable bytes become ``\\xNN`` escapes."""
    return os.fsencode(name).decode("utf-8", errors="backslashreplace")


def root_name(root: Path | str) -> str:
    if storage.is_url(root):
        return storage.name_of(root) or "root"
    return display_name(Path(root).resolve().name) or "root"


def check_root_names(roots: Iterable[Path]) -> None:
    """Raise ``UsageError`` if two source folders share a name (their captures' keys, and so
    their record ids, would collide)."""
    seen: set[str] = set()
    for root in roots:
        name = root_name(root)
        if name in seen:
            raise UsageError(f"two source folders are named {name!r}; rename one")
        seen.add(name)


def walk(
    roots: list[Path | str], unread: frozenset[str] = frozenset()
) -> Iterator[InputFile | Skipped]:
    """Yield every entry under ``roots`` (folders, or URLs of remote folders) in sorted
    order, but the folders whose real paths are in ``unread`` (a pack's output folder)."""
    check_root_names(roots)
    for root in roots:
        if storage.is_url(root):
            yield from _walk_url(root)
            continue
        real_root = os.path.realpath(root)
        yield from _walk_dir(str(root), root_name(root), real_root, _identities(unread))


def _walk_url(root: str) -> Iterator[InputFile | Skipped]:
    """A remote folder's files, listed (an object store has no links, devices or pipes)."""
    prefix = root_name(root)
    try:
        for relative, size in storage.files_under(root):
            if not storage.safe_relative(relative):
                message = "its key is not a plain relative path (empty, '.' or '..' parts)"
                yield Skipped(f"{prefix}/{display_name(relative)}", "unsupported", message)
                continue
            yield InputFile(
                f"{prefix}/{relative}", storage.join(root, relative), size, kind_of(relative)
            )
    except OSError as exc:
        yield Skipped(prefix, "unreadable", f"folder cannot be listed: {exc}")


def _identities(folders: frozenset[str]) -> dict[int, set[int]]:
    """inode -> devices of the existing ``folders``: a folder met in a walk is one of them when
    its inode (which its directory entry gives for free) and then its device match."""
    found: dict[int, set[int]] = {}
    for folder in folders:
        try:
            stat = os.stat(folder)
        except OSError:
            continue
        found.setdefault(stat.st_ino, set()).add(stat.st_dev)
    return found


def _walk_dir(
    directory: str, prefix: str, real_root: str, unread: dict[int, set[int]]
) -> Iterator[InputFile | Skipped]:
    """Depth first in sorted order, with a stack of listings rather than recursion: a source
    folder may be nested deeper than Python's recursion limit."""
    listings = [_listing(directory, prefix, real_root)]
    while listings:
        found = next(listings[-1], None)
        if found is None:
            listings.pop()
        elif isinstance(found, _Folder):
            if found.inode not in unread or os.stat(found.path).st_dev not in unread[found.inode]:
                listings.append(_listing(found.path, found.source_path, real_root))
        else:
            yield found


@dataclass(frozen=True)
class _Folder:
    path: str
    source_path: str
    inode: int


def _listing(
    directory: str, prefix: str, real_root: str
) -> Iterator[InputFile | Skipped | _Folder]:
    """One folder's entries in sorted order; a sub-folder as ``_Folder``, to be walked next."""
    try:
        with os.scandir(directory) as scan:
            entries = sorted(scan, key=lambda e: os.fsencode(e.name))
    except OSError as exc:
        yield Skipped(prefix, "unreadable", f"folder cannot be listed: {exc.strerror}")
        return
    shown: set[str] = set()
    for entry in entries:
        name = display_name(entry.name)
        source_path = f"{prefix}/{name}"
        if name in shown:
            message = "its name, with undecodable bytes shown as \\xNN, is another file's name"
            yield Skipped(source_path, "unsupported", message)
            continue
        shown.add(name)
        try:
            if entry.is_symlink():
                yield _link(entry, source_path, real_root)
            elif entry.is_dir(follow_symlinks=False):
                yield _Folder(entry.path, source_path, entry.inode())
            elif entry.is_file(follow_symlinks=False):
                found = entry.stat(follow_symlinks=False)
                yield InputFile(
                    source_path,
                    entry.path,
                    found.st_size,
                    kind_of(entry.name),
                    found.st_mtime_ns,
                    found.st_ctime_ns,
                    found.st_ino,
                )
            else:
                yield Skipped(
                    source_path, "unsupported", "not a regular file (device, pipe, socket)"
                )
        except OSError as exc:
            yield Skipped(source_path, "unreadable", f"cannot be read: {exc.strerror}")


def _link(entry: os.DirEntry, source_path: str, real_root: str) -> Skipped | InputFile:
    target = os.path.realpath(entry.path)
    inside = target == real_root or target.startswith(real_root + os.sep)
    if not inside:
        return Skipped(source_path, "outside-source", "symbolic link to a path outside the source")
    try:
        mode = os.stat(target).st_mode
    except OSError as exc:
        message = f"symbolic link that cannot be followed ({exc.strerror})"
        return Skipped(source_path, "unreadable", message)
    if stat.S_ISREG(mode) or stat.S_ISDIR(mode):
        relative = display_name(os.path.relpath(target, real_root))
        return Skipped(
            source_path, "symlink", f"symbolic link to {relative}, which is packed in its own place"
        )
    return Skipped(source_path, "unsupported", "symbolic link to something not a regular file")
