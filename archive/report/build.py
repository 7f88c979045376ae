"""``archive report``: gather what the pages show (bounded samples of records and relations),
render them, and write the report folder atomically beside the release."""

from __future__ import annotations

import math
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from archive.errors import UsageError
from archive.format import boundedjson
from archive.format.manifest import QUARANTINE_FILE, beside
from archive.format.parquetio import PARQUET_ERRORS, iter_batches
from archive.inspect import read_manifest, record_shards, shard_batches, unreadable_shard
from archive.relations.model import KINDS
from archive.relations.table import (
    SHOWN_COLUMNS,
    RelationValueError,
    parsed_values,
    relation_batches,
    table_path,
    unreadable,
)
from archive.release.plan import shard_of
from archive.report import pages
from archive.summary import ReleaseSummary, flag_descriptions, release_summary

TABLE_ROWS = 20_000  # rows of the record table; a larger release is sampled
RECORD_PAGES = 200  # record pages from the table, besides those of the pairs shown
PAIRS_PER_KIND = 20  # relation pages per kind, highest score first
LISTED = 1_000  # quarantine entries and tombstones listed
_TABLE_COLUMNS = [
    "record_id",
    "title",
    "outlet",
    "published_date",
    "language",
    "flags",
    "capture.source_path",
]


def default_out(release: str | Path) -> Path:
    """Where a report goes by default: beside the release, ``<release>-report``."""
    return beside(release, "-report")


@dataclass(frozen=True)
class Written:
    """A report written: its folder, its size, and the problems verify found in the release."""

    path: Path
    bytes: int
    problems: int


def write_report(
    release: str | Path, out: str | Path | None = None, *, level: str = "rows", force: bool = False
) -> Written:
    """Write the static HTML report of ``release`` into the folder ``out``.

    An existing ``out`` is replaced only with ``force``, and only when it holds a report. A
    release that fails ``verify`` still gets its report, which lists the problems.
    """
    root = Path(release)
    target = Path(out) if out is not None else default_out(root)
    _check_target(root, target, force)
    manifest = read_manifest(root)
    summary = release_summary(root)
    verification = verification_of(root, level)
    documents = report_documents(root, manifest, summary, verification)
    partial = target.with_name(f".{target.name}.partial-{os.getpid()}")
    shutil.rmtree(partial, ignore_errors=True)
    try:
        for relative, text in sorted(documents.items()):
            path = partial / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8", newline="\n")
        if target.exists():
            shutil.rmtree(target)
        partial.rename(target)
    finally:
        shutil.rmtree(partial, ignore_errors=True)
    size = sum(len(text.encode("utf-8")) for text in documents.values())
    return Written(target, size, verification["problem_count"])


def _check_target(root: Path, target: Path, force: bool) -> None:
    resolved = target.resolve()
    if resolved == root.resolve() or root.resolve() in resolved.parents:
        raise UsageError(
            f"{target}: a report cannot go inside the release (a release is immutable; "
            "verify would find unlisted files)"
        )
    if not target.exists():
        return
    if not force:
        raise UsageError(f"{target} exists; use --force to replace a report")
    index = target / "index.html"
    if not target.is_dir() or not index.is_file() or pages.GENERATOR not in _head(index):
        raise UsageError(f"{target} is not a report; not replaced")


def _head(path: Path) -> str:
    with path.open("r", encoding="utf-8", errors="replace") as f:
        return f.read(4096)


def report_documents(
    root: Path, manifest: dict, summary: ReleaseSummary, verification: dict
) -> dict[str, str]:
    """Every file of the report, by relative path."""
    shards = [root / p for p in record_shards(manifest)]
    descriptions = flag_descriptions()
    rows, note = table_rows(shards, manifest["counts"]["records"])
    pairs = top_pairs(root, manifest)
    wanted = sorted(
        {r[0] for r in rows[:RECORD_PAGES]}
        | {p[k] for p in pairs for k in ("source_id", "target_id")}
    )
    records = records_by_id(shards, wanted)
    paged = set(records)
    for row in rows:
        row[7] = 1 if row[0] in paged else 0
    shown_pairs = [_pair_view(i, p, records) for i, p in enumerate(pairs)]
    parts = {
        "pairs": shown_pairs,
        "table": {"note": note},
        "quarantine": listed_lines(root / QUARANTINE_FILE, summary.quarantine.total),
        # a tombstone's reason is the publisher's, of any length (release.parent.read_tombstones)
        "tombstones": listed_lines(root / "withdrawn.jsonl", summary.versions.withdrawn, None),
        "history": history_rows(root),
        "verification": verification,
    }
    documents = {
        "index.html": pages.index_page(summary, parts),
        "records.html": pages.records_page(summary, rows, note),
    }
    by_record: dict[str, list[dict]] = {}
    for pair in shown_pairs:
        for key in ("source_id", "target_id"):
            by_record.setdefault(pair[key], []).append(pair)
    for record_id, row in records.items():
        documents[f"records/{record_id}.html"] = pages.record_page(
            row, descriptions, by_record.get(record_id, [])
        )
    for pair in shown_pairs:
        documents[pair["href"]] = pages.relation_page(
            pair, records.get(pair["source_id"]), records.get(pair["target_id"])
        )
    return documents


