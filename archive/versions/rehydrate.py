"""``rehydrate``: rebuild the text of a dehydrated (metadata-only) release from your own captures.

A dehydrated release keeps every hash, URL and capture time but no ``text`` or
``capture_text``. Given the captures (obtained by whoever rehydrates, at any paths), this:

1. packs them with the dehydrated release's own settings (from its manifest) into a temporary
   folder, with ``archive.pack``, so they are decoded and extracted exactly as a pack would;
2. matches each record of the dehydrated release to a repacked capture with the same
   ``raw_sha256`` (the same bytes, wherever they sit; a capture at the record's own path is
   tried first), and accepts its text only when ``capture_text_sha256`` and ``text_sha256``
   equal the recorded ones. When the bytes match but the extracted body differs (extraction
   learns page furniture from the whole corpus, so a partial set of captures can shift it), the
   body is rebuilt from the recorded spans and accepted if its hash matches;
3. restores the relations' evidence: a dehydrated release keeps every relation, with the words
   its evidence quotes withheld and the SHA-256 of the full evidence (``evidence_sha256``, see
   :func:`archive.relations.model.withheld_evidence`). The repack found its own relations; one
   between the captures matched to the same two records, of the same kind, whose evidence
   hashes to the recorded one, gives the evidence back;
4. writes ``<out>/<name>-<version>+rehydrated``: the dehydrated release's rows and files with the
   text and evidence filled in, its manifest naming the dehydrated release as parent (so
   ``archive log`` links them and ``CHANGES.json`` shows that no record changed).

Every record ends in exactly one class: *matched* (text filled, or for records whose
redistribution is ``metadata-only``, verified but withheld, as a full pack withholds it),
*changed* (a capture was found but its bytes or its text differ from the recorded hashes) or
*missing* (no capture). A relation whose evidence cannot be restored keeps it withheld, and is
counted. With the original captures the rehydrated shards and relations table are
byte-identical to the full release's (same pyarrow version); the flags relations raise
(``spun-suspected``) are in the dehydrated rows already. The rehydrated release is in the
``full`` tier only when no record is changed or missing and every relation is restored;
otherwise it keeps the dehydrated tier, as its text is then present only in part.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import sqlite3
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePosixPath

import pyarrow as pa
import pyarrow.parquet as pq

from archive._version import __version__
from archive.errors import Problem, ReleaseExistsError, UsageError, VerificationError
from archive.format import boundedjson
from archive.format.manifest import (
    QUARANTINE_FILE,
    checked_manifest,
    file_entries,
    file_sha256,
    require_release,
    write_manifest,
)
from archive.format.parquetio import (
    PARQUET_ERRORS,
    iter_batches,
    iter_row_groups,
    write_parquet,
    write_parquet_batches,
)
from archive.format.schema import RECORD_ARROW_SCHEMA, schema_problems
from archive.inspect import read_manifest, record_shards, shard_batches, unreadable_shard
from archive.model import BODY_KINDS
from archive.relations.model import QUOTING_KINDS, WITHHELD_KEY, evidence_sha256, is_withheld
from archive.relations.table import RELATIONS_ARROW_SCHEMA, relation_batches, unreadable
from archive.release.plan import record_id
from archive.settings import PackSettings
from archive.text.normalize import body_text, sha256_text
from archive.versions.diff import CHANGES_FILE, write_changes_file

Progress = Callable[[str, int, int | None], None]
SUFFIX = "rehydrated"
_FILLED = ("text", "capture_text")


@dataclass(frozen=True)
class Mismatch:
    """A record whose capture was found but does not give the recorded text.

    ``reason`` is ``"bytes"`` (a capture at the record's path has other bytes), ``"text"``
    (the same bytes decode or extract to another text: other settings, capture log or
    extractor) or ``"quarantined: <reason>"`` (the same bytes, which the repack quarantined:
    a capture-log line it could not use, say). ``source_path`` is the capture that was compared.
    """

    record_id: str
    reason: str
    source_path: str


@dataclass(frozen=True)
class RehydrateResult:
    """What a rehydration wrote and found. Each record is in exactly one of ``matched``,
    ``changed`` and ``missing``; ``withheld`` lists the matched records whose text stays out
    (their redistribution is ``metadata-only``); ``unused`` counts repacked captures that no
    record asked for."""

    path: Path
    manifest: dict
    matched: tuple[str, ...]
    changed: tuple[Mismatch, ...]
    missing: tuple[str, ...]
    withheld: tuple[str, ...] = ()
    from_spans: int = 0
    unused: int = 0
    relations_restored: int = 0
    relations_withheld: int = 0
    errors: tuple[str, ...] = ()

    @property
    def complete(self) -> bool:
        return not self.changed and not self.missing and not self.relations_withheld

    def as_dict(self) -> dict:
        return {
            "path": str(self.path),
            "complete": self.complete,
            "counts": {
                "records": len(self.matched) + len(self.changed) + len(self.missing),
                "matched": len(self.matched),
                "changed": len(self.changed),
                "missing": len(self.missing),
                "withheld": len(self.withheld),
                "from_spans": self.from_spans,
                "unused_captures": self.unused,
                "relations_restored": self.relations_restored,
                "relations_withheld": self.relations_withheld,
            },
            "changed": [dataclasses.asdict(m) for m in self.changed],
            "missing": list(self.missing),
            "withheld": list(self.withheld),
            "errors": list(self.errors),
        }


def rehydrated_version(version: str) -> str:
    """``1.0.0`` -> ``1.0.0+rehydrated``; build metadata already there is extended."""
    return f"{version}.{SUFFIX}" if "+" in version else f"{version}+{SUFFIX}"


def rehydrate(
    dehydrated: str | Path,
    captures: str | Path | Sequence[str | Path],
    out: str | Path,
    *,
    capture_log: str | Path | None = None,
    progress: Progress | None = None,
    jobs: int = 1,
) -> RehydrateResult:
    """Rebuild the text of ``dehydrated`` from the folder(s) ``captures`` into
    ``<out>/<name>-<version>+rehydrated``.

    >>> result = rehydrate("dist/example-1.0.0", "my-captures", "dist")  # doctest: +SKIP
    >>> len(result.matched), len(result.changed), len(result.missing)  # doctest: +SKIP
    (13, 1, 1)
    """
    source = Path(dehydrated)
    roots = (
        [Path(captures)] if isinstance(captures, (str, os.PathLike)) else list(map(Path, captures))
    )
    manifest, digest = _checked_manifest(source)
    _check_files(source, manifest)
    for root in roots:
        if not root.is_dir():
            raise UsageError(f"captures {root} is not a folder")
    version = rehydrated_version(manifest["version"])
    destination = Path(out) / f"{manifest['name']}-{version}"
    if destination.exists():
        raise ReleaseExistsError(f"{destination} already exists; remove it to rehydrate again")
    # read before the repack, which takes long: a file that cannot be read is refused at once
    _check_shards(source, manifest)
    withholding = _withholding_relations(source, manifest)
    Path(out).mkdir(parents=True, exist_ok=True)
    building = Path(tempfile.mkdtemp(prefix=f".{destination.name}.partial-", dir=out))
    progress = progress or _silent
    try:
        repacked = _repack(roots, building / "repack", manifest, capture_log, progress, jobs)
        index = _Index.build(building / "index.sqlite", repacked.path)
        release = building / "release"
        outcome = _fill(source, release, manifest, index, progress)
        _restore_relations(withholding, release, manifest, index, outcome)
        outcome.unused = index.unused()
        index.close()
        whole = not outcome.changed and not outcome.missing and not outcome.relations_withheld
        tier = "full" if whole else manifest_tier(manifest)
        new_manifest = _manifest(source, release, manifest, digest, version, tier)
        write_manifest(release, new_manifest)
        try:
            os.rename(release, destination)
        except OSError as exc:
            raise ReleaseExistsError(f"{destination} appeared meanwhile ({exc.strerror})") from None
    finally:
        shutil.rmtree(building, ignore_errors=True)
    return RehydrateResult(
        destination,
        new_manifest,
        tuple(outcome.matched),
        tuple(outcome.changed),
        tuple(outcome.missing),
        tuple(outcome.withheld),
        outcome.from_spans,
        outcome.unused,
        outcome.relations_restored,
        outcome.relations_withheld,
        repacked.warnings,
    )


def _silent(stage: str, done: int, total: int | None) -> None:
    pass


def _checked_manifest(release: Path) -> tuple[dict, str]:
    """The dehydrated release's manifest, refused when it does not match its digest."""
    return checked_manifest(require_release(release))


def _check_files(release: Path, manifest: dict) -> None:
    """Refuse a dehydrated release whose files are not the ones its manifest lists: the
    rehydrated release is hashed anew, so an edit made here would otherwise pass as verified.
    The first such file is named (``archive verify`` lists them all)."""
    for entry in manifest["files"]:
        try:
            found, _ = file_sha256(release / _safe(entry["path"]))
        except OSError as exc:
            message = f"cannot be read ({exc.strerror}); run archive verify"
            raise VerificationError([Problem("E005", entry["path"], message)]) from None
        if found != entry["sha256"]:
            message = "content differs; run archive verify"
            problem = Problem("E007", entry["path"], message, entry["sha256"], found)
            raise VerificationError([problem])


def _check_shards(release: Path, manifest: dict) -> None:
    """Refuse, in one line, a record shard that cannot be read, has columns of other types or
    holds a string that is not UTF-8 (E009, E010), before the repack: the old code met the
    string only when writing CHANGES.json, after all the work, and copied the columns into
    a release that verify rejects."""
    shards = [release / relative for relative in record_shards(manifest)]
    for path in shards:  # every column, in order, none more: they are copied as they are
        try:
            problems = schema_problems(pq.read_schema(path))
        except PARQUET_ERRORS as exc:
            raise unreadable_shard(path, exc) from None
        if problems:
            raise unreadable_shard(path, ValueError(problems[0]))
    for _ in shard_batches(shards, RECORD_ARROW_SCHEMA.names, typed=False):  # typed above
        pass


def pack_settings_of(manifest: dict, *, jobs: int = 1) -> PackSettings:
    """The ``PackSettings`` a release was packed with (from its manifest), for the full tier."""
    recorded = dict(manifest.get("settings") or {})
    known = {f.name for f in dataclasses.fields(PackSettings)}
    options = {k: v for k, v in recorded.items() if k in known and k not in _NOT_REPLAYED}
    if isinstance(options.get("domain_outlets"), dict):
        options["domain_outlets"] = tuple(sorted(options["domain_outlets"].items()))
    for key, value in list(options.items()):
        if isinstance(value, list):
            options[key] = tuple(tuple(v) if isinstance(v, list) else v for v in value)
    if "tier" in known:
        options["tier"] = "full"
    created = datetime.fromisoformat(manifest["created"].replace("Z", "+00:00"))
    return PackSettings(manifest["name"], manifest["version"], created, jobs=jobs, **options)


# Chosen per run, not replayed: the shard layout of the temporary pack does not matter.
_NOT_REPLAYED = frozenset({"name", "version", "created", "jobs", "shards", "tier", "withdrawals"})


def _repack(roots, work: Path, manifest: dict, capture_log, progress: Progress, jobs: int):
    """The pack of the captures with the release's settings: its path, and its errors (a
    capture-log line it could not use), which the rehydration reports as its own."""
    from archive.release.pack import pack

    settings = pack_settings_of(manifest, jobs=jobs)
    return pack(roots, work, settings, capture_log=capture_log, parent=None, progress=progress)


class _Index:
    """The repacked captures by ``raw_sha256`` and ``record_id``, on disk so memory stays flat
    whatever the number of captures."""

    def __init__(self, db: sqlite3.Connection):
        self.db = db
        self.used: set[int] = set()

    @classmethod
    def build(cls, path: Path, release: Path) -> _Index:
        db = sqlite3.connect(path)
        db.execute(
            "CREATE TABLE capture (n INTEGER PRIMARY KEY, record_id TEXT, raw_sha256 TEXT, "
            "text_sha256 TEXT, capture_text_sha256 TEXT, source_path TEXT, text TEXT, "
            "capture_text TEXT)"
        )
        columns = ["record_id", "raw_sha256", "text_sha256", "capture_text_sha256", "capture"]
        columns += list(_FILLED)
        for relative in record_shards(read_manifest(release)):
            for batch in iter_batches(release / relative, columns):
                db.executemany(
                    "INSERT INTO capture (record_id, raw_sha256, text_sha256, "
                    "capture_text_sha256, source_path, text, capture_text) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (
                        (
                            row["record_id"],
                            row["raw_sha256"],
                            row["text_sha256"],
                            row["capture_text_sha256"],
                            row["capture"]["source_path"],
                            row["text"],
                            row["capture_text"],
                        )
                        for row in batch.to_pylist()
                    ),
                )
        db.execute("CREATE INDEX by_raw ON capture (raw_sha256)")
        db.execute("CREATE INDEX by_id ON capture (record_id)")
        db.execute("CREATE TABLE matched (repacked TEXT PRIMARY KEY, record_id TEXT)")
        _file_relations(db, release)
        _file_quarantine(db, release)
        db.commit()
        return cls(db)

    def match(self, n: int, record_id: str) -> None:
        """Capture ``n`` of the repack gave the text of ``record_id``."""
        self.used.add(n)
        self.db.execute(
            "INSERT OR IGNORE INTO matched SELECT record_id, ? FROM capture WHERE n = ?",
            (record_id, n),
        )

    def evidence(self, kind: str, a: str, b: str) -> list[str]:
        """The evidence of the repack's relations of ``kind`` between the captures matched to
        records ``a`` and ``b``, either way round."""
        return [
            row[0]
            for row in self.db.execute(
                "SELECT r.evidence FROM relation r "
                "JOIN matched s ON s.repacked = r.source_id "
                "JOIN matched t ON t.repacked = r.target_id "
                "WHERE r.kind = ? AND ((s.record_id = ? AND t.record_id = ?) "
                "OR (s.record_id = ? AND t.record_id = ?))",
                (kind, a, b, b, a),
            )
        ]

    def by_raw(self, raw_sha256: str, record_id: str) -> list[tuple]:
        """Captures with these bytes, the one at the record's own path first."""
        return self.db.execute(
            "SELECT n, text_sha256, capture_text_sha256, source_path, text, capture_text "
            "FROM capture WHERE raw_sha256 = ? ORDER BY record_id != ?, record_id",
            (raw_sha256, record_id),
        ).fetchall()

    def at_path(self, record_id: str) -> tuple[int, str] | None:
        """The capture at the record's own path, whatever its bytes."""
        return self.db.execute(
            "SELECT n, source_path FROM capture WHERE record_id = ?", (record_id,)
        ).fetchone()

    def quarantined(self, raw_sha256: str, record_id: str, path: str) -> tuple[str, str] | None:
        """(path, reason) of a capture the repack quarantined: at the record's own path (its
        file's, or the WARC file holding it, quarantined whole), else with these bytes."""
        return self.db.execute(
            "SELECT source_path, reason FROM quarantine "
            "WHERE record_id = ? OR (source_path = ? AND whole) OR sha256 = ? "
            "ORDER BY record_id IS NOT ? AND source_path IS NOT ?, source_path LIMIT 1",
            (record_id, path, raw_sha256, record_id, path),
        ).fetchone()

    def unused(self) -> int:
        total = self.db.execute("SELECT count(*) FROM capture").fetchone()[0]
        return total - len(self.used)

    def close(self) -> None:
        self.db.close()


