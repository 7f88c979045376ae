"""``diff``: what changed between two releases, record by record, and the version bump it implies.

Both releases are sorted by ``record_id`` across their shards in order, so one streaming
merge-join over the two compares them with memory bounded by a row group, whatever their size.
Only the lists of ids that differ are kept (and field details for at most ``DETAIL_LIMIT``
records). Text fields are compared by their SHA-256 columns, so a dehydrated release (no text)
diffs like a full one, and ``text`` is never read.

The versioning rules (also in the README, "Versioning rules"):

* **major**: the record schema changed (its ``$id`` or SHA-256 in the manifest), or a record left
  the release: removed, withdrawn, its tombstone dropped, or its redistribution narrowed from
  ``full`` to ``metadata-only``;
* **minor**: records were added, or another schema (manifest, quarantine) changed;
* **patch**: records were corrected (any field of a kept record changed);
* **none**: the records are the same.

In ``0.y.z`` versions every level moves down one place (a breaking change needs a minor bump,
an addition a patch bump), as Cargo does; the release of a pre-release (``1.0.0-rc.1`` to
``1.0.0``) satisfies any level.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from functools import partial
from json.encoder import encode_basestring
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from archive.errors import ArchiveError, UsageError
from archive.format import boundedjson
from archive.format.manifest import (
    CHANGES_FILE,
    MANIFEST,
    SpilledArray,
    canonical_json,
    objects_json,
    require_release,
    write_canonical_json,
)
from archive.format.parquetio import PARQUET_ERRORS
from archive.format.schema import (
    SCHEMA_NAMES,
    json_value,
    schema_file,
    schema_messages,
    validator_for,
)
from archive.inspect import record_shards, shard_batches, unreadable_shard
from archive.release.parent import read_tombstones, version_key
from archive.release.plan import shard_name

CHANGES_FORMAT = "archive-changes"
CHANGES_FORMAT_VERSION = "1.0"
DETAIL_LIMIT = 10_000
LEVELS = ("none", "patch", "minor", "major")

# Compared through their *_sha256 columns: long, and absent from a dehydrated release.
TEXT_FIELDS = {"text_sha256": "text", "capture_text_sha256": "capture_text"}
_UNREAD = frozenset(TEXT_FIELDS.values())
# Bulky evidence: reported by the SHA-256 of its canonical JSON, not by value.
DIGEST_FIELDS = frozenset({"spans", "provenance"})

_HEX64 = re.compile(r"^[0-9a-f]{64}$")
_SEMVER = re.compile(
    r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-([0-9A-Za-z.-]+))?(?:\+([0-9A-Za-z.-]+))?$"
)


@dataclass(frozen=True)
class FieldChange:
    """One field of one record that differs between two releases.

    ``digest`` is true for text fields (``text``, ``capture_text``) and bulky evidence
    (``spans``, ``provenance``): ``old`` and ``new`` are then SHA-256 hex digests, else the
    fields' JSON values. Fields of ``capture`` are named ``capture.<key>``.
    """

    field: str
    old: object
    new: object
    digest: bool = False

    def as_dict(self) -> dict:
        if self.digest:
            return {"old_sha256": self.old, "new_sha256": self.new}
        return {"old": self.old, "new": self.new}


@dataclass(frozen=True)
class RecordChange:
    """A record in both releases whose fields differ (``fields`` is never empty)."""

    record_id: str
    fields: tuple[FieldChange, ...]

    def as_dict(self) -> dict:
        return {
            "record_id": self.record_id,
            "fields": {change.field: change.as_dict() for change in self.fields},
        }


@dataclass(frozen=True)
class ReleaseRef:
    """Which release a side of a diff is; ``manifest_sha256`` is None before its manifest exists."""

    name: str | None
    version: str | None
    manifest_sha256: str | None = None

    def as_dict(self) -> dict:
        return {"name": self.name, "version": self.version, "manifest_sha256": self.manifest_sha256}


@dataclass(frozen=True)
class Diff:
    """Record-level differences between an ``old`` and a ``new`` release.

    Every id list is sorted. ``withdrawn`` holds the tombstones that ``new`` has and ``old`` has
    not (records withdrawn in between); ``removed`` the records that left without a tombstone;
    ``tombstones_dropped`` the ids of ``old`` tombstones missing from ``new``. ``changed`` lists
    every changed record, ``details`` the field changes of the first ``DETAIL_LIMIT`` of them
    (``truncated`` tells). ``fields`` counts the changed records per field. ``schemas`` holds
    the schemas whose ``$id`` or SHA-256 differ, as ``{"old": ..., "new": ...}``.
    """

    old: ReleaseRef
    new: ReleaseRef
    old_records: int
    new_records: int
    added: tuple[str, ...]
    removed: tuple[str, ...]
    withdrawn: tuple[dict, ...]
    changed: tuple[str, ...]
    details: tuple[RecordChange, ...]
    unchanged: int
    fields: Mapping[str, int] = field(default_factory=dict)
    narrowed: tuple[str, ...] = ()
    tombstones_dropped: tuple[str, ...] = ()
    schemas: Mapping[str, dict] = field(default_factory=dict)
    columns_added: tuple[str, ...] = ()
    columns_removed: tuple[str, ...] = ()
    tiers: tuple[str | None, str | None] = (None, None)

    @property
    def truncated(self) -> bool:
        return len(self.details) < len(self.changed)

    @property
    def counts(self) -> dict:
        return {
            "old_records": self.old_records,
            "new_records": self.new_records,
            "added": len(self.added),
            "removed": len(self.removed),
            "withdrawn": len(self.withdrawn),
            "changed": len(self.changed),
            "unchanged": self.unchanged,
            "narrowed": len(self.narrowed),
            "tombstones_dropped": len(self.tombstones_dropped),
        }


def diff(
    old: str | Path,
    new: str | Path,
    *,
    new_manifest: dict | None = None,
    limit: int = DETAIL_LIMIT,
    executor=None,
) -> Diff:
    """Compare the releases ``old`` and ``new`` record by record.

    ``new`` may be a release still being built (no ``manifest.json`` yet): its shards are then
    found under ``data/``, and ``new_manifest`` (if given) names its version and schemas.
    With an ``executor`` (see :mod:`archive.runtime.executors`), releases cut into the same
    number of shards are compared a shard pair per task, with the same answer.

    >>> d = diff("dist/example-1.0.0", "dist/example-1.1.0")  # doctest: +SKIP
    >>> d.counts["added"], implied_bump(d)  # doctest: +SKIP
    (3, 'minor')
    """
    return _compared(Path(old), Path(new), new_manifest, limit, executor)


def _compared(
    old: Path,
    new: Path,
    new_manifest: dict | None,
    limit: int,
    executor,
    spill: _Spill | None = None,
) -> Diff:
    """``diff``; with ``spill``, its id lists are written to files as the merge runs, and come
    back as ``SpilledArray`` values, never held whole."""
    old_side, new_side = _side(old), _side(new, new_manifest)
    old_tombs, new_tombs = _tombstones(old_side.path), _tombstones(new_side.path)
    fresh = {rid: t for rid, t in new_tombs.items() if rid not in old_tombs}
    old_schema, new_schema = _schema(old_side), _schema(new_side)
    old_columns = old_schema.names if old_schema else []
    new_columns = new_schema.names if new_schema else []
    common = [c for c in new_columns if c in old_columns and c not in _UNREAD]
    if new_columns and old_columns and "record_id" not in common:
        raise ArchiveError("record_id is missing from a release's records; run archive verify")
    merge = _Merge(common, _by_value(common, old_schema, new_schema), frozenset(fresh), limit)
    by_shard = None
    if executor is not None:
        by_shard = _merged_by_shard(merge, executor, old_side, new_side, spill)
    if by_shard is None:
        if spill is not None:
            spill.clear()  # what the pairs shed before they gave way to the whole merge
        merge.spill = spill
        merge.run(_Cursor(old_side, merge.columns), _Cursor(new_side, merge.columns))
    else:
        merge = by_shard
    lists = spill.arrays(merge) if spill is not None else merge.id_lists()
    return Diff(
        old=old_side.ref,
        new=new_side.ref,
        old_records=merge.old_count,
        new_records=merge.new_count,
        added=lists["added"],
        removed=lists["removed"],
        # a record withdrawn in the version that would have added it never left a release
        withdrawn=tuple(fresh[rid] for rid in sorted(fresh) if rid in merge.withdrawn_seen),
        changed=lists["changed"],
        details=tuple(merge.details),
        unchanged=merge.unchanged,
        fields=dict(sorted(merge.per_field.items())),
        narrowed=lists["narrowed"],
        tombstones_dropped=tuple(sorted(rid for rid in old_tombs if rid not in new_tombs)),
        schemas=_schema_changes(old_side.schemas, new_side.schemas),
        columns_added=tuple(c for c in new_columns if c not in old_columns),
        columns_removed=tuple(c for c in old_columns if c not in new_columns),
        tiers=(old_side.tier, new_side.tier),
    )


def _by_value(columns: list[str], old_schema, new_schema) -> frozenset[str]:
    """The columns whose Arrow types differ: Arrow cannot compare them, so they are compared
    by value."""
    if not old_schema or not new_schema:
        return frozenset()
    return frozenset(
        c
        for c in columns
        if c != "record_id" and not old_schema.field(c).type.equals(new_schema.field(c).type)
    )


def _merged_by_shard(
    template: _Merge, executor, old: _Side, new: _Side, spill: _Spill | None = None
) -> _Merge | None:
    """The merge of the releases a shard pair per task, when both are cut into the same shards
    (the same count, each named for its id range), each shard is in order and every id of a
    shard sorts before every id of the next, on both sides: the whole merge then meets the ids
    in the same order. None otherwise, for the caller to merge them whole, which also names
    the first id out of place. The parts are joined in shard order as they come, and a part's
    details are let go once the limit is met, so at most a few parts' are held at once."""
    count = _shard_count(old)
    if count is None or count < 2 or _shard_count(new) != count:
        return None
    joined = _Joined(template, spill)
    folder = None if spill is None else spill.folder
    for shard, part, span in executor.map(shard_merge, range(count), old, new, template, folder):
        joined.add(shard, part, span)  # every task is waited for, even after one failed
    return joined.merge if joined.fits and joined.following == count else None


