"""A release as one SQLite database to browse and search (``archive export --sqlite``).

Unlike the other exporters this one reads the rows, not only the manifest, and its file is not
part of the release. Tables: ``records`` (the fields a person browses by, and the body),
``relations`` (with their evidence), ``quarantine``; ``records_fts`` is an FTS5 index over
titles and bodies. Rows go in in release order (records by id, relations and quarantine as
stored), in batches, so memory holds one batch; the same release and SQLite version give the
same bytes. Beside the database, a Datasette metadata file sets facets on outlet, language and
month.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import islice
from pathlib import Path

import pyarrow as pa

from archive.errors import UsageError
from archive.exporters.common import license_of
from archive.format import boundedjson
from archive.format.manifest import QUARANTINE_FILE
from archive.format.parquetio import PARQUET_ERRORS
from archive.format.schema import checked_lines, json_value
from archive.inspect import read_manifest, record_shards, shard_batches
from archive.relations.table import SHOWN_COLUMNS, relation_batches, table_path, unreadable

BATCH_ROWS = 2_000  # rows inserted at once

_RECORD_COLUMNS = [
    "record_id",
    "title",
    "outlet",
    "published_date",
    "language",
    "authors",
    "flags",
    "capture.source_path",
    "capture.url",
    "capture.retrieved_at",
    "duplicate_of",
    "redistribution",
    "text",
]
_QUARANTINE_COLUMNS = ["source_path", "reason", "message", "bytes", "sha256", "offset"]

SCHEMA = """
CREATE TABLE records (
    record_id TEXT PRIMARY KEY,
    title TEXT,
    outlet TEXT,
    published_date TEXT,
    month TEXT,
    language TEXT,
    authors TEXT NOT NULL,
    flags TEXT NOT NULL,
    source_path TEXT NOT NULL,
    url TEXT,
    retrieved_at TEXT,
    duplicate_of TEXT REFERENCES records(record_id),
    redistribution TEXT NOT NULL,
    body TEXT
);
CREATE INDEX records_outlet ON records(outlet);
CREATE INDEX records_language ON records(language);
CREATE INDEX records_month ON records(month);
CREATE VIRTUAL TABLE records_fts USING fts5(
    title, body, content="records", content_rowid="rowid",
    tokenize="unicode61 remove_diacritics 2"
);
CREATE TABLE relations (
    source_id TEXT NOT NULL REFERENCES records(record_id),
    target_id TEXT NOT NULL REFERENCES records(record_id),
    kind TEXT NOT NULL,
    score REAL NOT NULL,
    directed INTEGER NOT NULL,
    method TEXT NOT NULL,
    group_id TEXT REFERENCES records(record_id),
    evidence TEXT NOT NULL
);
CREATE INDEX relations_source ON relations(source_id);
CREATE INDEX relations_target ON relations(target_id);
CREATE TABLE quarantine (
    source_path TEXT NOT NULL,
    reason TEXT NOT NULL,
    message TEXT NOT NULL,
    bytes INTEGER,
    sha256 TEXT,
    "offset" INTEGER
);
"""

_DESCRIPTIONS = {
    "record_id": "The record's id (32 hex digits, stable across versions).",
    "title": "The headline, when the capture states one.",
    "outlet": "The outlet that published it, when known.",
    "published_date": "The day of publication as the publisher stated it (YYYY-MM-DD).",
    "month": "The month of published_date (YYYY-MM).",
    "language": "The body's language (ISO 639-1).",
    "authors": "The bylined authors, as a JSON array.",
    "flags": "Record flags (see the README's Record flags), as a JSON array.",
    "source_path": "capture.source_path: the capture file as packed.",
    "url": "The URL the capture was retrieved from.",
    "retrieved_at": "When the capture was made (UTC).",
    "duplicate_of": "The first record with the same body, when this one repeats it.",
    "redistribution": "full, or metadata-only (the body is then withheld).",
    "body": "The article body (the release's text column).",
}


@dataclass(frozen=True)
class SqliteExport:
    """What ``export_sqlite`` wrote."""

    path: Path
    metadata: Path
    records: int
    relations: int
    quarantined: int

    def as_dict(self) -> dict:
        return {
            "path": str(self.path),
            "metadata": str(self.metadata),
            "counts": {
                "records": self.records,
                "relations": self.relations,
                "quarantined": self.quarantined,
            },
        }


def metadata_path(database: Path) -> Path:
    """Where the Datasette metadata of ``database`` goes: beside it, ``<stem>.metadata.json``."""
    return database.with_name(database.stem + ".metadata.json")


def export_sqlite(release: str | Path, target: str | Path, *, force: bool = False) -> SqliteExport:
    """Write ``release`` as the SQLite database ``target`` and its Datasette metadata file
    (:func:`metadata_path`). Each is written under a temporary name and renamed into place, so
    a failed export leaves neither half written; existing files are replaced only with
    ``force``."""
    release, target = Path(release), Path(target)
    manifest = read_manifest(release)
    metadata = metadata_path(target)
    inside = release.resolve()
    if target.parent.resolve() == inside or inside in target.parent.resolve().parents:
        raise UsageError(
            f"{target}: the export cannot go inside the release (a release is immutable; "
            "verify would find unlisted files)"
        )
    for path in (target, metadata):
        if path.is_dir():
            raise UsageError(f"{path} is a folder; --sqlite takes a database file name")
        if path.exists() and not force:
            raise UsageError(f"{path} exists (--force replaces it)")
    if not target.parent.is_dir():
        raise UsageError(f"{target.parent} is not a folder")
    partial = target.with_name(f".{target.name}.partial-{os.getpid()}")
    partial.unlink(missing_ok=True)
    try:
        counts = _write_database(release, manifest, partial)
        _write_atomically(metadata, datasette_metadata(manifest, target.stem))
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return SqliteExport(target, metadata, *counts)


def datasette_metadata(manifest: dict, database: str) -> bytes:
    """Datasette's metadata for the database named ``database`` (its file's stem): the release
    as title, its licence, facets on outlet, language and month, full-text search on
    ``records_fts``, column descriptions."""
    document = {
        "title": f"{manifest['name']} {manifest['version']}",
        "description": (
            f"Records, relations and quarantine of the release {manifest['name']} "
            f"{manifest['version']} (created {manifest['created']}), exported by archive."
        ),
        "databases": {
            database: {
                "tables": {
                    "records": {
                        "facets": ["outlet", "language", "month"],
                        "sort": "record_id",
                        "label_column": "title",
                        "fts_table": "records_fts",
                        "fts_pk": "rowid",
                        "columns": _DESCRIPTIONS,
                    },
                    "relations": {"facets": ["kind", "directed"]},
                    "quarantine": {"facets": ["reason"]},
                }
            }
        },
    }
    if license_of(manifest):
        document["license"] = license_of(manifest)
    return (json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()


def record_values(row: dict) -> tuple:
    """A release row (``to_pylist`` form) as the values of a ``records`` row, rowid last."""
    day = json_value(row["published_date"])
    capture = row["capture"]
    return (
        row["record_id"],
        row["title"],
        row["outlet"],
        day,
        day[:7] if day else None,
        row["language"],
        json.dumps(row["authors"], ensure_ascii=False),
        json.dumps(row["flags"], ensure_ascii=False),
        capture["source_path"],
        capture["url"],
        json_value(capture["retrieved_at"]),
        row["duplicate_of"],
        row["redistribution"],
        row["text"],
    )


def _write_database(release: Path, manifest: dict, path: Path) -> tuple[int, int, int]:
    try:
        connection = sqlite3.connect(path, isolation_level=None)
    except sqlite3.OperationalError as exc:  # a folder that takes no new file (read-only)
        raise UsageError(f"{path.parent}: a database cannot be written there ({exc})") from None
    try:
        connection.execute("PRAGMA journal_mode = OFF")
        connection.execute("PRAGMA synchronous = OFF")
        connection.executescript("BEGIN;" + SCHEMA)  # executescript commits what is pending
        # the quarantine first: a line it cannot take stops the export before the long part
        quarantined = _insert_all(connection, "quarantine", _QUARANTINE_COLUMNS,
                                  _quarantine_rows(release))  # fmt: skip
        records = _insert_records(connection, release, manifest)
        relations = _insert_all(connection, "relations", SHOWN_COLUMNS,
                                _relation_rows(release, manifest))  # fmt: skip
        connection.execute("COMMIT")
    finally:
        connection.close()
    return records, relations, quarantined


def _insert_records(connection: sqlite3.Connection, release: Path, manifest: dict) -> int:
    columns = ", ".join(["rowid", *_DESCRIPTIONS])
    marks = ", ".join("?" * (len(_DESCRIPTIONS) + 1))
    rowid = 0
    for shard in record_shards(manifest):
        batches = shard_batches([release / shard], _RECORD_COLUMNS)
        rows = (record_values(row) for row in _dicts(batches))
        for group in _groups(rows):
            values = [(rowid + n + 1, *row) for n, row in enumerate(group)]
            rowid += len(values)
            connection.executemany(f"INSERT INTO records ({columns}) VALUES ({marks})", values)
            connection.executemany(
                "INSERT INTO records_fts (rowid, title, body) VALUES (?, ?, ?)",
                [(v[0], v[2], v[-1]) for v in values],
            )
    return rowid


def _insert_all(
    connection: sqlite3.Connection, table: str, columns: list[str], rows: Iterable[tuple]
) -> int:
    names = ", ".join(f'"{c}"' for c in columns)
    marks = ", ".join("?" * len(columns))
    count = 0
    for values in _groups(rows):
        connection.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", values)
        count += len(values)
    return count


def _groups(rows: Iterable[tuple]) -> Iterator[list[tuple]]:
    """``rows`` in lists of ``BATCH_ROWS`` (the last may be shorter), each inserted at once: the
    database's pages depend on this grouping, so it is fixed, whatever batches were read."""
    rows = iter(rows)
    yield from iter(lambda: list(islice(rows, BATCH_ROWS)), [])


