"""``pack``: captures in, a complete release out, or nothing at all.

The release is built in a hidden folder beside its destination and renamed into place only when
every file and the manifest are written, so a release appears whole or not at all. The stages:

walk (plan units, count sources) -> extract units -> learn furniture -> finalize shards ->
link duplicates -> relations (:mod:`archive.relation_tasks`) -> write shards -> quarantine,
schemas, manifest -> rename. For a remote ``out`` the tasks' files are beside the destination in
its bucket, and the release is assembled locally, then uploaded.
"""

from __future__ import annotations

import glob
import json
import os
import pickle
import re
import secrets
import shutil
import socket
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa

from . import __version__, storage
from .capturelog import CaptureLog
from .errors import ReleaseExistsError, UsageError
from .executor import executor_for
from .lineage import (
    WITHDRAWN_FILE,
    Parent,
    ParentIndex,
    latest_release,
    latest_version,
    open_parent,
    parent_rows,
    read_tombstones,
    write_tombstones,
)
from .manifest import (
    FORMAT,
    FORMAT_VERSION,
    QUARANTINE_FILE,
    canonical_json,
    canonical_line,
    file_entries,
    write_manifest,
)
from .model import QuarantineEntry
from .parquetio import read_ipc, write_ipc
from .plan import Unit, shard_count, units_of
from .schema import QUARANTINE_ARROW_SCHEMA, SCHEMA_NAMES, schema_file
from .settings import PackSettings, rfc3339
from .sources import InputFile, Skipped, check_root_names, root_name, walk
from .storage import RemotePath
from .tasks import (
    PackContext,
    duplicate_links,
    extract_unit,
    finalize_shard,
    gather_shard,
    learned_furniture,
    write_quarantine_fragment,
    write_shard,
)

Progress = Callable[[str, int, int | None], None]
CHANGES_FILE = "CHANGES.json"
CACHE_FOLDER = ".archive-cache"
RELATIONS_FILE = "relations/relations.parquet"
STALE_REMOTE_SECONDS = 24 * 3600


@dataclass(frozen=True)
class PackResult:
    """A written release: where it is, its manifest, the errors met on the way (bad capture-log
    lines: the release is written, but they need fixing) and notes (the parent used, version
    advice)."""

    path: Path
    manifest: dict
    warnings: tuple[str, ...] = field(default_factory=tuple)
    notes: tuple[str, ...] = field(default_factory=tuple)


def release_path(out: Path, name: str, version: str) -> Path:
    return Path(out) / f"{name}-{version}"


