"""The row checks: every record row (or a sample of them) against the manifest and the schemas.

The shard tasks (``archive.verification.shards``) run in the shared pool; these checks merge
their results in shard order, one check per kind of problem. Then the checks that read whole
files: quarantine entries, withheld text, and the relations table (read in the pool too).
Each ``check_*`` is registered once in ``archive.verification.checks``.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from archive.errors import Problem
from archive.format import boundedjson
from archive.format.manifest import CHANGES_FILE, MANIFEST, QUARANTINE_FILE, WITHDRAWN_FILE
from archive.format.parquetio import PARQUET_ERRORS, iter_batches
from archive.format.schema import checked_lines
from archive.inspect import record_shards
from archive.verification.audit import Audit, Task
from archive.verification.shards import COUNTED_FIELDS, ShardRows
from archive.verification.structure import sized_as_listed
from archive.verification.tasks import dehydrated_release, row_tasks


def check_file_hashes(audit: Audit) -> None:
    for entry in audit.manifest["files"]:
        result = audit.results.get(("hash", entry["path"]))
        if result is None:
            continue
        digest, _ = result
        if digest != entry["sha256"]:
            audit.report.add("E007", entry["path"], "content differs", entry["sha256"], digest)


def _shard_results(audit: Audit) -> list[tuple[Task, ShardRows]]:
    return [(task, audit.results[task]) for task in row_tasks(audit)]


def _add(audit: Audit, codes: tuple[str, ...]) -> None:
    for _, result in _shard_results(audit):
        unlisted = {code: n for code, n in result.unlisted.items() if code in codes}
        audit.report.extend([p for p in result.problems if p.code in codes], unlisted)


def check_record_schema(audit: Audit) -> None:
    """Rows against the record schema, by column (E011; E009 for a shard that breaks off)."""
    plan = audit.plan
    if plan.sample is not None:
        tasks = row_tasks(audit)
        audited = sum(len(task[3]) for task in tasks)
        total = sum(footer.rows for footer in audit.footers.values())
        message = f"{audited} of {total} rows audited (seed {plan.seed})"
        audit.report.warn("W002", MANIFEST, message)
    _add(audit, ("E011", "E009"))


def check_text_hashes(audit: Audit) -> None:
    _add(audit, ("E012",))


def check_record_ids(audit: Audit) -> None:
    _add(audit, ("E013",))


def check_capture_keys(audit: Audit) -> None:
    _add(audit, ("E025",))


def check_bodies_from_spans(audit: Audit) -> None:
    _add(audit, ("E026",))


def check_field_counts(audit: Audit) -> None:
    """The manifest's counts by field (``COUNTED_FIELDS``) against the rows."""
    outcomes = _shard_results(audit)
    readable = all(result.readable for _, result in outcomes)
    if not readable or len(outcomes) != len(record_shards(audit.manifest)):
        return  # counts over part of the release would only repeat E005/E009
    totals: Counter = Counter()
    for _, result in outcomes:
        totals.update(result.counts)
    stated = audit.manifest["counts"]
    for key in COUNTED_FIELDS:
        if key in stated and stated[key] != totals[key]:
            message = f"counts.{key} differs from the records"
            audit.report.add("E014", MANIFEST, message, stated[key], totals[key])
    coverage = audit.manifest.get("coverage") or {}
    for key, attribute in (("languages", "languages"), ("furniture_chars", "furniture")):
        if key not in coverage:
            continue
        found: Counter = Counter()
        for _, result in outcomes:
            found.update(getattr(result, attribute))
        _compare_counter(audit, f"coverage.{key}", coverage[key], found, "the records")


def _compare_counter(audit: Audit, name: str, stated: dict, found: Counter, source: str) -> None:
    """E014 for every key of ``name`` whose count differs from ``found`` (zero counts absent)."""
    found = {key: count for key, count in found.items() if count}
    for key in sorted(set(stated) | set(found), key=str):
        if stated.get(key, 0) != found.get(key, 0):
            message = f"{name}.{key} differs from {source}"
            audit.report.add("E014", MANIFEST, message, stated.get(key, 0), found.get(key, 0))


def check_duplicate_links(audit: Audit) -> None:
    links: dict[str, tuple[str, str, str]] = {}
    for task, result in _shard_results(audit):
        for rid, (original, text_hash) in result.links.items():
            links[rid] = (original, text_hash, task[2])
    if links:
        shards = [task[2] for task in row_tasks(audit)]
        _duplicate_links(audit.root, shards, links, audit.report, audit.plan.jobs)


