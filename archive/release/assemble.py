"""The files of a release that the driver writes once the shards are in place: quarantine,
tombstones, schemas, the changes from the parent, and the manifest over them all."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import islice
from pathlib import Path

import pyarrow as pa

from archive._version import __version__
from archive.capture.capturelog import CaptureLog
from archive.format.counts import UNKNOWN_COLUMNS
from archive.format.manifest import (
    FORMAT,
    FORMAT_VERSION,
    QUARANTINE_FILE,
    canonical_line,
    file_entries,
)
from archive.format.parquetio import merged_rows, read_ipc, write_ipc_batches
from archive.format.schema import QUARANTINE_ARROW_SCHEMA, SCHEMA_NAMES, schema_file
from archive.release.parent import WITHDRAWN_FILE, Parent, parent_rows, read_tombstones
from archive.release.plan import Plan
from archive.release.stages import (
    QUARANTINE_BATCH_ROWS,
    ShardSummary,
    UnitSummary,
    matched_lines,
)
from archive.release.workdir import SCHEMAS_FOLDER, WorkDir
from archive.settings import PackSettings, rfc3339

_FAN_IN = 128  # quarantine files merged at once (each open while it is read)


@dataclass(frozen=True)
class QuarantineSummary:
    """What the release's quarantine file holds: how many entries, and how many of each
    reason."""

    rows: int
    reasons: Counter


def write_quarantine(workdir: WorkDir) -> QuarantineSummary:
    """The quarantine fragments (each sorted, ``stages.QUARANTINE_ORDER``, in batches of
    ``QUARANTINE_BATCH_ROWS``) merged into one sorted JSON Lines file in the release, a batch
    of each at a time, and ``_FAN_IN`` files at a time: however many inputs were quarantined,
    and in however many units, they are never held at once, nor their files all open."""
    fragments = workdir.tasks.quarantine_fragments()
    level = 0
    while len(fragments) > _FAN_IN:
        fragments = [
            _merged_file(fragments[at : at + _FAN_IN], workdir.quarantine_merge(level, at))
            for at in range(0, len(fragments), _FAN_IN)
        ]
        level += 1
    reasons: Counter = Counter()
    with open(workdir.quarantine_file(), "wb") as handle:
        for row in _merged_quarantine(fragments):
            handle.write(canonical_line(row))
            reasons[row["reason"]] += 1
    return QuarantineSummary(sum(reasons.values()), reasons)


def _merged_file(fragments: list, path: Path) -> Path:
    """``fragments`` (contiguous: rows of equal keys keep their order) merged into ``path``."""
    rows = _merged_quarantine(fragments)
    batches = (
        pa.RecordBatch.from_pylist(chunk, schema=QUARANTINE_ARROW_SCHEMA)
        for chunk in iter(lambda: list(islice(rows, QUARANTINE_BATCH_ROWS)), [])
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    write_ipc_batches(batches, QUARANTINE_ARROW_SCHEMA, path)
    return path


def _merged_quarantine(fragments: list) -> Iterator[dict]:
    names = QUARANTINE_ARROW_SCHEMA.names
    path, offset = names.index("source_path"), names.index("offset")

    def order(row: tuple) -> tuple:  # as Arrow sorts: by path, then offset, nulls last
        return row[path], row[offset] is None, row[offset] or 0

    return (dict(zip(names, row, strict=True)) for row in merged_rows(fragments, names, order))


def write_schemas(workdir: WorkDir) -> None:
    for name in SCHEMA_NAMES:
        schema = schema_file(name)
        workdir.schema_file(schema.filename).write_bytes(schema.data)


def schema_entries() -> dict:
    """The manifest's entry for each schema the release holds."""
    return {
        name: {
            "$id": schema_file(name).id,
            "path": f"{SCHEMAS_FOLDER}/{schema_file(name).filename}",
            "sha256": schema_file(name).sha256,
        }
        for name in SCHEMA_NAMES
    }


def write_changes(
    lineage: Parent, workdir: WorkDir, settings: PackSettings, plan: Plan, executor=None
) -> list[str]:
    """Write CHANGES.json, the diff from the parent (a shard pair per task of ``executor``,
    when given); return a note when the chosen version contradicts the bump the changes
    imply."""
    from archive.versions.diff import write_changes_file

    child = {
        "name": settings.name,
        "version": settings.version,
        "schemas": schema_entries(),
        "settings": settings.output_settings() | {"shards": plan.shards},
    }
    bump = write_changes_file(
        lineage.path,
        workdir.release(),
        workdir.changes_file(),
        child,
        executor=executor,
        scratch=workdir.scratch(),
    )
    return [f"version: {bump['warning']}"] if bump["warning"] else []


