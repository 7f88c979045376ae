"""``datapackage.json``: a Frictionless Data Package (v2) describing the Parquet shards.

Each shard is a tabular resource with its SHA-256 and a Table Schema derived from the record
JSON Schema: strings, integers, booleans and UTC datetimes as such, structs as ``object`` and lists
as ``any``; required-ness, enums, patterns and bounds become constraints, and a struct or list
column keeps its whole JSON Schema rule in ``jsonSchema``.

The descriptor declares only what frictionless-py's own Parquet reader can check, so a plain
``frictionless validate`` passes with or without the plugin archive ships
(``frictionless_archive``): that reader opens the file by path, so it never counts its bytes (a
declared ``bytes`` fails there as "actual is None") and it hands lists over as numpy arrays (which
its ``array`` type rejects). The shard's size stays in the manifest, the bag and croissant.json.
"""

from __future__ import annotations

from archive.exporters.common import (
    NO_LICENSE,
    PARQUET_MEDIA_TYPE,
    Column,
    columns,
    generator,
    license_of,
    shards,
    summary,
    title,
)

PROFILE = "https://datapackage.org/profiles/2.0/datapackage.json"
TABLE_SCHEMA_PROFILE = "https://datapackage.org/profiles/2.0/tableschema.json"


def descriptor(manifest: dict, record_schema: dict) -> dict:
    license = license_of(manifest)
    package = {
        "$schema": PROFILE,
        "name": manifest["name"].lower(),
        "title": title(manifest),
        "description": summary(manifest) + ("" if license else " " + NO_LICENSE),
        "version": manifest["version"],
        "created": manifest["created"],
        "keywords": ["news", "web archive", "text"],
        "contributors": [{"title": generator(manifest), "roles": ["producer"]}],
    }
    if license:
        package["licenses"] = [{"name": license}]
    table_schema = _table_schema(record_schema)
    package["resources"] = [
        {
            "name": shard.stem,
            "type": "table",
            "path": shard.path,
            "format": "parquet",
            "mediatype": PARQUET_MEDIA_TYPE,
            "hash": f"sha256:{shard.sha256}",
            "schema": table_schema,
        }
        for shard in shards(manifest)
    ]
    return package


def _table_schema(record_schema: dict) -> dict:
    return {
        "$schema": TABLE_SCHEMA_PROFILE,
        "fields": [_field(c) for c in columns(record_schema)],
        "primaryKey": ["record_id"],
        # An empty string is a value here (an empty body is data), never a missing value.
        "missingValues": [],
    }


_TYPES = {
    "string": "string",
    "integer": "integer",
    "number": "number",
    "boolean": "boolean",
    # Lists: frictionless-py reads Parquet lists as numpy arrays, which its "array" type rejects.
    "array": "any",
    "object": "object",
}


def _field(col: Column) -> dict:
    kind = "datetime" if col.is_datetime else "date" if col.is_date else _TYPES[col.kind]
    # frictionless-py's own reader hands an integer column with nulls over as floats (NaN):
    # declared "number", with the integer rule kept in jsonSchema.
    loose_integer = col.kind == "integer" and col.nullable
    field = {"name": col.name, "type": "number" if loose_integer else kind}
    if col.description:
        field["description"] = col.description
    constraints = _constraints(col)
    if loose_integer:  # NaN fails any bound: the bounds stay in jsonSchema only
        constraints.pop("minimum", None)
        constraints.pop("maximum", None)
    if constraints:
        field["constraints"] = constraints
    if col.kind in ("array", "object") or loose_integer:
        field["jsonSchema"] = {k: v for k, v in col.rule.items() if k != "description"}
    return field


def _constraints(col: Column) -> dict:
    rule = col.rule
    constraints: dict = {}
    if not col.nullable:
        constraints["required"] = True
    if col.enum is not None:
        constraints["enum"] = col.enum
    if "pattern" in rule and col.kind == "string":
        constraints["pattern"] = _anchorless(rule["pattern"])
    if "minLength" in rule:
        constraints["minLength"] = rule["minLength"]
    if "minimum" in rule:
        constraints["minimum"] = rule["minimum"]
    if "maximum" in rule:
        constraints["maximum"] = rule["maximum"]
    return constraints


def _anchorless(pattern: str) -> str:
    """Table Schema patterns match the whole value, so JSON Schema's ``^...$`` anchors go."""
    if pattern.startswith("^") and pattern.endswith("$") and not pattern.endswith("\\$"):
        return pattern[1:-1]
    return pattern
