"""Records as the release's rows (``RECORD_ARROW_SCHEMA``): a batch of ``Record`` objects
becomes an Arrow table a column at a time, with no dict per record (``record_table``);
``record_row`` is one record's row as a dict, the plain form the table must equal.
"""

from __future__ import annotations

from collections.abc import Sequence
from operator import attrgetter

import numpy as np
import pyarrow as pa

from archive.format.schema import RECORD_ARROW_SCHEMA
from archive.model import Record, stated_date


def record_row(record: Record) -> dict:
    """The record as a row for ``archive.format.schema.RECORD_ARROW_SCHEMA``."""
    capture = record.capture
    return {
        "record_id": record.record_id,
        "raw_sha256": record.raw_sha256,
        "raw_bytes": record.raw_bytes,
        "raw_encoding": record.raw_encoding,
        "raw_encoding_method": record.raw_encoding_method,
        "raw_encoding_confidence": record.raw_encoding_confidence,
        "media_type": record.media_type,
        "capture_text": record.capture_text,
        "capture_text_sha256": record.capture_text_sha256,
        "text": record.text,
        "text_sha256": record.text_sha256,
        "title": record.title,
        "standfirst": record.standfirst,
        "authors": list(record.authors),
        "outlet": record.outlet,
        "published_at": record.published_at,
        "published_date": stated_date(
            record.published_at, record.published_utc_offset, record.published_precision
        ),
        "published_precision": record.published_precision,
        "published_utc_offset": record.published_utc_offset,
        "modified_at": record.modified_at,
        "modified_utc_offset": record.modified_utc_offset,
        "language": record.language,
        "site_name": record.site_name,
        "categories": list(record.categories),
        "rights_holder": record.rights_holder,
        "redistribution": record.redistribution,
        "provenance": [vars(p) for p in record.provenance],
        "spans": [vars(s) for s in record.spans],
        "capture": vars(capture),
        "flags": list(record.flags),
        "duplicate_of": record.duplicate_of,
        "extractor": record.extractor,
        "derivation_sha256": record.derivation_sha256,
    }


def record_table(records: Sequence[Record]) -> pa.Table:
    """``records`` as a table of ``RECORD_ARROW_SCHEMA``: the rows ``record_row`` gives, built
    a column at a time from the records' attributes, with no dict per record."""
    columns = [_record_column(records, field) for field in RECORD_ARROW_SCHEMA]
    return pa.Table.from_arrays(columns, schema=RECORD_ARROW_SCHEMA)


def _record_column(records: Sequence[Record], field: pa.Field) -> pa.Array:
    if field.name == "published_date":
        dates = [
            stated_date(r.published_at, r.published_utc_offset, r.published_precision)
            for r in records
        ]
        return pa.array(dates, field.type)
    values = list(map(attrgetter(field.name), records))
    if pa.types.is_struct(field.type):
        return _struct_array(values, field.type)
    if pa.types.is_list(field.type) and pa.types.is_struct(field.type.value_type):
        return _struct_lists(values, field.type)
    return pa.array(values, field.type)  # a list of strings from a tuple of them


def _struct_lists(lists: list[tuple], list_type: pa.ListType) -> pa.Array:
    """Lists of dataclasses (spans, provenance) as a list<struct> array: their fields as flat
    columns cut by offsets, not a dict per element."""
    flat = [item for items in lists for item in items]
    offsets = np.zeros(len(lists) + 1, np.int32)
    np.cumsum([len(items) for items in lists], out=offsets[1:])
    values = _struct_array(flat, list_type.value_type)
    return pa.ListArray.from_arrays(pa.array(offsets), values, type=list_type)


def _struct_array(items: list, struct_type: pa.StructType) -> pa.Array:
    fields = list(struct_type)
    arrays = [pa.array(list(map(attrgetter(f.name), items)), f.type) for f in fields]
    return pa.StructArray.from_arrays(arrays, fields=fields)