class _Joined:
    """Parts of a merge by shard, absorbed in shard order while their id spans keep apart."""

    def __init__(self, template: _Merge, spill: _Spill | None = None):
        self.merge = template.fresh()
        self.spill = spill
        self.waiting: dict[int, tuple[_Merge, tuple[str, str] | None]] = {}
        self.following = 0
        self.highest = ""  # no id is empty: a cursor refuses one
        self.fits = True

    def add(self, shard: int, part: _Merge | None, span: tuple[str, str] | None) -> None:
        if part is None:
            self.fits = False
        if not self.fits:
            self.waiting.clear()
            return
        if len(self.merge.details) >= self.merge.limit:
            part.details.clear()  # every later detail is past the limit
        self.waiting[shard] = (part, span)
        while self.fits and self.following in self.waiting:
            part, span = self.waiting.pop(self.following)
            if span is not None:
                self.fits = self.highest < span[0]
                self.highest = span[1]
            self.merge.absorb(part)
            if self.spill is not None:  # then every part spilled its ids (shard_merge)
                self.spill.append(part.spill)
            self.following += 1


def _shard_count(side: _Side) -> int | None:
    """The shard count of a release whose shards are exactly ``data/records-K-of-N`` for K in
    ``range(N)``, else None."""
    count = len(side.shards)
    names = tuple(f"data/{shard_name(k, count)}" for k in range(count))
    return count if side.shards == names else None


