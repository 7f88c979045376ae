"""Look into a release: its summary, one record, and the evidence behind a record's fields."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from archive.errors import UsageError
from archive.format import boundedjson
from archive.format.manifest import MANIFEST, require_release
from archive.format.parquetio import PARQUET_ERRORS, iter_batches
from archive.format.schema import RECORD_ARROW_SCHEMA, json_value, schema_problems
from archive.release.plan import shard_of

_RECORD_ID = re.compile(r"[0-9a-f]{32}")


def read_manifest(release: str | Path) -> dict:
    """A release's manifest, refused in one line when it cannot be read or is not shaped as a
    release manifest (the readers index it without checking each key)."""
    path = require_release(release) / MANIFEST
    try:
        manifest = boundedjson.load(path, boundedjson.MAX_MANIFEST_BYTES)
    except (OSError, ValueError) as exc:
        raise UsageError(f"{path}: not a readable manifest ({exc})") from None
    wrong = manifest_shape_problem(manifest)
    if wrong is not None:
        raise UsageError(f"{path}: not a release manifest ({wrong}); run archive verify")
    return manifest


def manifest_shape_problem(manifest: object) -> str | None:
    """What keeps ``manifest`` from the shape every reader relies on, or None."""
    if not isinstance(manifest, dict):
        return "not a JSON object"
    for key in ("name", "version", "created"):
        if not isinstance(manifest.get(key), str):
            return f"no {key} string"
    files = manifest.get("files")
    if not isinstance(files, list) or not all(
        isinstance(f, dict) and isinstance(f.get("path"), str) and isinstance(f.get("sha256"), str)
        for f in files
    ):
        return "files is not a list of entries with a path and a sha256"
    for key in ("settings", "relations", "counts", "parent"):
        if manifest.get(key) is not None and not isinstance(manifest[key], dict):
            return f"{key} is not an object"
    return None


def record_shards(manifest: dict) -> list[str]:
    """The records shards of a release, in order."""
    paths = (f["path"] for f in manifest["files"])
    return sorted(p for p in paths if p.startswith("data/records-") and p.endswith(".parquet"))


def shard_batches(
    shards: list[Path], columns: list[str], *, typed: bool = True
) -> Iterator[pa.RecordBatch]:
    """Every shard's rows, a bounded batch of ``columns`` at a time, those columns checked to
    be of the record schema's types (E010; ``typed=False``: not, for ``archive diff``, which
    compares any columns, and for a caller that checked them) and their strings as UTF-8
    (E009): Parquet's reader leaves both to
    the caller, which would fail on a value, blaming what it was reading for. A shard that
    cannot be read is named in one line."""
    for path in shards:
        try:
            if typed:
                _check_types(pq.read_schema(path), columns)
            for batch in iter_batches(path, columns):
                batch.validate(full=True)
                yield batch
        except PARQUET_ERRORS as exc:
            raise unreadable_shard(path, exc) from None


def _check_types(found: pa.Schema, columns: list[str]) -> None:
    """``ValueError`` when ``columns`` (a nested one, ``capture.source_path``, by its top
    column) of a shard's schema ``found`` are missing or not of the record schema's types (what
    verify reports as E010)."""
    names = list(dict.fromkeys(column.split(".")[0] for column in columns))
    expected = pa.schema([RECORD_ARROW_SCHEMA.field(name) for name in names])
    # a name given twice is no column of the record schema's (get_field_index: -1), as missing
    at = [found.get_field_index(name) for name in names]
    present = pa.schema([found.field(i) for i in at if i >= 0])
    problems = schema_problems(present, expected)
    if problems:
        raise ValueError(problems[0])


def unreadable_shard(path: Path, exc: BaseException) -> UsageError:
    """The one-line error of a reader that met a record shard it cannot read."""
    return UsageError(f"{path}: unreadable ({exc}); run archive verify")


def summary(release: str | Path) -> dict:
    """The manifest's figures, and a short human rendering of them under ``text``."""
    manifest = read_manifest(release)
    counts = manifest["counts"]
    lines = [
        f"{manifest['name']} {manifest['version']} (created {manifest['created']}, "
        f"{manifest['generator']['name']} {manifest['generator']['version']})",
        "counts: " + ", ".join(f"{k} {v}" for k, v in counts.items()),
    ]
    if manifest.get("quarantine_reasons"):
        reasons = ", ".join(f"{k} {v}" for k, v in manifest["quarantine_reasons"].items())
        lines.append(f"quarantined: {reasons}")
    for source in manifest["sources"]:
        lines.append(f"source {source['name']}: {source['files']} files, {source['bytes']} bytes")
    for entry in manifest["files"]:
        rows = f", {entry['rows']} rows" if "rows" in entry else ""
        lines.append(f"  {entry['path']}  {entry['bytes']} bytes{rows}")
    return {"manifest": manifest, "text": "\n".join(lines)}


