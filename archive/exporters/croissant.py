"""``croissant.json``: Croissant 1.1 JSON-LD metadata for the release.

The distribution lists every Parquet shard as a ``FileObject`` with its real SHA-256 and size,
and a ``FileSet`` over ``data/records-*.parquet`` that the ``records`` RecordSet reads. Every
column of the record schema is a field: structs become fields with ``subField`` (read with a
``jsonPath`` transform), lists set ``isArray``. A release without a license says so in its
description and carries no ``license`` property (mlcroissant then warns; it does not fail).
"""

from __future__ import annotations

from archive.exporters.common import (
    NO_LICENSE,
    SHARDS_GLOB,
    Column,
    column,
    columns,
    generator,
    license_of,
    shards,
    summary,
)

CONFORMS_TO = "http://mlcommons.org/croissant/1.1"
PARQUET_FORMAT = "application/x-parquet"
RECORD_SET = "records"
FILE_SET = "records-parquet"

# The @context mlcroissant expects for 1.1 (a different one only earns a warning).
CONTEXT = {
    "@language": "en",
    "@vocab": "https://schema.org/",
    "arrayShape": "cr:arrayShape",
    "citeAs": "cr:citeAs",
    "column": "cr:column",
    "conformsTo": "dct:conformsTo",
    "containedIn": "cr:containedIn",
    "cr": "http://mlcommons.org/croissant/",
    "data": {"@id": "cr:data", "@type": "@json"},
    "dataType": {"@id": "cr:dataType", "@type": "@vocab"},
    "dct": "http://purl.org/dc/terms/",
    "description": {"@container": "@language"},
    "equivalentProperty": "cr:equivalentProperty",
    "examples": {"@id": "cr:examples", "@type": "@json"},
    "extract": "cr:extract",
    "field": "cr:field",
    "fileObject": "cr:fileObject",
    "fileProperty": "cr:fileProperty",
    "fileSet": "cr:fileSet",
    "format": "cr:format",
    "includes": "cr:includes",
    "isArray": "cr:isArray",
    "isLiveDataset": "cr:isLiveDataset",
    "jsonPath": "cr:jsonPath",
    "key": "cr:key",
    "md5": "cr:md5",
    "name": {"@container": "@language"},
    "parentField": "cr:parentField",
    "path": "cr:path",
    "rai": "http://mlcommons.org/croissant/RAI/",
    "recordSet": "cr:recordSet",
    "references": "cr:references",
    "regex": "cr:regex",
    "repeated": "cr:repeated",
    "replace": "cr:replace",
    "samplingRate": "cr:samplingRate",
    "sc": "https://schema.org/",
    "separator": "cr:separator",
    "source": "cr:source",
    "subField": "cr:subField",
    "transform": "cr:transform",
}

_DATA_TYPES = {
    "string": "sc:Text",
    "integer": "cr:Int64",
    "number": "sc:Float",
    "boolean": "sc:Boolean",
}


def document(manifest: dict, record_schema: dict) -> dict:
    license = license_of(manifest)
    doc = {
        "@context": CONTEXT,
        "@type": "sc:Dataset",
        "conformsTo": CONFORMS_TO,
        "name": manifest["name"],
        "description": summary(manifest) + ("" if license else " " + NO_LICENSE),
        "version": manifest["version"],
        "datePublished": manifest["created"],
        "keywords": ["news", "web archive", "text"],
        "citeAs": _citation(manifest),
    }
    if license:
        doc["license"] = f"https://spdx.org/licenses/{license}.html"
    doc["distribution"] = _distribution(manifest)
    doc["recordSet"] = [_record_set(record_schema)]
    return doc


def _citation(manifest: dict) -> str:
    """A BibTeX entry naming the release: what the manifest knows, and no invented author."""
    key = f"{manifest['name']}-{manifest['version']}"
    return (
        f"@misc{{{key}, title = {{{manifest['name']} {manifest['version']}}}, "
        f"year = {{{manifest['created'][:4]}}}, note = {{Packed by {generator(manifest)}}}}}"
    )


def _distribution(manifest: dict) -> list[dict]:
    objects = [
        {
            "@type": "cr:FileObject",
            "@id": shard.path,
            "name": shard.stem,
            "description": f"Parquet shard of {shard.rows} records.",
            "contentUrl": shard.path,
            "contentSize": f"{shard.bytes} B",
            "encodingFormat": PARQUET_FORMAT,
            "sha256": shard.sha256,
        }
        for shard in shards(manifest)
    ]
    file_set = {
        "@type": "cr:FileSet",
        "@id": FILE_SET,
        "name": FILE_SET,
        "description": "Every Parquet shard of records (each listed above with its SHA-256).",
        "encodingFormat": PARQUET_FORMAT,
        "includes": SHARDS_GLOB,
    }
    return [*objects, file_set]


def _record_set(record_schema: dict) -> dict:
    return {
        "@type": "cr:RecordSet",
        "@id": RECORD_SET,
        "name": RECORD_SET,
        "description": record_schema.get("description", "One record per capture."),
        "key": {"@id": f"{RECORD_SET}/record_id"},
        "field": [_field(c, f"{RECORD_SET}/{c.name}", None) for c in columns(record_schema)],
    }


def _field(col: Column, field_id: str, parent: str | None) -> dict:
    """A field reading column ``col`` (or, under ``parent``, the key ``col.name`` of it)."""
    field: dict = {"@type": "cr:Field", "@id": field_id, "name": col.name}
    if col.description:
        field["description"] = col.description
    item = col.rule.get("items", {}) if col.kind == "array" else col.rule
    item_col = column(col.name, item) if col.kind == "array" else col
    if item_col.kind == "object":
        field["subField"] = [
            _field(sub, f"{field_id}/{sub.name}", parent or col.name)
            for sub in columns(item_col.rule)
        ]
    else:
        field["dataType"] = (
            "sc:DateTime"
            if item_col.is_datetime
            else "sc:Date"
            if item_col.is_date
            else _DATA_TYPES[item_col.kind]
        )
        field["source"] = _source(parent, col.name)
    if col.kind == "array":
        field["isArray"] = True
    return field


def _source(parent: str | None, name: str) -> dict:
    source: dict = {"fileSet": {"@id": FILE_SET}}
    if parent is None:
        source["extract"] = {"column": name}
    else:
        source["extract"] = {"column": parent}
        source["transform"] = {"jsonPath": name}
    return source