def shard_merge(
    shard: int, old: _Side, new: _Side, template: _Merge, spill_folder: Path | None = None
) -> tuple[int, _Merge | None, tuple[str, str] | None]:
    """Task: (``shard``, the merge of that shard of both releases, the lowest and highest id
    of either in it, None when it holds none). The merge is None when an id is out of order
    or the shard cannot be read: the whole merge then raises what it meets first, as without
    tasks. (An id outside its shard's range needs no check here: the joining finds it out of
    the order of the shards.) With ``spill_folder`` (on the disk the task reads the releases
    from), the merge's id lists are written to files of its own there, not handed back."""
    merge = template.fresh()
    old_part = replace(old, shards=(old.shards[shard],))
    new_part = replace(new, shards=(new.shards[shard],))
    if spill_folder is not None:
        part_folder = spill_folder / f"shard-{shard:05d}"
        part_folder.mkdir(exist_ok=True)  # a task run again (Ray retries one): its files emptied
        merge.spill = _Spill(part_folder)
    try:
        cursors = (_Cursor(old_part, merge.columns), _Cursor(new_part, merge.columns))
        merge.run(*cursors)
    except Exception:
        return shard, None, None
    if merge.spill is not None:
        merge.spill.shed(merge)
    ends = [(c.first, c.last) for c in cursors if c.first is not None]
    return shard, merge, (min(e[0] for e in ends), max(e[1] for e in ends)) if ends else None


class _Cursor:
    """A release's rows in ``record_id`` order, one bounded batch in memory at a time;
    refuses ids out of order (the merge would be wrong)."""

    def __init__(self, side: _Side, columns: list[str]):
        self.side = side
        self._batches = self._read(["record_id", *columns])
        self.batch: pa.RecordBatch | None = None
        self.ids: list[str] = []
        self.pos = 0
        self.count = 0
        self.first: str | None = None
        self.last = ""
        self._load()

    def _read(self, columns: list[str]) -> Iterator[tuple[str, pa.RecordBatch]]:
        for relative in self.side.shards:  # a shard it cannot read is named in one line
            for batch in shard_batches([self.side.path / relative], columns, typed=False):
                yield relative, batch

    def _load(self) -> None:
        for relative, batch in self._batches:
            if batch.num_rows == 0:
                continue
            ids = batch.column("record_id").to_pylist()
            previous = self.last
            for rid in ids:
                if rid is None or rid <= previous:
                    raise ArchiveError(
                        f"{self.side.path / relative}: record {rid} out of order; "
                        f"run archive verify {self.side.path}"
                    )
                previous = rid
            self.first = self.first or ids[0]
            self.batch, self.ids, self.pos, self.last = batch, ids, 0, previous
            return
        self.batch, self.ids, self.pos = None, [], 0

    @property
    def done(self) -> bool:
        return self.batch is None

    @property
    def id(self) -> str:
        return self.ids[self.pos]

    def step(self, rows: int = 1) -> None:
        self.pos += rows
        self.count += rows
        if self.pos >= len(self.ids):
            self._load()


class _Merge:
    """The merge-join's state: ids seen on one side only, and the records that differ.

    Rows with the same id in both releases come in runs; a run is compared column by column
    with Arrow (``Array.equals`` on slices) and split in halves only where it differs, so the
    cost of unchanged records stays in C++ and Python sees only the changed rows.
    """

    def __init__(self, columns, by_value: frozenset[str], withdrawn: frozenset[str], limit: int):
        self.columns = [c for c in columns if c != "record_id"]
        self.by_value = by_value
        self.withdrawn = withdrawn
        self.withdrawn_seen: set[str] = set()  # of ``withdrawn``, those the old release held
        self.limit = limit
        self.added: list[str] = []
        self.removed: list[str] = []
        self.changed: list[str] = []
        self.narrowed: list[str] = []
        self.details: list[RecordChange] = []
        self.per_field: Counter = Counter()
        self.unchanged = self.old_count = self.new_count = 0
        self.spill: _Spill | None = None  # where the ids go: a task's part spills to its own

    def fresh(self) -> _Merge:
        """A merge of the same columns, withdrawals and limit, with nothing merged yet."""
        return _Merge(self.columns, self.by_value, self.withdrawn, self.limit)

    def absorb(self, later: _Merge) -> None:
        """Add the merge of the ids after this one's, as if merged in the same run."""
        self.added += later.added
        self.removed += later.removed
        self.withdrawn_seen |= later.withdrawn_seen
        self.changed += later.changed
        self.narrowed += later.narrowed
        self.details += later.details[: max(0, self.limit - len(self.details))]
        self.per_field.update(later.per_field)
        self.unchanged += later.unchanged
        self.old_count += later.old_count
        self.new_count += later.new_count

    def run(self, old: _Cursor, new: _Cursor) -> None:
        while not old.done or not new.done:
            if new.done or (not old.done and old.id < new.id):
                if old.id in self.withdrawn:
                    self.withdrawn_seen.add(old.id)
                else:
                    self.removed.append(old.id)
                old.step()
            elif old.done or new.id < old.id:
                self.added.append(new.id)
                new.step()
            else:
                rows = 1
                most = min(len(old.ids) - old.pos, len(new.ids) - new.pos)
                while rows < most and old.ids[old.pos + rows] == new.ids[new.pos + rows]:
                    rows += 1
                self._compare(old, old.pos, new, new.pos, rows)
                old.step(rows)
                new.step(rows)
            if (
                self.spill is not None
                and len(self.added) + len(self.removed) + len(self.changed) >= SHED_IDS
            ):
                self.spill.shed(self)
        self.old_count, self.new_count = old.count, new.count

    def id_lists(self) -> dict[str, tuple[str, ...]]:
        return {name: tuple(getattr(self, name)) for name in _ID_LISTS}

    def _compare(
        self,
        old: _Cursor,
        at_old: int,
        new: _Cursor,
        at_new: int,
        rows: int,
        columns: list[str] | None = None,
    ) -> None:
        """Compare a run of ``rows`` rows; its halves compare only the ``columns`` that differ
        over the whole run (a column equal over a run is equal over every part of it)."""
        columns = self._differing(old.batch, at_old, new.batch, at_new, rows, columns)
        if not columns:
            self.unchanged += rows
        elif rows == 1:
            self._record(old.ids[at_old], old.batch, at_old, new.batch, at_new)
        else:
            half = rows // 2
            self._compare(old, at_old, new, at_new, half, columns)
            self._compare(old, at_old + half, new, at_new + half, rows - half, columns)

    def _differing(
        self, old, at_old: int, new, at_new: int, rows: int, columns: list[str] | None
    ) -> list[str]:
        """Of ``columns`` (default: every compared column), those that differ over the run."""
        found = []
        for name in self.columns if columns is None else columns:
            before = old.column(name).slice(at_old, rows)
            after = new.column(name).slice(at_new, rows)
            if name in self.by_value:
                if before.to_pylist() != after.to_pylist():
                    found.append(name)
            elif not before.equals(after):
                found.append(name)
        return found

    def _record(self, rid: str, old, at_old: int, new, at_new: int) -> None:
        before = {n: old.column(n)[at_old].as_py() for n in self.columns}
        after = {n: new.column(n)[at_new].as_py() for n in self.columns}
        changes = field_changes(before, after)
        if not changes:
            self.unchanged += 1  # equal values in differently typed columns
            return
        self.changed.append(rid)
        self.per_field.update(change.field for change in changes)
        if (before.get("redistribution"), after.get("redistribution")) == (
            "full",
            "metadata-only",
        ):
            self.narrowed.append(rid)
        if len(self.details) < self.limit:
            self.details.append(RecordChange(rid, changes))


