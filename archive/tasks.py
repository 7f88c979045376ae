"""The three kinds of pack task, each a pure function of its arguments and the work folder.

1. ``extract_unit``: read and extract one unit of input; file each row under its shard, each
   quarantined input under the unit, and (optionally) count repeated lines for furniture learning.
2. ``finalize_shard``: gather one shard's rows, sort them by ``record_id``, apply the learned
   furniture, and index the shard's body hashes for duplicate detection.
3. ``write_shard``: mark duplicates and write the shard's Parquet file into the release.

Executors (local processes, Ray) only call these; none decides names or order, so how the work
is spread never changes the bytes of the release.
"""

from __future__ import annotations

import hashlib
import pickle
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from .capturelog import CaptureLog
from .model import Extraction, Provenance, QuarantineEntry, Record, Span
from .normalize import sha256_text
from .parquetio import read_ipc, write_ipc, write_parquet
from .plan import Unit, shard_name, shard_of
from .records import (
    capture_info,
    hints_for,
    html_record,
    plain_extraction,
    quarantine_row,
    record_row,
    text_record,
    warc_record,
)
from .schema import QUARANTINE_ARROW_SCHEMA, RECORD_ARROW_SCHEMA
from .settings import PackSettings

_HASH_BLOCK = 1024 * 1024
DUP_INDEX_SCHEMA = pa.schema([("text_sha256", pa.string()), ("record_id", pa.string())])
DUPS_SCHEMA = pa.schema([("record_id", pa.string()), ("duplicate_of", pa.string())])


@dataclass(frozen=True)
class PackContext:
    """Everything a task needs besides its unit or shard; small and picklable."""

    settings: PackSettings
    shards: int
    work: Path
    release: Path
    log: CaptureLog | None = None

    def fragment(self, shard: int, unit: int, part: int = 0) -> Path:
        return self.work / "frag" / f"{shard:05d}" / f"{unit:08d}-{part:05d}.arrow"

    def extractor(self):
        if self.settings.extract == "none":
            return plain_extraction, "archive-plain/1"
        from .extract import EXTRACTOR_VERSION, extract_text_capture

        return extract_text_capture, f"archive-text/{EXTRACTOR_VERSION}"


@dataclass(frozen=True)
class UnitSummary:
    """What one unit produced: records, quarantine entries, and WARC records not packed."""

    index: int
    records: int
    quarantined: int
    input_bytes: int
    warc_skipped: dict = field(default_factory=dict)


def _log_entry(ctx: PackContext, source_path: str):
    if ctx.log is None:
        return None
    return ctx.log.get(source_path) or ctx.log.get(source_path.partition("/")[2])


def _read(fs_path: str, size_limit: int) -> tuple[bytes | None, str, int]:
    """(bytes or None when over the limit, sha256, size), hashing in the pass that reads."""
    digest = hashlib.sha256()
    chunks = []
    size = 0
    with open(fs_path, "rb") as handle:
        while block := handle.read(_HASH_BLOCK):
            digest.update(block)
            size += len(block)
            if size <= size_limit:
                chunks.append(block)
            else:
                chunks.clear()
    return (b"".join(chunks) if size <= size_limit else None), digest.hexdigest(), size


def capture_outcome(ctx: PackContext, item, extractor, extractor_name) -> Record | QuarantineEntry:
    """Read and turn one text or HTML file into a record or a quarantine entry (never raises
    OSError)."""
    try:
        raw, digest, size = _read(item.fs_path, ctx.settings.max_capture_bytes)
    except OSError as exc:
        return QuarantineEntry(item.source_path, "unreadable", f"cannot be read: {exc.strerror}")
    if raw is None:
        limit = ctx.settings.max_capture_bytes
        message = f"{size} bytes is over the {limit}-byte limit (max_capture_bytes)"
        return QuarantineEntry(item.source_path, "too-large", message, size, digest)
    if item.kind not in ("text", "html"):
        message = "not a capture archive reads (.txt, .html, .htm, .warc, .arc, optionally .gz)"
        return QuarantineEntry(item.source_path, "unsupported", message, size, digest)
    entry = _log_entry(ctx, item.source_path)
    log_name = ctx.log.name if ctx.log else None
    if item.kind == "html":
        hints = hints_for(entry, log_name, ctx.settings)
        capture = capture_info(item.source_path, entry)
        return html_record(
            item.source_path, item.source_path, raw, hints, capture, ctx.settings, entry, log_name
        )
    return text_record(
        item.source_path, raw, entry, log_name, ctx.settings, extractor, extractor_name
    )


