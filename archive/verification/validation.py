"""``validate``: schema validation only, for CI, of a release folder or of single files."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from archive.errors import UsageError
from archive.format import boundedjson
from archive.format.schema import (
    json_value,
    row_errors,
    schema_file,
    schema_problems,
    validator_for,
)
from archive.verification.api import check_release
from archive.verification.report import Report
from archive.verification.shards import shard_rows


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
        report.ran("record schema by column")
        try:
            problems = schema_problems(pq.read_schema(target))
        except (OSError, pa.ArrowException) as exc:
            report.add("E009", target.name, f"cannot be read as Parquet ({exc})")
            return report
        if problems:
            for problem in problems:
                report.add("E010", target.name, problem)
            return report
        result = shard_rows(target, target.name, 0, None, hashes=False)
        report.problems += result.problems
        report.records = result.rows
    elif target.suffix in (".jsonl", ".ndjson"):
        kind = "quarantine" if target.name.startswith("quarantine") else "record"
        report.ran(f"{kind} schema per line")
        _validate_lines(target, kind, report)
    elif target.suffix == ".json":
        report.ran("manifest schema")
        try:
            document = boundedjson.load(target, boundedjson.MAX_MANIFEST_BYTES)
        except (OSError, ValueError) as exc:
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
    with target.open(encoding="utf-8", errors="replace") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                row = boundedjson.loads(line)
            except ValueError:
                report.add(code, f"{target.name}:{number}", "not JSON")
                continue
            report.records += 1
            for message in row_errors(json_value(row), kind):
                report.add(code, f"{target.name}:{number}", message)


__all__ = ["validate"]
