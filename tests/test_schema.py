"""The JSON Schemas are the contract; the Arrow schema must say exactly the same."""

from __future__ import annotations

import json

import pyarrow as pa
import pytest
from jsonschema import Draft202012Validator

from archive.format.schema import (
    QUARANTINE_ARROW_SCHEMA,
    RECORD_ARROW_SCHEMA,
    SCHEMA_NAMES,
    published_digests,
    schema_file,
    schemas_dir,
)


@pytest.mark.parametrize(
    "name",
    sorted(path.name.removesuffix(".schema.json") for path in schemas_dir().glob("*.schema.json")),
)
def test_schemas_are_valid_2020_12_with_id_and_version(name):
    document = schema_file(name).document
    Draft202012Validator.check_schema(document)
    assert document["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert document["$id"].endswith(f"{name}-{document['version']}.json")


def _json_type(arrow_type: pa.DataType) -> str:
    if pa.types.is_string(arrow_type):
        return "string"
    if pa.types.is_int64(arrow_type):
        return "integer"
    if pa.types.is_timestamp(arrow_type) or pa.types.is_date32(arrow_type):
        return "string"
    if pa.types.is_list(arrow_type):
        return "array"
    if pa.types.is_struct(arrow_type):
        return "object"
    raise AssertionError(arrow_type)


def _same_shape(arrow_schema, document, where=""):
    properties = document["properties"]
    assert list(properties) == [f.name for f in arrow_schema], where
    assert set(document["required"]) == set(properties), where
    for field in arrow_schema:
        rule = properties[field.name]
        allowed = rule.get("type", [])
        allowed = [allowed] if isinstance(allowed, str) else allowed
        if "enum" in rule:
            allowed = sorted({"string" if isinstance(v, str) else "null" for v in rule["enum"]})
        assert _json_type(field.type) in allowed, f"{where}/{field.name}"
        assert ("null" in allowed) == field.nullable, f"{where}/{field.name}"
        if pa.types.is_struct(field.type):
            _same_shape(pa.schema(list(field.type)), rule, f"{where}/{field.name}")
        if pa.types.is_list(field.type) and pa.types.is_struct(field.type.value_type):
            _same_shape(
                pa.schema(list(field.type.value_type)), rule["items"], f"{where}/{field.name}"
            )


def test_record_arrow_schema_matches_the_json_schema():
    _same_shape(RECORD_ARROW_SCHEMA, schema_file("record").document)


def test_quarantine_arrow_schema_matches_the_json_schema():
    _same_shape(QUARANTINE_ARROW_SCHEMA, schema_file("quarantine").document)


def test_only_portable_types():
    def portable(t):
        if pa.types.is_list(t):
            return portable(t.value_type)
        if pa.types.is_struct(t):
            return all(portable(f.type) for f in t)
        return (
            pa.types.is_string(t)
            or pa.types.is_int64(t)
            or pa.types.is_boolean(t)
            or pa.types.is_date32(t)  # Parquet's DATE logical type, which every reader knows
            or (pa.types.is_timestamp(t) and t.unit == "us" and t.tz == "UTC")
        )

    assert all(portable(f.type) for f in RECORD_ARROW_SCHEMA)


def test_schema_files_are_the_ones_in_the_repository():
    for name in SCHEMA_NAMES:
        on_disk = json.loads((schemas_dir() / f"{name}.schema.json").read_text())
        assert on_disk == schema_file(name).document


@pytest.mark.parametrize("name", SCHEMA_NAMES)
def test_every_schema_a_release_copies_is_listed_as_published_under_its_id(name):
    """verify holds a copy stating a published $id to the files published under it (E016): a
    schema edited without a new $id and a new line in published-digests.json fails here."""
    schema = schema_file(name)
    assert schema.sha256 in published_digests()[schema.id]
    assert set(schemas_dir().iterdir()) == {
        *schemas_dir().glob("*.schema.json"),
        schemas_dir() / "published-digests.json",
    }