def _duplicate_links(root: Path, shards: list[str], links: dict, report, jobs: int = 1) -> None:
    """Each duplicate must point at an existing, earlier record with the same text hash, which
    is no duplicate itself: the first record of that text."""
    wanted: dict[str, list[tuple[str, str, str]]] = {}
    for rid, (original, text_hash, relative) in sorted(links.items()):
        if rid is None or original is None:
            continue
        if original >= rid:
            report.add("E017", relative, f"record {rid}: duplicate_of {original} is not earlier")
        elif original in links:
            message = f"record {rid}: duplicate_of {original} is a duplicate itself, not the first"
            report.add("E017", relative, message)
        wanted.setdefault(original, []).append((rid, text_hash, relative))
    for table in _links_columns(root, shards, jobs):
        if not wanted:
            break
        if table is None:
            continue  # reported as missing or unreadable
        originals = pa.array(list(wanted), pa.string())
        table = table.filter(pc.is_in(table["record_id"], value_set=originals))
        for original, text_hash in zip(
            table["record_id"].to_pylist(), table["text_sha256"].to_pylist(), strict=True
        ):
            for rid, dup_hash, where in wanted.pop(original, []):
                if dup_hash != text_hash:
                    report.add("E017", where, f"record {rid}: text differs from {original}")
    for original, duplicates in wanted.items():
        for rid, _, where in duplicates:
            report.add(
                "E017", where, f"record {rid}: duplicate_of {original} is not in the release"
            )


_LINK_COLUMNS = ["record_id", "text_sha256"]


def _links_columns(root: Path, shards: list[str], jobs: int) -> Iterator[pa.Table | None]:
    """``_ids_and_hashes`` of each shard in shard order, ``jobs`` shards read at once in
    threads when ``jobs`` > 1: Arrow decodes without the GIL, and the pool's processes have
    ended, so the cores they used are free for this last read of the verification."""
    jobs = min(jobs, os.cpu_count() or 1)  # Ray's jobs may be more than this machine's cores
    if jobs <= 1:
        yield from (_ids_and_hashes(root / relative) for relative in shards)
        return
    with ThreadPoolExecutor(jobs) as pool:
        for start in range(0, len(shards), jobs):
            yield from pool.map(_ids_and_hashes, [root / s for s in shards[start : start + jobs]])


def _ids_and_hashes(path: Path) -> pa.Table | None:
    """A shard's ``record_id`` and ``text_sha256`` columns, or None when it cannot be read or
    lacks either (or holds one twice). Read by ``ParquetFile``: ``pq.read_table`` would import
    pyarrow's dataset modules, half a second of start-up, for one plain read."""
    try:
        table = pq.ParquetFile(path).read(columns=_LINK_COLUMNS, use_threads=False)
    except PARQUET_ERRORS:
        return None
    # ParquetFile leaves out a column it lacks, where read_table refuses the file.
    return table if sorted(table.column_names) == _LINK_COLUMNS else None


def check_quarantine_schema(audit: Audit) -> None:
    """Every quarantine entry against the quarantine schema (E015)."""
    if QUARANTINE_FILE not in audit.present:
        return
    if not sized_as_listed(audit, QUARANTINE_FILE):
        return  # E006: its size, not the manifest, would bound the reading
    reasons: Counter = Counter()
    limit = boundedjson.MAX_ENTRY_LINE
    for entry in _sound_entries(audit, QUARANTINE_FILE, limit, "quarantine", "E015"):
        reasons[entry["reason"]] += 1
    audit.memo["quarantine reasons"] = reasons


def _sound_entries(audit: Audit, relative: str, limit: int, schema: str, code: str) -> Iterator:
    """The lines of the JSON Lines file ``relative`` that are entries of ``schema``; each
    other is reported as ``code``, with the messages ``archive validate`` of the file alone
    gives (each with its field)."""
    with open(audit.root / relative, "rb") as handle:
        for number, entry, errors in checked_lines(handle, limit, schema):
            for message in errors:
                audit.report.add(code, f"{relative}:{number}", message)
            if not errors:
                yield entry


def check_tombstone_schema(audit: Audit) -> None:
    """Every tombstone against the tombstone schema (E035), a line read only up to
    ``MAX_TOMBSTONE_LINE``; a blank line is no tombstone (a pack writes none, and the count,
    E014, counts it). With no tombstones it passes, as the quarantine schema's check does
    with no entries."""
    if WITHDRAWN_FILE not in audit.present or not sized_as_listed(audit, WITHDRAWN_FILE):
        return  # none; or E006: its size, not the manifest, would bound the reading
    limit = boundedjson.MAX_TOMBSTONE_LINE
    for _ in _sound_entries(audit, WITHDRAWN_FILE, limit, "tombstone", "E035"):
        pass