# The id lists of a merge, in its order; ``narrowed`` is part of ``changed``.
_ID_LISTS = ("added", "removed", "changed", "narrowed")
# Ids a merge (the whole one, or a shard pair's) holds before it sheds them into its spill.
SHED_IDS = 10_000


class _Spill:
    """A merge's id lists, written to files in ``folder`` as the merge goes: a release of
    millions of records changed, added or removed holds none of them at once, and CHANGES.json
    is written from the files. Each id is written as canonical JSON writes an array element."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.paths = {name: folder / f"{name}.txt" for name in _ID_LISTS}
        self.clear()

    def shed(self, merge: _Merge) -> None:
        """Move the ids ``merge`` holds to the files (the merge keeps none)."""
        for name in _ID_LISTS:
            ids = getattr(merge, name)
            if ids:
                with open(self.paths[name], "a", encoding="utf-8", newline="\n") as handle:
                    handle.write("\n".join(map(encode_basestring, ids)) + "\n")
                self.counts[name] += len(ids)
                ids.clear()

    def append(self, part: _Spill) -> None:
        """Add a shard's spilled lists after these (its files are then removed)."""
        for name in _ID_LISTS:
            if part.counts[name]:
                with open(part.paths[name], "rb") as source, open(self.paths[name], "ab") as out:
                    shutil.copyfileobj(source, out)
                self.counts[name] += part.counts[name]
            part.paths[name].unlink()

    def clear(self) -> None:
        for path in self.paths.values():
            path.write_bytes(b"")
        self.counts: Counter = Counter()

    def arrays(self, merge: _Merge) -> dict[str, SpilledArray]:
        """The lists, once ``merge`` has ended (what it still holds is shed first)."""
        self.shed(merge)
        return {name: SpilledArray(path, self.counts[name]) for name, path in self.paths.items()}


@dataclass(frozen=True)
class _Side:
    path: Path
    ref: ReleaseRef
    shards: tuple[str, ...]
    schemas: dict
    tier: str | None


def _side(path: Path, manifest: dict | None = None) -> _Side:
    """A release as diff reads it: from its manifest, or from its folder while it is built."""
    if manifest is None:
        require_release(path)  # only a release still being built comes with its manifest
    elif not path.is_dir():
        raise UsageError(f"{path} is not a release folder")
    digest = None
    if manifest is None and (path / MANIFEST).is_file():
        data = (path / MANIFEST).read_bytes()
        try:
            manifest = boundedjson.loads(data)
        except ValueError as exc:
            raise UsageError(f"{path / MANIFEST}: not JSON ({exc})") from None
        digest = hashlib.sha256(data).hexdigest()
    manifest = manifest or {}
    if "files" in manifest:
        shards = tuple(record_shards(manifest))
        for relative in shards:
            if not (path / relative).is_file():
                raise UsageError(f"{path}: {relative} is missing; run archive verify")
    else:
        shards = tuple(p.relative_to(path).as_posix() for p in _found_shards(path))
    schemas = manifest.get("schemas") or _schemas_in(path)
    settings = manifest.get("settings") or {}
    ref = ReleaseRef(manifest.get("name"), manifest.get("version"), digest)
    return _Side(path, ref, shards, schemas, settings.get("tier", "full" if settings else None))


def _found_shards(path: Path) -> list[Path]:
    return sorted((path / "data").glob("records-*.parquet"))