def pack(
    sources: Sequence[str | os.PathLike],
    out: str | os.PathLike,
    settings: PackSettings,
    *,
    capture_log: str | os.PathLike | None = None,
    parent: str | os.PathLike | None = "auto",
    progress: Progress | None = None,
    executor: str = "local",
    address: str | None = None,
) -> PackResult:
    """Pack the captures under ``sources`` into the release ``<out>/<name>-<version>``.

    Sources and ``out`` may be URLs (``s3://bucket/captures``; see :mod:`archive.storage`):
    remote captures are read by the workers that pack them, and a release for a remote
    ``out`` is built on local disk and uploaded whole (its parent, if any, downloaded first).

    ``parent`` is the release this one follows (its records are reused where nothing they were
    derived from changed, and it is linked by its manifest digest); ``"auto"`` takes the latest
    earlier version of the same name in ``out``; ``None`` starts a new history.
    ``executor`` runs the tasks: ``"local"`` (``settings.jobs`` processes) or ``"ray"`` (the Ray
    cluster at ``address``, else a Ray started here); it never changes the output.

    >>> from datetime import datetime, timezone
    >>> settings = PackSettings("example", "1.0.0", datetime(2026, 1, 1, tzinfo=timezone.utc))
    >>> result = pack(["examples/captures"], "dist", settings)  # doctest: +SKIP
    >>> result.manifest["counts"]["records"]  # doctest: +SKIP
    15
    """
    out = storage.location(out)
    options = dict(capture_log=capture_log, progress=progress, executor=executor,
                   address=address)
    # Absolute paths: workers (local processes or Ray nodes) need not share our folder.
    sources = [storage.location(s) for s in sources]
    roots = [s if storage.is_url(s) else Path(os.path.abspath(s)) for s in sources]
    for root in roots:
        if not (storage.is_folder(root) if storage.is_url(root) else root.is_dir()):
            raise UsageError(f"source {root} is not a folder")
    if not roots:
        raise UsageError("no source folder given")
    runner = executor_for(executor, settings.jobs, address)
    check_root_names(roots)
    if parent not in (None, "auto"):
        parent = storage.location(parent)
    if storage.is_url(out):
        return _pack_to_url(roots, out, settings, parent, capture_log, progress or _silent,
                            runner)
    destination = release_path(Path(out), settings.name, settings.version)
    if destination.exists():
        raise ReleaseExistsError(
            f"{destination} already exists; releases are immutable: choose a new --version"
        )
    if storage.is_url(parent):
        # checked all it could first: the download may be a whole release
        with tempfile.TemporaryDirectory(prefix="archive-parent-") as local:
            copy = Path(local) / storage.name_of(parent)
            storage.download(parent, copy)
            return pack(sources, out, settings, parent=copy, **options)
    Path(out).mkdir(parents=True, exist_ok=True)
    notes = []
    if parent == "auto":
        parent = latest_release(Path(out), settings.name, settings.version)
        if parent is not None:
            notes.append(f"parent: {parent} (the latest earlier {settings.name} in {out})")
    lineage = open_parent(Path(os.path.abspath(parent))) if parent is not None else None
    _remove_stale_partials(Path(out), destination.name)
    building = Path(os.path.abspath(out)) / _partial_name(destination.name)
    if building.exists():
        shutil.rmtree(building)
    try:
        manifest, warnings, advice = _build(
            roots, building, settings, capture_log, lineage, progress or _silent, runner
        )
        notes += advice
        try:
            os.rename(building / "release", destination)
        except OSError as exc:
            raise ReleaseExistsError(
                f"{destination} appeared while packing ({exc.strerror})"
            ) from None
        _keep_cache(building / "cache", cache_path(destination))
    finally:
        shutil.rmtree(building, ignore_errors=True)
    return PackResult(destination, manifest, tuple(warnings), tuple(notes))


def _pack_to_url(roots, out: str, settings: PackSettings, parent, capture_log, progress,
                 runner) -> PackResult:
    """``pack`` into a remote folder. The tasks' work files and shards go beside the
    destination (``<out>/.<release>.partial-<host>-<pid>-<token>/``), where every worker reaches
    without a shared disk; the driver then copies the shards into a local build of the release,
    writes the files it owns (manifest, quarantine, relations, ...) and uploads it, the
    manifest last. A remote parent is downloaded for the driver, and read by URL by the
    workers."""
    name = f"{settings.name}-{settings.version}"
    destination = storage.join(out, name)
    if storage.is_release(destination):
        raise ReleaseExistsError(
            f"{destination} already exists; releases are immutable: choose a new --version"
        )
    notes = []
    if parent == "auto":
        parent = _latest_remote_release(out, settings.name, settings.version)
        if parent is not None:
            notes.append(f"parent: {parent} (the latest earlier {settings.name} in {out})")
    _remove_stale_partials(RemotePath(out), name)
    # A pack of its own: the same host and pid may pack this version again (after a failure),
    # and workers keep copies of what they read by URL.
    shared = RemotePath(storage.join(out, f"{_partial_name(name)}-{secrets.token_hex(8)}"))
    with tempfile.TemporaryDirectory(prefix="archive-pack-") as local:
        building = Path(local) / "build"
        try:
            lineage, parent_at = None, None
            if storage.is_url(parent):
                copy = Path(local) / "parent" / storage.name_of(parent)
                storage.download(parent, copy)
                lineage, parent_at = open_parent(copy), RemotePath(parent)
            elif parent is not None:
                lineage = open_parent(Path(os.path.abspath(parent)))
            manifest, warnings, advice = _build(
                roots, building, settings, capture_log, lineage, progress, runner,
                shared=shared, parent_at=parent_at,
            )
            storage.upload_release(building / "release", destination)
        finally:
            with suppress(OSError):  # never in place of the pack's own error
                shared.remove_tree()
    return PackResult(destination, manifest, tuple(warnings), (*notes, *advice))


def _latest_remote_release(out: str, name: str, before: str) -> str | None:
    """The URL of the highest version of ``name`` in ``out`` that sorts below ``before``."""
    found = latest_version(storage.releases_in(out, name), name, before)
    return storage.join(out, found) if found else None