# --- the record table: every record, or an even sample ------------------------------------


def table_rows(shards: list[Path], total: int) -> tuple[list[list], str]:
    """The table's rows ``[id, title, outlet, date, language, flags, path, has_page]``, and a
    sentence saying whether they are every record or a sample."""
    step = max(1, math.ceil(total / TABLE_ROWS))
    rows: list[list] = []
    seen = 0
    for batch in shard_batches(shards, _TABLE_COLUMNS):
        first = (-seen) % step
        picked = batch.take(pa.array(np.arange(first, batch.num_rows, step, dtype=np.int64)))
        seen += batch.num_rows
        paths = pc.struct_field(picked.column("capture"), "source_path").to_pylist()
        dates = pc.cast(picked.column("published_date"), pa.string()).to_pylist()
        flags = pc.binary_join(picked.column("flags"), " ").to_pylist()
        for values in zip(
            picked.column("record_id").to_pylist(),
            picked.column("title").to_pylist(),
            picked.column("outlet").to_pylist(),
            dates,
            picked.column("language").to_pylist(),
            flags,
            paths,
            strict=True,
        ):
            rows.append([v if v is not None else "" for v in values] + [0])
    if step == 1:
        note = (
            f"All {len(rows)} records. Record pages exist for the first {RECORD_PAGES} (in id "
            "order) and for the records in the relation pairs shown; any record is shown by: "
            "archive inspect RELEASE RECORD_ID --explain."
        )
    else:
        note = (
            f"A sample: every {step}th record in id order, {len(rows)} of {total} (ids are "
            f"hashes, so this is an even, random-like sample). Record pages exist for "
            f"{RECORD_PAGES} of them and for the records in the relation pairs shown; any "
            "record is shown by: archive inspect RELEASE RECORD_ID --explain."
        )
    return rows, note


def records_by_id(shards: list[Path], ids: list[str]) -> dict[str, dict]:
    """Whole rows of ``ids``, each looked for in the one shard that can hold it, and there only
    in the row groups whose id range holds it (rows are sorted by id), a batch at a time."""
    per_shard: dict[int, list[str]] = {}
    for record_id in ids:
        per_shard.setdefault(shard_of(record_id, len(shards)), []).append(record_id)
    found = {}
    for index, wanted in sorted(per_shard.items()):
        try:
            found.update(_rows_of(shards[index], wanted))
        except PARQUET_ERRORS as exc:
            raise unreadable_shard(shards[index], exc) from None
    return dict(sorted(found.items()))


def _rows_of(shard: Path, wanted: list[str]) -> Iterator[tuple[str, dict]]:
    """(id, row) of the rows of ``wanted`` in ``shard``, their strings checked as UTF-8."""
    parquet = pq.ParquetFile(shard)
    value_set = pa.array(wanted, pa.string())
    for group in _groups_holding(parquet, wanted):
        for batch in iter_batches(parquet, row_groups=[group]):
            hit = pc.is_in(batch.column("record_id"), value_set=value_set)
            if pc.any(hit).as_py():
                rows = batch.filter(hit)
                rows.validate(full=True)
                yield from ((r["record_id"], r) for r in rows.to_pylist())


def _groups_holding(parquet: pq.ParquetFile, ids: list[str]) -> list[int]:
    meta = parquet.metadata
    leaf = next(i for i in range(meta.num_columns) if meta.schema.column(i).path == "record_id")
    groups = []
    for group in range(meta.num_row_groups):
        stats = meta.row_group(group).column(leaf).statistics
        unknown = stats is None or not stats.has_min_max
        if unknown or any(stats.min <= record_id <= stats.max for record_id in ids):
            groups.append(group)
    return groups


