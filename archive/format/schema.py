"""The record contract in its two forms: the JSON Schemas in ``schemas/`` and the Arrow schema.

The JSON Schema is the public contract; ``RECORD_ARROW_SCHEMA`` is its exact Parquet form (a test
checks they name the same fields). Rows are checked by column (``check_table``): the Arrow schema
plus vectorized checks compiled from the JSON Schema's patterns, enums and bounds, since
jsonschema per row would cost more than the rest of a verify. jsonschema itself checks the JSON
files, the rows of ``archive validate`` on JSONL, and explains a row the column checks reject.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from archive.format import boundedjson
from archive.format.parquetio import string_data, string_offsets

if TYPE_CHECKING:
    from jsonschema import Draft202012Validator

SCHEMA_NAMES = ("record", "manifest", "quarantine", "relations")

_TS = pa.timestamp("us", tz="UTC")

CAPTURE_TYPE = pa.struct(
    [
        pa.field("source_path", pa.string(), nullable=False),
        ("url", pa.string()),
        ("retrieved_at", _TS),
        ("agent", pa.string()),
        ("content_type", pa.string()),
        ("warc_filename", pa.string()),
        ("warc_offset", pa.int64()),
        ("warc_record_id", pa.string()),
        ("warc_date", _TS),
        ("http_status", pa.int64()),
        ("ip_address", pa.string()),
        ("payload_digest", pa.string()),
        ("extra", pa.string()),
    ]
)
PROVENANCE_TYPE = pa.struct(
    [
        pa.field("field", pa.string(), nullable=False),
        pa.field("method", pa.string(), nullable=False),
        pa.field("evidence", pa.string(), nullable=False),
        ("start", pa.int64()),
        ("end", pa.int64()),
    ]
)
SPAN_TYPE = pa.struct(
    [
        pa.field(name, typ, nullable=False)
        for name, typ in [
            ("start", pa.int64()),
            ("end", pa.int64()),
            ("kind", pa.string()),
            ("rule", pa.string()),
        ]
    ]
)

_NOT_NULL = {
    "record_id",
    "raw_sha256",
    "raw_bytes",
    "raw_encoding",
    "raw_encoding_method",
    "media_type",
    "capture_text_sha256",
    "text_sha256",
    "authors",
    "categories",
    "redistribution",
    "provenance",
    "spans",
    "capture",
    "flags",
    "extractor",
    "derivation_sha256",
}

RECORD_ARROW_SCHEMA = pa.schema(
    [
        pa.field(name, typ, nullable=name not in _NOT_NULL)
        for name, typ in [
            ("record_id", pa.string()),
            ("raw_sha256", pa.string()),
            ("raw_bytes", pa.int64()),
            ("raw_encoding", pa.string()),
            ("raw_encoding_method", pa.string()),
            ("raw_encoding_confidence", pa.int64()),
            ("media_type", pa.string()),
            ("capture_text", pa.string()),
            ("capture_text_sha256", pa.string()),
            ("text", pa.string()),
            ("text_sha256", pa.string()),
            ("title", pa.string()),
            ("standfirst", pa.string()),
            ("authors", pa.list_(pa.string())),
            ("outlet", pa.string()),
            ("published_at", _TS),
            ("published_date", pa.date32()),
            ("published_precision", pa.string()),
            ("published_utc_offset", pa.int64()),
            ("modified_at", _TS),
            ("modified_utc_offset", pa.int64()),
            ("language", pa.string()),
            ("site_name", pa.string()),
            ("categories", pa.list_(pa.string())),
            ("rights_holder", pa.string()),
            ("redistribution", pa.string()),
            ("provenance", pa.list_(PROVENANCE_TYPE)),
            ("spans", pa.list_(SPAN_TYPE)),
            ("capture", CAPTURE_TYPE),
            ("flags", pa.list_(pa.string())),
            ("duplicate_of", pa.string()),
            ("extractor", pa.string()),
            ("derivation_sha256", pa.string()),
        ]
    ]
)

QUARANTINE_ARROW_SCHEMA = pa.schema(
    [
        pa.field("source_path", pa.string(), nullable=False),
        pa.field("reason", pa.string(), nullable=False),
        pa.field("message", pa.string(), nullable=False),
        ("bytes", pa.int64()),
        ("sha256", pa.string()),
        ("offset", pa.int64()),
    ]
)


@dataclass(frozen=True)
class SchemaFile:
    """A JSON Schema shipped with the package: its name, bytes, parsed form and identity."""

    name: str
    data: bytes

    @property
    def document(self) -> dict:
        return boundedjson.loads(self.data)

    @property
    def id(self) -> str:
        return self.document["$id"]

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    @property
    def filename(self) -> str:
        return f"{self.name}.schema.json"


def schemas_dir() -> Path:
    """Where the JSON Schemas are: inside an installed wheel, or ``schemas/`` of a checkout."""
    packaged = Path(str(resources.files("archive"))) / "schemas"
    return packaged if packaged.is_dir() else Path(__file__).resolve().parents[2] / "schemas"


@cache
def published_digests() -> dict[str, frozenset[str]]:
    """$id -> the SHA-256 of every file archive has published under it
    (``schemas/published-digests.json``)."""
    document = json.loads((schemas_dir() / "published-digests.json").read_bytes())
    return {schema_id: frozenset(digests) for schema_id, digests in document["published"].items()}


@cache
def schema_file(name: str) -> SchemaFile:
    """The packaged schema ``name`` (``record``, ``manifest``, ``quarantine``, ...)."""
    return SchemaFile(name, (schemas_dir() / f"{name}.schema.json").read_bytes())


@cache
def validator(name: str) -> Draft202012Validator:
    """A reusable validator for schema ``name`` (built once: building costs more than using)."""
    # Not checked against the metaschema here (a third of a verify's start): tests/test_schema.py
    # checks every packaged schema once.
    return validator_for(_document(name))


def validator_for(document: dict) -> Draft202012Validator:
    # imported here: pack's workers check no JSON, and the import (40 ms) delays their start
    from jsonschema import Draft202012Validator, FormatChecker

    return Draft202012Validator(document, format_checker=FormatChecker())


def json_value(value):
    """A Python value from Arrow (``to_pylist``) in its JSON form (timestamps as RFC 3339)."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: json_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [json_value(v) for v in value]
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    return value


