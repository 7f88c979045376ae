"""The ``relations`` table: its explicit Arrow schema and rows (``schemas/relations.schema.json``
describes the same columns)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from archive.capture.storage import RemotePath
from archive.errors import UsageError
from archive.format import boundedjson
from archive.format.manifest import unsafe_path
from archive.format.parquetio import iter_batches, parquet_file
from archive.format.schema import schema_problems
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


def opened_relations(path: Path | RemotePath, columns: list[str] | None = None) -> pq.ParquetFile:
    """The relations table at ``path``, opened; ``ValueError`` when its columns (those named in
    ``columns``, else all and in order) or their types are not :data:`RELATIONS_ARROW_SCHEMA`'s,
    which its readers then report as unreadable, as they do a damaged file, rather than failing
    on a value of another type."""
    parquet = parquet_file(path)
    found, expected = parquet.schema_arrow, RELATIONS_ARROW_SCHEMA
    if columns is not None:  # those columns, each once, in that order
        found = pa.schema([found.field(i) for n in columns if (i := found.get_field_index(n)) >= 0])
        expected = pa.schema([expected.field(name) for name in columns])
    problems = schema_problems(found, expected)
    if problems:
        raise ValueError("; ".join(problems))
    return parquet


def relation_batches(
    path: Path | RemotePath, columns: list[str] | None = None
) -> Iterator[pa.RecordBatch]:
    """The relations table's rows in batches (of ``columns``, else all), opened by
    :func:`opened_relations`, each batch's strings checked as UTF-8 and its columns that may
    not hold a null checked for one: what a reader of the values could fail on is raised here
    (``parquetio.PARQUET_ERRORS``), before it reads one."""
    for batch in iter_batches(opened_relations(path, columns), columns):
        batch.validate(full=True)
        for name in batch.schema.names:
            if batch.column(name).null_count and not RELATIONS_ARROW_SCHEMA.field(name).nullable:
                raise ValueError(f"column {name} holds a null")
        yield batch


class RelationValueError(ValueError):
    """A relation's ``evidence`` or ``params`` that is not the JSON object its column holds, or
    evidence not of its kind's shape: ``archive validate`` of the table reports it; ``verify``,
    which parses ``params`` but not every row's evidence (that would double its time), does
    not."""


def parsed_values(row: dict) -> dict:
    """``row`` with its ``evidence`` and ``params`` as the JSON objects they hold;
    :class:`RelationValueError` naming the relation and the column when one is not."""
    for column in [c for c in ("evidence", "params") if c in row]:
        row[column], why = _json_object(row[column])
        if why:
            relation = f"{row['source_id']} {row['kind']} {row['target_id']}"
            raise RelationValueError(f"the {column} of relation {relation} is {why}")
    return row


def _json_object(text: str) -> tuple[object, str | None]:
    """``text`` parsed as the readers parse it, and why it is not a JSON object (or None)."""
    try:
        value = boundedjson.loads(text)
    except ValueError as exc:
        return None, f"not JSON ({exc})"
    return value, None if isinstance(value, dict) else "not a JSON object"


def params_problems(params: pa.Array, seen: set[str]) -> list[str]:
    """Why each distinct ``params`` value (the finder's settings, one for all rows) not in
    ``seen`` (the earlier batches', which it joins) is not a JSON object: a few parses whatever
    the rows."""
    distinct = set(pc.unique(params.drop_null()).to_pylist()) - seen  # a null: the schema's
    seen |= distinct
    found = ((value, _json_object(value)[1]) for value in sorted(distinct))
    return [f"params {value[:80]!r}: {why}" for value, why in found if why]


def table_path(release: str | Path, stated: dict) -> Path:
    """The relations table the manifest's ``relations`` entry names; ``UsageError`` when it
    names none (verify: E005)."""
    if not isinstance(stated.get("path"), str):
        raise UsageError(f"{release}: the manifest's relations names no table; run archive verify")
    relative = stated["path"]
    why = unsafe_path(relative)
    if why is None and not isinstance(release, RemotePath):
        parts = Path(relative).parts
        if any((Path(release).joinpath(*parts[: n + 1])).is_symlink() for n in range(len(parts))):
            why = "a symbolic link"
    if why is not None:  # never opened (E019): it may read a table outside the release
        raise UsageError(f"{release}: the manifest's relations path {relative!r}: {why}; "
                         "run archive verify")  # fmt: skip
    return Path(release) / relative


def unreadable(where: object, exc: BaseException) -> UsageError:
    """The one-line error of a reader that met a relations table it cannot read."""
    if isinstance(exc, RelationValueError):
        return UsageError(f"{where}: {exc}; run archive validate {where}")
    return UsageError(f"{where}: relations table unreadable ({exc}); run archive verify")