def warc_outcomes(
    ctx: PackContext, item, extractor, extractor_name, skipped: Counter
) -> Iterator[Record | QuarantineEntry]:
    """Every response of one WARC file as a record or quarantine entry; other records are
    counted in ``skipped`` by kind; damaged regions are quarantined with their offset."""
    from .warc import WarcDamage, WarcPayload, iter_warc

    try:
        for found in iter_warc(Path(item.fs_path)):
            if isinstance(found, WarcPayload):
                yield warc_record(item.source_path, found, ctx.settings, extractor, extractor_name)
            elif isinstance(found, WarcDamage):
                yield QuarantineEntry(
                    item.source_path, "damaged", found.message, offset=found.offset
                )
            elif found.kind in ("too-large", "undecodable"):
                message = f"WARC record {found.warc_record_id}: {found.detail or found.kind}"
                yield QuarantineEntry(item.source_path, found.kind, message, offset=found.offset)
            else:
                skipped[found.kind] += 1
    except OSError as exc:
        yield QuarantineEntry(item.source_path, "unreadable", f"cannot be read: {exc.strerror}")


class _ShardBuffers:
    """Rows filed by shard, written out as fragments whenever ``limit`` rows are held."""

    def __init__(self, ctx: PackContext, unit: int, limit: int = 2000):
        self.ctx, self.unit, self.limit = ctx, unit, limit
        self.rows: dict[int, list[dict]] = {}
        self.held = self.parts = self.written = 0

    def add(self, row: dict) -> None:
        self.rows.setdefault(shard_of(row["record_id"], self.ctx.shards), []).append(row)
        self.held += 1
        if self.held >= self.limit:
            self.flush()

    def flush(self) -> None:
        for shard, rows in self.rows.items():
            path = self.ctx.fragment(shard, self.unit, self.parts)
            path.parent.mkdir(parents=True, exist_ok=True)
            write_ipc(pa.Table.from_pylist(rows, schema=RECORD_ARROW_SCHEMA), path)
        self.written += self.held
        self.rows, self.held, self.parts = {}, 0, self.parts + 1


def extract_unit(unit: Unit, ctx: PackContext) -> UnitSummary:
    """Task 1: extract every capture of ``unit`` into per-shard fragments."""
    extractor, extractor_name = ctx.extractor()
    counter = _furniture_counter(ctx)
    buffers = _ShardBuffers(ctx, unit.index)
    quarantined: list[dict] = []
    skipped: Counter = Counter()
    for item in unit.files:
        if item.kind == "warc":
            outcomes = warc_outcomes(ctx, item, extractor, extractor_name, skipped)
        else:
            outcomes = (capture_outcome(ctx, item, extractor, extractor_name),)
        for outcome in outcomes:
            if isinstance(outcome, QuarantineEntry):
                quarantined.append(quarantine_row(outcome))
                continue
            buffers.add(record_row(outcome))
            if counter is not None and outcome.media_type == "text/plain":
                counter.add(outcome.capture_text, outcome.spans, outcome.outlet)
    buffers.flush()
    if quarantined:
        write_quarantine_fragment(ctx.work, f"unit-{unit.index:08d}", quarantined)
    if counter is not None:
        furniture = ctx.work / "furniture" / f"{unit.index:08d}.pkl"
        furniture.parent.mkdir(parents=True, exist_ok=True)
        furniture.write_bytes(pickle.dumps(counter))
    return UnitSummary(
        unit.index, buffers.written, len(quarantined), unit.bytes, dict(sorted(skipped.items()))
    )


def write_quarantine_fragment(work: Path, name: str, rows: list[dict]) -> None:
    path = work / "quarantine" / f"{name}.arrow"
    path.parent.mkdir(parents=True, exist_ok=True)
    write_ipc(pa.Table.from_pylist(rows, schema=QUARANTINE_ARROW_SCHEMA), path)


def _furniture_counter(ctx: PackContext):
    if ctx.settings.extract == "none" or not ctx.settings.learn_furniture:
        return None
    from .extract import FurnitureCounter

    return FurnitureCounter()


def learned_furniture(ctx: PackContext):
    """Merge every unit's furniture counts into the small learned summary (or None)."""
    folder = ctx.work / "furniture"
    if ctx.settings.extract == "none" or not ctx.settings.learn_furniture or not folder.is_dir():
        return None
    from .extract import FurnitureCounter

    total = FurnitureCounter()
    for path in sorted(folder.glob("*.pkl")):
        total.merge(pickle.loads(path.read_bytes()))
    return total.learned()


def shard_rows(ctx: PackContext, shard: int) -> pa.Table:
    """All fragments of ``shard``, concatenated and sorted by ``record_id``."""
    folder = ctx.work / "frag" / f"{shard:05d}"
    tables = [read_ipc(p) for p in sorted(folder.glob("*.arrow"))] if folder.is_dir() else []
    table = pa.concat_tables(tables) if tables else RECORD_ARROW_SCHEMA.empty_table()
    return table.sort_by("record_id")


def finalize_shard(shard: int, ctx: PackContext, learned) -> int:
    """Task 2: the shard's final rows (before duplicate marking) and its body-hash index."""
    table = shard_rows(ctx, shard)
    if learned is not None and table.num_rows:
        table = _apply_learned(table, learned)
    for folder in ("final", "dupidx"):
        (ctx.work / folder).mkdir(exist_ok=True)
    write_ipc(table, ctx.work / "final" / f"{shard:05d}.arrow")
    index = table.select(["text_sha256", "record_id"]).sort_by(
        [("text_sha256", "ascending"), ("record_id", "ascending")]
    )
    write_ipc(index, ctx.work / "dupidx" / f"{shard:05d}.arrow")
    return table.num_rows