def find_record(release: str | Path, record_id: str) -> dict:
    """The record ``record_id`` in its JSON form (reads only the shard that can hold it)."""
    manifest = read_manifest(release)
    shards = record_shards(manifest)
    if not _RECORD_ID.fullmatch(record_id) or not shards:
        raise UsageError(f"no record {record_id!r} in {release} (ids are 32 hex digits)")
    path = Path(release) / shards[shard_of(record_id, len(shards))]
    try:
        _check_types(pq.read_schema(path), RECORD_ARROW_SCHEMA.names)
        table = pq.read_table(path, filters=[("record_id", "=", record_id)], use_threads=False)
        table.validate(full=True)  # as shard_batches: to_pylist would fail on bad UTF-8
    except PARQUET_ERRORS as exc:
        raise unreadable_shard(path, exc) from None
    if table.num_rows == 0:
        raise UsageError(f"no record {record_id} in {release}")
    return json_value(table.to_pylist()[0])


def explain_record(row: dict) -> str:
    """The capture with its spans marked and the evidence for every derived field."""
    from archive.extract import explain

    if row["capture_text"] is None:
        raise UsageError(
            f"record {row['record_id']} withholds its text (metadata-only): nothing to explain"
        )
    return explain(row["capture_text"], row)


def relations(release: str | Path, *, kind: str | None = None, record_id: str | None = None):
    """The release's relations (``relations/relations.parquet``) as JSON-form rows, optionally
    only those of ``kind`` or involving ``record_id``; their evidence is parsed JSON."""
    from archive.relations.table import parsed_values, relation_batches, table_path, unreadable

    manifest = read_manifest(release)
    summary = manifest.get("relations")
    if not summary:
        raise UsageError(f"{release} has no relations table (packed with relations off)")
    rows = []
    path = table_path(release, summary)
    try:
        for batch in relation_batches(path):
            for row in batch.to_pylist():
                if kind and row["kind"] != kind:
                    continue
                if record_id and record_id not in (row["source_id"], row["target_id"]):
                    continue
                rows.append(parsed_values(row))
    except (OSError, ValueError, pa.ArrowException) as exc:
        raise unreadable(path, exc) from None
    return rows


def relation_lines(rows: list[dict]) -> list[str]:
    """A short human rendering of relations, with their evidence side by side."""
    lines = []
    for row in rows:
        arrow = "->" if row["directed"] else "<->"
        pair = f"{row['source_id']} {arrow} {row['target_id']}"
        group = f"  group {row['group_id']}" if row["group_id"] else ""
        lines.append(f"{row['kind']}: {pair}  score {row['score']:.3f}{group}")
        lines.extend(f"    {line}" for line in _evidence_lines(row["evidence"]))
    return lines


def _evidence_lines(evidence: dict, limit: int = 6) -> list[str]:
    shown = []
    for key, value in evidence.items():
        if isinstance(value, list):
            shown.append(f"{key}: {len(value)} item(s)")
            for item in value[:limit]:
                shown.append(f"  - {json.dumps(item, ensure_ascii=False)[:160]}")
        else:
            shown.append(f"{key}: {json.dumps(value, ensure_ascii=False)[:160]}")
    return shown
