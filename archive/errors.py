"""One base error, typed details, and the stable codes users and scripts rely on."""

from __future__ import annotations

import errno
from dataclasses import dataclass

# Why an input did not become a record. Stable: tests, docs and users' scripts match on them.
QUARANTINE_REASONS = {
    "empty": "the file has no bytes, or only whitespace",
    "binary": "the bytes are not text (NUL bytes or control characters)",
    "undecodable": "no text encoding decodes the bytes, or their compression cannot be undone "
    "(damaged, or a Content-Encoding archive does not know)",
    "unreadable": "the file could not be read (permissions, I/O error, vanished)",
    "outside-source": "a link points outside the source folder",
    "too-large": "the file is larger than the configured size limit",
    "unsupported": "the file type is not one archive reads",
    "damaged": "a damaged region of a container file (WARC)",
    "repeated-id": "a WARC record giving the WARC-Record-ID of an earlier one of its file (the "
    "first is the record)",
    "symlink": "a symbolic link to another file of the source, packed in its own place",
    "capture-log": "the capture log's line for the input cannot be used: packed without it, the "
    "input would be published under rights, an outlet or a date its log did not give",
}


# What ``verify`` reports. Stable: the README documents them and scripts match on them.
CODES = {
    "E001": "manifest.json is missing or is not JSON",
    "E002": "manifest.json.sha256 is missing or malformed",
    "E003": "manifest.json does not match the digest in manifest.json.sha256",
    "E004": "manifest.json breaks the manifest schema",
    "E005": "a file listed in the manifest is missing, or the relations table it names is not "
    "listed",
    "E006": "a file's size differs from the manifest",
    "E007": "a file's SHA-256 differs from the manifest",
    "E008": "a file is in the release but not in the manifest",
    "E009": "a Parquet file cannot be read, or holds a string that is not UTF-8",
    "E010": "a Parquet file's columns or types differ from the record schema",
    "E011": "rows break the record schema",
    "E012": "a row's text or capture_text does not match its hash",
    "E013": "record ids are not unique, not sorted, or in the wrong shard",
    "E014": "a count differs from the manifest",
    "E015": "quarantine entries break the quarantine schema, or are not UTF-8 JSON",
    "E016": "a schema copy differs from the schema the manifest names",
    "E017": "duplicate_of does not point at an earlier record with the same text",
    "E018": "a file derived from the manifest (BagIt, Data Package, Croissant, card) differs",
    "E019": "a path is unsafe: absolute, with '..', a symbolic link, or not a regular file",
    "E020": "the signature file (manifest.json.sig.json) is missing or malformed",
    "E021": "the signature does not verify, or was made by another key than the one given",
    "E022": "manifest.json differs from the manifest that was signed",
    "E023": "a record's text is withheld though its redistribution class is full, present "
    "though it is metadata-only, or withheld apart from its capture_text",
    "E024": "the relations table's columns or types differ from the relations schema, its rows "
    "break it, or withhold evidence in a full release",
    "E025": "a record_id is not the hash of its capture key (source path, WARC-Record-ID)",
    "E026": "a row's text is not the body its spans mark in capture_text",
    "E027": "a bundle's folder is not named <name>-<version> of the manifest it holds",
    "E034": "CHANGES.json breaks the changes schema, or is not JSON",
    "E035": "tombstones break the tombstone schema, or are not UTF-8 JSON",
    "E036": "a file listed under data/ is not a record shard, or the shards' names skip, repeat "
    "or overrun an index",
    # The parent link (``archive log``, and ``verify`` when the parent sits beside the release).
    "E030": "the parent release is not found beside the release (nor in the folders searched)",
    "E031": "the parent's manifest.json differs from the digest its child recorded",
    "E032": "a parent's manifest.json is unreadable or does not match its manifest.json.sha256",
    "E033": "the parent entry is malformed, names another release, or the history loops",
}
# What only ``validate`` reports: the files of a collection.
VALIDATE_CODES = {
    "E028": "a capture-log line breaks the capture-log schema, or cannot be used as pack reads it",
    "E029": "archive.toml or an outlets file cannot be read as pack reads it",
}
PARENT_CODES = frozenset({"E030", "E031", "E032", "E033"})
SIGNATURE_CODES = frozenset({"E020", "E021", "E022"})
# Warnings never fail a verification.
WARNING_CODES = {
    "W001": "the release is signed but no key was given: the signature was checked only "
    "against the key it names, which proves integrity, not who signed",
    "W002": "rows were sampled: only the sampled rows' schema and hashes were checked",
    "W003": "the release folder is not named <name>-<version> of its manifest: a renamed copy, "
    "or another release (an older one, a rollback) put in its place",
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
