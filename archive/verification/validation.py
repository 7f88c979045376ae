"""``validate``: schema validation only, for CI, of a release folder or of any file a release or a
collection has.

Each kind of file has its schema and its code:

========================  ==============================================  ======
kind                      what it is checked against                      code
========================  ==============================================  ======
``release``               a folder or a bundle: ``verify`` without        E0xx
                          hashing
``records``               Parquet shard (by column) or JSON Lines (each    E010,
                          line): ``schemas/record.schema.json``           E011
``relations``             ``relations/relations.parquet``: the relations  E024
                          Arrow schema, its columns, each row's evidence
``quarantine``            ``quarantine.jsonl``: each line                 E015
``tombstones``            ``withdrawn.jsonl``: each line against          E035
                          ``schemas/tombstone.schema.json``
``manifest``              ``manifest.json``                               E004
``changes``               ``CHANGES.json``: ``schemas/changes.schema.json``  E034
``datapackage``,          regenerated from the ``manifest.json`` beside   E018
``croissant``             them and compared; alone, their outline
``capture-log``           JSON Lines or CSV: each line against            E028
                          ``schemas/capture-log.schema.json``, then as
                          ``pack`` reads it
``config``, ``outlets``   ``archive.toml`` / an ``[outlets]`` TOML file,  E029
                          as ``pack`` reads them
========================  ==============================================  ======

The kind comes from the file's name, else from its content (a Parquet file's schema, the keys
of a JSON file or of the first JSON line); ``kind=`` overrides both. A file whose kind cannot be
told is a usage error naming ``--kind``.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from functools import cache
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from archive.errors import UsageError
from archive.format import boundedjson
from archive.format.kinds import KINDS
from archive.format.parquetio import PARQUET_ERRORS, iter_batches
from archive.format.schema import (
    RECORD_ARROW_SCHEMA,
    checked_lines,
    column_problems,
    json_value,
    schema_file,
    schema_messages,
    schema_problems,
    validator_for,
)
from archive.verification.api import check_release
from archive.verification.report import Report
from archive.verification.shards import shard_rows
from archive.versions.bundle import is_bundle

_BY_NAME = {
    "manifest.json": "manifest",
    "CHANGES.json": "changes",
    "datapackage.json": "datapackage",
    "croissant.json": "croissant",
    "archive.toml": "config",
    "relations.parquet": "relations",
}
_CONFIG_TABLES = {"collection", "rights", "outlets", "withdraw"}
_SNIFF_LINES = 100  # blank or broken lines read past to find the first JSON object


def validate(path: str | Path, kind: str | None = None) -> Report:
    """Schema validation only (for CI) of a release folder or one file of the ``kind`` given,
    else of the kind its name or content says (see the module's table).

    >>> validate("dist/example-1.0.0/relations/relations.parquet").ok  # doctest: +SKIP
    True
    """
    target = Path(path)
    check_kind(kind)
    if target.is_dir():
        if kind not in (None, "release"):
            raise UsageError(f"{target} is a folder, not a {kind} file")
        return check_release(target, hashes=False)
    if not target.is_file():
        raise UsageError(f"{target} does not exist")
    if kind in (None, "release") and is_bundle(target):
        return check_release(target, hashes=False)  # a release as one file (archive bundle)
    if kind == "release":
        raise UsageError(f"{target} is a file; a release is a folder or a bundle")
    kind = kind or kind_of(target)
    report = Report(str(target))
    _CHECKS[kind](target, report)
    return report


def check_kind(kind: str | None) -> None:
    """``UsageError`` unless ``kind`` is None or a kind of file ``validate`` knows."""
    if kind is not None and kind not in KINDS:
        raise UsageError(f"unknown kind {kind!r}; one of {', '.join(KINDS)}")


def kind_of(target: Path) -> str:
    """The kind of file ``target`` is, by name, then by content."""
    if target.name in _BY_NAME:
        return _BY_NAME[target.name]
    suffix = target.suffix.lower()
    if suffix == ".parquet":
        return _parquet_kind(target)
    if suffix == ".csv":
        return "capture-log"
    if suffix in (".jsonl", ".ndjson"):
        return _lines_kind(target)
    if suffix == ".json":
        return _json_kind(target)
    if suffix == ".toml":
        return _toml_kind(target)
    raise UsageError(f"{target}: cannot tell what kind of file this is; give --kind")


def _parquet_kind(target: Path) -> str:
    try:
        schema = pq.read_schema(target)
    except PARQUET_ERRORS:
        return "records"  # reported as unreadable by the records check
    stated = (schema.metadata or {}).get(b"archive.schema")
    if stated == b"relations" or {"source_id", "target_id", "kind"} <= set(schema.names):
        return "relations"
    return "records"


def _lines_kind(target: Path) -> str:
    if target.name.startswith("quarantine"):
        return "quarantine"
    if target.name.startswith("withdrawn"):
        return "tombstones"
    keys = _first_object_keys(target)
    if {"record_id", "withdrawn_at", "reason"} <= keys:
        return "tombstones"
    if "record_id" in keys:
        return "records"
    if {"source_path", "reason"} <= keys:
        return "quarantine"
    if "path" in keys:
        return "capture-log"
    return "records"


def _first_object_keys(target: Path) -> set[str]:
    with target.open(encoding="utf-8-sig", errors="replace") as handle:
        for _, line in zip(range(_SNIFF_LINES), handle, strict=False):
            try:
                value = boundedjson.loads(line)
            except ValueError:
                continue
            if isinstance(value, dict):
                return set(value)
    return set()


def _json_kind(target: Path) -> str:
    try:
        document = boundedjson.load(target, boundedjson.MAX_MANIFEST_BYTES)
    except (OSError, ValueError):
        return "manifest"  # reported as not JSON by the manifest check
    if not isinstance(document, dict):
        return "manifest"
    if str(document.get("$schema", "")).startswith("https://json-schema.org/"):
        raise UsageError(
            f"{target}: a JSON Schema (a release's copy of its contract), not a file validate "
            "checks; archive verify holds a release's copies to the published schemas (E016)"
        )
    if document.get("format") == "archive-changes":
        return "changes"
    if "@context" in document:
        return "croissant"
    if "resources" in document and "files" not in document:
        return "datapackage"
    return "manifest"


def _toml_kind(target: Path) -> str:
    if "outlet" in target.name.lower():
        return "outlets"
    try:
        data = tomllib.loads(target.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return "config"  # reported as not TOML by the config check
    return "outlets" if set(data) == {"outlets"} else "config"


# --- the checks, one per kind ----------------------------------------------------------------


def _records(target: Path, report: Report) -> None:
    if target.suffix.lower() in (".jsonl", ".ndjson"):
        report.ran("record schema per line")
        _validate_lines(target, "record", report)
        return
    report.ran("record schema by column")
    if not _schema_holds(target, report, "E010"):
        return
    result = shard_rows(target, target.name, 0, None, hashes=False)
    report.problems += result.problems
    report.records = result.rows


def _relations(target: Path, report: Report) -> None:
    from archive.relations.table import RELATIONS_ARROW_SCHEMA, params_problems

    report.ran("relations schema by column and evidence per row")
    if not _schema_holds(target, report, "E024", RELATIONS_ARROW_SCHEMA):
        return
    row = 0
    params_seen: set[str] = set()
    try:
        for batch in iter_batches(target):
            batch.validate(full=True)  # as verify's: a string that is not UTF-8 is E009
            for problem in column_problems(batch, "relations") + params_problems(
                batch.column("params"), params_seen
            ):
                report.add("E024", target.name, problem)
            kinds = batch.column("kind").to_pylist()
            for kind, text in zip(kinds, batch.column("evidence").to_pylist(), strict=True):
                row += 1
                message = evidence_problem(kind, text)
                if message:
                    report.add("E024", f"{target.name}:row {row}", f"evidence: {message}")
    except (OSError, ValueError, pa.ArrowException) as exc:
        report.add("E009", target.name, f"cannot be read as Parquet ({exc})")
    report.records = row


def _schema_holds(
    target: Path, report: Report, code: str, expected: pa.Schema = RECORD_ARROW_SCHEMA
) -> bool:
    """Whether the Parquet file ``target`` has the Arrow schema ``expected``; E009 when it
    cannot be read, ``code`` for each difference."""
    try:
        problems = schema_problems(pq.read_schema(target), expected)
    except PARQUET_ERRORS as exc:
        report.add("E009", target.name, f"cannot be read as Parquet ({exc})")
        return False
    for problem in problems:
        report.add(code, target.name, problem)
    return not problems


def evidence_problem(kind: str, text: str | None) -> str | None:
    """Why a relation's evidence is not JSON of its kind's shape (None: it is)."""
    try:
        value = boundedjson.loads(text or "")
    except ValueError:
        return "not JSON"
    return evidence_shape_problem(kind, value)


def evidence_shape_problem(kind: str, value: object) -> str | None:
    """Why a relation's parsed evidence is not of its kind's shape (None: it is)."""
    validator = _evidence_validators().get(kind)
    if validator is None:
        return None if isinstance(value, dict) else "not a JSON object"
    error = next(iter(sorted(validator.iter_errors(value), key=lambda e: list(e.path))), None)
    if error is None:
        return None
    return f"{'/'.join(map(str, error.absolute_path)) or '(evidence)'}: {error.message}"


@cache
def _evidence_validators() -> dict:
    document = schema_file("relations").document
    names = {
        "near-duplicate": "near_duplicate_evidence",
        "shares-quotation": "shares_quotation_evidence",
        "paraphrase-of": "paraphrase_evidence",
    }
    return {
        kind: validator_for({**document["$defs"][name], "$defs": document["$defs"]})
        for kind, name in names.items()
    }


def _quarantine(target: Path, report: Report) -> None:
    report.ran("quarantine schema per line")
    _validate_lines(target, "quarantine", report)


def _tombstones(target: Path, report: Report) -> None:
    report.ran("tombstone schema per line")
    _validate_lines(target, "tombstone", report)


def _json_document(target: Path, report: Report, code: str, limit: int) -> object | None:
    try:
        return boundedjson.load(target, limit)
    except (OSError, ValueError) as exc:
        report.add(code, target.name, f"not JSON ({exc})")
        return None


def _manifest(target: Path, report: Report) -> None:
    report.ran("manifest schema")
    try:
        document = boundedjson.load(target, boundedjson.MAX_MANIFEST_BYTES)
    except (OSError, ValueError) as exc:
        report.add("E001", target.name, f"not JSON ({exc})")
        return
    _schema_errors(document, schema_file("manifest").document, "E004", target.name, report)


def _changes(target: Path, report: Report) -> None:
    from archive.versions.diff import changes_problems

    report.ran("changes schema")
    changes_problems(target, lambda message: report.add("E034", target.name, message))


def _schema_errors(document, schema: dict, code: str, where: str, report: Report) -> None:
    for message in schema_messages(validator_for(schema).iter_errors(document), "(document)"):
        report.add(code, where, message)


# The outline a derived file must have when no manifest sits beside it to derive it from.
_OUTLINES = {
    "datapackage": {
        "type": "object",
        "required": ["name", "resources"],
        "properties": {
            "resources": {
                "type": "array",
                "minItems": 1,
                "items": {"type": "object", "required": ["name", "path", "schema"]},
            }
        },
    },
    "croissant": {
        "type": "object",
        "required": ["@context", "@type", "name", "distribution", "recordSet"],
        "properties": {"@type": {"const": "sc:Dataset"}},
    },
}


def _derived(kind: str) -> Callable[[Path, Report], None]:
    def check(target: Path, report: Report) -> None:
        document = _json_document(target, report, "E018", boundedjson.MAX_MANIFEST_BYTES)
        if document is None:
            return
        manifest = target.parent / "manifest.json"
        if manifest.is_file():
            report.ran(f"{kind} regenerated from {manifest.name}")
            _compare_derived(target, manifest, report, f"{kind}.json")
        else:
            report.ran(f"{kind} outline (no manifest.json beside it to derive it from)")
            _schema_errors(document, _OUTLINES[kind], "E018", target.name, report)

    return check


def _compare_derived(target: Path, manifest: Path, report: Report, name: str) -> None:
    """``target`` against the file ``name`` the manifest derives (the kind's, whatever
    ``target`` is called)."""
    from archive.exporters import derived_files

    try:
        data = boundedjson.read_capped(manifest, boundedjson.MAX_MANIFEST_BYTES)
        files = derived_files(target.parent, boundedjson.loads(data), data)
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        report.add("E018", target.name, f"cannot be derived from {manifest} ({exc})")
        return
    if files.get(name) != target.read_bytes():
        report.add("E018", target.name, f"differs from what {manifest} derives")


def _capture_log(target: Path, report: Report) -> None:
    from archive.capture.capturelog import entry_from_mapping, raw_lines

    report.ran("capture-log schema per line")
    checker = validator_for(schema_file("capture-log").document)
    seen: dict[str, int] = {}
    try:
        for number, data, error in raw_lines(target):
            where = f"{target.name}:{number}"
            if error is not None:
                report.add("E028", where, error)
                continue
            report.records += 1
            errors = schema_messages(checker.iter_errors(json_value(data)), "(line)")
            for message in errors:
                report.add("E028", where, message)
            if errors:
                continue
            try:
                entry = entry_from_mapping(data, number)
            except ValueError as exc:
                report.add("E028", where, str(exc))
                continue
            if entry.path in seen:
                message = f"path {entry.path!r} already given on line {seen[entry.path]}"
                report.add("E028", where, message)
            seen.setdefault(entry.path, number)
    except (OSError, UnicodeDecodeError) as exc:
        report.add("E028", target.name, f"cannot be read ({exc})")


def _config(target: Path, report: Report) -> None:
    from archive.collection import load_collection

    if _read_as_pack_reads(target, report, "archive.toml", load_collection):
        data = tomllib.loads(target.read_text(encoding="utf-8"))
        unknown = sorted(set(data) - _CONFIG_TABLES)
        if unknown:
            names = ", ".join(f"[{name}]" for name in unknown)
            report.add("E029", target.name, f"unknown table(s) {names}: pack would ignore them")


def _outlets(target: Path, report: Report) -> None:
    from archive.collection import domain_outlets

    _read_as_pack_reads(target, report, "outlets table", domain_outlets)


def _read_as_pack_reads(target: Path, report: Report, what: str, read) -> bool:
    """Whether ``read`` (pack's own reader) takes ``target``; E029 with its reason if not."""
    report.ran(f"{what} as pack reads it")
    try:
        read(target)
    except UsageError as exc:
        report.add("E029", target.name, _without_path(str(exc), target))
        return False
    return True


def _without_path(message: str, target: Path) -> str:
    """A collection error's text without the leading path (the problem names the file)."""
    prefix = f"{target}: "
    return message[len(prefix) :] if message.startswith(prefix) else message


_LINE_CODES = {"quarantine": "E015", "tombstone": "E035"}
_LINE_LIMITS = {
    "quarantine": boundedjson.MAX_ENTRY_LINE,
    "tombstone": boundedjson.MAX_TOMBSTONE_LINE,
}


def _validate_lines(target: Path, kind: str, report: Report) -> None:
    """Each line of a JSON Lines file of records, quarantine entries or tombstones against its
    schema. Quarantine and tombstone lines are read as verify reads them (bounded, no blank
    line); a records file's, which any tool may have written, are not bounded, and blank lines
    are skipped, as in a capture log."""
    code = _LINE_CODES.get(kind, "E011")
    with target.open("rb") as handle:
        limit = _LINE_LIMITS.get(kind)
        for number, row, errors in checked_lines(handle, limit, kind, skip_blank=kind == "record"):
            report.records += row is not None
            for message in errors:
                report.add(code, f"{target.name}:{number}", message)


_CHECKS: dict[str, Callable[[Path, Report], None]] = {
    "records": _records,
    "relations": _relations,
    "quarantine": _quarantine,
    "tombstones": _tombstones,
    "manifest": _manifest,
    "changes": _changes,
    "datapackage": _derived("datapackage"),
    "croissant": _derived("croissant"),
    "capture-log": _capture_log,
    "config": _config,
    "outlets": _outlets,
}

__all__ = ["KINDS", "kind_of", "validate"]