def check_changes_schema(audit: Audit) -> None:
    """CHANGES.json against the changes schema (E034), with ``validate``'s messages, its id
    lists read an item at a time (``validation.changes_problems``)."""
    from archive.versions.diff import changes_problems

    if sized_as_listed(audit, CHANGES_FILE):  # else E006: its size would bound the reading
        changes_problems(audit.root / CHANGES_FILE, partial(audit.report.add, "E034", CHANGES_FILE))


def no_changes_file(audit: Audit) -> str | None:
    return None if CHANGES_FILE in audit.present else f"no {CHANGES_FILE}"


def no_quarantine_file(audit: Audit) -> str | None:
    if QUARANTINE_FILE not in {entry["path"] for entry in audit.manifest["files"]}:
        return None  # no input was quarantined: no reason may be counted either
    if QUARANTINE_FILE not in audit.present:
        return f"no {QUARANTINE_FILE}"
    if "quarantine reasons" not in audit.memo:
        return f"{QUARANTINE_FILE} was not read (its size differs from the manifest: E006)"
    return None


def check_quarantine_reasons(audit: Audit) -> None:
    """``quarantine_reasons`` counts the reasons of the quarantine entries (E014)."""
    stated = audit.manifest.get("quarantine_reasons") or {}
    found = audit.memo.get("quarantine reasons", Counter())
    _compare_counter(audit, "quarantine_reasons", stated, found, QUARANTINE_FILE)


def check_withheld(audit: Audit) -> None:
    """Text withheld or present against the redistribution class (E023), as the shard tasks
    found it in the rows they read. A sample reads only some rows: for the others, the shards'
    footers answer whether any text is withheld (``withheld_problems``)."""
    _add(audit, ("E023",))
    if audit.plan.sample is None:
        return
    stated = {(p.code, p.path, p.message) for p in audit.report.problems}
    unsound = frozenset(path for path, footer in audit.footers.items() if not footer.sound)
    for problem in withheld_problems(audit.root, audit.manifest, unsound):
        if (problem.code, problem.path, problem.message) not in stated:
            audit.report.add(problem.code, problem.path, problem.message)


def no_relations(audit: Audit) -> str | None:
    summary = audit.manifest.get("relations")
    if not summary or summary.get("path") not in audit.present:
        return "no relations table"
    return None


def relation_tasks(audit: Audit) -> list[Task]:
    """The relations table's check, one task in the shared pool: it runs beside the shards'
    rather than after them all."""
    return [("relations", audit.manifest["relations"]["path"], dehydrated_release(audit.manifest))]


def check_relations(audit: Audit) -> None:
    """The relations table against its schema, and its row count, and its count of each kind,
    against the manifest."""
    summary = audit.manifest["relations"]
    rows, problems, kinds = audit.results[relation_tasks(audit)[0]]
    for code, relative, message in problems:
        audit.report.add(code, relative, message)
    if rows is None:
        return  # unreadable (E009), or its columns of other types (E024)
    stated = sum(summary.get("counts", {}).values())
    if stated != rows:
        relative = summary["path"]
        audit.report.add("E014", relative, "relation count differs from the manifest", stated, rows)
    _compare_counter(audit, "relations.counts", summary.get("counts", {}), kinds, "the table")


def withheld_problems(
    root: Path, manifest: dict, unread: frozenset[str] = frozenset()
) -> list[Problem]:
    """Text may be null only in a metadata-only release or for a record whose redistribution
    class is metadata-only (E023). Parquet statistics answer for shards that withhold nothing."""
    if dehydrated_release(manifest):
        return []
    problems = []
    for relative in record_shards(manifest):
        if relative in unread:
            continue  # a footer that cannot be trusted to size the reading (E009, E014)
        path = root / relative
        try:
            metadata = pq.ParquetFile(path).metadata
            index = metadata.schema.names.index("text")
            groups = [metadata.row_group(g).column(index) for g in range(metadata.num_row_groups)]
            if all(c.statistics is not None and c.statistics.null_count == 0 for c in groups):
                continue
            rids = []
            for batch in iter_batches(path, ["record_id", "redistribution", "text"]):
                withheld = pc.and_(
                    pc.is_null(batch.column("text")),
                    pc.not_equal(batch.column("redistribution"), "metadata-only"),
                )
                rids.extend(pc.filter(batch.column("record_id"), withheld).to_pylist())
        except (OSError, ValueError, pa.ArrowException):
            continue  # reported by the shard checks
        for rid in rids:
            message = f"record {rid}: text withheld, but it may be redistributed in full"
            problems.append(Problem("E023", relative, message))
    return problems


__all__ = ["withheld_problems"]