def _schemas_in(path: Path) -> dict:
    """The schemas a release without a manifest follows: its copies in ``schemas/``, else the
    ones this package writes."""
    found = {}
    for name in SCHEMA_NAMES:
        copy = path / "schemas" / f"{name}.schema.json"
        if copy.is_file():
            data = copy.read_bytes()
            found[name] = {
                "$id": boundedjson.loads(data).get("$id"),
                "sha256": hashlib.sha256(data).hexdigest(),
            }
        else:
            packaged = schema_file(name)
            found[name] = {"$id": packaged.id, "sha256": packaged.sha256}
    return found


def _schema_changes(old: dict, new: dict) -> dict:
    changes = {}
    for name in sorted(set(old) | set(new)):
        before, after = _identity(old.get(name)), _identity(new.get(name))
        if before != after:
            changes[name] = {"old": before, "new": after}
    return changes


def _identity(entry: dict | None) -> dict | None:
    return None if entry is None else {"$id": entry.get("$id"), "sha256": entry.get("sha256")}


def _schema(side: _Side) -> pa.Schema | None:
    if not side.shards:
        return None
    try:
        return pq.read_schema(side.path / side.shards[0])
    except PARQUET_ERRORS as exc:
        raise unreadable_shard(side.path / side.shards[0], exc) from None


def _tombstones(release: Path) -> dict[str, dict]:
    """record_id -> tombstone of ``withdrawn.jsonl`` (absent: none)."""
    return {tombstone["record_id"]: tombstone for tombstone in read_tombstones(release)}


def field_changes(old: dict, new: dict) -> tuple[FieldChange, ...]:
    """The fields in which two rows of one record differ, in column order."""
    changes = []
    for name, before in old.items():
        after = new.get(name)
        if name == "record_id" or before == after:
            continue
        if name in TEXT_FIELDS:
            changes.append(FieldChange(TEXT_FIELDS[name], before, after, digest=True))
        elif name in DIGEST_FIELDS:
            changes.append(FieldChange(name, _digest(before), _digest(after), digest=True))
        elif name == "capture" and isinstance(before, dict) and isinstance(after, dict):
            for key in sorted(set(before) | set(after)):
                if before.get(key) != after.get(key):
                    changes.append(
                        FieldChange(
                            f"capture.{key}",
                            json_value(before.get(key)),
                            json_value(after.get(key)),
                        )
                    )
        else:
            changes.append(FieldChange(name, json_value(before), json_value(after)))
    return tuple(changes)


def _digest(value) -> str | None:
    if value is None:
        return None
    # spans and provenance are lists of objects of JSON scalars, which json_value leaves as
    # they are: their canonical form is made without it
    text = objects_json(value)
    return hashlib.sha256(canonical_json(json_value(value)) if text is None else text).hexdigest()


# --- versioning ---------------------------------------------------------------------------


def bump_reasons(
    d: Diff, old_manifest: dict | None = None, new_manifest: dict | None = None
) -> list[tuple[str, str]]:
    """(level, reason) for every rule of the versioning rules that the diff meets.

    The manifests, when given, decide the schema rules; otherwise the schemas the diff read.
    """
    schemas = d.schemas
    if old_manifest is not None and new_manifest is not None:
        schemas = _schema_changes(old_manifest.get("schemas", {}), new_manifest.get("schemas", {}))
    reasons = []
    if "record" in schemas:
        reasons.append(("major", "the record schema changed"))
    for count, what in (
        (len(d.removed), "record(s) removed"),
        (len(d.withdrawn), "record(s) withdrawn"),
        (len(d.tombstones_dropped), "tombstone(s) dropped"),
        (len(d.narrowed), "record(s) narrowed from full to metadata-only redistribution"),
    ):
        if count:
            reasons.append(("major", f"{count} {what}"))
    others = sorted(name for name in schemas if name != "record")
    if others:
        reasons.append(("minor", f"the {', '.join(others)} schema changed"))
    if d.added:
        reasons.append(("minor", f"{len(d.added)} record(s) added"))
    if d.changed:
        reasons.append(("patch", f"{len(d.changed)} record(s) corrected"))
    return reasons


def implied_bump(
    d: Diff, old_manifest: dict | None = None, new_manifest: dict | None = None
) -> str:
    """The bump the versioning rules require: ``'major'``, ``'minor'``, ``'patch'`` or
    ``'none'``."""
    levels = [LEVELS.index(level) for level, _ in bump_reasons(d, old_manifest, new_manifest)]
    return LEVELS[max(levels, default=0)]


def _parsed(version: str) -> tuple[int, int, int, str | None] | None:
    match = _SEMVER.match(version or "")
    if not match:
        return None
    major, minor, patch, pre, _ = match.groups()
    return int(major), int(minor), int(patch), pre


def chosen_bump(old_version: str, new_version: str) -> str | None:
    """Which number ``old_version`` -> ``new_version`` raises (``'none'``: the same numbers);
    None when either is not a semantic version."""
    old, new = _parsed(old_version), _parsed(new_version)
    if old is None or new is None:
        return None
    for level, before, after in zip(("major", "minor", "patch"), old[:3], new[:3], strict=True):
        if after != before:
            return level if after > before else "none"
    return "none"


def next_version(version: str, level: str) -> str | None:
    """The first version after ``version`` at ``level`` (``'major'``: 2.0.0 after 1.4.2)."""
    parsed = _parsed(version)
    if parsed is None or level == "none":
        return None
    major, minor, patch, _ = parsed
    return {
        "major": f"{major + 1}.0.0",
        "minor": f"{major}.{minor + 1}.0",
        "patch": f"{major}.{minor}.{patch + 1}",
    }[level]