def schema_messages(errors, whole: str, prefix: str = "") -> list[str]:
    """One message per value that breaks the schema (its first error), and one per missing key,
    saying what the schema states rather than quoting its pattern; each place after
    ``prefix`` (the value's place in a larger document), the whole value's ``whole``."""
    messages: dict[str, str] = {}
    for error in sorted(errors, key=lambda e: [str(p) for p in e.absolute_path]):
        place = "/".join([*filter(None, [prefix]), *map(str, error.absolute_path)]) or whole
        stated = error.schema.get("description") if isinstance(error.schema, dict) else None
        if error.validator in ("pattern", "anyOf", "oneOf") and stated:
            text = f"{place}: {error.instance!r} is not what the schema states: {stated}"
        else:
            text = f"{place}: {error.message}"
        messages.setdefault(text if error.validator == "required" else place, text)
    return list(messages.values())


def checked_lines(
    handle, limit: int | None, name: str, *, skip_blank: bool = False
) -> Iterator[tuple[int, object, list[str]]]:
    """``(number, entry, problems)`` for each line of a JSON Lines file read as verify reads it
    (``boundedjson.json_lines``): the problems are the reader's reason for a line that is no
    JSON value (its entry None), else every way the entry breaks schema ``name``."""
    for number, entry, why in boundedjson.json_lines(handle, limit, skip_blank=skip_blank):
        yield number, None if why else entry, [why] if why else row_errors(entry, name)


def row_errors(row: dict, name: str = "record") -> list[str]:
    """Every way a JSON-form row breaks schema ``name``, as short messages (empty: valid)."""
    errors = sorted(validator(name).iter_errors(row), key=lambda e: list(e.absolute_path))
    return [f"{'/'.join(map(str, e.absolute_path)) or '(row)'}: {e.message}" for e in errors]


