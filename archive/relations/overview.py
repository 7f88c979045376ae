"""A release's relations for people: a summary (counts per kind, the largest near-duplicate
families, the top pairs of each kind) and a listing streamed in chunks, both naming each record
by its title and outlet beside its id.

The summary reads the relations table without its evidence and params columns; the listing reads
it chunk by chunk, so neither holds the evidence of a whole release at once.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from archive.errors import UsageError
from archive.format.counts import value_counts
from archive.format.parquetio import PARQUET_ERRORS
from archive.inspect import read_manifest, relation_lines
from archive.lookup import Label, record_labels
from archive.relations.model import KINDS
from archive.relations.table import parsed_values, relation_batches, table_path, unreadable

_PAIR_COLUMNS = ["source_id", "target_id", "kind", "score", "directed", "group_id"]
_CHUNK_ROWS = 50_000
_TITLE_CHARS = 90


@dataclass(frozen=True)
class Family:
    """Records related as exact or near duplicates, named by its smallest record id."""

    group_id: str
    size: int


@dataclass(frozen=True)
class Pair:
    kind: str
    source_id: str
    target_id: str
    score: float
    directed: bool


@dataclass(frozen=True)
class RelationsOverview:
    """What ``archive relations`` shows on a terminal.

    ``counts`` are per kind (every kind, in :data:`KINDS` order), ``families`` the number of
    near-duplicate families and ``largest`` the largest of them; ``pairs`` the top-scoring pairs
    of each kind; ``labels`` the title and outlet of every record named.
    """

    name: str
    total: int
    counts: dict[str, int]
    families: int
    largest: tuple[Family, ...]
    pairs: tuple[Pair, ...]
    labels: dict[str, Label] = field(repr=False)

    def as_dict(self) -> dict:
        def named(record_id: str) -> dict:
            label = self.labels.get(record_id, Label(None, None))
            return {"record_id": record_id, "title": label.title, "outlet": label.outlet}

        return {
            "release": self.name,
            "total": self.total,
            "counts": self.counts,
            "families": self.families,
            "largest_families": [
                {"group_id": f.group_id, "size": f.size, "first": named(f.group_id)}
                for f in self.largest
            ],
            "top_pairs": [
                {
                    "kind": p.kind,
                    "score": p.score,
                    "directed": p.directed,
                    "source": named(p.source_id),
                    "target": named(p.target_id),
                }
                for p in self.pairs
            ],
        }


def relations_file(release: str | Path) -> tuple[dict, Path]:
    """The manifest and the relations table's path; ``UsageError`` when there is none."""
    manifest = read_manifest(release)
    stated = manifest.get("relations")
    if not stated:
        raise UsageError(f"{release} has no relations table (packed with relations off)")
    return manifest, table_path(release, stated)


def relation_count(release: str | Path, kind: str | None = None) -> int:
    """How many relations (of ``kind``) the manifest states."""
    manifest, _ = relations_file(release)
    counts = manifest["relations"].get("counts", {})
    return counts.get(kind, 0) if kind else sum(counts.values())


def relations_overview(
    release: str | Path, *, kind: str | None = None, limit: int = 10
) -> RelationsOverview:
    """Counts per kind, the ``limit`` largest families and the ``limit`` top pairs of each kind
    (by score, then ids), optionally of ``kind`` only. One pass over the table in bounded
    batches: what is held is the best pairs so far and each family's distinct members, never
    every relation (a release holds many more relations than records)."""
    manifest, path = relations_file(release)
    counted: dict[str, int] = {}
    total = 0
    best = _PAIRS_SCHEMA.empty_table()
    members = _MEMBERS_SCHEMA.empty_table()
    for batch in _batches(path):
        table = pa.Table.from_batches([batch])
        if kind:
            table = table.filter(pc.equal(table.column("kind"), kind))
        total += table.num_rows
        for value, n in value_counts(table.column("kind")).items():
            counted[value] = counted.get(value, 0) + n
        candidates = table.select(_PAIRS_SCHEMA.names).cast(_PAIRS_SCHEMA)
        best = _best(pa.concat_tables([best, candidates]), limit)
        members = _distinct_members(pa.concat_tables([members, _members(table)]))
    counts = {k: counted.get(k, 0) for k in KINDS if not kind or k == kind}
    sizes = family_sizes(members)
    pairs = top_pairs(best, limit)
    largest = tuple(Family(g, n) for g, n in sizes[:limit])
    named = {f.group_id for f in largest} | {i for p in pairs for i in (p.source_id, p.target_id)}
    return RelationsOverview(
        f"{manifest['name']} {manifest['version']}",
        total,
        counts,
        len(sizes),
        largest,
        pairs,
        record_labels(release, named),
    )


_PAIRS_SCHEMA = pa.schema(
    [
        ("source_id", pa.string()),
        ("target_id", pa.string()),
        ("kind", pa.string()),
        ("score", pa.float64()),
        ("directed", pa.bool_()),
    ]
)
_MEMBERS_SCHEMA = pa.schema([("group_id", pa.string()), ("member", pa.string())])
_ORDER = [("score", "descending"), ("source_id", "ascending"), ("target_id", "ascending")]


def _batches(path: Path) -> Iterator[pa.RecordBatch]:
    try:
        yield from relation_batches(path, _PAIR_COLUMNS)
    except PARQUET_ERRORS as exc:
        raise unreadable(path, exc) from None


def _best(table: pa.Table, limit: int) -> pa.Table:
    """The ``limit`` best pairs of each kind in ``table``."""
    kept = [
        table.filter(pc.equal(table.column("kind"), k)).sort_by(_ORDER).slice(0, limit)
        for k in KINDS
    ]
    return pa.concat_tables(kept)


