"""One base error, typed details, and the stable codes users and scripts rely on."""

from __future__ import annotations

import errno
from dataclasses import dataclass

# Why an input did not become a record. Stable: tests, docs and users' scripts match on them.
QUARANTINE_REASONS = {
    "empty": "the file has no bytes, or only whitespace",
    "binary": "the bytes are not text (NUL bytes or control characters)",
    "undecodable": "no text encoding decodes the bytes",
    "unreadable": "the file could not be read (permissions, I/O error, vanished)",
    "outside-source": "a link points outside the source folder",
    "too-large": "the file is larger than the configured size limit",
    "unsupported": "the file type is not one archive reads",
    "damaged": "a damaged region of a container file (WARC)",
    "symlink": "a symbolic link to another file of the source, packed in its own place",
}


class ArchiveError(Exception):
    """Base of every error this package raises on purpose."""


class UsageError(ArchiveError):
    """The caller asked for something impossible (bad option, missing path). CLI exit code 2."""


class ReleaseExistsError(UsageError):
    """Releases are immutable: packing onto an existing one is refused."""


class NoSpaceError(ArchiveError):
    """The device filled up while writing; the partial output was removed. CLI exit code 4."""

    def __init__(self, folder: str):
        super().__init__(
            f"no space left on the device of {folder}; nothing was written (a pack needs about "
            "six times the release's size free while it works)"
        )
        self.folder = folder

    def __reduce__(self):
        return NoSpaceError, (self.folder,)


def is_no_space(exc: BaseException) -> bool:
    """An ``OSError`` for a full device (pyarrow's carry the text, not always the errno)."""
    return isinstance(exc, OSError) and (
        exc.errno == errno.ENOSPC or "No space left on device" in str(exc)
    )


class CaptureLogError(ArchiveError):
    """A capture log line that cannot be used; the other lines still apply."""

    def __init__(self, path: str, line: int, message: str):
        super().__init__(f"{path}:{line}: {message}")
        self.path, self.line, self.message = path, line, message

    def __reduce__(self):
        return CaptureLogError, (self.path, self.line, self.message)


@dataclass(frozen=True)
class Problem:
    """One thing a check found wrong: a stable code, the file it concerns, and what differs."""

    code: str
    path: str
    message: str
    expected: str | None = None
    found: str | None = None

    def __str__(self) -> str:
        detail = ""
        if self.expected is not None or self.found is not None:
            detail = f" (expected {self.expected}, found {self.found})"
        return f"{self.code} {self.path}: {self.message}{detail}"


class VerificationError(ArchiveError):
    """A release, manifest or records file failed its checks. CLI exit code 1."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))