def _silent(stage: str, done: int, total: int | None) -> None:
    pass


def _partial_name(name: str) -> str:
    return f".{name}.partial-{_host()}-{os.getpid()}"


def _remove_stale_partials(out: Path | RemotePath, name: str) -> None:
    """Folders left by a pack that was killed (its process on this host is gone) are removed;
    another host's, on a shared folder, are left alone. In a bucket, one is removed only when
    nothing in it changed for a day too: machines that share a bucket may share a host name
    (containers) and process ids."""
    prefix = f".{name}.partial-{_host()}-"
    for partial in out.glob(f"{glob.escape(prefix)}*"):
        pid = partial.name[len(prefix) :].partition("-")[0]
        if not pid.isdigit() or _alive(int(pid)):
            continue
        if isinstance(partial, RemotePath):
            if partial.idle_seconds() >= STALE_REMOTE_SECONDS:
                partial.remove_tree()
        else:
            shutil.rmtree(partial, ignore_errors=True)


def _host() -> str:
    return re.sub(r"[^A-Za-z0-9.-]", "_", socket.gethostname()) or "host"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _build(roots, building: Path, settings, capture_log, lineage: Parent | None, progress, runner,
           *, shared: RemotePath | None = None, parent_at: RemotePath | None = None):
    """Build the release in ``building/release``. The tasks' work files and shards go to
    ``building`` too, or, given ``shared``, there (a folder every worker reaches); the driver's
    own files (plan, indexes as built) stay in ``building/work``."""
    scratch, release = building / "work", building / "release"
    for folder in (scratch, release / "data", release / "schemas"):
        folder.mkdir(parents=True)
    work = shared / "work" if shared else scratch
    shards_at = shared / "release" if shared else release
    log = (
        CaptureLog.build(Path(capture_log).absolute(), scratch / "log.sqlite")
        if capture_log
        else None
    )
    warnings = [str(p) for p in (log.problems if log else [])]
    notes: list[str] = []
    carried = read_tombstones(lineage.path) if lineage else []
    withdrawn_ids = frozenset(rid for rid, _ in settings.withdrawals) | {
        t["record_id"] for t in carried
    }

    plan = _plan(roots, scratch, work, settings, log, progress)
    reuse = _reuse_context(lineage, scratch)
    if reuse and parent_at is not None:
        reuse["parent_path"] = parent_at
    task_log = log
    if shared is not None:
        (shards_at / "data").mkdir(parents=True, exist_ok=True)
        task_log = log and log.read_at(_published(log.index_path, work))
        if reuse:
            reuse["parent"] = ParentIndex(_published(reuse["parent"].path, work))
            if parent_at is None:  # a local parent: the workers may not see its disk
                reuse["parent_path"] = _published_parent(lineage, shared / "parent")
            if reuse.get("parent_cache") is not None:
                reuse["parent_cache"] = _published(reuse["parent_cache"], work)
    ctx = PackContext(
        settings,
        plan.shards,
        work,
        shards_at,
        task_log,
        withdrawn=withdrawn_ids,
        **reuse,
    )
    with runner as executor:
        units = list(
            _run(
                executor.map(extract_unit, plan.units(), ctx), "extract", plan.unit_count, progress
            )
        )
        executor.fresh_workers()  # the shard stages need none of the extraction's state
        shards = range(plan.shards)
        list(_run(executor.map(gather_shard, shards, ctx), "gather", plan.shards, progress))
        learned = learned_furniture(ctx)
        list(
            _run(
                executor.map(finalize_shard, shards, ctx, learned),
                "finalize",
                plan.shards,
                progress,
            )
        )
        duplicates = duplicate_links(ctx)
        relations = _relations(ctx, release, executor, progress) if settings.relations else None
        written = list(_run(executor.map(write_shard, shards, ctx), "write", plan.shards, progress))
    if shared is not None:
        storage.download((shards_at / "data").url, release / "data")
    quarantine = _write_quarantine(work, release)
    tombstones = carried + _new_tombstones(ctx, lineage, settings, warnings)
    if tombstones:
        write_tombstones(release, tombstones)
    for name in SCHEMA_NAMES:
        schema = schema_file(name)
        (release / "schemas" / schema.filename).write_bytes(schema.data)
    if lineage is not None:
        notes += _write_changes(lineage, release, settings, plan)
    manifest = _manifest(
        release, settings, plan, log, units, written, quarantine, duplicates, tombstones, lineage
    )
    manifest["relations"] = relations
    digest = write_manifest(release, manifest)
    if shared is None:  # the cache lives beside a local release only
        _write_cache(work, building / "cache", learned, digest)
    return manifest, warnings, notes