# --- relation pairs: the highest scores of each kind --------------------------------------


def top_pairs(root: Path, manifest: dict) -> list[dict]:
    """At most ``PAIRS_PER_KIND`` relations of each kind, highest score first (ties by ids),
    read a batch at a time so only the kept rows' evidence is held."""
    entry = manifest.get("relations")
    if not entry:
        return []
    path = table_path(root, entry)
    kept: pa.Table | None = None
    columns = SHOWN_COLUMNS
    order = [
        ("kind", "ascending"),
        ("score", "descending"),
        ("source_id", "ascending"),
        ("target_id", "ascending"),
    ]
    try:
        for batch in relation_batches(path, columns):
            table = pa.Table.from_batches([batch])
            if kept is not None:
                table = pa.concat_tables([kept, table])
            kept = _best(table.sort_by(order))
    except PARQUET_ERRORS as exc:
        raise unreadable(path, exc) from None
    if kept is None:
        return []
    from archive.verification.validation import evidence_shape_problem

    try:
        parsed = [parsed_values(row) for row in kept.to_pylist()]
        for row in parsed:  # its kind and its kind's shape too: the pages read its parts
            relation = f"{row['source_id']} {row['kind']} {row['target_id']}"
            if row["kind"] not in KINDS:
                raise RelationValueError(f"relation {relation}: a kind the schema does not name")
            why = evidence_shape_problem(row["kind"], row["evidence"])
            if why:
                raise RelationValueError(f"the evidence of relation {relation}: {why}")
    except RelationValueError as exc:
        raise unreadable(path, exc) from None
    return parsed


def _best(table: pa.Table) -> pa.Table:
    """The first ``PAIRS_PER_KIND`` rows of each kind of a table sorted by kind."""
    kinds = table.column("kind").to_pylist()
    keep, count, last = [], 0, None
    for i, kind in enumerate(kinds):
        count = count + 1 if kind == last else 1
        last = kind
        if count <= PAIRS_PER_KIND:
            keep.append(i)
    return table.take(pa.array(keep, pa.int64()))


def _pair_view(index: int, pair: dict, records: dict[str, dict]) -> dict:
    basis = pair["evidence"].get("direction_basis")
    if pair["directed"]:
        direction = "source copies target" + (f" (basis: {basis})" if basis else "")
    else:
        direction = "none asserted: no evidence of which came first"
    titles = {
        k: (records.get(pair[k]) or {}).get("title") or pair[k] for k in ("source_id", "target_id")
    }
    return pair | {
        "href": f"relations/{pair['kind']}-{index:04d}.html",
        "direction": direction,
        "source_title": titles["source_id"],
        "target_title": titles["target_id"],
    }


# --- quarantine, tombstones, history, verification ----------------------------------------


def listed_lines(path: Path, total: int, limit: int | None = boundedjson.MAX_ENTRY_LINE) -> dict:
    """The first ``LISTED`` entries of a JSON Lines file (lines of at most ``limit`` bytes),
    and how many it holds."""
    rows = []
    if path.is_file():
        with path.open("rb") as handle:
            for _, entry, why in boundedjson.json_lines(handle, limit):
                if len(rows) >= LISTED:
                    break
                if why:
                    entry = {"message": "unreadable line: run archive verify"}
                rows.append(entry if isinstance(entry, dict) else {"message": str(entry)})
    return {"rows": rows, "total": max(total, len(rows))}


def history_rows(root: Path) -> list[dict]:
    from archive.versions.history import log

    rows = []
    for link in log(root):
        state = "ok" if link.ok else "; ".join(f"{p.code} {p.message}" for p in link.problems)
        rows.append(
            {
                "name": link.name,
                "version": link.version,
                "created": link.created,
                "manifest_sha256": link.manifest_sha256,
                "state": state,
            }
        )
    return rows


def verification_of(root: Path, level: str) -> dict:
    from archive.verification import check_release

    report = check_release(root, level=level)
    return {
        "ok": report.ok,
        "problem_count": report.problem_count,
        "level": level,
        "records": report.records,
        "files": report.files,
        "checks": list(report.checks),
        "skipped": dict(report.skipped),
        "problems": [(p.code, p.path, p.message) for p in report.problems[:100]],
        "warnings": [(p.code, p.path, p.message) for p in report.warnings],
    }