def bump_warning(old_version: str, new_version: str, implied: str) -> str | None:
    """A warning when ``new_version`` contradicts the ``implied`` bump from ``old_version``;
    None when it agrees (a larger bump than required agrees).

    >>> bump_warning("1.0.0", "1.0.1", "minor")
    '1.0.0 -> 1.0.1 is a patch bump, but the changes imply a minor bump: use 1.1.0 or later'
    >>> bump_warning("1.0.0", "2.0.0", "minor") is None
    True
    """
    old, new = _parsed(old_version), _parsed(new_version)
    if old is None or new is None:
        bad = old_version if old is None else new_version
        return f"{bad!r} is not a semantic version (MAJOR.MINOR.PATCH); bumps cannot be checked"
    if version_key(new_version) < version_key(old_version):
        return f"{new_version} comes before {old_version}: a new version must be higher"
    if version_key(new_version) == version_key(old_version):
        if implied == "none":
            return None
        return (
            f"{new_version} is the same version as {old_version}, but the changes imply a "
            f"{implied} bump"
        )
    if old[3] is not None and new[:3] == old[:3]:
        return None  # releasing (or advancing) a pre-release satisfies any level
    required = _required(implied, old)
    chosen = chosen_bump(old_version, new_version)
    if LEVELS.index(chosen) >= LEVELS.index(required):
        return None
    suggestion = next_version(old_version, required)
    return (
        f"{old_version} -> {new_version} is a {chosen} bump, but the changes imply a {implied} "
        f"bump: use {suggestion} or later"
    )


def _required(implied: str, old: tuple[int, int, int, str | None]) -> str:
    """The number that must rise: in 0.y.z everything moves down one place."""
    if old[0] == 0 and implied in ("major", "minor"):
        return "minor" if implied == "major" else "patch"
    return implied


# --- the JSON form: `archive diff --json` and CHANGES.json ----------------------------------


def diff_dict(d: Diff, old_manifest: dict | None = None, new_manifest: dict | None = None) -> dict:
    """The JSON form of a diff, as ``archive diff --json`` prints it and CHANGES.json holds it."""
    reasons = bump_reasons(d, old_manifest, new_manifest)
    implied = LEVELS[max((LEVELS.index(level) for level, _ in reasons), default=0)]
    warning = None
    if d.old.version and d.new.version:
        warning = bump_warning(d.old.version, d.new.version, implied)
    return {
        "format": CHANGES_FORMAT,
        "format_version": CHANGES_FORMAT_VERSION,
        "old": d.old.as_dict(),
        "new": d.new.as_dict(),
        "counts": d.counts,
        "bump": {
            "implied": implied,
            "chosen": chosen_bump(d.old.version, d.new.version)
            if d.old.version and d.new.version
            else None,
            "reasons": [{"level": level, "reason": reason} for level, reason in reasons],
            "warning": warning,
        },
        "schemas": dict(d.schemas),
        "columns": {"added": list(d.columns_added), "removed": list(d.columns_removed)},
        "tier": {"old": d.tiers[0], "new": d.tiers[1]},
        "fields": dict(d.fields),
        "added": _listed(d.added),
        "removed": _listed(d.removed),
        "withdrawn": list(d.withdrawn),
        "tombstones_dropped": list(d.tombstones_dropped),
        "narrowed": _listed(d.narrowed),
        "changed": _listed(d.changed),
        "details": [change.as_dict() for change in d.details],
        "details_truncated": d.truncated,
    }


def _listed(ids) -> list | SpilledArray:
    return ids if isinstance(ids, SpilledArray) else list(ids)


def changes(
    parent_release: str | Path,
    child_release: str | Path,
    child_manifest: dict | None = None,
    *,
    limit: int = DETAIL_LIMIT,
    executor=None,
) -> dict:
    """The content of the child's ``CHANGES.json``: its diff from ``parent_release``.

    Called by ``pack`` once the child's shards (and ``withdrawn.jsonl``) are written but before
    its manifest exists: ``child_manifest`` (the manifest being made, or any dict with its
    ``name``, ``version``, ``schemas`` and ``settings``) names the child's version. The
    parent's manifest digest is that of its ``manifest.json``; the child's is null.
    """
    found = diff(
        parent_release, child_release, new_manifest=child_manifest, limit=limit, executor=executor
    )
    return diff_dict(found)


def write_changes_file(
    parent_release: str | Path,
    child_release: str | Path,
    target: Path,
    child_manifest: dict | None = None,
    *,
    limit: int = DETAIL_LIMIT,
    executor=None,
    scratch: Path | None = None,
) -> dict:
    """Write ``changes`` as canonical JSON at ``target``, the same bytes, with memory bounded
    whatever the count of changed records: the id lists go through files in ``scratch`` (a
    temporary folder there) and are copied into ``target`` line by line. Returns the
    ``bump`` part of the changes."""
    with tempfile.TemporaryDirectory(prefix="changes-", dir=scratch) as folder:
        data = spilled_changes(
            parent_release,
            child_release,
            Path(folder),
            child_manifest,
            limit=limit,
            executor=executor,
        )
        with open(target, "wb") as handle:
            write_canonical_json(data, handle)
    return data["bump"]


def spilled_changes(
    old: str | Path,
    new: str | Path,
    folder: Path,
    new_manifest: dict | None = None,
    *,
    limit: int = DETAIL_LIMIT,
    executor=None,
) -> dict:
    """``changes`` (``diff_dict`` of ``diff``) with its id lists as ``SpilledArray`` values,
    kept in files in ``folder`` (which must outlive the result): memory bounded whatever the
    count of records that differ."""
    found = _compared(Path(old), Path(new), new_manifest, limit, executor, _Spill(folder))
    return diff_dict(found)


