"""What the exporters share: the record schema copy, the shards, the columns, the wording."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from archive.format import boundedjson
from archive.format.schema import schema_file

PARQUET_MEDIA_TYPE = "application/vnd.apache.parquet"
SHARDS_GLOB = "data/records-*.parquet"


def record_schema(release: Path, manifest: dict) -> dict:
    """The record JSON Schema the release follows.

    Read from the release's copy when its SHA-256 is the one the manifest records; else from the
    packaged schema when that one matches. When neither matches (``verify`` reports E016), the
    copy is still used if it parses, so the derived files describe what the release holds.
    """
    entry = manifest["schemas"]["record"]
    relative = PurePosixPath(entry["path"])
    copy = None
    if not relative.is_absolute() and ".." not in relative.parts:
        try:
            copy = boundedjson.read_capped(Path(release) / relative)
        except (OSError, ValueError):
            copy = None
    if copy is not None and hashlib.sha256(copy).hexdigest() == entry["sha256"]:
        return boundedjson.loads(copy)
    packaged = schema_file("record")
    if packaged.sha256 == entry["sha256"] or copy is None:
        return packaged.document
    try:
        return boundedjson.loads(copy)
    except ValueError:
        return packaged.document


@dataclass(frozen=True)
class Shard:
    """A Parquet file of records as the manifest lists it."""

    path: str
    bytes: int
    sha256: str
    sha512: str
    rows: int

    @property
    def stem(self) -> str:
        return PurePosixPath(self.path).stem


def shards(manifest: dict) -> list[Shard]:
    """The records shards, sorted by path."""
    found = [
        Shard(e["path"], e["bytes"], e["sha256"], e["sha512"], e.get("rows", 0))
        for e in manifest["files"]
        if e["path"].startswith("data/records-") and e["path"].endswith(".parquet")
    ]
    return sorted(found, key=lambda s: s.path)


@dataclass(frozen=True)
class Column:
    """One column of the record schema, read from its JSON Schema property.

    ``kind`` is the JSON type without null (``string``, ``integer``, ``boolean``, ``array``,
    ``object``); ``nullable`` says whether null is allowed; ``rule`` is the property itself.
    """

    name: str
    kind: str
    nullable: bool
    rule: dict

    @property
    def description(self) -> str | None:
        return self.rule.get("description")

    @property
    def is_datetime(self) -> bool:
        return self.kind == "string" and self.rule.get("format") == "date-time"

    @property
    def is_date(self) -> bool:
        return self.kind == "string" and self.rule.get("format") == "date"

    @property
    def enum(self) -> list | None:
        if "enum" not in self.rule:
            return None
        return [v for v in self.rule["enum"] if v is not None]


def columns(schema: dict) -> list[Column]:
    """The columns of a JSON Schema object, in the schema's (and the Parquet file's) order."""
    return [column(name, rule) for name, rule in schema.get("properties", {}).items()]


def column(name: str, rule: dict) -> Column:
    kinds = rule.get("type")
    if kinds is None and "enum" in rule:
        kinds = sorted({_json_type(v) for v in rule["enum"]})
    if isinstance(kinds, str):
        kinds = [kinds]
    kinds = list(kinds or ["string"])
    nullable = "null" in kinds
    plain = [k for k in kinds if k != "null"] or ["string"]
    return Column(name, plain[0], nullable, rule)


def _json_type(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    return "string"


def size_category(rows: int) -> str:
    """The Hugging Face ``size_categories`` value for a row count."""
    bounds = [
        (1_000, "n<1K"),
        (10_000, "1K<n<10K"),
        (100_000, "10K<n<100K"),
        (1_000_000, "100K<n<1M"),
        (10_000_000, "1M<n<10M"),
        (100_000_000, "10M<n<100M"),
        (1_000_000_000, "100M<n<1B"),
        (10_000_000_000, "1B<n<10B"),
        (100_000_000_000, "10B<n<100B"),
        (1_000_000_000_000, "100B<n<1T"),
    ]
    for bound, label in bounds:
        if rows < bound:
            return label
    return "n>1T"


def license_of(manifest: dict) -> str | None:
    """The release's license as given at pack time (an SPDX id), or None when none was."""
    value = manifest.get("settings", {}).get("license")
    return value if isinstance(value, str) and value.strip() else None


NO_LICENSE = (
    "No license was recorded for this release: the rights in the captured texts stay with their "
    "holders (see each record's rights_holder and redistribution)."
)


def languages(manifest: dict) -> list[str]:
    """Language codes of the records, most frequent first, when the manifest counts them.

    Reads ``coverage.languages`` (code -> records); a manifest without it gives ``[]``.
    """
    counts = manifest.get("coverage", {}).get("languages") or {}
    if not isinstance(counts, dict):
        return []
    known = [(code, n) for code, n in counts.items() if isinstance(code, str) and code]
    return [code for code, _ in sorted(known, key=lambda item: (-item[1], item[0]))]


def title(manifest: dict) -> str:
    return f"{manifest['name']} {manifest['version']}"


def summary(manifest: dict) -> str:
    """One sentence saying what the release holds."""
    counts = manifest["counts"]
    return (
        f"{counts['records']} records of captured web documents (news articles) from "
        f"{counts['inputs']} input files, {counts['quarantined']} quarantined with a reason, "
        f"packed by {generator(manifest)} into {len(shards(manifest))} Parquet shard(s) with a "
        "manifest that hashes every file."
    )


def generator(manifest: dict) -> str:
    info = manifest["generator"]
    return f"{info['name']} {info['version']}"


def json_bytes(document: dict) -> bytes:
    """Stable JSON in the order the exporter built it (fields follow the columns' order):
    two-space indent, UTF-8, final newline."""
    return (json.dumps(document, indent=2, ensure_ascii=False, allow_nan=False) + "\n").encode()