def _published(file: Path, work: RemotePath) -> RemotePath:
    """The driver's ``file`` (an SQLite index, the parent's furniture cache), copied into the
    shared work folder for the workers."""
    target = work / file.name
    target.upload(file)
    return target


def _published_parent(lineage: Parent, folder: RemotePath) -> RemotePath:
    """The record shards of a local parent, copied to ``folder`` for the workers that reuse
    its rows."""
    for relative in lineage.shards:
        (folder / relative).upload(lineage.path / relative)
    return folder


def _relations(ctx: PackContext, release: Path, executor, progress) -> dict:
    """Find relations across the finalized records as executor tasks (see
    :mod:`archive.relation_tasks`); write ``relations/relations.parquet`` and the flags they
    raise; return the manifest's summary (counts per kind, settings, the finder's counts)."""
    from .relation_tasks import (
        KEY_KINDS,
        body_families,
        candidate_batches,
        confirm_batch,
        index_shard,
        pair_part,
        pairing_parts,
        pairing_parts_of,
        sign_shard,
        write_relations,
    )
    from .relations import RelationSettings

    settings = RelationSettings()
    stats: Counter = Counter()
    shards = range(ctx.shards)
    indexed = executor.map(index_shard, shards, ctx)
    stats["records"] = sum(_run(indexed, "relations-index", ctx.shards, progress))
    body_families(ctx)
    parts = pairing_parts(ctx.shards)
    signed = sorted(_run(executor.map(sign_shard, shards, ctx, settings, parts),
                         "relations-sign", ctx.shards, progress), key=lambda s: s.shard)
    bodies = [s.bodies for s in signed]
    paired = executor.map(pair_part, pairing_parts_of(signed, parts), ctx, bodies, settings)
    for kind, skipped in _run(paired, "relations-pair", len(KEY_KINDS) * parts, progress):
        stats[f"skipped-buckets:{KEY_KINDS[kind]}"] += skipped
    batches = candidate_batches(ctx, parts, settings, stats)
    outcomes = executor.map(confirm_batch, batches, ctx, bodies, settings)
    (release / "relations").mkdir()
    kinds = write_relations(ctx, release / RELATIONS_FILE,
                            _run(outcomes, "relations-confirm", None, progress), settings,
                            stats)
    stats.update({f"relations:{kind}": n for kind, n in kinds.items()})
    return {
        "path": RELATIONS_FILE,
        "counts": dict(sorted(kinds.items())),
        "settings": json.loads(settings.params_json()),
        "stats": dict(sorted(stats.items())),
    }


def _write_changes(lineage: Parent, release: Path, settings, plan) -> list[str]:
    """Write CHANGES.json, the diff from the parent; return a note when the chosen version
    contradicts the bump the changes imply."""
    from .diff import changes

    child = {
        "name": settings.name,
        "version": settings.version,
        "schemas": _schema_entries(),
        "settings": settings.output_settings() | {"shards": plan.shards},
    }
    data = changes(lineage.path, release, child)
    (release / CHANGES_FILE).write_bytes(canonical_json(data))
    return [f"version: {data['bump']['warning']}"] if data["bump"]["warning"] else []


def _schema_entries() -> dict:
    return {
        name: {
            "$id": schema_file(name).id,
            "path": f"schemas/{schema_file(name).filename}",
            "sha256": schema_file(name).sha256,
        }
        for name in SCHEMA_NAMES
    }


def _reuse_context(lineage: Parent | None, work: Path) -> dict:
    """The parent index for reuse, when the parent's rows can be reused at all: same record
    schema, text kept (a dehydrated parent has none to copy); and the parent pack's cache of
    furniture contributions, when it is there and belongs to this very parent."""
    if lineage is None or not lineage.same_record_schema:
        return {}
    if lineage.manifest["settings"].get("tier", "full") != "full":
        return {}
    index = ParentIndex.build(lineage, work / "parent.sqlite")
    context = {"parent": index, "parent_path": lineage.path, "parent_shards": tuple(lineage.shards)}
    return context | _parent_cache(lineage)