def schema_problems(
    table_schema: pa.Schema, expected: pa.Schema = RECORD_ARROW_SCHEMA
) -> list[str]:
    """How an Arrow schema differs from the expected one (names, order, types, nullability)."""
    if table_schema.names != expected.names:
        return [f"columns {table_schema.names} differ from {expected.names}"]
    problems = []
    for got, want in zip(table_schema, expected, strict=True):
        if not got.type.equals(want.type):
            problems.append(f"column {got.name} has type {got.type}, expected {want.type}")
    return problems


def _flatten(array: pa.Array, path: str) -> list[tuple[str, pa.Array]]:
    """(json pointer, values) for every leaf of a possibly nested column, and for every list
    and struct in it, ahead of their contents (flattening a list drops a null one: only the
    list's own values show it)."""
    if pa.types.is_struct(array.type):
        leaves = [(path, array)]
        for index, child in enumerate(array.type):
            leaves += _flatten(pc.struct_field(array, [index]), f"{path}/{child.name}")
        return leaves
    if pa.types.is_list(array.type):
        return [(path, array), *_flatten(pc.list_flatten(array), f"{path}/*")]
    return [(path, array)]


def _leaf_schema(document: dict, pointer: str) -> dict:
    node = document
    for part in pointer.strip("/").split("/"):
        node = node["items"] if part == "*" else node["properties"][part]
    return node


def _allows_null(rule: dict) -> bool:
    kinds = rule.get("type")
    return (isinstance(kinds, list) and "null" in kinds) or None in rule.get("enum", [])


def _leaf_failures(values: pa.Array, rule: dict) -> pa.Array | None:
    """A boolean array, true where a leaf value breaks its JSON Schema rule; None: no check."""
    # Kleene logic: a check of a null is null, and false AND null is false, true OR null true,
    # so a null breaks a rule that refuses it whatever other check the rule makes.
    valid = pc.is_valid(values)
    checks = [] if _allows_null(rule) else [pc.invert(valid)]
    if "enum" in rule:
        allowed = pa.array([v for v in rule["enum"] if v is not None], pa.string())
        checks.append(pc.and_kleene(valid, pc.invert(pc.is_in(values, value_set=allowed))))
    if "pattern" in rule:
        matches = pc.match_substring_regex(values, pattern=rule["pattern"])
        checks.append(pc.and_kleene(valid, pc.invert(matches)))
    if "minLength" in rule:
        checks.append(pc.and_kleene(valid, pc.less(pc.utf8_length(values), rule["minLength"])))
    if "minimum" in rule:
        checks.append(pc.and_kleene(valid, pc.less(values, rule["minimum"])))
    if "maximum" in rule:
        checks.append(pc.and_kleene(valid, pc.greater(values, rule["maximum"])))
    if not checks:
        return None
    failed = checks[0]
    for other in checks[1:]:
        failed = pc.or_kleene(failed, other)
    return pc.fill_null(failed, False)


def column_problems(batch: pa.RecordBatch | pa.Table, name: str = "record") -> list[str]:
    """Vectorized schema checks: each breached rule with the number of values breaking it."""
    problems = []
    for column_name in batch.schema.names:
        column = batch.column(column_name)
        if isinstance(column, pa.ChunkedArray):
            column = column.combine_chunks()
        for pointer, values in _flatten(column, f"/{column_name}"):
            rule = _leaf_rule(name, pointer)
            if _is_container(values):
                bad = None if _allows_null(rule) else values.null_count
            else:
                bad = _breaches(values, rule)
            if bad:
                problems.append(f"{pointer}: {bad} value(s) break {_rule_text(rule)}")
    return problems


def _is_container(values: pa.Array) -> bool:
    return pa.types.is_struct(values.type) or pa.types.is_list(values.type)


@cache
def _document(name: str) -> dict:
    return schema_file(name).document


@cache
def _leaf_rule(name: str, pointer: str) -> dict:
    return _leaf_schema(_document(name), pointer)


_CHECKS = ("enum", "pattern", "minLength", "minimum", "maximum")


