"""What a release's rows count, over a batch: how often each value occurs, and which fields are
unknown (the manifest's ``unknown_*`` counts). Pure functions of Arrow arrays, shared by verify
(the counts the rows must reproduce) and the summary (coverage), so both mean the same.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

# The manifest's counts of unknown fields, each with the record column it counts.
UNKNOWN_COLUMNS = {
    "unknown_outlet": "outlet",
    "unknown_date": "published_at",
    "unknown_title": "title",
    "unknown_authors": "authors",
    "unknown_language": "language",
}


def value_counts(values: pa.Array | pa.ChunkedArray) -> dict:
    """Each non-null value of ``values`` and how often it occurs."""
    counted = pc.value_counts(values)
    return {
        value: count
        for value, count in zip(
            counted.field("values").to_pylist(), counted.field("counts").to_pylist(), strict=True
        )
        if value is not None
    }


def is_unknown(rows: pa.RecordBatch | pa.Table, column: str) -> pa.Array | pa.ChunkedArray:
    """Whether each row's ``column`` is unknown: null; for ``authors``, an empty list (a null
    list is neither: null, not counted)."""
    if column == "authors":
        return pc.equal(pc.list_value_length(rows.column(column)), 0)
    return pc.is_null(rows.column(column))


def unknown_counts(rows: pa.RecordBatch | pa.Table) -> dict[str, int]:
    """The manifest's ``unknown_*`` counts over ``rows``."""
    return {
        name: pc.sum(is_unknown(rows, column)).as_py() or 0
        for name, column in UNKNOWN_COLUMNS.items()
    }