def _file_relations(db: sqlite3.Connection, release: Path) -> None:
    """The repack's relations whose evidence a dehydrated release withholds, on disk."""
    db.execute("CREATE TABLE relation (source_id TEXT, target_id TEXT, kind TEXT, evidence TEXT)")
    summary = read_manifest(release).get("relations") or {}
    path = release / summary["path"] if summary.get("path") else None
    if path is not None and path.is_file():
        columns = ["source_id", "target_id", "kind", "evidence"]
        for batch in iter_batches(path, columns):
            db.executemany(
                "INSERT INTO relation VALUES (?, ?, ?, ?)",
                (
                    tuple(row[c] for c in columns)
                    for row in batch.to_pylist()
                    if row["kind"] in QUOTING_KINDS
                ),
            )
    db.execute("CREATE INDEX by_pair ON relation (source_id, target_id)")


def _file_quarantine(db: sqlite3.Connection, release: Path) -> None:
    """The repack's quarantined inputs (path, the record id a file there would have, reason,
    SHA-256 of their bytes when read), on disk. An input a capture-log line holds back is
    quarantined unread, so it is found by its path."""
    db.execute(
        "CREATE TABLE quarantine (source_path TEXT, record_id TEXT, reason TEXT, sha256 TEXT, "
        "whole INTEGER)"
    )
    path = release / QUARANTINE_FILE
    if path.is_file():
        with path.open("rb") as handle:
            entries = (e for _, e, why in boundedjson.json_lines(handle) if not why)
            db.executemany(
                "INSERT INTO quarantine VALUES (?, ?, ?, ?, ?)",
                (
                    (
                        e["source_path"],
                        record_id(e["source_path"]),
                        e["reason"],
                        e["sha256"],
                        e["offset"] is None,  # the whole file, not one of its WARC records
                    )
                    for e in entries
                ),
            )
    db.execute("CREATE INDEX by_sha ON quarantine (sha256)")
    db.execute("CREATE INDEX by_quarantined_id ON quarantine (record_id)")
    db.execute("CREATE INDEX by_quarantined_path ON quarantine (source_path)")