def _members(table: pa.Table) -> pa.Table:
    """(group id, record id) of both ends of every relation in a family."""
    grouped = table.filter(pc.is_valid(table.column("group_id")))
    return pa.concat_tables(
        pa.table({"group_id": grouped["group_id"], "member": grouped[end]}, schema=_MEMBERS_SCHEMA)
        for end in ("source_id", "target_id")
    )


def _distinct_members(members: pa.Table) -> pa.Table:
    return members.group_by(["group_id", "member"]).aggregate([]).cast(_MEMBERS_SCHEMA)


def family_sizes(members: pa.Table) -> list[tuple[str, int]]:
    """(group id, number of records) of every family, largest first, then by group id, from
    its distinct (group id, member) rows."""
    sizes = members.group_by("group_id").aggregate([("member", "count")])
    ordered = sizes.sort_by([("member_count", "descending"), ("group_id", "ascending")])
    return list(
        zip(ordered["group_id"].to_pylist(), ordered["member_count"].to_pylist(), strict=True)
    )


def top_pairs(table: pa.Table, limit: int) -> tuple[Pair, ...]:
    """The ``limit`` best-scoring pairs of each kind, kinds in :data:`KINDS` order."""
    best = _best(table, limit)
    return tuple(
        Pair(r["kind"], r["source_id"], r["target_id"], r["score"], r["directed"])
        for r in best.to_pylist()
    )


def overview_lines(overview: RelationsOverview) -> list[str]:
    """The summary as lines a person reads on a terminal."""
    counts = ", ".join(f"{kind} {n}" for kind, n in overview.counts.items())
    lines = [f"{overview.name}: {overview.total} relations ({counts})"]
    if overview.largest:
        lines.append(
            f"families of copies (exact and near duplicates): {overview.families}; the largest "
            f"{len(overview.largest)}:"
        )
        width = len(str(overview.largest[0].size))
        for family in overview.largest:
            lines.append(
                f"  {family.size:>{width}} records  {family.group_id}  "
                + label_text(overview.labels.get(family.group_id))
            )
    if overview.pairs:
        lines.append("top pairs by score, of each kind:")
    for pair in overview.pairs:
        arrow = "->" if pair.directed else "<->"
        lines.append(f"  {pair.kind}  score {pair.score:.3f}")
        lines.append(f"        {pair.source_id}  {label_text(overview.labels.get(pair.source_id))}")
        lines.append(
            f"    {arrow:>3} {pair.target_id}  {label_text(overview.labels.get(pair.target_id))}"
        )
    return lines


def label_text(label: Label | None) -> str:
    """``Outlet: Title`` (the title cut to a line), ``?`` for what is unknown.

    >>> label_text(Label("Ferry fares rise", None))
    '?: Ferry fares rise'
    """
    if label is None:
        return "(not in the release)"
    title = label.title or "(no title)"
    if len(title) > _TITLE_CHARS:
        title = title[: _TITLE_CHARS - 1] + "…"
    return f"{label.outlet or '?'}: {title}"


def relation_listing(
    release: str | Path, *, kind: str | None = None, limit: int | None = None
) -> Iterator[dict]:
    """Relations as JSON-form rows (evidence and params parsed), in table order, with the title
    and outlet of both records (``source_title``, ``source_outlet``, ``target_title``,
    ``target_outlet``); at most ``limit``. Streamed in chunks of about ``_CHUNK_ROWS``
    relations, read in bounded batches: one pass over the records' titles per chunk."""
    _, path = relations_file(release)
    left = limit
    try:
        chunk: list[pa.RecordBatch] = []
        held = 0
        for batch in relation_batches(path):
            if kind:
                batch = batch.filter(pc.equal(batch.column("kind"), kind))
            if left is not None:
                batch = batch.slice(0, left)
                left -= batch.num_rows
            chunk.append(batch)
            held += batch.num_rows
            if held >= _CHUNK_ROWS or left == 0:
                yield from _labelled_chunk(release, chunk)
                chunk, held = [], 0
            if left == 0:
                return
        yield from _labelled_chunk(release, chunk)
    except (OSError, ValueError, pa.ArrowException) as exc:
        raise unreadable(path, exc) from None


def _labelled_chunk(release: str | Path, batches: list[pa.RecordBatch]) -> Iterator[dict]:
    """The rows of ``batches``, labelled after one pass over the records' titles for them all;
    only one batch's rows are Python values at a time."""
    ids = set()
    for batch in batches:
        for end in ("source_id", "target_id"):
            ids.update(batch.column(end).to_pylist())
    labels = record_labels(release, ids)
    for batch in batches:
        yield from (_labelled(row, labels) for row in batch.to_pylist())


def listing_lines(row: dict) -> list[str]:
    """One relation as ``archive relations`` lists it: the pair line, the two records' outlets
    and titles, then its evidence."""
    first, *evidence = relation_lines([row])
    source = Label(row["source_title"], row["source_outlet"])
    target = Label(row["target_title"], row["target_outlet"])
    return [
        first,
        f"    source: {label_text(source)}",
        f"    target: {label_text(target)}",
        *evidence,
    ]


def _labelled(row: dict, labels: dict[str, Label]) -> dict:
    parsed_values(row)
    for end in ("source", "target"):
        label = labels.get(row[f"{end}_id"], Label(None, None))
        row[f"{end}_title"], row[f"{end}_outlet"] = label.title, label.outlet
    return row