def cache_path(release: Path) -> Path:
    """Where a release's pack cache lives: ``.archive-cache/<release>`` beside it. Not part of
    the release; deleting it only makes the next version's pack slower."""
    return release.parent / CACHE_FOLDER / release.name


def _parent_cache(lineage: Parent) -> dict:
    from .extract import LearnedFurniture

    folder = cache_path(lineage.path)
    try:
        meta = json.loads((folder / "learned.json").read_bytes())
    except (OSError, ValueError):
        return {}
    if meta.get("manifest_sha256") != lineage.manifest_sha256:
        return {}
    entries = tuple((o, int(k), int(n)) for o, k, n in meta["entries"])
    learned = LearnedFurniture(entries, meta["min_docs"])
    return {"parent_cache": folder / "furniture.arrow", "parent_learned": learned}


def _write_cache(work: Path, folder: Path, learned, manifest_sha256: str) -> None:
    """The furniture contributions and learned furniture of this pack, for the next version."""
    parts = sorted((work / "contrib").glob("*.arrow")) if (work / "contrib").is_dir() else []
    if learned is None or not parts:
        return
    folder.mkdir(parents=True)
    table = pa.concat_tables([read_ipc(p) for p in parts]).sort_by("record_id")
    write_ipc(table, folder / "furniture.arrow")
    meta = {
        "manifest_sha256": manifest_sha256,
        "min_docs": learned.min_docs,
        "entries": [[o, str(k), n] for o, k, n in learned.entries],
    }
    (folder / "learned.json").write_bytes(canonical_json(meta))


def _keep_cache(built: Path, folder: Path) -> None:
    if not built.is_dir():
        return
    shutil.rmtree(folder, ignore_errors=True)
    folder.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.rename(built, folder)
    except OSError:
        shutil.rmtree(built, ignore_errors=True)  # a cache is an optimisation, never a failure


def _new_tombstones(ctx, lineage: Parent | None, settings: PackSettings, warnings: list) -> list:
    """Tombstones for this version's withdrawals: hashes from the parent's row, else from the
    capture read in this pack; an id found in neither is an error."""
    carried = {t["record_id"] for t in read_tombstones(lineage.path)} if lineage else set()
    reasons = {rid: reason for rid, reason in settings.withdrawals if rid not in carried}
    if not reasons:
        return []
    known: dict[str, dict] = {}
    if lineage is not None:
        rows = parent_rows(lineage.path, lineage.shards, sorted(reasons))
        for row in rows.select(["record_id", "raw_sha256", "text_sha256"]).to_pylist():
            known[row["record_id"]] = row
    folder = ctx.work / "withdrawn"
    if folder.is_dir():
        for path in sorted(folder.glob("*.arrow")):
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


def _row_counts(written, quarantine: list, tombstones: list) -> dict[str, int]:
    rows = {s.path: s.rows for s in written}
    rows[QUARANTINE_FILE] = len(quarantine)
    if tombstones:
        rows[WITHDRAWN_FILE] = len(tombstones)
    return rows


@dataclass
class _Plan:
    work: Path
    shards: int
    unit_count: int
    sources: list[dict]
    walk_quarantined: int

    def units(self) -> Iterator[Unit]:
        with open(self.work / "plan.pkl", "rb") as handle:
            for _ in range(self.unit_count):
                yield pickle.load(handle)


def _plan(roots, scratch: Path, work, settings: PackSettings, log, progress: Progress) -> _Plan:
    """Walk the sources once: write the units to ``scratch``, quarantine what cannot be read
    (a fragment in ``work``)."""
    sources = []
    skipped: list[dict] = []
    unit_count = 0
    total_bytes = 0
    seen = 0
    with open(scratch / "plan.pkl", "wb") as plan_file:
        for root in roots:
            stats = {"name": root_name(root), "files": 0, "bytes": 0}

            def files(root=root, stats=stats) -> Iterator[InputFile]:
                nonlocal seen
                for item in walk([root]):
                    seen += 1
                    if seen % 10000 == 0:
                        progress("scan", seen, None)
                    stats["files"] += 1
                    if isinstance(item, Skipped):
                        skipped.append(
                            vars(
                                QuarantineEntry(
                                    item.source_path, item.reason, item.message, item.size
                                )
                            )
                        )
                        continue
                    stats["bytes"] += item.size
                    yield item

            for unit in units_of(
                files(), max_files=settings.unit_files, max_bytes=settings.unit_bytes
            ):
                unit = Unit(unit_count, unit.files)
                pickle.dump(unit, plan_file, protocol=pickle.HIGHEST_PROTOCOL)
                unit_count += 1
                total_bytes += unit.bytes
            sources.append(stats)
    if skipped:
        write_quarantine_fragment(work, "walk", skipped)
    if log is not None:
        log.mark_inputs(_input_keys(scratch, unit_count))
    shards = shard_count(total_bytes, settings.shard_bytes, settings.shards)
    return _Plan(scratch, shards, unit_count, sources, len(skipped))