@dataclass
class _Outcome:
    matched: list[str] = dataclasses.field(default_factory=list)
    changed: list[Mismatch] = dataclasses.field(default_factory=list)
    missing: list[str] = dataclasses.field(default_factory=list)
    withheld: list[str] = dataclasses.field(default_factory=list)
    from_spans: int = 0
    unused: int = 0
    relations_restored: int = 0
    relations_withheld: int = 0


def _fill(source: Path, release: Path, manifest: dict, index: _Index, progress) -> _Outcome:
    """Write every shard of ``source`` into ``release`` with the verified text filled in, and
    copy the release's other files (not the ones derived from its manifest)."""
    outcome = _Outcome()
    shards = record_shards(manifest)
    (release / "data").mkdir(parents=True)
    progress("rehydrate", 0, len(shards))
    for done, relative in enumerate(shards, start=1):
        table = pq.read_table(source / relative, use_threads=False)
        texts = [_text_for(row, index, outcome) for row in _rows(table)]
        write_parquet(_with_texts(table, texts), release / relative)
        progress("rehydrate", done, len(shards))
    for entry in manifest["files"]:
        relative = entry["path"]
        if relative in shards or relative == CHANGES_FILE:
            continue
        target = release / _safe(relative)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source / relative, target)
    return outcome


