"""The ``relations`` table: its explicit Arrow schema and rows (``schemas/relations.schema.json``
describes the same columns)."""

from __future__ import annotations

from collections.abc import Iterable

import pyarrow as pa

from archive.relations.model import Relation

RELATIONS_SCHEMA_VERSION = "1.1.0"

RELATIONS_ARROW_SCHEMA = pa.schema(
    [
        pa.field("source_id", pa.string(), nullable=False),
        pa.field("target_id", pa.string(), nullable=False),
        pa.field("kind", pa.string(), nullable=False),
        pa.field("score", pa.float64(), nullable=False),
        pa.field("directed", pa.bool_(), nullable=False),
        pa.field("method", pa.string(), nullable=False),
        pa.field("params", pa.string(), nullable=False),
        pa.field("evidence", pa.string(), nullable=False),
        pa.field("group_id", pa.string(), nullable=True),
    ],
    metadata={"archive.schema": "relations", "archive.schema_version": RELATIONS_SCHEMA_VERSION},
)

# What readers show of a relation: every column but ``params`` (the finder's settings, the same
# on every row).
SHOWN_COLUMNS = [name for name in RELATIONS_ARROW_SCHEMA.names if name != "params"]


def relation_rows(relations: Iterable[Relation]) -> pa.Table:
    """The relations as a table with exactly :data:`RELATIONS_ARROW_SCHEMA`, in the given order."""
    rels = list(relations)
    columns = {name: [getattr(r, name) for r in rels] for name in RELATIONS_ARROW_SCHEMA.names}
    return pa.Table.from_pydict(columns, schema=RELATIONS_ARROW_SCHEMA)