def _input_keys(work: Path, unit_count: int) -> Iterator[str]:
    with open(work / "plan.pkl", "rb") as handle:
        for _ in range(unit_count):
            for item in pickle.load(handle).files:
                yield item.source_path


def _run(results: Iterator, stage: str, total: int, progress: Progress) -> Iterator:
    progress(stage, 0, total)
    for done, result in enumerate(results, start=1):
        progress(stage, done, total)
        yield result


def _write_quarantine(work: Path | RemotePath, release: Path) -> list[dict]:
    """All quarantine fragments as one sorted JSON Lines file in the release."""
    folder = work / "quarantine"
    tables = [read_ipc(p) for p in sorted(folder.glob("*.arrow"))] if folder.is_dir() else []
    table = pa.concat_tables(tables) if tables else QUARANTINE_ARROW_SCHEMA.empty_table()
    rows = table.sort_by([("source_path", "ascending"), ("offset", "ascending")]).to_pylist()
    with open(release / QUARANTINE_FILE, "wb") as handle:
        for row in rows:
            handle.write(canonical_line(row))
    return rows


def _manifest(
    release, settings, plan, log, units, written, quarantine, duplicates, tombstones, lineage
) -> dict:
    written = sorted(written, key=lambda s: s.index)
    records = sum(s.rows for s in written)
    totals = Counter()
    furniture = Counter()
    languages = Counter()
    for summary in written:
        totals.update(summary.counts)
        furniture.update(summary.furniture_chars)
        languages.update(summary.languages)
    reasons = Counter(row["reason"] for row in quarantine)
    skipped = Counter()
    bad_digests = []
    for unit in units:
        skipped.update(unit.warc_skipped)
        bad_digests.extend(unit.warc_bad_digests)
    bad_digests.sort(key=lambda row: (row["source_path"], row["offset"]))
    inputs = sum(u.records + u.quarantined for u in units) + plan.walk_quarantined
    inputs += sum(u.withdrawn for u in units)
    counts = {
        "inputs": inputs,
        "reused": sum(u.reused for u in units),
        "withdrawn_inputs": sum(u.withdrawn for u in units),
        "records": records,
        "quarantined": len(quarantine),
        "withdrawn": len(tombstones),
        "duplicates": duplicates,
        **{
            k: totals[k]
            for k in (
                "unknown_outlet",
                "unknown_date",
                "unknown_title",
                "unknown_authors",
                "unknown_language",
            )
        },
    }
    generator = {"name": "archive", "version": __version__, "pyarrow": pa.__version__}
    manifest = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "name": settings.name,
        "version": settings.version,
        "created": rfc3339(settings.created),
        "generator": generator,
        "schemas": _schema_entries(),
        "settings": settings.output_settings() | {"shards": plan.shards},
        "files": file_entries(release, _row_counts(written, quarantine, tombstones)),
        "counts": counts,
        "quarantine_reasons": dict(sorted(reasons.items())),
        "warc_records_skipped": dict(sorted(skipped.items())),
        "warc_digest_mismatches": bad_digests,
        "capture_log": _log_summary(log),
        "sources": plan.sources,
        "coverage": {
            "furniture_chars": dict(sorted(furniture.items())),
            "languages": dict(sorted(languages.items())),
        },
        "parent": lineage.link if lineage else None,
    }
    return manifest


def _log_summary(log: CaptureLog | None) -> dict | None:
    if log is None:
        return None
    return {
        "name": log.name,
        "sha256": log.sha256,
        "entries": log.size,
        "bad_lines": len(log.problems),
        "errors": [str(p) for p in log.problems],
        "unmatched": log.unmatched(),
    }