def _restore_relations(
    path: Path | None, release: Path, manifest: dict, index: _Index, outcome: _Outcome
) -> None:
    """Rewrite the relations table at ``path`` (``_withholding_relations``) with every withheld
    evidence the repack proves restored (row group by row group, as pack wrote them, so the
    bytes are the full release's)."""
    if path is None:
        return  # nothing withheld: the copy _fill made is the table
    relative = manifest["relations"]["path"]

    def restored() -> Iterable[pa.Table]:
        for group in iter_row_groups(path):
            rows = group.to_pylist()
            for row in rows:
                if is_withheld(row["evidence"]):
                    row["evidence"] = _evidence_for(row, index, outcome)
            yield pa.Table.from_pylist(rows, schema=RELATIONS_ARROW_SCHEMA)

    write_parquet_batches(restored(), RELATIONS_ARROW_SCHEMA, release / _safe(relative))


def _withholding_relations(source: Path, manifest: dict) -> Path | None:
    """The dehydrated release's relations table when it withholds any evidence (else None),
    read whole: every batch is checked (``relation_batches``) before the table is rewritten,
    and the rehydration refused in one line when one cannot be read."""
    relative = (manifest.get("relations") or {}).get("path")
    path = source / _safe(relative) if relative else None
    if path is None or not path.is_file():
        return None
    withheld = False
    try:
        for batch in relation_batches(path):
            texts = batch.column("evidence").to_pylist()
            withheld = withheld or any(is_withheld(text) for text in texts)
    except PARQUET_ERRORS as exc:
        raise unreadable(path, exc) from None
    return path if withheld else None


