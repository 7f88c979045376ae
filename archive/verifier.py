"""``verify``: prove a release is exactly what its manifest says, and ``validate``: check schemas.

Every check runs and every problem is collected before reporting (nothing stops at the first).
Problems carry stable codes (see ``CODES``), documented in the README.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from .errors import Problem, UsageError, VerificationError
from .exporters import derived_files
from .inspect import record_shards
from .manifest import (
    MANIFEST,
    MANIFEST_DIGEST,
    QUARANTINE_FILE,
    canonical_json,
    file_sha256,
    read_digest_file,
    release_files,
)
from .parquetio import iter_batches
from .plan import shard_of
from .schema import (
    RECORD_ARROW_SCHEMA,
    column_problems,
    json_value,
    row_errors,
    schema_file,
    schema_problems,
    validator,
    validator_for,
)

CODES = {
    "E001": "manifest.json is missing or is not JSON",
    "E002": "manifest.json.sha256 is missing or malformed",
    "E003": "manifest.json does not match the digest in manifest.json.sha256",
    "E004": "manifest.json breaks the manifest schema",
    "E005": "a file listed in the manifest is missing",
    "E006": "a file's size differs from the manifest",
    "E007": "a file's SHA-256 differs from the manifest",
    "E008": "a file is in the release but not in the manifest",
    "E009": "a Parquet file cannot be read",
    "E010": "a Parquet file's columns or types differ from the record schema",
    "E011": "rows break the record schema",
    "E012": "a row's text or capture_text does not match its hash",
    "E013": "record ids are not unique, not sorted, or in the wrong shard",
    "E014": "a count differs from the manifest",
    "E015": "quarantine entries break the quarantine schema",
    "E016": "a schema copy differs from the schema the manifest names",
    "E017": "duplicate_of does not point at an earlier record with the same text",
    "E018": "a file derived from the manifest (BagIt, Data Package, Croissant, card) differs",
}


@dataclass
class Report:
    """What a verification checked and found. ``ok`` when no problem was found."""

    path: str
    checks: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    records: int = 0
    files: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems

    def add(self, code: str, path: str, message: str, expected=None, found=None) -> None:
        self.problems.append(Problem(code, path, message, _text(expected), _text(found)))

    def as_dict(self) -> dict:
        return {
            "path": self.path,
            "ok": self.ok,
            "records": self.records,
            "files": self.files,
            "checks": self.checks,
            "problems": [vars(p) for p in self.problems],
        }


def _text(value) -> str | None:
    return None if value is None else str(value)


def verify(release: str | Path) -> Report:
    """Verify ``release`` completely; raise ``VerificationError`` listing every problem.

    >>> verify("dist/example-1.0.0").ok  # doctest: +SKIP
    True
    """
    report = check_release(release)
    if not report.ok:
        raise VerificationError(report.problems)
    return report


def is_valid(release: str | Path) -> bool:
    """The boolean form of ``verify``."""
    return check_release(release).ok


def check_release(release: str | Path, *, hashes: bool = True) -> Report:
    """Run every check on ``release`` and return the report (never raises on a bad release)."""
    root = Path(release)
    if not root.is_dir():
        raise UsageError(f"{root} is not a release folder")
    report = Report(str(root))
    manifest = _manifest(root, report)
    if manifest is None:
        return report
    _check_schema_copies(root, manifest, report)
    derived = _check_derived(root, manifest, report)
    if hashes:
        _check_files(root, manifest, report, derived)
    _check_records(root, manifest, report, hashes=hashes)
    _check_quarantine(root, manifest, report)
    return report


def _manifest(root: Path, report: Report) -> dict | None:
    report.checks.append("manifest digest")
    try:
        data = (root / MANIFEST).read_bytes()
        manifest = json.loads(data)
    except (OSError, ValueError) as exc:
        report.add("E001", MANIFEST, f"cannot be read as JSON ({exc})")
        return None
    try:
        recorded = read_digest_file(root)
        actual = hashlib.sha256(data).hexdigest()
        if recorded != actual:
            report.add("E003", MANIFEST, "edited after it was written", recorded, actual)
    except (OSError, ValueError) as exc:
        report.add("E002", MANIFEST_DIGEST, str(exc))
    report.checks.append("manifest schema")
    errors = sorted(validator("manifest").iter_errors(manifest), key=lambda e: list(e.path))
    for error in errors:
        where = "/".join(map(str, error.absolute_path)) or "(top)"
        report.add("E004", MANIFEST, f"{where}: {error.message}")
    if errors or canonical_json(manifest) != data:
        if not errors:
            report.add("E004", MANIFEST, "not in canonical form (sorted keys, 2-space indent)")
        return manifest if not errors else None
    return manifest


def _check_schema_copies(root: Path, manifest: dict, report: Report) -> None:
    report.checks.append("schema copies")
    for name, entry in manifest["schemas"].items():
        path = root / entry["path"]
        if not path.is_file():
            continue  # reported as a missing file
        if hashlib.sha256(path.read_bytes()).hexdigest() != entry["sha256"]:
            report.add("E016", entry["path"], f"differs from the {name} schema the manifest names")


def _check_derived(root: Path, manifest: dict, report: Report) -> frozenset[str]:
    """Regenerate the files derived from the manifest and compare them byte for byte."""
    report.checks.append("files derived from the manifest")
    derived = derived_files(root, manifest, (root / MANIFEST).read_bytes())
    for relative, content in sorted(derived.items()):
        path = root / relative
        if not path.is_file():
            report.add("E005", relative, "derived from the manifest but missing")
        elif path.read_bytes() != content:
            report.add("E018", relative, "differs from what manifest.json derives")
    return frozenset(derived)


def _check_files(root: Path, manifest: dict, report: Report, derived: frozenset[str]) -> None:
    report.checks.append("file sizes and SHA-256")
    listed = {entry["path"]: entry for entry in manifest["files"]}
    report.files = len(listed)
    for relative, entry in listed.items():
        path = root / relative
        if not path.is_file():
            report.add("E005", relative, "listed in the manifest but missing")
            continue
        digest, size = file_sha256(path)
        if size != entry["bytes"]:
            report.add("E006", relative, "size differs", entry["bytes"], size)
        if digest != entry["sha256"]:
            report.add("E007", relative, "content differs", entry["sha256"], digest)
    report.checks.append("no unlisted files")
    for relative in release_files(root, derived):
        if relative not in listed:
            report.add("E008", relative, "not listed in the manifest")


def _check_records(root: Path, manifest: dict, report: Report, *, hashes: bool) -> None:
    report.checks.append("record schema by column")
    if hashes:
        report.checks.append("text and capture_text hashes")
    report.checks.append("record ids unique, sorted and in their shard")
    report.checks.append("counts")
    shards = record_shards(manifest)
    rows_listed = {f["path"]: f.get("rows") for f in manifest["files"]}
    totals: Counter = Counter()
    links: dict[str, tuple[str, str, str]] = {}
    for index, relative in enumerate(shards):
        path = root / relative
        if not path.is_file():
            continue
        try:
            rows, counts = _check_shard(path, relative, index, len(shards), report, hashes=hashes)
            links.update(_duplicate_links(path, relative))
        except (OSError, pa.ArrowException) as exc:
            report.add("E009", relative, f"cannot be read as Parquet ({exc})")
            continue
        if rows_listed.get(relative) is not None and rows != rows_listed[relative]:
            report.add("E014", relative, "row count differs", rows_listed[relative], rows)
        totals.update(counts)
        totals["records"] += rows
    report.records = totals["records"]
    if links:
        report.checks.append("duplicate_of links")
        _check_duplicate_links(root, shards, links, report)
    stated = manifest["counts"]
    for key in (
        "records",
        "duplicates",
        "unknown_outlet",
        "unknown_date",
        "unknown_title",
        "unknown_authors",
    ):
        if key in stated and stated[key] != totals[key]:
            report.add(
                "E014", MANIFEST, f"counts.{key} differs from the records", stated[key], totals[key]
            )


def _check_shard(
    path: Path, relative: str, index: int, shards: int, report: Report, *, hashes: bool
):
    schema = pq.read_schema(path)
    problems = schema_problems(schema)
    if problems:
        for problem in problems:
            report.add("E010", relative, problem)
        return pq.ParquetFile(path).metadata.num_rows, Counter()
    rows = 0
    counts: Counter = Counter()
    previous = ""
    bad_order = bad_shard = 0
    for batch in iter_batches(path):
        rows += batch.num_rows
        for problem in column_problems(batch):
            report.add("E011", relative, problem)
        if hashes:
            for column in ("text", "capture_text"):
                for rid in mismatched_hashes(batch, column):
                    report.add(
                        "E012", relative, f"record {rid}: {column} does not match {column}_sha256"
                    )
        ids = batch.column("record_id").to_pylist()
        for rid in ids:
            if rid is None:
                continue
            if rid <= previous:
                bad_order += 1
            if len(rid) == 32 and shard_of(rid, shards) != index:
                bad_shard += 1
            previous = rid
        counts.update(_batch_counts(batch))
    if bad_order:
        report.add("E013", relative, f"{bad_order} record id(s) repeated or out of order")
    if bad_shard:
        report.add("E013", relative, f"{bad_shard} record id(s) outside this shard's id range")
    return rows, counts


def _duplicate_links(path: Path, relative: str) -> dict[str, tuple[str, str, str]]:
    """original id -> (duplicate id, its text_sha256, shard path) for every marked duplicate."""
    columns = ["record_id", "text_sha256", "duplicate_of"]
    table = pq.read_table(path, columns=columns, use_threads=False)
    table = table.filter(pc.is_valid(table["duplicate_of"]))
    return {
        row["record_id"]: (row["duplicate_of"], row["text_sha256"], relative)
        for row in table.to_pylist()
    }


def _check_duplicate_links(root: Path, shards: list[str], links: dict, report: Report) -> None:
    """Each duplicate must point at an existing, earlier record with the same text hash."""
    wanted: dict[str, list[tuple[str, str, str]]] = {}
    for rid, (original, text_hash, relative) in links.items():
        if original >= rid:
            report.add("E017", relative, f"record {rid}: duplicate_of {original} is not earlier")
        wanted.setdefault(original, []).append((rid, text_hash, relative))
    for relative in shards:
        try:
            columns = ["record_id", "text_sha256"]
            table = pq.read_table(root / relative, columns=columns, use_threads=False)
        except (OSError, pa.ArrowException):
            continue  # reported as missing or unreadable
        table = table.filter(pc.is_in(table["record_id"], value_set=pa.array(list(wanted))))
        for original, text_hash in zip(
            table["record_id"].to_pylist(), table["text_sha256"].to_pylist(), strict=True
        ):
            for rid, dup_hash, where in wanted.pop(original):
                if dup_hash != text_hash:
                    report.add("E017", where, f"record {rid}: text differs from {original}")
    for original, duplicates in wanted.items():
        for rid, _, where in duplicates:
            report.add(
                "E017", where, f"record {rid}: duplicate_of {original} is not in the release"
            )


def _batch_counts(batch: pa.RecordBatch) -> Counter:
    def nulls(name: str) -> int:
        return batch.column(name).null_count

    authorless = pc.sum(pc.equal(pc.list_value_length(batch.column("authors")), 0)).as_py() or 0
    return Counter(
        {
            "duplicates": batch.num_rows - nulls("duplicate_of"),
            "unknown_outlet": nulls("outlet"),
            "unknown_date": nulls("published_at"),
            "unknown_title": nulls("title"),
            "unknown_authors": authorless,
        }
    )


def hex_digests(array: pa.Array) -> list[str | None]:
    """SHA-256 of every value of a string array, read straight from its Arrow buffers."""
    if isinstance(array, pa.ChunkedArray):
        return [d for chunk in array.chunks for d in hex_digests(chunk)]
    if array.type == pa.large_string():
        return [
            None if v is None else hashlib.sha256(v.encode()).hexdigest() for v in array.to_pylist()
        ]
    _, offsets_buffer, data_buffer = array.buffers()
    offsets = memoryview(offsets_buffer).cast("i")[array.offset : array.offset + len(array) + 1]
    data = memoryview(data_buffer) if data_buffer is not None else memoryview(b"")
    valid = array.is_valid().to_pylist() if array.null_count else None
    digests = []
    sha256 = hashlib.sha256
    for i in range(len(array)):
        if valid is not None and not valid[i]:
            digests.append(None)
        else:
            digests.append(sha256(data[offsets[i] : offsets[i + 1]]).hexdigest())
    return digests


def mismatched_hashes(batch: pa.RecordBatch, column: str) -> list[str]:
    """Record ids of the rows whose ``column`` does not hash to ``<column>_sha256``."""
    computed = pa.array(hex_digests(batch.column(column)), pa.string())
    same = pc.fill_null(pc.equal(computed, batch.column(f"{column}_sha256")), False)
    if pc.all(same).as_py():
        return []
    return pc.filter(batch.column("record_id"), pc.invert(same)).to_pylist()


def _check_quarantine(root: Path, manifest: dict, report: Report) -> None:
    report.checks.append("quarantine schema")
    path = root / QUARANTINE_FILE
    if not path.is_file():
        return
    lines = 0
    check = validator("quarantine")
    with path.open(encoding="utf-8", errors="replace") as handle:
        for number, line in enumerate(handle, start=1):
            lines += 1
            try:
                entry = json.loads(line)
            except ValueError:
                report.add("E015", f"{QUARANTINE_FILE}:{number}", "not JSON")
                continue
            for error in check.iter_errors(entry):
                report.add("E015", f"{QUARANTINE_FILE}:{number}", error.message)
    stated = manifest["counts"].get("quarantined")
    if stated is not None and stated != lines:
        report.add(
            "E014", MANIFEST, "counts.quarantined differs from quarantine.jsonl", stated, lines
        )
    records = manifest["counts"].get("records", 0)
    inputs = manifest["counts"].get("inputs")
    if inputs is not None and inputs != records + lines:
        report.add("E014", MANIFEST, "inputs is not records + quarantined", inputs, records + lines)


def validate(path: str | Path) -> Report:
    """Schema validation only (for CI): a release folder, a manifest, or a records file.

    Records files are Parquet (checked by column against the record schema) or JSON Lines
    (each line against the record schema, or the quarantine schema for ``quarantine*.jsonl``).
    """
    target = Path(path)
    if target.is_dir():
        return check_release(target, hashes=False)
    if not target.is_file():
        raise UsageError(f"{target} does not exist")
    report = Report(str(target))
    if target.suffix == ".parquet":
        report.checks.append("record schema by column")
        try:
            rows, _ = _check_shard(target, target.name, 0, 1, report, hashes=False)
        except (OSError, pa.ArrowException) as exc:
            report.add("E009", target.name, f"cannot be read as Parquet ({exc})")
            return report
        report.problems = [p for p in report.problems if not p.message.endswith("id range")]
        report.records = rows
    elif target.suffix in (".jsonl", ".ndjson"):
        kind = "quarantine" if target.name.startswith("quarantine") else "record"
        report.checks.append(f"{kind} schema per line")
        _validate_lines(target, kind, report)
    elif target.suffix == ".json":
        report.checks.append("manifest schema")
        try:
            document = json.loads(target.read_bytes())
        except ValueError as exc:
            report.add("E001", target.name, f"not JSON ({exc})")
            return report
        for error in validator_for(schema_file("manifest").document).iter_errors(document):
            report.add(
                "E004", target.name, f"{'/'.join(map(str, error.absolute_path))}: {error.message}"
            )
    else:
        raise UsageError(f"{target}: expected a release folder, manifest.json, .parquet or .jsonl")
    return report


def _validate_lines(target: Path, kind: str, report: Report) -> None:
    code = "E015" if kind == "quarantine" else "E011"
    with target.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except ValueError:
                report.add(code, f"{target.name}:{number}", "not JSON")
                continue
            report.records += 1
            for message in row_errors(json_value(row), kind):
                report.add(code, f"{target.name}:{number}", message)


def explain_rows(path: Path, limit: int = 5) -> list[str]:
    """jsonschema's explanation of the first rows of a Parquet file that break the schema."""
    messages = []
    for batch in iter_batches(path):
        for row in batch.to_pylist():
            errors = row_errors(json_value(row))
            if errors:
                messages.append(f"record {row.get('record_id')}: " + "; ".join(errors))
                if len(messages) >= limit:
                    return messages
    return messages


__all__ = [
    "CODES",
    "RECORD_ARROW_SCHEMA",
    "Report",
    "check_release",
    "is_valid",
    "validate",
    "verify",
]