def _apply_learned(table: pa.Table, learned) -> pa.Table:
    from .extract import apply_learned

    rows = table.to_pylist()
    changed = False
    for row in rows:
        before = _extraction_of(row)
        after = apply_learned(row["capture_text"], before, learned)
        if after.spans != before.spans or after.text != before.text:
            changed = True
            row["spans"] = [vars(s) for s in after.spans]
            row["text"] = after.text
            row["text_sha256"] = sha256_text(after.text)
            row["flags"] = sorted(set(row["flags"]) | set(after.flags))
    return pa.Table.from_pylist(rows, schema=RECORD_ARROW_SCHEMA) if changed else table


def _extraction_of(row: dict) -> Extraction:
    return Extraction(
        text=row["text"],
        spans=tuple(Span(**s) for s in row["spans"]),
        title=row["title"],
        standfirst=row["standfirst"],
        authors=tuple(row["authors"]),
        outlet=row["outlet"],
        published_at=row["published_at"],
        published_precision=row["published_precision"],
        modified_at=row["modified_at"],
        language=row["language"],
        provenance=tuple(Provenance(**p) for p in row["provenance"]),
        flags=tuple(row["flags"]),
    )


@dataclass(frozen=True)
class ShardSummary:
    """What one written shard holds: the figures the manifest adds up."""

    index: int
    path: str
    rows: int
    counts: dict = field(default_factory=dict)
    furniture_chars: dict = field(default_factory=dict)


def write_shard(shard: int, ctx: PackContext) -> ShardSummary:
    """Task 3: mark duplicates and write the shard's Parquet file into the release."""
    table = read_ipc(ctx.work / "final" / f"{shard:05d}.arrow")
    dups_path = ctx.work / "dups" / f"{shard:05d}.arrow"
    if dups_path.exists():
        table = _with_duplicates(table, read_ipc(dups_path))
    name = shard_name(shard, ctx.shards)
    write_parquet(table, ctx.release / "data" / name)
    return ShardSummary(shard, f"data/{name}", table.num_rows, _counts(table), _furniture(table))


def _with_duplicates(table: pa.Table, dups: pa.Table) -> pa.Table:
    dups = dups.sort_by("record_id")
    position = pc.index_in(table["record_id"], value_set=dups["record_id"])
    duplicate_of = pc.take(dups["duplicate_of"], position)
    column = RECORD_ARROW_SCHEMA.get_field_index("duplicate_of")
    return table.set_column(column, RECORD_ARROW_SCHEMA.field(column), duplicate_of)


def _counts(table: pa.Table) -> dict:
    def nulls(column: str) -> int:
        return table[column].null_count

    return {
        "duplicates": table.num_rows - nulls("duplicate_of"),
        "unknown_outlet": nulls("outlet"),
        "unknown_date": nulls("published_at"),
        "unknown_title": nulls("title"),
        "unknown_authors": int(
            pc.sum(pc.equal(pc.list_value_length(table["authors"]), 0)).as_py() or 0
        ),
        "unknown_language": nulls("language"),
    }


def _furniture(table: pa.Table) -> dict:
    spans = pc.list_flatten(table["spans"])
    if len(spans) == 0:
        return {}
    kinds = pc.struct_field(spans, "kind")
    lengths = pc.subtract(pc.struct_field(spans, "end"), pc.struct_field(spans, "start"))
    totals = Counter()
    for kind, length in zip(kinds.to_pylist(), lengths.to_pylist(), strict=True):
        if kind.startswith("furniture-"):
            totals[kind] += length
    return dict(sorted(totals.items()))


def duplicate_links(ctx: PackContext) -> int:
    """Merge the shards' body-hash indexes (streaming) and file each duplicate under its shard.

    The first record of a group of equal bodies, in ``record_id`` order, is the original; every
    other one gets ``duplicate_of`` pointing at it.
    """
    import heapq

    def stream(shard: int):
        table = read_ipc(ctx.work / "dupidx" / f"{shard:05d}.arrow")
        for batch in table.to_batches(max_chunksize=65536):
            yield from zip(
                batch["text_sha256"].to_pylist(), batch["record_id"].to_pylist(), strict=True
            )

    links: dict[int, list[tuple[str, str]]] = {}
    found = 0
    current_hash, original = None, None
    for text_hash, rid in heapq.merge(*(stream(s) for s in range(ctx.shards))):
        if text_hash != current_hash:
            current_hash, original = text_hash, rid
            continue
        links.setdefault(shard_of(rid, ctx.shards), []).append((rid, original))
        found += 1
    folder = ctx.work / "dups"
    folder.mkdir(parents=True, exist_ok=True)
    for shard, pairs in links.items():
        rids, originals = zip(*pairs, strict=True)
        table = pa.table(
            {"record_id": list(rids), "duplicate_of": list(originals)}, schema=DUPS_SCHEMA
        )
        write_ipc(table, folder / f"{shard:05d}.arrow")
    return found