def _evidence_for(row: dict, index: _Index, outcome: _Outcome) -> str:
    """The full evidence of a relation whose evidence is withheld, when a repacked relation
    between the same records hashes to it; else the withheld evidence, counted."""
    try:
        wanted = boundedjson.loads(row["evidence"]).get(WITHHELD_KEY)
    except (ValueError, AttributeError):
        wanted = None  # not the withheld form: no evidence can prove it restored
    for evidence in index.evidence(row["kind"], row["source_id"], row["target_id"]):
        if evidence_sha256(evidence) == wanted:
            outcome.relations_restored += 1
            return evidence
    outcome.relations_withheld += 1
    return row["evidence"]


def _rows(table: pa.Table) -> Iterable[dict]:
    columns = ["record_id", "raw_sha256", "text_sha256", "capture_text_sha256", "capture"]
    columns += ["spans", "redistribution", *_FILLED]
    for batch in table.select(columns).to_batches():
        yield from batch.to_pylist()


def _text_for(row: dict, index: _Index, outcome: _Outcome) -> tuple[str | None, str | None]:
    """(text, capture_text) for one record: verified against its hashes, or as it was."""
    rid = row["record_id"]
    candidates = index.by_raw(row["raw_sha256"], rid)
    for n, text_hash, capture_hash, _, text, capture_text in candidates:
        if capture_hash != row["capture_text_sha256"]:
            continue
        if row["redistribution"] == "metadata-only":
            if text_hash != row["text_sha256"]:
                continue
            outcome.withheld.append(rid)
            filled = row["text"], row["capture_text"]
        else:
            filled = _verified(text, capture_text, row, outcome)
            if filled is None:
                continue
        index.match(n, rid)
        outcome.matched.append(rid)
        return filled
    if candidates:
        index.used.add(candidates[0][0])
        outcome.changed.append(Mismatch(rid, "text", candidates[0][3]))
    elif (found := index.at_path(rid)) is not None:
        index.used.add(found[0])
        outcome.changed.append(Mismatch(rid, "bytes", found[1]))
    elif refused := index.quarantined(row["raw_sha256"], rid, row["capture"]["source_path"]):
        # its bytes are there, but the repack could not make a record of them (a capture-log
        # line it could not use): not a missing capture
        outcome.changed.append(Mismatch(rid, f"quarantined: {refused[1]}", refused[0]))
    else:
        outcome.missing.append(rid)
    return row["text"], row["capture_text"]