def new_tombstones(
    workdir: WorkDir, lineage: Parent | None, settings: PackSettings, warnings: list[str]
) -> list[dict]:
    """Tombstones for this version's withdrawals: hashes from the parent's row, else from the
    capture read in this pack; an id found in neither is an error (in ``warnings``)."""
    carried = {t["record_id"] for t in read_tombstones(lineage.path)} if lineage else set()
    reasons = {rid: reason for rid, reason in settings.withdrawals if rid not in carried}
    if not reasons:
        return []
    known: dict[str, dict] = {}
    if lineage is not None:
        rows = parent_rows(lineage.path, lineage.shards, sorted(reasons))
        for row in rows.select(["record_id", "raw_sha256", "text_sha256"]).to_pylist():
            known[row["record_id"]] = row
    for path in workdir.tasks.withdrawn_lists():
        for row in read_ipc(path).to_pylist():
            known.setdefault(row["record_id"], {**row, "text_sha256": None})
    tombstones = []
    for rid, reason in sorted(reasons.items()):
        if rid not in known:
            warnings.append(f"withdrawal of {rid}: no such record in the parent or the sources")
            continue
        tombstones.append(
            {
                "record_id": rid,
                "raw_sha256": known[rid]["raw_sha256"],
                "text_sha256": known[rid]["text_sha256"],
                "version": settings.version,
                "withdrawn_at": rfc3339(settings.created),
                "reason": reason,
            }
        )
    return tombstones


def release_manifest(
    workdir: WorkDir,
    settings: PackSettings,
    plan: Plan,
    log: CaptureLog | None,
    units: Iterable[UnitSummary],
    gave_way: int,
    written: Iterable[ShardSummary],
    quarantine: QuarantineSummary,
    duplicates: int,
    tombstones: list[dict],
    lineage: Parent | None,
    relations: dict | None,
) -> dict:
    """The manifest of the release in ``workdir``, every other file of it written."""
    units = list(units)
    written = sorted(written, key=lambda s: s.index)
    totals: Counter = Counter()
    furniture: Counter = Counter()
    languages: Counter = Counter()
    for summary in written:
        totals.update(summary.counts)
        furniture.update(summary.furniture_chars)
        languages.update(summary.languages)
    skipped: Counter = Counter()
    bad_digests: list[dict] = []
    for unit in units:
        skipped.update(unit.warc_skipped)
        bad_digests.extend(unit.warc_bad_digests)
    bad_digests.sort(key=lambda row: (row["source_path"], row["offset"]))
    inputs = sum(u.records + u.quarantined for u in units) + len(plan.skipped)
    inputs += sum(u.withdrawn for u in units)
    counts = {
        "inputs": inputs,
        "reused": sum(u.reused for u in units) - gave_way,  # to a new row of their id
        "withdrawn_inputs": sum(u.withdrawn for u in units),
        "records": sum(s.rows for s in written),
        "quarantined": quarantine.rows,
        "withdrawn": len(tombstones),
        "duplicates": duplicates,
        **{k: totals[k] for k in UNKNOWN_COLUMNS},
    }
    generator = {"name": "archive", "version": __version__, "pyarrow": pa.__version__}
    rows = _row_counts(written, quarantine, tombstones)
    capture_log = _log_summary(log, units)
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "name": settings.name,
        "version": settings.version,
        "created": rfc3339(settings.created),
        "generator": generator,
        "schemas": schema_entries(),
        "settings": settings.output_settings() | {"shards": plan.shards},
        "files": file_entries(workdir.release(), rows, _shard_digests(workdir, written)),
        "counts": counts,
        "quarantine_reasons": dict(sorted(quarantine.reasons.items())),
        "warc_records_skipped": dict(sorted(skipped.items())),
        "warc_digest_mismatches": bad_digests,
        "capture_log": capture_log,
        "sources": list(plan.sources),
        "coverage": {
            "furniture_chars": dict(sorted(furniture.items())),
            "languages": dict(sorted(languages.items())),
        },
        "parent": lineage.link if lineage else None,
        "relations": relations,
    }


def _shard_digests(workdir: WorkDir, written: list[ShardSummary]) -> dict:
    """The digests the shard tasks took of the files they wrote, when the release is built
    where they wrote them (a remote pack's shards were downloaded: they are hashed here)."""
    if workdir.is_remote:
        return {}
    return {s.path: s.digests for s in written if s.digests is not None}


def _row_counts(
    written: list[ShardSummary], quarantine: QuarantineSummary, tombstones: list[dict]
) -> dict[str, int]:
    rows = {s.path: s.rows for s in written}
    rows[QUARANTINE_FILE] = quarantine.rows
    if tombstones:
        rows[WITHDRAWN_FILE] = len(tombstones)
    return rows


def _log_summary(log: CaptureLog | None, units: list[UnitSummary]) -> dict | None:
    if log is None:
        return None
    return {
        "name": log.name,
        "sha256": log.sha256,
        "entries": log.size,
        "bad_lines": len(log.problems),
        "errors": [str(p) for p in log.problems],
        "unmatched": log.size - matched_lines(units),
    }