def _relation_rows(release: Path, manifest: dict) -> Iterator[tuple]:
    stated = manifest.get("relations")
    if not stated:
        return
    path = table_path(release, stated)
    try:
        for row in _dicts(relation_batches(path, SHOWN_COLUMNS)):
            yield tuple(row[c] for c in SHOWN_COLUMNS)
    except PARQUET_ERRORS as exc:
        raise unreadable(path, exc) from None


def _dicts(batches: Iterable[pa.RecordBatch]) -> Iterator[dict]:
    """The rows of ``batches`` as dicts, made ``BATCH_ROWS`` at a time: Python values take
    several times the room of the Arrow batch they come from."""
    for batch in batches:
        for start in range(0, batch.num_rows, BATCH_ROWS):
            yield from batch.slice(start, BATCH_ROWS).to_pylist()


def _quarantine_rows(release: Path) -> Iterator[tuple]:
    path = release / QUARANTINE_FILE
    if not path.is_file():
        return
    with path.open("rb") as handle:
        lines = checked_lines(handle, boundedjson.MAX_ENTRY_LINE, "quarantine")
        for number, entry, errors in lines:
            if errors:  # no entry, or one the table would refuse or take with another type
                raise UsageError(f"{path}:{number}: {errors[0]}; run archive verify")
            values = tuple(entry.get(c) for c in _QUARANTINE_COLUMNS)
            if any(isinstance(v, int) and not -(2**63) <= v < 2**63 for v in values):
                # the schema sets no bound, so the release is sound: SQLite cannot hold it
                raise UsageError(f"{path}:{number}: a number past SQLite's 64-bit integers")
            yield values


def _write_atomically(path: Path, data: bytes) -> None:
    partial = path.with_name(f".{path.name}.partial-{os.getpid()}")
    try:
        partial.write_bytes(data)
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