def _verified(text, capture_text, row: dict, outcome: _Outcome) -> tuple[str, str] | None:
    """The repacked texts if they hash to the recorded ones (the body rebuilt from the recorded
    spans when the repack extracted another), else None. Hashed here, not trusted."""
    if capture_text is None or sha256_text(capture_text) != row["capture_text_sha256"]:
        return None
    if text is not None and sha256_text(text) == row["text_sha256"]:
        return text, capture_text
    rebuilt = _from_spans(capture_text, row)
    if rebuilt is None:
        return None
    outcome.from_spans += 1
    return rebuilt, capture_text


def _from_spans(capture_text: str, row: dict) -> str | None:
    """The body rebuilt from the recorded spans, if it hashes to the recorded text."""
    text = body_from_spans(capture_text, row["spans"])
    return text if sha256_text(text) == row["text_sha256"] else None


def body_from_spans(capture_text: str, spans: list[dict] | None) -> str:
    """The body ``text`` that the body and subheading ``spans`` mark in ``capture_text`` (what
    a release states ``text`` is; ``verify`` checks it, E026)."""
    spans = spans or []
    return body_text(capture_text[s["start"] : s["end"]] for s in spans if s["kind"] in BODY_KINDS)


def _with_texts(table: pa.Table, texts: list[tuple[str | None, str | None]]) -> pa.Table:
    for position, name in enumerate(_FILLED):
        index = table.schema.get_field_index(name)
        values = pa.array([pair[position] for pair in texts], pa.string())
        table = table.set_column(index, table.schema.field(index), values)
    table = table.replace_schema_metadata(None)
    if table.schema.names == RECORD_ARROW_SCHEMA.names:
        # Parquet reads list items back as "element": cast to the schema pack writes with.
        table = table.cast(RECORD_ARROW_SCHEMA)
    return table


def _safe(relative: str) -> Path:
    """A manifest path is data: refuse one that leaves the release."""
    parts = PurePosixPath(relative).parts
    if not parts or PurePosixPath(relative).is_absolute() or ".." in parts:
        raise UsageError(f"unsafe path {relative!r} in the manifest; run archive verify")
    return Path(*parts)


def manifest_tier(manifest: dict) -> str:
    return (manifest.get("settings") or {}).get("tier", "full")


def _manifest(source: Path, release: Path, old: dict, digest: str, version: str, tier: str) -> dict:
    """The rehydrated release's manifest: the dehydrated one with its new tier and version, the
    dehydrated release as parent, and its own files."""
    manifest = dict(old)
    manifest["version"] = version
    manifest["settings"] = dict(old.get("settings") or {}) | {"tier": tier}
    manifest["generator"] = dict(old["generator"]) | {
        "version": __version__,
        "pyarrow": pa.__version__,
    }
    manifest["parent"] = {"name": old["name"], "version": old["version"], "manifest_sha256": digest}
    write_changes_file(source, release, release / CHANGES_FILE, manifest, scratch=release.parent)
    rows = {f["path"]: f["rows"] for f in old["files"] if "rows" in f}
    manifest["files"] = file_entries(release, rows)
    return manifest


__all__ = [
    "Mismatch",
    "RehydrateResult",
    "body_from_spans",
    "pack_settings_of",
    "rehydrate",
    "rehydrated_version",
]