def changes_overview(path: Path, lists: tuple[str, ...] = (), ids: int = 0) -> dict:
    """``counts`` and ``bump`` of the CHANGES.json at ``path``, and the first ``ids`` items of
    each of its ``lists`` (``added``, ``changed``, ...; empty when absent or not an array), read
    by :func:`streamed_changes`. ``ValueError`` also for a file without either object."""

    def kept(name: str, index: int, value: object, held: list) -> None:
        if index < ids:
            held.append(value)

    found = streamed_changes(path, frozenset({"counts", "bump"}), lists, kept)
    for name in lists:
        found.setdefault(name, [])
    for key in ("counts", "bump"):
        if not isinstance(found.get(key), dict):
            raise ValueError(f"no {key} object")
    return found


# The lists of ids (or tombstones) of CHANGES.json, which may hold millions of items.
ID_LISTS = ("added", "removed", "withdrawn", "tombstones_dropped", "narrowed", "changed")


def streamed_changes(
    path: Path,
    built: frozenset[str] | None,
    lists: tuple[str, ...],
    item: Callable[[str, int, object, list], None],
    repeated: list | None = None,
) -> dict:
    """The CHANGES.json at ``path`` in one pass of ijson's compiled parser over the whole file:
    its top-level values named in ``built`` (None: every one), except that each of ``lists``
    that is an array is held as an empty list, its items handed one by one to ``item(name,
    index, value, that list)``. A file listing millions of ids (37 MiB a million) is never
    held. It must be JSON throughout, as ``json.loads`` would have it (a key given twice
    keeps its last value; the items of an array given before are handed over all the same),
    except where yajl, the parser, departs from it: a string left open after the object, and
    vertical tab and form feed as white space, pass; an escaped lone surrogate becomes "?";
    integers past 64 bits are refused (verify, through the manifest's hash of the file, is
    what proves a CHANGES.json is the one written). ``ValueError`` for a file over
    ``MAX_MANIFEST_BYTES``, nested deeper than ``boundedjson.MAX_DEPTH``, or not a JSON object;
    ``OSError`` when it cannot be read."""
    import ijson

    if path.stat().st_size > boundedjson.MAX_MANIFEST_BYTES:
        raise ValueError(f"larger than {boundedjson.MAX_MANIFEST_BYTES} bytes")
    with open(path, "rb") as handle:
        try:
            events = ijson.basic_parse(handle, use_float=True)
            return _streamed(events, built, lists, item, repeated)
        except ijson.JSONError as exc:
            why = exc.args[0] if exc.args else exc
            why = why.decode("utf-8", "replace") if isinstance(why, bytes) else str(why)
            raise ValueError(f"not JSON ({' '.join(why.split())})") from None


def changes_problems(target: Path, add: Callable[[str], None]) -> None:
    """Each way the CHANGES.json at ``target`` breaks the changes schema, handed to ``add`` as
    one message per value (as ``schema_messages`` words them), the file read as ``log`` and
    ``report`` read it (``streamed_changes``): each item of its lists (ids, tombstones,
    details) is checked as it comes, so a list of millions is never held; the rest of the
    document is checked whole, and a top-level key given twice is a problem (a pack writes
    none; a reader keeps the last value, of which the checks would see both)."""
    schema = schema_file("changes").document
    checks = _list_item_checks(schema)
    repeated: list[str] = []

    def item(name: str, index: int, value: object, held: list) -> None:
        valid, validator = checks[name]
        if not valid(value):
            for message in schema_messages(validator.iter_errors(value), "", f"{name}/{index}"):
                add(message)

    try:
        document = streamed_changes(target, None, _CHECKED_LISTS, item, repeated)
    except OSError as exc:
        add(f"cannot be read ({exc})")
        return
    except ValueError as exc:
        why = str(exc)
        add(f"not JSON ({why})" if why.startswith("JSON nested") else why)  # as json.loads says
        return
    for key in dict.fromkeys(repeated):
        add(f"(document): key {key!r} given twice")
    for message in schema_messages(validator_for(schema).iter_errors(document), "(document)"):
        add(message)


# The lists a check of CHANGES.json takes an item at a time (details: at most DETAIL_LIMIT
# in a pack's, but a file of any length is read within bounds).
_CHECKED_LISTS = (*ID_LISTS, "details")


def _list_item_checks(schema: dict) -> dict[str, tuple[Callable[[object], bool], object]]:
    """For each list the check takes an item at a time: a quick test that passes only items
    the schema accepts (a string its pattern finds, when the item schema is no more than
    that; else none), and a validator of an item, for the messages of the others."""
    defs = schema["$defs"]
    checks = {}
    for name in _CHECKED_LISTS:
        listed = schema["properties"][name]
        if "$ref" in listed:
            listed = defs[listed["$ref"].rpartition("/")[2]]
        items = listed["items"]
        shape = defs[items["$ref"].rpartition("/")[2]] if "$ref" in items else items
        valid = _never
        if set(shape) == {"type", "pattern"} and shape["type"] == "string":
            found = re.compile(shape["pattern"]).search  # what python-jsonschema runs
            valid = partial(_string_found, found)
        checks[name] = (valid, validator_for({"$defs": defs, **items}))
    return checks


def _never(value: object) -> bool:
    return False


def _string_found(found: Callable, value: object) -> bool:
    return type(value) is str and found(value) is not None


def readable_changes(path: Path, lists: tuple[str, ...] = (), ids: int = 0) -> dict:
    """:func:`changes_overview` for a reader, its counts only those that are integers and its
    bump's reasons only when a list (what a file edited since its pack holds else is left
    out), or ``{"error": why}`` when the file cannot be read: readers say so, where they took
    it for a release without a parent."""
    try:
        found = changes_overview(path, lists, ids)
    except (OSError, ValueError) as exc:
        return {"error": " ".join(str(exc).split())}  # one line: an OSError's path may break
    found["counts"] = {k: n for k, n in found["counts"].items() if type(n) is int}
    if not isinstance(found["bump"].get("reasons", []), list):
        found["bump"] = {k: v for k, v in found["bump"].items() if k != "reasons"}
    return found