def _breaches(values: pa.Array, rule: dict) -> int | None:
    """How many values break ``rule`` (the count ``_leaf_failures`` gives; None: no check).
    Most columns break nothing, which cheaper tests show first: a null count, the minimum and
    maximum, the distinct values; the value-by-value check runs only when they cannot."""
    if not any(key in rule for key in _CHECKS):
        return None if _allows_null(rule) else values.null_count
    nulls = 0 if _allows_null(rule) else values.null_count
    if _valid_values_hold(values, rule):
        return nulls
    return pc.sum(_leaf_failures(values, rule)).as_py() or 0


def _valid_values_hold(values: pa.Array, rule: dict) -> bool:
    """True when no valid value breaks ``rule``'s checks (False: not shown so)."""
    keys = {key for key in _CHECKS if key in rule}
    numeric = pa.types.is_integer(values.type) or pa.types.is_floating(values.type)
    if numeric and keys <= {"minimum", "maximum"}:
        extremes = pc.min_max(values).as_py()
        if extremes["min"] is None:
            return True
        low, high = rule.get("minimum"), rule.get("maximum")
        return (low is None or extremes["min"] >= low) and (high is None or extremes["max"] <= high)
    if values.type != pa.string() or keys & {"minimum", "maximum"}:
        return False
    if keys == {"minLength"}:
        return _long_enough(values, rule["minLength"])
    if keys == {"pattern"} and (fixed := _fixed_width_class(rule["pattern"])) is not None:
        return _all_in_class(values, *fixed)
    return _distinct_values_hold(values, rule)


def _long_enough(values: pa.Array, least: int) -> bool:
    """Every valid string has at least ``least`` code points, shown by byte lengths: at least
    one byte for one code point, at most four bytes a code point."""
    if least <= 0 or not len(values):
        return True
    lengths = np.diff(string_offsets(values))
    if values.null_count:
        lengths = lengths[np.asarray(values.is_valid(), bool)]
    return not len(lengths) or int(lengths.min()) >= (1 if least == 1 else 4 * least)


@cache
def _fixed_width_class(pattern: str) -> tuple[bytes, int] | None:
    """For a pattern ``^[ranges]{n}$`` of ASCII ranges (hashes, ids): the bytes the class
    allows and ``n``; None for any other pattern."""
    found = re.fullmatch(r"\^\[((?:[0-9A-Za-z](?:-[0-9A-Za-z])?)+)\]\{(\d+)\}\$", pattern)
    if found is None:
        return None
    single = re.compile(f"[{found[1]}]")
    return bytes(b for b in range(128) if single.fullmatch(chr(b))), int(found[2])


def _all_in_class(values: pa.Array, allowed: bytes, width: int) -> bool:
    """Every valid string is ``width`` bytes, each one ``allowed`` (so ``width`` characters)."""
    if values.null_count:
        values = values.drop_null()
    if not len(values):
        return True
    if values.buffers()[2] is None:
        return False  # only empty strings
    offsets = string_offsets(values)
    if not (np.diff(offsets) == width).all():
        return False
    # What is left once the allowed bytes are deleted: a quarter of the time of a numpy table
    # lookup of every byte.
    data = string_data(values)[offsets[0] : offsets[-1]].tobytes()
    return not data.translate(None, allowed)


# Distinct values already shown to hold, by rule: a column of few values (kinds, languages,
# flags) is checked once per process, not once per batch.
_HELD: dict[str, set[str]] = {}
_MAX_HELD = 4096


def _distinct_values_hold(values: pa.Array, rule: dict) -> bool:
    held = _HELD.setdefault(json.dumps(rule, sort_keys=True), set())
    distinct = pc.unique(values)
    if distinct.null_count:
        distinct = distinct.drop_null()
    new = [value for value in distinct.to_pylist() if value not in held]
    if not new:
        return True
    if pc.any(_leaf_failures(pa.array(new, pa.string()), rule)).as_py():
        return False
    if len(held) + len(new) <= _MAX_HELD:
        held.update(new)
    return True


def _rule_text(rule: dict) -> str:
    shown = {k: rule[k] for k in ("type", "enum", "pattern", "minLength", "minimum") if k in rule}
    return json.dumps(shown, sort_keys=True)