_OPENS = frozenset({"start_map", "start_array"})
_CLOSES = frozenset({"end_map", "end_array"})


def _streamed(
    events: Iterator[tuple[str, object]], built, lists, item, repeated: list | None = None
) -> dict:
    """:func:`streamed_changes` from a JSON document's parse events. ``level`` is how many
    containers hold the event (for an end, once it has closed): the top object's keys are at
    level 1, a list's items at level 2. What is built at once (a top-level value, or an item)
    is bounded by ``MAX_HELD``; a top-level key given again goes to ``repeated``."""
    from ijson.common import ObjectBuilder

    found: dict = {}
    keys: set[str] = set()
    level, top, builder, listed, index, held = 0, None, None, False, 0, 0
    for event, value in events:
        if event in _CLOSES:
            level -= 1
        if level == 0:
            if event not in ("start_map", "end_map"):
                raise ValueError("not a JSON object")
        elif level == 1 and event == "map_key":
            top, listed = value, False
            if top in keys and repeated is not None:
                repeated.append(top)
            keys.add(top)
            if len(keys) > MAX_KEYS:  # each key's value is held: their count is bounded too
                raise ValueError(f"more than {MAX_KEYS:,} keys in the top object")
            found.pop(top, None)  # a key given again keeps its last value, as json.loads
        elif listed and level == 2 and event not in _CLOSES and event not in _OPENS:
            item(top, index, value, found[top])  # a scalar item
            index += 1
        elif level == 1 and event == "start_array" and top in lists:
            listed, index, found[top] = True, 0, []
        elif (listed and level >= 2) or (not listed and (built is None or top in built)):
            if level == (2 if listed else 1) and event not in _CLOSES:  # a value begins
                builder, held = ObjectBuilder(), 0
            held += _EVENT_BYTES + (len(value) if isinstance(value, str) else 0)
            if held > MAX_HELD:
                raise ValueError(f"{top}: one value holds more than {MAX_HELD:,} bytes")
            builder.event(event, value)
            if level == (2 if listed else 1) and event not in _OPENS:  # and ends
                if listed:
                    item(top, index, builder.value, found[top])
                    index += 1
                else:
                    found[top] = builder.value
        if event in _OPENS:
            level += 1
            if level > boundedjson.MAX_DEPTH:
                raise ValueError(f"JSON nested deeper than {boundedjson.MAX_DEPTH} levels")
    return found


# What a reader of CHANGES.json holds at once: one top-level value or one item of a list (a
# pack writes at most DETAIL_LIMIT details of a few fields each), counted as its strings'
# characters and _EVENT_BYTES an event (the Python objects each becomes).
MAX_HELD = 32 * 2**20
_EVENT_BYTES = 64
MAX_KEYS = 1024  # a pack writes 18


def summary_lines(data: dict) -> list[str]:
    """A short human rendering of a diff's JSON form."""
    return list(iter_summary_lines(data))


def iter_summary_lines(data: dict) -> Iterator[str]:
    """``summary_lines`` one at a time (its id lists may be ``SpilledArray`` values)."""
    old, new, counts, bump = data["old"], data["new"], data["counts"], data["bump"]
    yield (
        f"{old['name']} {old['version']} -> {new['name']} {new['version']}: "
        f"{counts['added']} added, {counts['removed']} removed, {counts['withdrawn']} withdrawn, "
        f"{counts['changed']} changed, {counts['unchanged']} unchanged"
    )
    for name, change in data["schemas"].items():
        yield f"schema {name}: {_schema_text(change['old'])} -> {_schema_text(change['new'])}"
    for rid in data["added"]:
        yield f"+ {rid}"
    for rid in data["removed"]:
        yield f"- {rid}"
    for tombstone in data["withdrawn"]:
        yield f"W {tombstone['record_id']}  {tombstone.get('reason', '')}".rstrip()
    for record in data["details"]:
        yield f"~ {record['record_id']}"
        for name, values in record["fields"].items():
            if "old_sha256" in values:
                old_hash, new_hash = _short(values["old_sha256"]), _short(values["new_sha256"])
                yield f"    {name}: sha256 {old_hash} -> {new_hash}"
            else:
                yield f"    {name}: {_value(values['old'])} -> {_value(values['new'])}"
    if data["details_truncated"]:
        hidden = counts["changed"] - len(data["details"])
        yield f"~ ... and {hidden} more changed record(s) (see --json for every id)"
    yield f"implied bump: {bump['implied']}"
    for reason in bump["reasons"]:
        yield f"  {reason['level']}: {reason['reason']}"
    if bump["warning"]:
        yield f"warning: {bump['warning']}"


def _schema_text(entry: dict | None) -> str:
    return "none" if entry is None else f"{entry['$id']} ({_short(entry['sha256'])})"


def _short(digest: str | None) -> str:
    return "null" if digest is None else digest[:12]


def _value(value) -> str:
    if isinstance(value, str) and _HEX64.match(value):
        return _short(value)
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 120 else text[:117] + "..."


__all__ = [
    "CHANGES_FILE",
    "DETAIL_LIMIT",
    "Diff",
    "FieldChange",
    "RecordChange",
    "ReleaseRef",
    "bump_reasons",
    "bump_warning",
    "changes",
    "changes_overview",
    "streamed_changes",
    "changes_problems",
    "readable_changes",
    "chosen_bump",
    "diff",
    "diff_dict",
    "field_changes",
    "implied_bump",
    "iter_summary_lines",
    "next_version",
    "spilled_changes",
    "summary_lines",
    "write_changes_file",
]
